// Reading Dovecot's dovecot-uidlist (see dovecot_uidlist.hpp).
#include "store/dovecot_uidlist.hpp"

#include "store/record_file.hpp"
#include "store/text_lines.hpp"

#include <cstdint>
#include <limits>
#include <optional>

namespace poplar::store {

namespace {

constexpr std::uint64_t max_uid32 = std::numeric_limits<std::uint32_t>::max();

// A header number: decimal, 1..2^32-1.
std::optional<std::uint32_t> header_number(std::string_view text) {
    std::optional<std::uint64_t> value = parse_decimal(text);
    if (!value || *value == 0 || *value > max_uid32) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(*value);
}

std::string_view next_token(std::string_view& rest) {
    while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
    }
    std::size_t end = rest.find(' ');
    std::string_view token = rest.substr(0, end);
    rest.remove_prefix(token.size());
    return token;
}

// The uidvalidity from the header line, or nullopt when Dovecot would not
// use the file. Sets `version`.
std::optional<std::uint32_t> read_header(std::string_view line, int& version) {
    if (line.size() < 2 || line[0] < '0' || line[0] > '9' || line[1] != ' ') {
        return std::nullopt;
    }
    version = line[0] - '0';
    std::string_view rest = line.substr(2);
    std::optional<std::uint32_t> validity;
    std::optional<std::uint32_t> next_uid;
    if (version == 1) {
        validity = header_number(next_token(rest));
        next_uid = header_number(next_token(rest));
    } else if (version == 3) {
        for (std::string_view field = next_token(rest); !field.empty(); field = next_token(rest)) {
            if (field.front() == 'V') {
                validity = header_number(field.substr(1));
            } else if (field.front() == 'N') {
                next_uid = header_number(field.substr(1));
            }
        }
    }
    if (!validity || !next_uid) {
        return std::nullopt;
    }
    return validity;
}

void append_hex8(std::string& out, std::uint32_t value) {
    static constexpr char hex[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) {
        out += hex[(value >> shift) & 0xF];
    }
}

} // namespace

UidlFileSummary parse_dovecot_uidlist(std::string_view text, const OnUidl& on_uidl) {
    UidlFileSummary summary;
    std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) {
        return summary;
    }
    int version = 0;
    const std::optional<std::uint32_t> validity = read_header(text.substr(0, newline), version);
    if (!validity) {
        return summary;
    }
    summary.header_ok = true;
    text.remove_prefix(newline + 1);

    std::uint64_t previous_uid = 0;
    std::string uidl;
    while (!text.empty()) {
        const auto next = take_complete_line(text);
        if (!next) {
            ++summary.skipped;  // cut short
            break;
        }
        const std::string_view line = *next;

        std::size_t digits = 0;
        while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') {
            ++digits;
        }
        std::optional<std::uint64_t> uid = digits <= 10 ? parse_decimal(line.substr(0, digits)) : std::nullopt;
        if (!uid || *uid == 0 || *uid >= max_uid32 || digits == line.size() || line[digits] != ' ' ||
            *uid <= previous_uid) {
            ++summary.skipped;
            continue;
        }
        std::string_view rest = line.substr(digits);
        std::string_view saved_uidl;  // the first P field's value; empty is none
        bool seen_saved = false;
        if (version == 3) {
            // Fields up to the ':' that starts the file name.
            for (;;) {
                while (!rest.empty() && rest.front() == ' ') {
                    rest.remove_prefix(1);
                }
                if (rest.empty() || rest.front() == ':') {
                    break;
                }
                std::string_view field = next_token(rest);
                if (field.front() == 'P' && !seen_saved) {
                    seen_saved = true;
                    saved_uidl = field.substr(1);
                }
            }
            if (rest.empty()) {
                ++summary.skipped;  // no file name
                continue;
            }
            rest.remove_prefix(1);
        } else {
            while (!rest.empty() && rest.front() == ' ') {
                rest.remove_prefix(1);
            }
        }
        if (rest.empty() || rest.find('/') != std::string_view::npos) {
            ++summary.skipped;
            continue;
        }
        previous_uid = *uid;
        std::string_view base = rest.substr(0, rest.find(':'));
        if (base.empty()) {
            ++summary.skipped;
            continue;
        }
        if (saved_uidl.empty()) {
            uidl.clear();
            append_hex8(uidl, static_cast<std::uint32_t>(*uid));
            append_hex8(uidl, *validity);
            saved_uidl = uidl;
        }
        ++summary.entries;
        on_uidl(base, saved_uidl);
    }
    return summary;
}

} // namespace poplar::store

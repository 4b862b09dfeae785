// Reading Courier's courierpop3dsizelist (see courier_sizelist.hpp).
#include "store/courier_sizelist.hpp"

#include "store/record_file.hpp"
#include "store/text_lines.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace poplar::store {

namespace {

bool read_header(std::string_view line) {
    if (line.size() < 2 || line.front() != '/') {
        return false;
    }
    line.remove_prefix(1);
    std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
        return false;
    }
    std::optional<std::uint64_t> version = parse_decimal(line.substr(0, space));
    std::string_view numbers = line.substr(space + 1);
    std::string_view next_uid = numbers.substr(0, numbers.find(' '));
    if (!version || (*version != 2 && *version != 3) || !parse_decimal(next_uid)) {
        return false;
    }
    if (next_uid.size() < numbers.size()) {
        return parse_decimal(numbers.substr(next_uid.size() + 1)).has_value();
    }
    return true;
}

// Courier's UIDL for uid 0 (its "version 0" UIDL, from the file name).
void append_escaped(std::string& out, std::string_view base) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : base) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21 || byte > 0x7E || c == '\'' || c == '"' || c == '+') {
            out += '+';
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
}

} // namespace

UidlFileSummary parse_courier_sizelist(std::string_view text, const OnUidl& on_uidl) {
    UidlFileSummary summary;
    std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos || !read_header(text.substr(0, newline))) {
        return summary;
    }
    summary.header_ok = true;
    text.remove_prefix(newline + 1);

    std::string uidl;
    while (!text.empty()) {
        const auto next = take_complete_line(text);
        if (!next) {
            ++summary.skipped;  // cut short
            break;
        }
        const std::string_view line = *next;

        const std::size_t last = line.rfind(' ');
        const std::size_t middle = last == std::string_view::npos || last == 0 ? std::string_view::npos
                                                                                : line.rfind(' ', last - 1);
        if (middle == std::string_view::npos || middle == 0) {
            ++summary.skipped;
            continue;
        }
        const std::string_view filename = line.substr(0, middle);
        const std::string_view size = line.substr(middle + 1, last - middle - 1);
        std::string_view ids = line.substr(last + 1);
        const std::size_t colon = ids.find(':');
        if (colon == std::string_view::npos) {
            ++summary.skipped;
            continue;
        }
        const std::optional<std::uint64_t> uid = parse_decimal(ids.substr(0, colon));
        ids.remove_prefix(colon + 1);
        const std::size_t utf8 = ids.find(':');
        const std::optional<std::uint64_t> validity = parse_decimal(ids.substr(0, utf8));
        const bool utf8_ok = utf8 == std::string_view::npos || parse_decimal(ids.substr(utf8 + 1)).has_value();
        const std::string_view base = filename.substr(0, filename.find(':'));
        if (!parse_decimal(size) || !uid || !validity || !utf8_ok || base.empty()) {
            ++summary.skipped;
            continue;
        }
        uidl.clear();
        if (*uid == 0) {
            append_escaped(uidl, base);
        } else {
            uidl += "UID";
            uidl += std::to_string(*uid);
            if (*validity != 0) {
                uidl += '-';
                uidl += std::to_string(*validity);
            }
        }
        ++summary.entries;
        on_uidl(base, uidl);
    }
    return summary;
}

} // namespace poplar::store

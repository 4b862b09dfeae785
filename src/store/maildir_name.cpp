// Maildir file-name parsing and delivery order (see maildir_name.hpp).
#include "store/maildir_name.hpp"

#include <charconv>
#include <tuple>

namespace poplar::store {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A whole string of decimal digits, refused on overflow or any other byte.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !is_digit(text.front())) {
        return std::nullopt;
    }
    return value;
}

// The first "M" followed by digits in the unique field. Dovecot and Postfix
// write the other parts (V, I in lowercase hex, P, Q in decimal) so that an
// uppercase 'M' only ever starts the microseconds.
std::optional<std::uint64_t> find_usec(std::string_view unique) {
    for (std::size_t i = 0; i + 1 < unique.size(); ++i) {
        if (unique[i] != 'M' || !is_digit(unique[i + 1])) {
            continue;
        }
        std::size_t end = i + 1;
        while (end < unique.size() && is_digit(unique[end])) {
            ++end;
        }
        return parse_decimal(unique.substr(i + 1, end - i - 1));
    }
    return std::nullopt;
}

void parse_fields(std::string_view fields, MaildirName& name) {
    // fields is ",K=V,K=V..." (possibly empty); unknown keys are skipped and
    // the first valid value of a key wins, as Dovecot reads them.
    while (!fields.empty()) {
        fields.remove_prefix(1);  // the ','
        std::size_t comma = fields.find(',');
        std::string_view field = fields.substr(0, comma);
        fields = comma == std::string_view::npos ? std::string_view{} : fields.substr(comma);
        if (field.size() < 2 || field[1] != '=') {
            continue;
        }
        std::optional<std::uint64_t>* slot = field[0] == 'S' ? &name.s_size
                                             : field[0] == 'W' ? &name.w_size
                                                               : nullptr;
        if (slot != nullptr && !slot->has_value()) {
            *slot = parse_decimal(field.substr(2));
        }
    }
}

} // namespace

MaildirName parse_maildir_name(std::string_view file_name) {
    MaildirName name;
    std::size_t colon = file_name.find(':');
    name.base = file_name.substr(0, colon);
    if (colon != std::string_view::npos) {
        name.info = file_name.substr(colon + 1);
        if (name.info.starts_with("2,")) {
            name.flags = name.info.substr(2);
        }
    }

    std::string_view base = name.base;
    std::size_t dot = base.find('.');
    if (dot == std::string_view::npos) {
        return name;
    }
    std::optional<std::uint64_t> time = parse_decimal(base.substr(0, dot));
    if (!time) {
        return name;
    }
    name.well_formed = true;
    name.time = *time;

    // The stem "time.unique.host" ends at the first ','; fields follow.
    std::size_t comma = base.find(',');
    std::string_view stem = base.substr(0, comma);
    std::string_view unique = stem.substr(dot + 1);
    unique = unique.substr(0, unique.find('.'));
    name.usec = find_usec(unique);
    if (comma != std::string_view::npos) {
        parse_fields(base.substr(comma), name);
    }
    return name;
}

bool delivered_before(const MaildirName& a, const MaildirName& b) {
    auto key = [](const MaildirName& n) {
        return std::tuple(!n.well_formed, n.well_formed ? n.time : 0, n.usec.has_value(),
                          n.usec.value_or(0), n.base);
    };
    return key(a) < key(b);
}

} // namespace poplar::store

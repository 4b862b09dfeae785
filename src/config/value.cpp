// Parsing and printing of config values; strict, because a typo in a config
// file should stop the server at start, not change its behaviour silently.
#include "config/value.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>

namespace poplar::config {

namespace {

using std::chrono::milliseconds;

// Largest duration accepted, in milliseconds: far beyond any bound, and small
// enough that no arithmetic on it can overflow std::chrono::milliseconds.
constexpr std::uint64_t max_duration_ms = std::uint64_t{1} << 53;

struct Unit {
    std::string_view suffix;
    std::uint64_t ms;
};

// Longest suffix first, so "ms" is not read as "m" followed by noise.
constexpr std::array<Unit, 4> units{{{"ms", 1}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}}};

constexpr std::string_view duration_syntax =
    R"(must be a duration: a whole number and a unit (ms, s, m or h), such as "30s" or "10m"; a number alone means seconds)";

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// Length of the UTF-8 sequence that starts at text[i], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0; // overlong
        if (lead == 0xED)
            high = 0x9F; // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90; // overlong
        if (lead == 0xF4)
            high = 0x8F; // past U+10FFFF
    } else
        return 0;
    if (i + length > text.size())
        return 0;
    if (byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (std::size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    return length;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

} // namespace

bool parse_bool(std::string_view text) {
    if (text == "true" || text == "yes" || text == "1")
        return true;
    if (text == "false" || text == "no" || text == "0")
        return false;
    throw InvalidValue("must be true or false (yes/no and 1/0 are accepted too)");
}

std::uint64_t parse_unsigned(std::string_view text) {
    // from_chars alone would accept "12abc" as 12; digits are checked first.
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
        throw InvalidValue("must be a whole number (digits only)");
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc::result_out_of_range)
        throw InvalidValue("is too large");
    if (error != std::errc{} || end != text.data() + text.size())
        throw InvalidValue("must be a whole number (digits only)");
    return number;
}

milliseconds parse_duration(std::string_view text) {
    const std::size_t digits = text.find_first_not_of("0123456789");
    const std::string_view number_text = text.substr(0, digits);
    const std::string_view suffix = digits == std::string_view::npos ? std::string_view{} : text.substr(digits);
    if (number_text.empty())
        throw InvalidValue(std::string(duration_syntax));
    std::uint64_t unit_ms = 1000; // no unit: seconds
    if (!suffix.empty()) {
        unit_ms = 0;
        for (const Unit& unit : units)
            if (suffix == unit.suffix)
                unit_ms = unit.ms;
        if (unit_ms == 0)
            throw InvalidValue(std::string(duration_syntax));
    }
    std::uint64_t number = 0;
    try {
        number = parse_unsigned(number_text);
    } catch (const InvalidValue&) {
        throw InvalidValue("is too long a duration");
    }
    if (number > max_duration_ms / unit_ms)
        throw InvalidValue("is too long a duration");
    return milliseconds{static_cast<milliseconds::rep>(number * unit_ms)};
}

milliseconds duration_from_seconds(std::int64_t seconds) {
    if (seconds < 0)
        throw InvalidValue("must not be negative");
    if (static_cast<std::uint64_t>(seconds) > max_duration_ms / 1000)
        throw InvalidValue("is too long a duration");
    return milliseconds{seconds * 1000};
}

std::string format_duration(milliseconds duration) {
    const auto ms = duration.count();
    if (ms == 0)
        return "0s";
    for (const Unit& unit : {units[1], units[2], units[3]})
        if (ms % static_cast<milliseconds::rep>(unit.ms) == 0)
            return fmt::format("{}{}", ms / static_cast<milliseconds::rep>(unit.ms), unit.suffix);
    return fmt::format("{}ms", ms);
}

std::vector<std::string> parse_list(std::string_view text) {
    std::vector<std::string> items;
    if (trim(text).empty())
        return items;
    for (;;) {
        const std::size_t comma = text.find(',');
        items.emplace_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos)
            return items;
        text.remove_prefix(comma + 1);
    }
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

bool has_control_character(std::string_view text) {
    for (const char c : text)
        if (is_control(static_cast<unsigned char>(c)))
            return true;
    return false;
}

std::string quote(std::string_view text, std::size_t limit) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        if (i >= limit) {
            out += "...";
            break;
        }
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += fmt::format("\\x{:02X}", c);
            ++i;
            continue;
        }
        if (length > 1) {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default:
            if (is_control(c))
                out += fmt::format("\\u{:04X}", c);
            else
                out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
    return out;
}

std::string format_value(const Value& value, std::size_t limit) {
    struct Printer {
        std::size_t limit;
        std::string operator()(const std::string& text) const { return quote(text, limit); }
        std::string operator()(const std::vector<std::string>& items) const {
            std::string out = "[";
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (out.size() > limit) {
                    out += ", ...";
                    break;
                }
                out += (i == 0 ? "" : ", ") + quote(items[i], limit);
            }
            return out + "]";
        }
        std::string operator()(bool flag) const { return flag ? "true" : "false"; }
        std::string operator()(std::uint64_t number) const { return std::to_string(number); }
        std::string operator()(milliseconds duration) const { return quote(format_duration(duration)); }
    };
    return std::visit(Printer{limit}, value);
}

} // namespace poplar::config

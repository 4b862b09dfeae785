// Command-line parsing: keyword, arguments and strict decimal numbers.
#include "protocol/command.hpp"

#include <limits>

namespace poplar::protocol {

CommandLine split_command(std::string_view line) {
    CommandLine command;
    const std::size_t space = line.find(' ');
    const std::string_view keyword = line.substr(0, space);

    // RFC 1939 section 3: keywords are case-insensitive. ASCII only, so the
    // locale can never change what a command means.
    command.keyword.reserve(keyword.size());
    for (char c : keyword) {
        command.keyword.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    if (space == std::string_view::npos) {
        return command;
    }

    command.rest = line.substr(space + 1);
    // One space separates arguments (RFC 1939 section 3); empty pieces are
    // kept so that "LIST  1" or "LIST 1 " reach the argument check as such.
    std::string_view rest = command.rest;
    for (;;) {
        const std::size_t next = rest.find(' ');
        command.args.push_back(rest.substr(0, next));
        if (next == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(next + 1);
    }
    return command;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
    // 2^64-1 has 20 digits; a longer text is refused before any arithmetic
    // (leading zeros included: no message number needs them).
    constexpr std::size_t max_digits = std::numeric_limits<std::uint64_t>::digits10 + 1;
    if (text.empty() || text.size() > max_digits) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return std::nullopt;  // would wrap
        }
        value = value * 10 + digit;
    }
    if (value > max) {
        return std::nullopt;
    }
    return value;
}

} // namespace poplar::protocol

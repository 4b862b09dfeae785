// Parsing one command line: the keyword and strictly validated arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::protocol {

struct CommandLine {
    std::string keyword;                  // upper-cased (commands are case-insensitive)
    std::string_view rest;                // everything after the first space, as sent
    std::vector<std::string_view> args;   // rest split on single spaces; empty pieces kept
};

// Splits a line (without CRLF) into its keyword and arguments. The keyword is
// the text up to the first space, upper-cased. RFC 1939 separates arguments by
// a single space: "LIST  1" gives the arguments "" and "1", so that the
// argument check refuses it rather than guessing.
CommandLine split_command(std::string_view line);

// A message number or line count: plain decimal digits only (no sign, no
// space, no leading '+', no hex), at most `max`; overflow and trailing bytes
// are refused. "4294967297" with max 2^32-1 is nullopt, never 1.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max);

} // namespace poplar::protocol

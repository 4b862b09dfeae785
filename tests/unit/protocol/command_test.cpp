// split_command and parse_decimal: valid and invalid vectors.
#include "protocol/command.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace poplar::protocol {
namespace {

struct SplitVector {
    std::string line;
    std::string keyword;
    std::string rest;
    std::vector<std::string> args;
};

class CommandParseSplit : public ::testing::TestWithParam<SplitVector> {};

TEST_P(CommandParseSplit, Splits) {
    const auto& v = GetParam();
    const CommandLine command = split_command(v.line);
    EXPECT_EQ(command.keyword, v.keyword);
    EXPECT_EQ(command.rest, v.rest);
    const std::vector<std::string> args(command.args.begin(), command.args.end());
    EXPECT_EQ(args, v.args);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, CommandParseSplit,
    ::testing::Values(SplitVector{"STAT", "STAT", "", {}},
                      SplitVector{"stat", "STAT", "", {}},
                      SplitVector{"uIdL", "UIDL", "", {}},
                      SplitVector{"LIST 1", "LIST", "1", {"1"}},
                      SplitVector{"list 1", "LIST", "1", {"1"}},
                      SplitVector{"TOP 1 10", "TOP", "1 10", {"1", "10"}},
                      SplitVector{"LIST  1", "LIST", " 1", {"", "1"}},
                      SplitVector{"LIST 1 ", "LIST", "1 ", {"1", ""}},
                      SplitVector{"LIST ", "LIST", "", {""}},
                      SplitVector{"NOOP  ", "NOOP", " ", {"", ""}},
                      // Arguments keep their case; only the keyword is folded.
                      SplitVector{"user Alice", "USER", "Alice", {"Alice"}},
                      SplitVector{"PASS my secret pw", "PASS", "my secret pw", {"my", "secret", "pw"}},
                      SplitVector{"APOP mrose c4c9334bac560ecc979e58001b3e22fb", "APOP",
                                  "mrose c4c9334bac560ecc979e58001b3e22fb",
                                  {"mrose", "c4c9334bac560ecc979e58001b3e22fb"}},
                      SplitVector{"", "", "", {}},
                      SplitVector{" LIST", "", "LIST", {"LIST"}},
                      SplitVector{"LIST\t1", "LIST\t1", "", {}},
                      // Only ASCII letters are folded: no locale surprises.
                      SplitVector{"r\xc3\xa9tr", "R\xc3\xa9TR", "", {}},
                      SplitVector{"a-z[]{}", "A-Z[]{}", "", {}}));

struct DecimalVector {
    std::string text;
    std::uint64_t max;
    std::optional<std::uint64_t> expected;
};

class CommandParseDecimal : public ::testing::TestWithParam<DecimalVector> {};

TEST_P(CommandParseDecimal, Parses) {
    const auto& v = GetParam();
    EXPECT_EQ(parse_decimal(v.text, v.max), v.expected) << '"' << v.text << '"';
}

constexpr std::uint64_t u32_max = 4294967295U;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

INSTANTIATE_TEST_SUITE_P(
    Valid, CommandParseDecimal,
    ::testing::Values(DecimalVector{"0", u32_max, 0},
                      DecimalVector{"1", u32_max, 1},
                      DecimalVector{"01", u32_max, 1},
                      DecimalVector{"007", u32_max, 7},
                      DecimalVector{"42", 42, 42},
                      DecimalVector{"4294967295", u32_max, u32_max},
                      DecimalVector{"18446744073709551615", u64_max, u64_max},
                      DecimalVector{"00000000000000000001", u64_max, 1}));

INSTANTIATE_TEST_SUITE_P(
    Invalid, CommandParseDecimal,
    ::testing::Values(DecimalVector{"", u32_max, std::nullopt},
                      DecimalVector{"+1", u32_max, std::nullopt},
                      DecimalVector{"-1", u32_max, std::nullopt},
                      DecimalVector{" 1", u32_max, std::nullopt},
                      DecimalVector{"1 ", u32_max, std::nullopt},
                      DecimalVector{"1a", u32_max, std::nullopt},
                      DecimalVector{"a1", u32_max, std::nullopt},
                      DecimalVector{"0x1", u32_max, std::nullopt},
                      DecimalVector{"1.0", u32_max, std::nullopt},
                      DecimalVector{"1e3", u32_max, std::nullopt},
                      DecimalVector{std::string("1\0", 2), u32_max, std::nullopt},
                      DecimalVector{"\xd9\xa1", u32_max, std::nullopt},  // ARABIC-INDIC DIGIT ONE
                      DecimalVector{"43", 42, std::nullopt},
                      DecimalVector{"1", 0, std::nullopt},
                      // Above the bound: refused, never wrapped to a small number.
                      DecimalVector{"4294967296", u32_max, std::nullopt},
                      DecimalVector{"4294967297", u32_max, std::nullopt},
                      DecimalVector{"18446744073709551616", u64_max, std::nullopt},
                      DecimalVector{"18446744073709551617", u64_max, std::nullopt},
                      DecimalVector{"99999999999999999999", u64_max, std::nullopt},
                      // 21 digits: refused before any arithmetic, zeros or not.
                      DecimalVector{"000000000000000000001", u64_max, std::nullopt},
                      DecimalVector{"184467440737095516150", u64_max, std::nullopt},
                      DecimalVector{std::string(1000, '9'), u64_max, std::nullopt}));

} // namespace
} // namespace poplar::protocol

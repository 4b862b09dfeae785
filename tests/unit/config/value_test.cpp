// Tests of the value parsers and printers: durations, booleans, numbers, lists, quoting.
#include "config/value.hpp"

#include <gtest/gtest.h>

namespace poplar::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEveryUnitAndBareSeconds) {
    const std::pair<std::string_view, milliseconds> vectors[] = {
        {"0", milliseconds{0}},
        {"0ms", milliseconds{0}},
        {"500ms", milliseconds{500}},
        {"2s", milliseconds{2000}},
        {"10m", milliseconds{600'000}},
        {"1h", milliseconds{3'600'000}},
        {"24h", milliseconds{86'400'000}},
        {"600", milliseconds{600'000}},
        {"007s", milliseconds{7000}},
    };
    for (const auto& [text, expected] : vectors)
        EXPECT_EQ(parse_duration(text), expected) << text;
}

TEST(ParseDuration, RefusesAnythingElse) {
    for (const std::string_view text :
         {"", "s", "ms", "-1s", "+1s", "1.5h", "1 s", " 1s", "1s ", "1d", "1S", "1sec", "10m30s", "1hh", "0x10",
          "99999999999999999999999s", "9007199254740993ms", "2562047788015216h"})
        EXPECT_THROW(parse_duration(text), InvalidValue) << text;
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
    EXPECT_EQ(format_duration(milliseconds{0}), "0s");
    EXPECT_EQ(format_duration(milliseconds{500}), "500ms");
    EXPECT_EQ(format_duration(milliseconds{1500}), "1500ms");
    EXPECT_EQ(format_duration(milliseconds{2000}), "2s");
    EXPECT_EQ(format_duration(milliseconds{61'000}), "61s");
    EXPECT_EQ(format_duration(milliseconds{600'000}), "10m");
    EXPECT_EQ(format_duration(milliseconds{5'400'000}), "90m");
    EXPECT_EQ(format_duration(milliseconds{86'400'000}), "24h");
}

TEST(FormatDuration, ParsesBackToTheSameDuration) {
    for (const long long ms : {0LL, 1LL, 999LL, 1000LL, 59'999LL, 60'000LL, 3'600'000LL, 3'600'001LL, 86'400'000LL})
        EXPECT_EQ(parse_duration(format_duration(milliseconds{ms})), milliseconds{ms}) << ms;
}

TEST(DurationFromSeconds, RefusesNegativeAndHuge) {
    EXPECT_EQ(duration_from_seconds(600), milliseconds{600'000});
    EXPECT_THROW(duration_from_seconds(-1), InvalidValue);
    EXPECT_THROW(duration_from_seconds(std::numeric_limits<std::int64_t>::max()), InvalidValue);
}

TEST(ParseBool, AcceptsTheDocumentedSpellingsOnly) {
    for (const std::string_view text : {"true", "yes", "1"})
        EXPECT_TRUE(parse_bool(text)) << text;
    for (const std::string_view text : {"false", "no", "0"})
        EXPECT_FALSE(parse_bool(text)) << text;
    for (const std::string_view text : {"", "TRUE", "True", "on", "off", "y", "2", " true", "true "})
        EXPECT_THROW(parse_bool(text), InvalidValue) << text;
}

TEST(ParseUnsigned, IsStrictDecimal) {
    EXPECT_EQ(parse_unsigned("0"), 0u);
    EXPECT_EQ(parse_unsigned("4096"), 4096u);
    EXPECT_EQ(parse_unsigned("18446744073709551615"), 18446744073709551615u);
    // Overflow and trailing noise are errors, never a wrapped or truncated number.
    for (const std::string_view text :
         {"", "-1", "+1", " 1", "1 ", "1k", "0x10", "1.0", "18446744073709551616", "4294967297abc"})
        EXPECT_THROW(parse_unsigned(text), InvalidValue) << text;
}

TEST(ParseList, SplitsOnCommasAndTrimsSpaces) {
    using List = std::vector<std::string>;
    EXPECT_EQ(parse_list(""), List{});
    EXPECT_EQ(parse_list("  "), List{});
    EXPECT_EQ(parse_list("a"), List{"a"});
    EXPECT_EQ(parse_list("a,b"), List({"a", "b"}));
    EXPECT_EQ(parse_list(" a , b "), List({"a", "b"}));
    EXPECT_EQ(parse_list("[::1]:110,127.0.0.1:110"), List({"[::1]:110", "127.0.0.1:110"}));
    // An empty item stays, so validation can refuse it rather than silently drop it.
    EXPECT_EQ(parse_list("a,,b"), List({"a", "", "b"}));
}

TEST(Utf8, ValidAndInvalidSequences) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xab"));
    for (const std::string_view text :
         {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\xc3("})
        EXPECT_FALSE(is_valid_utf8(text));
}

TEST(Quote, EscapesWhatTomlNeedsAndSanitizesTheRest) {
    EXPECT_EQ(quote("plain"), R"("plain")");
    EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(quote("\r\n\t"), R"("\r\n\t")");
    EXPECT_EQ(quote(std::string_view("\0\x1b\x7f", 3)), R"("\u0000\u001B\u007F")");
    EXPECT_EQ(quote("\xc3\xa9"), "\"\xc3\xa9\"");
    EXPECT_EQ(quote("a\xff"), R"("a\xFF")");
    EXPECT_EQ(quote("abcdef", 3), R"("abc...")");
}

TEST(FormatValue, WritesToml) {
    EXPECT_EQ(format_value(Value{std::string("x")}), R"("x")");
    EXPECT_EQ(format_value(Value{std::vector<std::string>{"a", "b"}}), R"(["a", "b"])");
    EXPECT_EQ(format_value(Value{std::vector<std::string>{}}), "[]");
    EXPECT_EQ(format_value(Value{true}), "true");
    EXPECT_EQ(format_value(Value{std::uint64_t{42}}), "42");
    EXPECT_EQ(format_value(Value{milliseconds{600'000}}), R"("10m")");
}

} // namespace
} // namespace poplar::config

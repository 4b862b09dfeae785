// ok/err status lines with response codes, and sanitize_for_log.
#include "protocol/reply.hpp"

#include <gtest/gtest.h>

#include <string>

namespace poplar::protocol {
namespace {

TEST(ReplyOk, WithAndWithoutText) {
    EXPECT_EQ(ok(""), "+OK\r\n");
    EXPECT_EQ(ok("2 320"), "+OK 2 320\r\n");
    EXPECT_EQ(ok("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
              "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
}

TEST(ReplyOk, StaysOneLine) {
    EXPECT_EQ(ok("a\r\nb"), "+OK a  b\r\n");
}

TEST(ReplyErr, WithoutCode) {
    EXPECT_EQ(err("no such message"), "-ERR no such message\r\n");
    EXPECT_EQ(err(""), "-ERR\r\n");
}

TEST(ReplyErr, EveryCode) {
    EXPECT_EQ(err("mailbox locked", ResponseCode::in_use), "-ERR [IN-USE] mailbox locked\r\n");
    EXPECT_EQ(err("wait", ResponseCode::login_delay), "-ERR [LOGIN-DELAY] wait\r\n");
    EXPECT_EQ(err("bad login", ResponseCode::auth), "-ERR [AUTH] bad login\r\n");
    EXPECT_EQ(err("try later", ResponseCode::sys_temp), "-ERR [SYS/TEMP] try later\r\n");
    EXPECT_EQ(err("broken", ResponseCode::sys_perm), "-ERR [SYS/PERM] broken\r\n");
    EXPECT_EQ(err("plain", ResponseCode::none), "-ERR plain\r\n");
    EXPECT_EQ(err("", ResponseCode::auth), "-ERR [AUTH]\r\n");
}

TEST(ReplyErr, CrAndLfBecomeSpaces) {
    EXPECT_EQ(err("a\r\n+OK injected"), "-ERR a  +OK injected\r\n");
    EXPECT_EQ(err("\n", ResponseCode::sys_temp), "-ERR [SYS/TEMP]  \r\n");
    EXPECT_EQ(err("x\ry"), "-ERR x y\r\n");
}

TEST(ReplySanitize, PrintableKept) {
    EXPECT_EQ(sanitize_for_log("USER alice"), "USER alice");
    EXPECT_EQ(sanitize_for_log(""), "");
    EXPECT_EQ(sanitize_for_log("~ !"), "~ !");
}

TEST(ReplySanitize, OthersEscaped) {
    using namespace std::string_literals;
    EXPECT_EQ(sanitize_for_log("a\r\n"), "a\\x0d\\x0a");
    EXPECT_EQ(sanitize_for_log("\0\x7f\xff"s), "\\x00\\x7f\\xff");
    EXPECT_EQ(sanitize_for_log("\t"), "\\x09");
}

TEST(ReplySanitize, BackslashEscapedSoLogsAreUnambiguous) {
    EXPECT_EQ(sanitize_for_log("\\x41"), "\\\\x41");
    EXPECT_NE(sanitize_for_log("\\x41"), sanitize_for_log("A"));
    EXPECT_NE(sanitize_for_log("\\x0a"), sanitize_for_log("\n"));
}

TEST(ReplySanitize, CutToMaxLength) {
    EXPECT_EQ(sanitize_for_log(std::string(64, 'a')), std::string(64, 'a'));
    EXPECT_EQ(sanitize_for_log(std::string(65, 'a')), std::string(64, 'a') + "...");
    EXPECT_EQ(sanitize_for_log("abcdef", 3), "abc...");
    EXPECT_EQ(sanitize_for_log("abc", 3), "abc");
    EXPECT_EQ(sanitize_for_log("abc", 0), "...");
    // An escape is never cut in half.
    EXPECT_EQ(sanitize_for_log("ab\n", 4), "ab...");
    EXPECT_EQ(sanitize_for_log("ab\n", 6), "ab\\x0a");
    EXPECT_EQ(sanitize_for_log("a\\", 2), "a...");
    const std::string huge(100000, '\x01');
    EXPECT_LE(sanitize_for_log(huge).size(), 64U + 3U);
}

} // namespace
} // namespace poplar::protocol

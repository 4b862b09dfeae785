// Tests for parse_passwd_file(): valid, comment, missing-field and bad-line vectors.
#include "auth/passwd_file.hpp"

#include <gtest/gtest.h>

namespace poplar::auth {
namespace {

using namespace std::string_literals;

TEST(PasswdParse, FullLine)
{
    const auto result = parse_passwd_file(
        "alice:{SHA512-CRYPT}$6$salt$hash:1000:100:Alice A:/home/alice:/bin/false:"
        "userdb_mail=maildir:~/Maildir nodelay pop3_expire_days=30\n");
    ASSERT_TRUE(result.errors.empty());
    ASSERT_EQ(result.entries.size(), 1u);
    const auto& e = result.entries[0];
    EXPECT_EQ(e.user.name, "alice");
    EXPECT_EQ(e.scheme, "SHA512-CRYPT");
    EXPECT_EQ(e.secret, "$6$salt$hash");
    EXPECT_EQ(e.user.uid, 1000u);
    EXPECT_EQ(e.user.gid, 100u);
    EXPECT_EQ(e.user.home, "/home/alice");
    // extra takes the rest of the line, ':' included (Dovecot does the same).
    const std::map<std::string, std::string> extra{
        {"userdb_mail", "maildir:~/Maildir"}, {"nodelay", "yes"}, {"pop3_expire_days", "30"}};
    EXPECT_EQ(e.user.extra, extra);
}

TEST(PasswdParse, MissingTrailingFields)
{
    const auto result = parse_passwd_file("a:{PLAIN}pa\nb:{PLAIN}pb:7\nc:{PLAIN}pc:7:8::/h\nd:{PLAIN}pd::::::\n");
    ASSERT_TRUE(result.errors.empty()) << result.errors[0];
    ASSERT_EQ(result.entries.size(), 4u);
    EXPECT_EQ(result.entries[0].user.uid, 0u);
    EXPECT_EQ(result.entries[0].user.home, "");
    EXPECT_EQ(result.entries[1].user.uid, 7u);
    EXPECT_EQ(result.entries[1].user.gid, 0u);
    EXPECT_EQ(result.entries[2].user.gid, 8u);
    EXPECT_EQ(result.entries[2].user.home, "/h");
    EXPECT_TRUE(result.entries[3].user.extra.empty());
}

TEST(PasswdParse, SchemesAndDefault)
{
    const auto result = parse_passwd_file("a:{plain}x\nb:$1$s$h\nc:{Cleartext}{not a scheme}\nd:\ne:{PLAIN}\n");
    ASSERT_TRUE(result.errors.empty()) << result.errors[0];
    ASSERT_EQ(result.entries.size(), 5u);
    EXPECT_EQ(result.entries[0].scheme, "PLAIN"); // names are case-insensitive, stored upper-case
    EXPECT_EQ(result.entries[1].scheme, "CRYPT"); // no {SCHEME}: passwd-file's default
    EXPECT_EQ(result.entries[1].secret, "$1$s$h");
    EXPECT_EQ(result.entries[2].scheme, "CLEARTEXT");
    EXPECT_EQ(result.entries[2].secret, "{not a scheme}");
    EXPECT_EQ(result.entries[3].scheme, "CRYPT"); // empty secret: nobody can log in
    EXPECT_EQ(result.entries[3].secret, "");
    EXPECT_EQ(result.entries[4].scheme, "PLAIN");
    EXPECT_EQ(result.entries[4].secret, "");
}

TEST(PasswdParse, CommentsBlankLinesAndCrlf)
{
    const auto result = parse_passwd_file("# the users\n\n   \n\t\nalice:{PLAIN}a\r\n#bob:{PLAIN}b\ncarol:{PLAIN}c");
    ASSERT_TRUE(result.errors.empty()) << result.errors[0];
    ASSERT_EQ(result.entries.size(), 2u);
    EXPECT_EQ(result.entries[0].secret, "a"); // the CR is not part of the secret
    EXPECT_EQ(result.entries[1].user.name, "carol"); // no final newline
}

TEST(PasswdParse, EmptyText)
{
    const auto result = parse_passwd_file("");
    EXPECT_TRUE(result.entries.empty());
    EXPECT_TRUE(result.errors.empty());
}

TEST(PasswdParse, ExtraFields)
{
    const auto result = parse_passwd_file("a:{PLAIN}x::::::  k=v   flag k=w empty= \n");
    ASSERT_TRUE(result.errors.empty()) << result.errors[0];
    const std::map<std::string, std::string> extra{{"k", "w"}, {"flag", "yes"}, {"empty", ""}};
    EXPECT_EQ(result.entries.at(0).user.extra, extra); // a later duplicate replaces an earlier one
}

TEST(PasswdParse, UserLookupIsCaseSensitive)
{
    const auto result = parse_passwd_file("alice:{PLAIN}a\nAlice:{PLAIN}b\n");
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(result.entries.size(), 2u);
}

struct BadLine {
    std::string line;
    std::string reason;

    friend void PrintTo(const BadLine& b, std::ostream* os) { *os << testing::PrintToString(b.line); }
};

class PasswdParseBadLine : public testing::TestWithParam<BadLine> {};

// Each bad line sits on line 3, between two good ones, and carries a secret
// that must never appear in the message.
TEST_P(PasswdParseBadLine, SkippedWithLineNumberNeverTheSecret)
{
    const auto& bad = GetParam();
    const auto result = parse_passwd_file("# users\nfirst:{PLAIN}one\n" + bad.line + "\nlast:{PLAIN}two\n");
    ASSERT_EQ(result.entries.size(), 2u);
    EXPECT_EQ(result.entries[0].user.name, "first");
    EXPECT_EQ(result.entries[1].user.name, "last");
    ASSERT_EQ(result.errors.size(), 1u);
    const auto& error = result.errors[0];
    EXPECT_TRUE(error.starts_with("line 3: ")) << error;
    EXPECT_NE(error.find(bad.reason), std::string::npos) << error;
    EXPECT_EQ(error.find("S3cret"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, PasswdParseBadLine,
    testing::Values(BadLine{":{PLAIN}S3cret", "empty user name"},
                    BadLine{"a/b:{PLAIN}S3cret", "'/'"},
                    BadLine{"..:{PLAIN}S3cret", "'.' or '..'"},
                    BadLine{"a b:{PLAIN}S3cret", "space"},
                    BadLine{"bob:{PLAIN}S3cret\x01", "control character"},
                    BadLine{"bob:{PLAIN}S3cret\x7f", "control character"},
                    BadLine{"bob:{PLAIN}S3cret\tx", "control character"},
                    BadLine{"bob:{PLAIN}S3c\0ret"s, "NUL"},
                    BadLine{"bob:{PLAIN}S3cret:12x", "uid is not a number"},
                    BadLine{"bob:{PLAIN}S3cret:-1", "uid is not a number"},
                    BadLine{"bob:{PLAIN}S3cret:+1", "uid is not a number"},
                    BadLine{"bob:{PLAIN}S3cret:4294967296", "uid is not a number"},
                    BadLine{"bob:{PLAIN}S3cret:1:x", "gid is not a number"},
                    BadLine{"bob:{PLAINS3cret", "no '}'"},
                    BadLine{"bob:{}S3cret", "empty {SCHEME}"},
                    BadLine{"bob:{PL AIN}S3cret", "scheme name"},
                    BadLine{"bob", "no password field"},
                    BadLine{"bob:{PLAIN}S3cret:1:1::/h::=v", "empty key"}));

TEST(PasswdParse, LargestIdsAccepted)
{
    const auto result = parse_passwd_file("a:{PLAIN}x:4294967295:007\n");
    ASSERT_TRUE(result.errors.empty()) << result.errors[0];
    EXPECT_EQ(result.entries[0].user.uid, 4294967295u);
    EXPECT_EQ(result.entries[0].user.gid, 7u);
}

TEST(PasswdParse, DuplicateUserFirstWins)
{
    const auto result = parse_passwd_file("alice:{PLAIN}first\nbob:{PLAIN}b\n\nalice:{PLAIN}S3cret\n");
    ASSERT_EQ(result.entries.size(), 2u);
    EXPECT_EQ(result.entries[0].secret, "first");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0], "line 4: duplicate user 'alice', first defined on line 1; line skipped");
}

TEST(PasswdParse, SeveralBadLinesEachNumbered)
{
    const auto result = parse_passwd_file("\n:x\n# c\nok:{PLAIN}y\nu:{PLAIN}z:q\n");
    ASSERT_EQ(result.entries.size(), 1u);
    ASSERT_EQ(result.errors.size(), 2u);
    EXPECT_TRUE(result.errors[0].starts_with("line 2: ")) << result.errors[0];
    EXPECT_TRUE(result.errors[1].starts_with("line 5: ")) << result.errors[1];
}

} // namespace
} // namespace poplar::auth

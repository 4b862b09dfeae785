// Tests of the per-key rules: listen addresses, the mail path template, the host name.
#include "config/checks.hpp"

#include "config/test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::config {
namespace {

Value list(std::vector<std::string> items) { return Value{std::move(items)}; }
Value text(std::string value) { return Value{std::move(value)}; }

TEST(CheckListen, AcceptsAddressesWithPorts) {
    EXPECT_EQ(check_listen(list({"127.0.0.1:1110"})), std::nullopt);
    EXPECT_EQ(check_listen(list({"0.0.0.0:110", "[::]:110", "[::1]:0", "[2001:db8::7]:65535"})), std::nullopt);
    EXPECT_EQ(check_listen(list({"[fe80::1%eth0]:110"})), std::nullopt);
}

TEST(CheckListen, RefusesMalformedAddresses) {
    for (const std::string bad : {"",
                                  "127.0.0.1",
                                  "127.0.0.1:",
                                  ":110",
                                  "localhost:110",
                                  "pop.example.org:110",
                                  "127.0.0.1:65536",
                                  "127.0.0.1:-1",
                                  "127.0.0.1:1x",
                                  "127.0.0.1: 110",
                                  "127.0.0.1:99999999999999999999",
                                  "1.2.3:110",
                                  "256.0.0.1:110",
                                  "::1:110",
                                  "[::1]110",
                                  "[::1]:",
                                  "[127.0.0.1]:110",
                                  "[fe80::1%]:110",
                                  "[fe80::1%a b]:110",
                                  "[::1:110",
                                  "0.0.0.0:110 "}) {
        const auto why = check_listen(list({bad}));
        EXPECT_TRUE(why.has_value()) << bad;
    }
}

TEST(CheckListen, ExplainsTheMistake) {
    EXPECT_EQ(check_listen(list({"::1:110"})),
              R"("::1:110" needs brackets around its IPv6 address, as in "[::1]:110")");
    EXPECT_EQ(check_listen(list({"1.2.3.4:70000"})), R"("1.2.3.4:70000" has a port above 65535)");
    EXPECT_EQ(check_listen(list({"[::1]:1", "[::1]:1"})), R"(lists "[::1]:1" twice)");
}

TEST(CheckMailPath, NeedsAPerUserEscape) {
    for (const std::string good : {"/var/mail/%u", "/var/vmail/%d/%n", "%h/Maildir", "/m/%%/%u", "/m/%d%u"})
        EXPECT_EQ(check_mail_path(text(good)), std::nullopt) << good;
    for (const std::string bad :
         {"/var/mail", "/var/mail/%d", "/var/mail/%%u", "/m/%u/%", "/m/%x/%u", "/m/%U", "mail/%u", "%u"})
        EXPECT_TRUE(check_mail_path(text(bad)).has_value()) << bad;
    EXPECT_EQ(check_mail_path(text("Maildir/%u")), "must be an absolute path: start with '/' or with %h");
    EXPECT_EQ(check_mail_path(text("/var/mail/shared")),
              "must contain %u, %n or %h, or every user would share one mailbox");
}

TEST(CheckHostname, AllowsHostNameCharactersOnly) {
    for (const std::string good : {"", "pop", "pop.example.org", "mx-1.example.org", "192.0.2.1"})
        EXPECT_EQ(check_hostname(text(good)), std::nullopt) << good;
    // Each of these would corrupt the greeting line or the APOP timestamp <...@host>.
    for (const std::string bad : {"pop example", "a<b", "a>b", "a@b", "pop\r\n+OK", "h\xc3\xa9"})
        EXPECT_TRUE(check_hostname(text(bad)).has_value()) << bad;
}

} // namespace
} // namespace poplar::config

namespace poplar::config {
namespace {

std::vector<std::string> lmtp(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

TEST(CheckLmtpListen, TakesUnixSocketsAndLoopbackAddresses) {
    EXPECT_EQ(check_lmtp_listen(lmtp({})), std::nullopt);
    EXPECT_EQ(check_lmtp_listen(lmtp({"unix:/run/poplar/lmtp", "127.0.0.1:24", "127.1.2.3:0", "[::1]:24",
                                      "[::ffff:127.0.0.1]:24"})),
              std::nullopt);
}

TEST(CheckLmtpListen, RefusesOtherAddressesClearly) {
    const auto why = check_lmtp_listen(lmtp({"0.0.0.0:24"}));
    ASSERT_TRUE(why);
    EXPECT_TRUE(test::contains(*why, R"("0.0.0.0:24" is not a loopback address: LMTP has no authentication)"));
    for (const char* bad : {"192.0.2.7:24", "[::]:24", "[2001:db8::1]:24", "[::ffff:192.0.2.7]:24"})
        EXPECT_TRUE(check_lmtp_listen(lmtp({bad})).has_value()) << bad;
    EXPECT_EQ(check_lmtp_listen(lmtp({"unix:run/lmtp"})), R"("unix:run/lmtp" needs an absolute path after "unix:")");
    EXPECT_TRUE(check_lmtp_listen(lmtp({"localhost:24"})).has_value());
    EXPECT_TRUE(check_lmtp_listen(lmtp({("unix:/" + std::string(107, 'x')).c_str()})).has_value());
    EXPECT_EQ(check_lmtp_listen(lmtp({"127.0.0.1:24", "127.0.0.1:24"})), R"(lists "127.0.0.1:24" twice)");
}

TEST(CheckLmtpListen, LoadRefusesAPublicAddressNamingTheKey) {
    const std::string error = test::load_error("lmtp_listen = [\"0.0.0.0:24\"]\n");
    EXPECT_TRUE(test::contains(error, "lmtp_listen = [\"0.0.0.0:24\"]: \"0.0.0.0:24\" is not a loopback address"));
}

TEST(CheckSocketMode, OctalWithOwnerReadWrite) {
    for (const char* good : {"0660", "600", "0666", "0777"})
        EXPECT_EQ(check_socket_mode(Value(std::string(good))), std::nullopt) << good;
    for (const char* bad : {"", "0x1b6", "0680", "66O", "00660", "0060", "rw-rw----"})
        EXPECT_TRUE(check_socket_mode(Value(std::string(bad))).has_value()) << bad;
    EXPECT_EQ(socket_mode("0660"), 0660u);
    EXPECT_EQ(socket_mode("600"), 0600u);
}

TEST(CheckGroupName, NamesOnly) {
    for (const char* good : {"", "postfix", "mail_users", "vmail-1"})
        EXPECT_EQ(check_group_name(Value(std::string(good))), std::nullopt) << good;
    for (const char* bad : {"post fix", "-x", "a:b", "a/b"})
        EXPECT_TRUE(check_group_name(Value(std::string(bad))).has_value()) << bad;
}

} // namespace
} // namespace poplar::config

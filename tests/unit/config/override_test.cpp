// Tests of -o key=value overrides: parsing, every kind from text, order, errors.
#include "config/config.hpp"

#include "config/test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::config {
namespace {

using namespace std::chrono_literals;
using test::contains;
using test::override_error;

Config with(const std::vector<Override>& overrides) { return load(std::nullopt, overrides); }

TEST(ParseOverride, SplitsAtTheFirstEquals) {
    const Override plain = parse_override("workers=4");
    EXPECT_EQ(plain.key, "workers");
    EXPECT_EQ(plain.value, "4");
    const Override equals_in_value = parse_override("mail_path=/m/a=b/%u");
    EXPECT_EQ(equals_in_value.key, "mail_path");
    EXPECT_EQ(equals_in_value.value, "/m/a=b/%u");
    const Override empty_value = parse_override("hostname=");
    EXPECT_EQ(empty_value.key, "hostname");
    EXPECT_EQ(empty_value.value, "");
}

TEST(ParseOverride, RefusesTextWithoutKeyOrEquals) {
    EXPECT_THROW(parse_override("workers"), ConfigError);
    EXPECT_THROW(parse_override(""), ConfigError);
    EXPECT_THROW(parse_override("=4"), ConfigError);
    try {
        parse_override("idle_timeout");
    } catch (const ConfigError& error) {
        EXPECT_TRUE(contains(error.what(), "override \"idle_timeout\" has no '='"));
    }
}

TEST(Override, EveryKindFromText) {
    const Config config = with({{"listen", "[::1]:0, 127.0.0.1:0"},
                                {"workers", "8"},
                                {"hostname", "pop.example.org"},
                                {"passwd_file", "/etc/dovecot/users"},
                                {"apop", "yes"},
                                {"last_command", "0"},
                                {"auth_failure_delay", "250ms"},
                                {"idle_timeout", "1200"},
                                {"max_line_length", "65536"}});
    EXPECT_EQ(config.listen, (std::vector<std::string>{"[::1]:0", "127.0.0.1:0"}));
    EXPECT_EQ(config.workers, 8u);
    EXPECT_EQ(config.hostname, "pop.example.org");
    EXPECT_EQ(config.passwd_file, "/etc/dovecot/users");
    EXPECT_TRUE(config.apop);
    EXPECT_FALSE(config.last_command);
    EXPECT_EQ(config.auth_failure_delay, 250ms);
    EXPECT_EQ(config.idle_timeout, 20min);
    EXPECT_EQ(config.max_line_length, 65536u);
}

TEST(Override, AppliesAfterTheFileInOrder) {
    const test::TempFile file("workers = 2\nidle_timeout = \"20m\"\n");
    const Config config = load(file.path(), {{"workers", "3"}, {"workers", "5"}, {"login_timeout", "5s"}});
    EXPECT_EQ(config.workers, 5u);         // the last override wins
    EXPECT_EQ(config.idle_timeout, 20min); // the file's value stays where no override touches it
    EXPECT_EQ(config.login_timeout, 5s);
}

TEST(Override, CanMendABadFileValue) {
    // Validation runs once, on the final values: what the file said last is what counts.
    const test::TempFile file("workers = 5000\n");
    EXPECT_EQ(load(file.path(), {{"workers", "4"}}).workers, 4u);
}

TEST(Override, BadValuesNameTheOverride) {
    EXPECT_EQ(override_error({{"workers", "4k"}}),
              "-o \"workers=4k\": workers = \"4k\": must be a whole number (digits only)");
    EXPECT_EQ(override_error({{"workers", "-1"}}),
              "-o \"workers=-1\": workers = \"-1\": must be a whole number (digits only)");
    EXPECT_EQ(override_error({{"workers", "99999999999999999999"}}),
              "-o \"workers=99999999999999999999\": workers = \"99999999999999999999\": is too large");
    EXPECT_EQ(override_error({{"workers", "4096"}}), "-o \"workers=4096\": workers = 4096: must be between 0 and 1024");
    EXPECT_TRUE(contains(override_error({{"apop", "on"}}), "apop = \"on\": must be true or false"));
    EXPECT_TRUE(contains(
        override_error({{"idle_timeout", "5s"}}),
        "idle_timeout = \"5s\": must be between 10s and 24h (RFC 1939 section 3 asks for at least 10 minutes)"));
    EXPECT_TRUE(contains(override_error({{"idle_timeout", "10 m"}}), "must be a duration"));
    EXPECT_TRUE(contains(override_error({{"listen", ""}}), "listen = []: must list at least 1"));
    EXPECT_TRUE(contains(override_error({{"listen", "127.0.0.1:1,,"}}), "\"\" is not \"address:port\""));
    EXPECT_TRUE(contains(override_error({{"passwd_file", ""}}), "passwd_file = \"\": must not be empty"));
}

TEST(Override, UnknownKeyIsAnErrorWithASuggestion) {
    EXPECT_EQ(override_error({{"idle-timeout", "20m"}}),
              "-o \"idle-timeout=20m\": unknown key 'idle-timeout' (did you mean 'idle_timeout'?)");
    EXPECT_EQ(override_error({{"tls", "yes"}}), "-o \"tls=yes\": unknown key 'tls'");
}

TEST(Override, ErrorsComeInTheOrderGiven) {
    EXPECT_EQ(override_error({{"nope", "1"}, {"workers", "x"}}),
              "-o \"nope=1\": unknown key 'nope'\n"
              "-o \"workers=x\": workers = \"x\": must be a whole number (digits only)");
}

TEST(Override, ControlCharactersAreRefusedAndNotEchoed) {
    const std::string message = override_error({{"hostname", "pop\r\n+OK evil"}});
    EXPECT_TRUE(contains(message, R"(hostname = "pop\r\n+OK evil": must not contain control characters)"));
    EXPECT_EQ(message.find('\r'), std::string::npos);
    EXPECT_TRUE(
        contains(override_error({{"passwd_file", "/etc/\xff"}}), R"(passwd_file = "/etc/\xFF": must be UTF-8 text)"));
}

} // namespace
} // namespace poplar::config

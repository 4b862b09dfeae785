// Tests of load() with a TOML file: defaults, every kind valid and invalid, bounds, unknown keys, syntax errors.
#include "config/config.hpp"

#include "config/test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::config {
namespace {

using namespace std::chrono_literals;
using test::load_error;
using test::load_text;

TEST(Load, NoFileGivesTheDefaults) { test::expect_same(load(std::nullopt, {}), Config{}); }

TEST(Load, EmptyFileGivesTheDefaults) { test::expect_same(load_text(""), Config{}); }

TEST(Load, CommentsOnlyGivesTheDefaults) { test::expect_same(load_text("# nothing set\n\n"), Config{}); }

TEST(Load, MissingFileIsAnError) {
    try {
        load(std::filesystem::path("/nonexistent/poplar.toml"), {});
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        EXPECT_TRUE(test::contains(error.what(), "/nonexistent/poplar.toml"));
        EXPECT_TRUE(test::contains(error.what(), "No such file or directory"));
    }
}

TEST(Load, ReadsEveryKind) {
    const Config config = load_text(R"(
listen = ["0.0.0.0:110", "[::]:995"]
workers = 4
hostname = "pop.example.org"
passwd_file = "/etc/dovecot/users"
mail_path = "/var/vmail/%d/%n"
apop = true
last_command = false
auth_failure_delay = "500ms"
idle_timeout = "30m"
login_timeout = 30
max_line_length = 8192
)");
    EXPECT_EQ(config.listen, (std::vector<std::string>{"0.0.0.0:110", "[::]:995"}));
    EXPECT_EQ(config.workers, 4u);
    EXPECT_EQ(config.hostname, "pop.example.org");
    EXPECT_EQ(config.passwd_file, "/etc/dovecot/users");
    EXPECT_EQ(config.mail_path, "/var/vmail/%d/%n");
    EXPECT_TRUE(config.apop);
    EXPECT_FALSE(config.last_command);
    EXPECT_EQ(config.auth_failure_delay, 500ms);
    EXPECT_EQ(config.idle_timeout, 30min);
    EXPECT_EQ(config.login_timeout, 30s);
    EXPECT_EQ(config.max_line_length, 8192u);
    EXPECT_EQ(config.blocking_threads, Config{}.blocking_threads); // untouched keys keep their defaults
}

TEST(Load, DurationAsIntegerMeansSeconds) {
    EXPECT_EQ(load_text("auth_failure_delay = 3").auth_failure_delay, 3s);
    EXPECT_EQ(load_text("idle_timeout = 600").idle_timeout, 10min);
    EXPECT_EQ(load_text("idle_timeout = \"1h\"").idle_timeout, 1h);
}

TEST(Load, BoundsAreInclusive) {
    const std::pair<std::string, std::string> edges[] = {
        {"workers = 0", "workers = 1024"},
        {"blocking_threads = 0", "blocking_threads = 1024"},
        {"auth_failure_delay = \"0s\"", "auth_failure_delay = \"60s\""},
        {"idle_timeout = \"10s\"", "idle_timeout = \"24h\""},
        {"login_timeout = \"1s\"", "login_timeout = \"1h\""},
        {"max_line_length = 512", "max_line_length = 1048576"},
        {"max_connections = 1", "max_connections = 1000000"},
        {"max_connections_per_ip = 1", "max_connections_per_ip = 1000000"},
        {"max_bad_commands_before_login = 1", "max_bad_commands_before_login = 1000"},
        {"max_bad_commands = 1", "max_bad_commands = 1000"},
    };
    for (const auto& [low, high] : edges) {
        EXPECT_EQ(load_error(low), "") << low;
        EXPECT_EQ(load_error(high), "") << high;
    }
}

TEST(Load, OutOfBoundsNamesKeyValueAndReason) {
    const std::pair<std::string, std::string> vectors[] = {
        {"workers = 1025", "workers = 1025: must be between 0 and 1024"},
        {"workers = -1", "workers = -1: must be between 0 and 1024"},
        {"blocking_threads = 4294967297", "blocking_threads = 4294967297: must be between 0 and 1024"},
        {"auth_failure_delay = \"61s\"", "auth_failure_delay = \"61s\": must be between 0s and 1m"},
        {"idle_timeout = \"5s\"",
         "idle_timeout = \"5s\": must be between 10s and 24h (RFC 1939 section 3 asks for at least 10 minutes)"},
        {"idle_timeout = 86401", "idle_timeout = \"86401s\": must be between 10s and 24h"},
        {"login_timeout = \"0s\"", "login_timeout = \"0s\": must be between 1s and 1h"},
        {"max_line_length = 511", "max_line_length = 511: must be between 512 and 1048576 (RFC 2449"},
        {"max_line_length = 1048577", "max_line_length = 1048577: must be between 512 and 1048576"},
        {"max_connections = 0", "max_connections = 0: must be between 1 and 1000000"},
        {"max_connections_per_ip = 1000001", "max_connections_per_ip = 1000001: must be between 1 and 1000000"},
        {"max_bad_commands_before_login = 0", "max_bad_commands_before_login = 0: must be between 1 and 1000"},
        {"max_bad_commands = 1001", "max_bad_commands = 1001: must be between 1 and 1000"},
    };
    for (const auto& [text, message] : vectors)
        EXPECT_TRUE(test::contains(load_error(text), message)) << text;
}

TEST(Load, SecondsFieldsRefuseFractions) {
    EXPECT_TRUE(test::contains(load_error("idle_timeout = \"10500ms\""),
                               "idle_timeout = \"10500ms\": must be a whole number of seconds"));
    EXPECT_EQ(load_text("idle_timeout = \"11000ms\"").idle_timeout, 11s);
    // Milliseconds fields take them.
    EXPECT_EQ(load_text("auth_failure_delay = \"1ms\"").auth_failure_delay, 1ms);
}

TEST(Load, BadDurationText) {
    EXPECT_TRUE(test::contains(load_error("idle_timeout = \"10 minutes\""),
                               "idle_timeout = \"10 minutes\": must be a duration"));
    EXPECT_TRUE(test::contains(load_error("idle_timeout = \"-10m\""), "must be a duration"));
    EXPECT_TRUE(test::contains(load_error("idle_timeout = -600"), "idle_timeout = -600: must not be negative"));
}

TEST(Load, StringRules) {
    EXPECT_TRUE(test::contains(load_error("passwd_file = \"\""), "passwd_file = \"\": must not be empty"));
    EXPECT_TRUE(test::contains(load_error("mail_path = \"/var/mail\""),
                               "mail_path = \"/var/mail\": must contain %u, %n or %h"));
    EXPECT_TRUE(test::contains(load_error("hostname = \"pop\\r\\n+OK\""),
                               R"(hostname = "pop\r\n+OK": must not contain control characters)"));
    EXPECT_TRUE(test::contains(load_error("passwd_file = \"/etc/\\u0000x\""), "must not contain control characters"));
    EXPECT_TRUE(
        test::contains(load_error("hostname = \"" + std::string(254, 'a') + "\""), "must be at most 253 bytes"));
    EXPECT_EQ(load_text("hostname = \"\"").hostname, "");
}

TEST(Load, ListenRules) {
    EXPECT_TRUE(test::contains(load_error("listen = []"), "listen = []: must list at least 1"));
    EXPECT_TRUE(test::contains(load_error("listen = [\"127.0.0.1\"]"),
                               R"(listen = ["127.0.0.1"]: "127.0.0.1" is not "address:port")"));
    EXPECT_TRUE(test::contains(load_error("listen = [\"[::1]:110\", \"::1:110\"]"), "needs brackets"));
    EXPECT_EQ(load_text("listen = [\"[::1]:0\"]").listen, std::vector<std::string>{"[::1]:0"});
}

TEST(Load, WrongTomlTypesAreErrors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"workers = \"4\"", "workers = \"4\": must be a whole number, not a string"},
        {"workers = 4.0", "workers = 4.0: must be a whole number, not a floating-point number"},
        {"workers = true", "workers = true: must be a whole number, not a boolean"},
        {"apop = \"yes\"", "apop = \"yes\": must be true or false, not a string"},
        {"apop = 1", "apop = 1: must be true or false, not an integer"},
        {"listen = \"127.0.0.1:110\"", "listen = \"127.0.0.1:110\": must be an array of strings, not a string"},
        {"listen = [110]", "listen = [...]: must be an array of strings, but holds an integer"},
        {"hostname = 7", "hostname = 7: must be a string, not an integer"},
        {"idle_timeout = 1.5", "idle_timeout = 1.5: must be a duration"},
        {"idle_timeout = 10:00:00", "must be a duration such as \"30s\", \"10m\" or a number of seconds, not a time"},
        {"passwd_file = { path = \"/x\" }", "passwd_file = {...}: must be a string, not a table"},
        {"[idle_timeout]\nx = 1", "idle_timeout = {...}: must be a duration"},
    };
    for (const auto& [text, message] : vectors)
        EXPECT_TRUE(test::contains(load_error(text), message)) << text;
}

TEST(Load, UnknownKeyIsAnErrorWithASuggestion) {
    const test::TempFile file("workers = 2\nidel_timeout = \"20m\"\n");
    try {
        load(file.path(), {});
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()),
                  file.path().string() + ":2:1: unknown key 'idel_timeout' (did you mean 'idle_timeout'?)");
    }
    EXPECT_TRUE(test::contains(load_error("ssl_cert = \"/x\""), "unknown key 'ssl_cert'"));
    EXPECT_FALSE(test::contains(load_error("ssl_cert = \"/x\""), "did you mean"));
    EXPECT_TRUE(test::contains(load_error("[server]\nlisten = [\"0.0.0.0:110\"]"), "unknown key 'server'"));
}

TEST(Load, SyntaxErrorGivesLineAndColumn) {
    const test::TempFile file("workers = 2\nidle_timeout = \n");
    try {
        load(file.path(), {});
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        EXPECT_TRUE(test::starts_with(error.what(), file.path().string() + ":2:"));
    }
    EXPECT_TRUE(test::contains(load_error("workers = 2\nworkers = 3\n"), ":2:"));
    EXPECT_TRUE(test::contains(load_error("listen = [\"a\"\n"), ":1:"));
}

TEST(Load, EveryErrorIsReportedInFileOrder) {
    const test::TempFile file("workers = 5000\nidel_timeout = 5\napop = \"maybe\"\n");
    try {
        load(file.path(), {});
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        const std::string& name = file.path().string();
        EXPECT_EQ(std::string(error.what()), name + ":1:11: workers = 5000: must be between 0 and 1024\n" + name +
                                                 ":2:1: unknown key 'idel_timeout' (did you mean 'idle_timeout'?)\n" +
                                                 name + ":3:8: apop = \"maybe\": must be true or false, not a string");
    }
}

TEST(Load, BadValuesAreSanitizedInMessages) {
    const std::string message = load_error("hostname = \"" + std::string(500, 'x') + "\\u001b[31m\"");
    EXPECT_TRUE(test::contains(message, "...\""));
    EXPECT_LT(message.size(), 400u);
    EXPECT_EQ(message.find('\x1b'), std::string::npos);
}

} // namespace
} // namespace poplar::config

// Tests of describe(): the effective config as documented TOML that loads back to the same config.
#include "config/config.hpp"

#include "config/keys.hpp"
#include "config/test_support.hpp"

#include <gtest/gtest.h>
#include <sstream>

namespace poplar::config {
namespace {

using test::contains;

TEST(Describe, DefaultsRoundTrip) {
    const test::TempFile file(describe(Config{}));
    test::expect_same(load(file.path(), {}), Config{});
}

TEST(Describe, EveryFieldChangedRoundTrips) {
    const Config changed = test::everything_changed();
    const test::TempFile file(describe(changed));
    test::expect_same(load(file.path(), {}), changed);
}

TEST(Describe, OverriddenValuesRoundTrip) {
    const Config config =
        load(std::nullopt, {{"auth_failure_delay", "0"}, {"idle_timeout", "86399"}, {"hostname", ""}});
    const test::TempFile file(describe(config));
    test::expect_same(load(file.path(), {}), config);
}

TEST(Describe, HeaderThenDocAndKeyForEachKeyInTableOrder) {
    const std::string text = describe(Config{});
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    EXPECT_TRUE(line.starts_with("# ")) << line;
    for (const Key& key : keys()) {
        std::getline(in, line);
        EXPECT_EQ(line, "");
        std::getline(in, line);
        EXPECT_EQ(line, "# " + doc_line(key));
        std::getline(in, line);
        EXPECT_TRUE(line.starts_with(std::string(key.name) + " = ")) << line;
    }
    EXPECT_FALSE(std::getline(in, line)) << "unexpected trailing line: " << line;
}

TEST(Describe, PrintsEachKindAsToml) {
    const std::string text = describe(Config{});
    EXPECT_TRUE(contains(text, "\nlisten = [\"127.0.0.1:1110\"]\n"));
    EXPECT_TRUE(contains(text, "\nworkers = 0\n"));
    EXPECT_TRUE(contains(text, "\nhostname = \"\"\n"));
    EXPECT_TRUE(contains(text, "\npasswd_file = \"/etc/poplar/users\"\n"));
    EXPECT_TRUE(contains(text, "\napop = false\n"));
    EXPECT_TRUE(contains(text, "\nlast_command = true\n"));
    EXPECT_TRUE(contains(text, "\nauth_failure_delay = \"2s\"\n"));
    EXPECT_TRUE(contains(text, "\nidle_timeout = \"10m\"\n"));
    EXPECT_TRUE(contains(text, "\nlogin_timeout = \"1m\"\n"));
    EXPECT_TRUE(contains(text, "\nmax_line_length = 4096\n"));
}

TEST(Describe, DurationsUseTheLargestExactUnit) {
    Config config;
    config.auth_failure_delay = std::chrono::milliseconds{500};
    config.idle_timeout = std::chrono::hours{24};
    config.login_timeout = std::chrono::seconds{90};
    const std::string text = describe(config);
    EXPECT_TRUE(contains(text, "\nauth_failure_delay = \"500ms\"\n"));
    EXPECT_TRUE(contains(text, "\nidle_timeout = \"24h\"\n"));
    EXPECT_TRUE(contains(text, "\nlogin_timeout = \"90s\"\n"));
}

TEST(Describe, EscapesStrings) {
    Config config;
    config.passwd_file = "/etc/a \"b\" \\c";
    EXPECT_TRUE(contains(describe(config), R"(passwd_file = "/etc/a \"b\" \\c")"));
}

} // namespace
} // namespace poplar::config

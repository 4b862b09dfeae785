// Tests of the key table itself: one row per field, names unique, defaults within bounds.
#include "config/keys.hpp"

#include "config/test_support.hpp"

#include <gtest/gtest.h>
#include <set>

namespace poplar::config {
namespace {

TEST(KeyTable, HasOneRowPerConfigField) {
    // 32 fields in Config; expect_same() in test_support.hpp lists them too.
    EXPECT_EQ(keys().size(), 32u);
    std::set<std::string_view> names;
    for (const Key& key : keys()) {
        EXPECT_TRUE(names.insert(key.name).second) << "duplicate key " << key.name;
        EXPECT_FALSE(key.doc.empty()) << key.name;
        EXPECT_FALSE(key.doc.ends_with('.')) << key.name << ": doc_line() adds the full stop";
        EXPECT_EQ(key.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << key.name;
    }
    // Two rows writing one field would show up as a field left at its default here.
    const test::TempFile file(describe(test::everything_changed()));
    test::expect_same(load(file.path(), {}), test::everything_changed());
}

TEST(KeyTable, KindComesFromTheFieldType) {
    EXPECT_EQ(find_key("listen")->kind(), Kind::string_list);
    EXPECT_EQ(find_key("hostname")->kind(), Kind::string);
    EXPECT_EQ(find_key("passwd_file")->kind(), Kind::string);
    EXPECT_EQ(find_key("apop")->kind(), Kind::boolean);
    EXPECT_EQ(find_key("workers")->kind(), Kind::unsigned_integer);
    EXPECT_EQ(find_key("max_line_length")->kind(), Kind::unsigned_integer);
    EXPECT_EQ(find_key("auth_failure_delay")->kind(), Kind::duration);
    EXPECT_EQ(find_key("idle_timeout")->kind(), Kind::duration);
}

TEST(KeyTable, BoundsFitTheFieldAndHoldTheDefault) {
    const Config defaults;
    for (const Key& key : keys()) {
        EXPECT_LE(key.min, key.max) << key.name;
        if (key.kind() == Kind::unsigned_integer) {
            EXPECT_LE(key.max, std::numeric_limits<unsigned>::max()) << key.name << ": set() narrows to the field";
        }
        EXPECT_EQ(validate(key, get(defaults, key)), std::nullopt) << key.name;
    }
}

TEST(KeyTable, GetAndSetAreInverse) {
    const Config changed = test::everything_changed();
    Config config;
    for (const Key& key : keys())
        set(config, key, get(changed, key));
    test::expect_same(config, changed);
}

TEST(FindKey, ExactNamesOnly) {
    ASSERT_NE(find_key("idle_timeout"), nullptr);
    EXPECT_EQ(find_key("idle_timeout")->name, "idle_timeout");
    EXPECT_EQ(find_key("IDLE_TIMEOUT"), nullptr);
    EXPECT_EQ(find_key("idle-timeout"), nullptr);
    EXPECT_EQ(find_key(""), nullptr);
}

TEST(SuggestKey, FindsTheNearestNameWhenClose) {
    EXPECT_EQ(suggest_key("idel_timeout"), "idle_timeout");
    EXPECT_EQ(suggest_key("idle-timeout"), "idle_timeout");
    EXPECT_EQ(suggest_key("Idle_Timeout"), "idle_timeout");
    EXPECT_EQ(suggest_key("worker"), "workers");
    EXPECT_EQ(suggest_key("lsten"), "listen");
    EXPECT_EQ(suggest_key("max_connection"), "max_connections");
    EXPECT_EQ(suggest_key("passwd"), std::nullopt);
    EXPECT_EQ(suggest_key("ssl_cert"), std::nullopt);
    EXPECT_EQ(suggest_key("x"), std::nullopt);
}

TEST(DocLine, ShowsBoundsAndWhy) {
    EXPECT_EQ(doc_line(*find_key("idle_timeout")),
              "Idle time allowed after login. Between 10s and 24h (RFC 1939 section 3 asks for at least 10 minutes).");
    EXPECT_EQ(doc_line(*find_key("max_bad_commands")),
              "The bad command after login that ends the session: answered -ERR, then the connection closes. Between 1 "
              "and 1000.");
    EXPECT_EQ(doc_line(*find_key("apop")),
              "Offer APOP (RFC 1939 section 7, a timestamp in the greeting); works only for {PLAIN} secrets.");
}

} // namespace
} // namespace poplar::config

// Tests of the mail_path template expansion.
#include "store/mail_path.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace poplar::store {
namespace {

struct PathVector {
    std::string tmpl;
    std::string user;
    std::string home;
    std::optional<std::string> expected;
};

TEST(MailPath, Vectors) {
    const PathVector vectors[] = {
        {"/var/mail/%u", "bob", "/home/bob", "/var/mail/bob"},
        {"/var/vmail/%d/%n/Maildir", "bob@example.com", "", "/var/vmail/example.com/bob/Maildir"},
        {"/var/vmail/%u", "bob@example.com", "", "/var/vmail/bob@example.com"},
        {"%h/Maildir", "bob", "/home/bob", "/home/bob/Maildir"},
        {"/var/mail/100%%/%n", "bob", "", "/var/mail/100%/bob"},
        {"/var/mail/%d/%n", "bob", "", "/var/mail//bob"},  // no domain: %d is empty
        {"/m/%n", "a@b@c", "", "/m/a"},                    // %n ends at the first '@'
        {"/m/%d", "a@b@c", "", "/m/b@c"},
        {"/m/%u", "%n", "", "/m/%n"},  // a user name is never expanded again
        {"/m/%u", "..x", "", "/m/..x"},
        {"/m/%u", "caf\xc3\xa9", "", "/m/caf\xc3\xa9"},
        // unsafe user names
        {"/var/mail/%u", "", "", std::nullopt},
        {"/var/mail/%u", ".", "", std::nullopt},
        {"/var/mail/%u", "..", "", std::nullopt},
        {"/var/mail/%u", "../etc", "", std::nullopt},
        {"/var/mail/%u", "a/b", "", std::nullopt},
        {"/var/mail/%u", std::string("a\0b", 3), "", std::nullopt},
        {"/var/mail/%u", "a\nb", "", std::nullopt},
        {"/var/mail/%u", "a\x7f", "", std::nullopt},
        // traversal through the parts of the name
        {"/var/mail/%d/%n", "bob@..", "", std::nullopt},
        {"/var/mail/%d/%n", "bob@.", "", std::nullopt},
        {"/var/mail/%n/x", "..@example.com", "", std::nullopt},
        {"/var/mail/.%u", ".@x", "", "/var/mail/..@x"},
        {"/var/mail/.%n", ".@x", "", std::nullopt},
        {"/var/mail/%n", "@example.com", "", std::nullopt},  // no local part
        // template problems
        {"/var/mail/%x", "bob", "", std::nullopt},
        {"/var/mail/%", "bob", "", std::nullopt},
        {"%h/Maildir", "bob", "", std::nullopt},          // empty home
        {"%h/Maildir", "bob", "home/bob", std::nullopt},  // relative result
        {"mail/%u", "bob", "", std::nullopt},
        {"", "bob", "", std::nullopt},
    };
    for (const PathVector& v : vectors) {
        SCOPED_TRACE("tmpl=" + v.tmpl + " user=" + v.user + " home=" + v.home);
        std::optional<std::filesystem::path> got = expand_mail_path(v.tmpl, v.user, v.home);
        if (v.expected) {
            ASSERT_TRUE(got.has_value());
            EXPECT_EQ(got->string(), *v.expected);
        } else {
            EXPECT_FALSE(got.has_value()) << got->string();
        }
    }
}

} // namespace
} // namespace poplar::store

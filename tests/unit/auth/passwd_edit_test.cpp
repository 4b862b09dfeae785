// Editing passwd-file text (poplar user add|passwd|del) and hashing new
// passwords (poplar pw): every other line is kept byte for byte, and every
// secret written is one the server then accepts.
#include "auth/passwd_edit.hpp"
#include "auth/passwd_file.hpp"
#include "auth/password_hash.hpp"
#include "auth/password_scheme.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace poplar::auth {
namespace {

constexpr std::string_view sample =
    "# users of example.org\n"
    "alice:{PLAIN}one:1000:1000::/home/alice::userdb_quota=1G\n"
    "\n"
    "bob:{SHA512-CRYPT}$6$x$y:1001:1001:Bob:/home/bob::\n";

PasswdEditError::Kind kind_of(const std::function<void()>& edit) {
    try {
        edit();
    } catch (const PasswdEditError& e) {
        return e.kind();
    }
    ADD_FAILURE() << "no PasswdEditError";
    return PasswdEditError::Kind::io;
}

TEST(PasswdText, UnchangedTextIsKeptByteForByte) {
    EXPECT_EQ(PasswdText(sample).text(), sample);
    EXPECT_EQ(PasswdText("alice:{PLAIN}x").text(), "alice:{PLAIN}x") << "no newline is added to a last line";
    EXPECT_EQ(PasswdText("").text(), "");
}

TEST(PasswdText, ListsUsersSkippingCommentsAndBlankLines) {
    EXPECT_EQ(PasswdText(sample).users(), (std::vector<std::string>{"alice", "bob"}));
}

TEST(PasswdText, AddAppendsADovecotLineTheParserReads) {
    PasswdText text(sample);
    text.add(NewUser{"carol", "{PLAIN}three", 1002, 0, "/home/carol", "pop3_expire_days=30"});
    EXPECT_EQ(text.text(), std::string(sample) + "carol:{PLAIN}three:1002:::/home/carol::pop3_expire_days=30\n");
    const auto parsed = parse_passwd_file(text.text());
    ASSERT_EQ(parsed.entries.size(), 3u);
    EXPECT_TRUE(parsed.errors.empty());
    EXPECT_EQ(parsed.entries[2].user.name, "carol");
    EXPECT_EQ(parsed.entries[2].user.uid, 1002u);
    EXPECT_EQ(parsed.entries[2].user.extra.at("pop3_expire_days"), "30");
}

TEST(PasswdText, AddToTextWithoutFinalNewlineStartsANewLine) {
    PasswdText text("alice:{PLAIN}x");
    text.add(NewUser{"bob", "{PLAIN}y", 0, 0, "", ""});
    EXPECT_EQ(text.text(), "alice:{PLAIN}x\nbob:{PLAIN}y::::::\n");
}

TEST(PasswdText, RefusesADuplicateOrAnUnsafeName) {
    PasswdText text(sample);
    EXPECT_EQ(kind_of([&] { text.add(NewUser{"alice", "{PLAIN}x", 0, 0, "", ""}); }),
              PasswdEditError::Kind::user_exists);
    for (const char* bad : {"", ".", "..", "a/b", "a b", "#x", "-x", "a:b", "a\nb"}) {
        EXPECT_EQ(kind_of([&] { text.add(NewUser{bad, "{PLAIN}x", 0, 0, "", ""}); }), PasswdEditError::Kind::bad_input)
            << bad;
    }
    EXPECT_EQ(kind_of([&] { text.add(NewUser{"dave", "{PLAIN}a:b", 0, 0, "", ""}); }),
              PasswdEditError::Kind::bad_input) << "':' would shift every field after the secret";
    EXPECT_EQ(text.text(), sample) << "a refused edit changes nothing";
}

TEST(PasswdText, SetSecretChangesOnlyThatField) {
    PasswdText text(sample);
    text.set_secret("alice", "{PLAIN}new");
    EXPECT_NE(text.text().find("\nalice:{PLAIN}new:1000:1000::/home/alice::userdb_quota=1G\n"), std::string::npos);
    EXPECT_NE(text.text().find("\nbob:{SHA512-CRYPT}$6$x$y:1001:1001:Bob:/home/bob::\n"), std::string::npos);
    EXPECT_EQ(kind_of([&] { text.set_secret("nobody", "{PLAIN}x"); }), PasswdEditError::Kind::no_such_user);
}

TEST(PasswdText, RemoveTakesOnlyThatLine) {
    PasswdText text(sample);
    text.remove("alice");
    EXPECT_EQ(text.text(), "# users of example.org\n\nbob:{SHA512-CRYPT}$6$x$y:1001:1001:Bob:/home/bob::\n");
    EXPECT_EQ(kind_of([&] { text.remove("alice"); }), PasswdEditError::Kind::no_such_user);
    EXPECT_EQ(kind_of([&] { text.remove("# users of example.org"); }), PasswdEditError::Kind::no_such_user)
        << "a comment is not a user";
}

TEST(EditPasswdFile, ReplacesTheFileKeepingItsMode) {
    char tmpl[] = "/tmp/poplar-passwd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    const auto file = dir / "users";
    {
        std::ofstream out(file);
        out << sample;
    }
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                           std::filesystem::perms::group_read);
    edit_passwd_file(file, false, [](PasswdText& text) { text.remove("bob"); });
    std::ifstream in(file);
    std::stringstream now;
    now << in.rdbuf();
    EXPECT_EQ(now.str(), "# users of example.org\nalice:{PLAIN}one:1000:1000::/home/alice::userdb_quota=1G\n\n");
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::group_read);
    // A failed edit leaves the file as it was and no temporary file behind.
    EXPECT_THROW(edit_passwd_file(file, false, [](PasswdText& text) { text.remove("bob"); }), PasswdEditError);
    EXPECT_EQ(passwd_file_users(file), std::vector<std::string>{"alice"});
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 2u) << "users and users.lock only";
    // A missing file is made (0600) only when asked to.
    EXPECT_THROW(edit_passwd_file(dir / "none", false, [](PasswdText&) {}), PasswdEditError);
    edit_passwd_file(dir / "new", true, [](PasswdText& text) { text.add(NewUser{"x", "{PLAIN}y", 0, 0, "", ""}); });
    EXPECT_EQ(std::filesystem::status(dir / "new").permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::filesystem::remove_all(dir);
}

TEST(PasswordHash, EverySchemeWrittenIsOneTheServerAccepts) {
    for (const auto scheme : writable_schemes()) {
        const auto secret = hash_password(scheme, "correct horse");
        ASSERT_TRUE(secret.has_value()) << scheme;
        const auto entries = parse_passwd_file("u:" + *secret + "::::::\n").entries;
        ASSERT_EQ(entries.size(), 1u) << *secret;
        EXPECT_EQ(check_password(entries[0].scheme, entries[0].secret, "correct horse"), SchemeCheck::match) << *secret;
        EXPECT_EQ(check_password(entries[0].scheme, entries[0].secret, "wrong horse"), SchemeCheck::mismatch) << *secret;
    }
    EXPECT_TRUE(hash_password("yescrypt", "x")->starts_with("{CRYPT}$y$")) << "Dovecot reads it through crypt()";
    EXPECT_TRUE(hash_password("SHA512-CRYPT", "x")->starts_with("{SHA512-CRYPT}$6$"));
    EXPECT_TRUE(hash_password("SCRAM-SHA-256", "x")->starts_with("{SCRAM-SHA-256}4096,"));
    EXPECT_NE(*hash_password("SHA512-CRYPT", "x"), *hash_password("SHA512-CRYPT", "x")) << "a fresh salt each time";
    EXPECT_FALSE(hash_password("MD4", "x").has_value());
    EXPECT_FALSE(hash_password("PLAIN", "a:b").has_value()) << "would break the line";
}

} // namespace
} // namespace poplar::auth

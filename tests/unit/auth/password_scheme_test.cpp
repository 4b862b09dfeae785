// Tests for check_password(), plaintext_secret(), equal_constant_time() and wipe().
#include "auth/constant_time.hpp"
#include "auth/credentials.hpp"
#include "auth/password_scheme.hpp"

#include "auth/auth_test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::auth {
namespace {

using namespace std::string_literals;

struct KnownVector {
    std::string scheme;
    std::string hash;
    std::string password;

    friend void PrintTo(const KnownVector& v, std::ostream* os) { *os << v.hash; }
};

class KnownHash : public testing::TestWithParam<KnownVector> {};

TEST_P(KnownHash, MatchesUnderItsSchemeAndUnderCrypt)
{
    const auto& v = GetParam();
    EXPECT_EQ(check_password(v.scheme, v.hash, v.password), SchemeCheck::match);
    EXPECT_EQ(check_password("CRYPT", v.hash, v.password), SchemeCheck::match);
    EXPECT_EQ(check_password(v.scheme, v.hash, v.password + "x"), SchemeCheck::mismatch);
    EXPECT_EQ(check_password(v.scheme, v.hash, ""), SchemeCheck::mismatch);
    EXPECT_EQ(check_password(v.scheme, v.hash, "hello world!"), SchemeCheck::mismatch);
}

// Fixed vectors, from implementations other than the one under test where
// there is one: Drepper's SHA-crypt specification ($6$), OpenSSL's
// `openssl passwd` ($5$, $1$), the OpenBSD/John the Ripper bcrypt vector.
// The yescrypt and DES vectors pin libxcrypt's output for this version.
INSTANTIATE_TEST_SUITE_P(
    Vectors, KnownHash,
    testing::Values(
        KnownVector{"SHA512-CRYPT",
                    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
                    "Hello world!"},
        KnownVector{"SHA256-CRYPT", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
        KnownVector{"MD5-CRYPT", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1", "Hello world!"},
        KnownVector{"BLF-CRYPT", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U"},
        KnownVector{"BLF-CRYPT", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U"},
        KnownVector{"YESCRYPT", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$tLlJ3TJUejdac0O4aNAV0nkBhSE4FMnchVbPLUnVdn9",
                    "poplar test"},
        KnownVector{"CRYPT", "abgOeLfPimXQo", "test"}));

struct Generated {
    std::string scheme;
    const char* prefix;
    unsigned long count; // low where allowed, to keep the suite fast

    friend void PrintTo(const Generated& g, std::ostream* os) { *os << g.prefix; }
};

class GeneratedHash : public testing::TestWithParam<Generated> {};

TEST_P(GeneratedHash, RoundTrip)
{
    const auto& g = GetParam();
    const auto hash = test::make_hash("correct horse", g.prefix, g.count);
    ASSERT_TRUE(hash.starts_with(g.prefix)) << hash;
    EXPECT_EQ(check_password(g.scheme, hash, "correct horse"), SchemeCheck::match);
    EXPECT_EQ(check_password("CRYPT", hash, "correct horse"), SchemeCheck::match);
    EXPECT_EQ(check_password(g.scheme, hash, "correct horsf"), SchemeCheck::mismatch);
    EXPECT_EQ(check_password(g.scheme, hash, "Correct horse"), SchemeCheck::mismatch);
    // crypt_r stops at a NUL; "correct horse\0tail" must not pass for "correct horse".
    EXPECT_EQ(check_password(g.scheme, hash, "correct horse\0tail"s), SchemeCheck::mismatch);
}

INSTANTIATE_TEST_SUITE_P(Schemes, GeneratedHash,
                         testing::Values(Generated{"YESCRYPT", "$y$", 1}, Generated{"SHA512-CRYPT", "$6$", 1000},
                                         Generated{"SHA256-CRYPT", "$5$", 1000}, Generated{"MD5-CRYPT", "$1$", 0},
                                         Generated{"BLF-CRYPT", "$2b$", 4}));

TEST(CheckPassword, Plain)
{
    for (const char* scheme : {"PLAIN", "CLEARTEXT"}) {
        EXPECT_EQ(check_password(scheme, "s3cret", "s3cret"), SchemeCheck::match);
        EXPECT_EQ(check_password(scheme, "s3cret", "s3cres"), SchemeCheck::mismatch);
        EXPECT_EQ(check_password(scheme, "s3cret", "s3cre"), SchemeCheck::mismatch);
        EXPECT_EQ(check_password(scheme, "s3cret", "s3crett"), SchemeCheck::mismatch);
        EXPECT_EQ(check_password(scheme, "s3cret", ""), SchemeCheck::mismatch);
        EXPECT_EQ(check_password(scheme, "s3cret", "S3CRET"), SchemeCheck::mismatch);
        EXPECT_EQ(check_password(scheme, "", ""), SchemeCheck::match);
        EXPECT_EQ(check_password(scheme, "a\0b"s, "a\0b"s), SchemeCheck::match); // bytes, not C strings
        EXPECT_EQ(check_password(scheme, "a\0b"s, "a"), SchemeCheck::mismatch);
    }
}

TEST(CheckPassword, UnknownScheme)
{
    EXPECT_EQ(check_password("SSHA", "whatever", "whatever"), SchemeCheck::unknown_scheme);
    EXPECT_EQ(check_password("", "x", "x"), SchemeCheck::unknown_scheme);
    EXPECT_EQ(check_password("plain", "x", "x"), SchemeCheck::unknown_scheme); // names arrive upper-cased
}

TEST(CheckPassword, UnusableCryptSecretsNeverMatch)
{
    // Locked accounts ("!", "*"), an empty secret, garbage, and libxcrypt's
    // own failure tokens: crypt_r fails or differs, so nothing matches.
    for (const char* secret : {"", "*", "!", "!$6$x$y", "*0", "*1", "$6$", "$9$nope$nope", "x"}) {
        for (const char* password : {"", "*", "!", "*0", "*1", "x"})
            EXPECT_EQ(check_password("CRYPT", secret, password), SchemeCheck::mismatch)
                << "secret '" << secret << "' password '" << password << "'";
    }
}

TEST(PlaintextSecret, OnlyForPlaintextSchemes)
{
    EXPECT_EQ(plaintext_secret("PLAIN", "tanstaaf"), "tanstaaf");
    EXPECT_EQ(plaintext_secret("CLEARTEXT", "tanstaaf"), "tanstaaf");
    EXPECT_EQ(plaintext_secret("CRYPT", "abgOeLfPimXQo"), std::nullopt);
    EXPECT_EQ(plaintext_secret("SHA512-CRYPT", "$6$x$y"), std::nullopt);
    EXPECT_EQ(plaintext_secret("SSHA", "x"), std::nullopt);
}

TEST(EqualConstantTime, Vectors)
{
    EXPECT_TRUE(equal_constant_time("", ""));
    EXPECT_TRUE(equal_constant_time("abc", "abc"));
    EXPECT_FALSE(equal_constant_time("abc", "abd"));
    EXPECT_FALSE(equal_constant_time("abc", "ab"));
    EXPECT_FALSE(equal_constant_time("ab", "abc"));
    EXPECT_FALSE(equal_constant_time("", "a"));
    EXPECT_FALSE(equal_constant_time("a", ""));
}

TEST(Wipe, ClearsShortAndLongStrings)
{
    std::string short_secret = "pw";
    wipe(short_secret);
    EXPECT_TRUE(short_secret.empty());
    std::string long_secret(1000, 'x');
    long_secret.resize(3); // the old bytes are still in the buffer
    const auto capacity = long_secret.capacity();
    wipe(long_secret);
    EXPECT_TRUE(long_secret.empty());
    EXPECT_EQ(long_secret.capacity(), capacity); // wiped in place, not reallocated
    std::string empty;
    wipe(empty);
    EXPECT_TRUE(empty.empty());
}

TEST(UserOf, BothCredentialKinds)
{
    EXPECT_EQ(user_of(Credentials{PasswordCredentials{"alice", "pw"}}), "alice");
    EXPECT_EQ(user_of(Credentials{ApopCredentials{"bob", "<1@x>", "00"}}), "bob");
}

} // namespace
} // namespace poplar::auth

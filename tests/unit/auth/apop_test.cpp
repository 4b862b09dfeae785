// Tests for APOP: the RFC 1939 example, digest case, and refusals through PasswdFile.
#include "auth/apop.hpp"
#include "auth/passwd_file.hpp"

#include "auth/auth_test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::auth {
namespace {

// RFC 1939 section 7.
constexpr const char* rfc_timestamp = "<1896.697170952@dbc.mtview.ca.us>";
constexpr const char* rfc_secret = "tanstaaf";
constexpr const char* rfc_digest = "c4c9334bac560ecc979e58001b3e22fb";

TEST(ApopDigest, Rfc1939Example)
{
    EXPECT_TRUE(apop_digest_matches(rfc_timestamp, rfc_secret, rfc_digest));
    EXPECT_TRUE(apop_digest_matches(rfc_timestamp, rfc_secret, "C4C9334BAC560ECC979E58001B3E22FB"));
    EXPECT_TRUE(apop_digest_matches(rfc_timestamp, rfc_secret, "c4c9334BAC560ecc979e58001b3e22fb"));
}

TEST(ApopDigest, Mismatches)
{
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, "tanstaaF", rfc_digest));
    EXPECT_FALSE(apop_digest_matches("<1896.697170953@dbc.mtview.ca.us>", rfc_secret, rfc_digest));
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, rfc_secret, "c4c9334bac560ecc979e58001b3e22f"));
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, rfc_secret, "c4c9334bac560ecc979e58001b3e22fb0"));
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, rfc_secret, std::string(1000, 'c')));
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, rfc_secret, ""));
    EXPECT_FALSE(apop_digest_matches(rfc_timestamp, rfc_secret, "c4c9334bac560ecc979e58001b3e22fc"));
}

class ApopPasswdFile : public testing::Test {
protected:
    ApopPasswdFile()
    {
        test::write_file(path_, "mrose:{PLAIN}tanstaaf:1:2::/home/mrose\n"
                                "hashed:{MD5-CRYPT}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1\n"
                                "clear:{CLEARTEXT}tanstaaf\n");
    }

    VerifyResult apop(const std::string& user, const std::string& timestamp, const std::string& digest)
    {
        return db_.verify(ApopCredentials{user, timestamp, digest});
    }

    test::TempDir dir_;
    std::filesystem::path path_ = dir_.path() / "passwd";
    PasswdFile db_{path_};
};

TEST_F(ApopPasswdFile, PlaintextUserLogsIn)
{
    const auto result = apop("mrose", rfc_timestamp, rfc_digest);
    ASSERT_EQ(result.status, VerifyStatus::ok) << result.detail;
    EXPECT_EQ(result.user.name, "mrose");
    EXPECT_EQ(result.user.home, "/home/mrose");
    EXPECT_EQ(result.user.uid, 1u);
    EXPECT_EQ(result.user.gid, 2u);
    EXPECT_EQ(apop("clear", rfc_timestamp, rfc_digest).status, VerifyStatus::ok);
}

TEST_F(ApopPasswdFile, WrongDigestRefused)
{
    const auto result = apop("mrose", rfc_timestamp, "00000000000000000000000000000000");
    EXPECT_EQ(result.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(result.detail, "wrong APOP digest");
}

TEST_F(ApopPasswdFile, HashedSecretRefused)
{
    // The digest is even right for the password: APOP still cannot check a hash.
    const auto result = apop("hashed", rfc_timestamp, rfc_digest);
    EXPECT_EQ(result.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(result.detail, "APOP needs a plaintext secret");
}

TEST_F(ApopPasswdFile, UnknownUserRefused)
{
    const auto result = apop("nobody", rfc_timestamp, rfc_digest);
    EXPECT_EQ(result.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(result.detail, "unknown user");
    EXPECT_EQ(apop("MROSE", rfc_timestamp, rfc_digest).status, VerifyStatus::bad_credentials);
}

TEST_F(ApopPasswdFile, TimestampMustBeBracketed)
{
    // hex(MD5("" + secret)) would be the same in every session: replayable.
    const auto result = apop("mrose", "", "ed2b7063aa3d1cbd4dfb85451a6b8dd7");
    EXPECT_EQ(result.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(apop("mrose", "1896.697170952@dbc.mtview.ca.us", rfc_digest).status, VerifyStatus::bad_credentials);
}

} // namespace
} // namespace poplar::auth

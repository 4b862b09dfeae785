// Keys that only make sense together (TLS, plaintext auth), and the values of
// the TLS, SASL and RFC 2449 extension keys.
#include "config/checks.hpp"
#include "config/config.hpp"

#include "config/test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace poplar::config {
namespace {

using test::contains;
using test::load_error;
using test::load_text;

TEST(Combination, ImplicitTlsNeedsACertificate) {
    EXPECT_TRUE(contains(load_error("listen_tls = [\"127.0.0.1:995\"]\n"), "listen_tls needs tls_certificate"));
}

TEST(Combination, CertificateAndKeyGoTogether) {
    EXPECT_TRUE(contains(load_error("tls_certificate = \"/etc/cert.pem\"\n"), "must be set together"));
    EXPECT_TRUE(contains(load_error("tls_private_key = \"/etc/key.pem\"\n"), "must be set together"));
    const Config both = load_text("tls_certificate = \"/c.pem\"\ntls_private_key = \"/k.pem\"\n");
    EXPECT_EQ(both.tls_certificate, "/c.pem");
}

TEST(Combination, OneSocketIsEitherPlainOrImplicitTls) {
    EXPECT_TRUE(contains(load_error("listen = [\"127.0.0.1:995\"]\nlisten_tls = [\"127.0.0.1:995\"]\n"
                                    "tls_certificate = \"/c\"\ntls_private_key = \"/k\"\n"),
                         "\"127.0.0.1:995\" is in both listen and listen_tls"));
}

TEST(Combination, PlaintextAuthNamesAListenAddress) {
    EXPECT_TRUE(contains(load_error("allow_plaintext_auth = [\"10.0.0.1:110\"]\n"),
                         "allow_plaintext_auth lists \"10.0.0.1:110\", which is not in listen"));
    const Config ok = load_text("listen = [\"10.0.0.1:110\"]\nallow_plaintext_auth = [\"10.0.0.1:110\"]\n");
    EXPECT_EQ(ok.allow_plaintext_auth, std::vector<std::string>{"10.0.0.1:110"});
}

TEST(Combination, EveryProblemIsReported) {
    const std::string error = load_error("listen_tls = [\"127.0.0.1:995\"]\ntls_private_key = \"/k\"\n");
    EXPECT_TRUE(contains(error, "must be set together"));
    EXPECT_TRUE(contains(error, "listen_tls needs tls_certificate"));
}

TEST(TlsKeys, OnlyModernVersions) {
    EXPECT_EQ(load_text("tls_min_version = \"TLSv1.3\"\n").tls_min_version, "TLSv1.3");
    EXPECT_TRUE(contains(load_error("tls_min_version = \"TLSv1.1\"\n"), "older versions are broken"));
    EXPECT_TRUE(contains(load_error("tls_min_version = \"tlsv1.2\"\n"), "must be \"TLSv1.2\" or \"TLSv1.3\""));
}

TEST(AuthMechanisms, KnownNamesOnlyAndNoneTwice) {
    EXPECT_EQ(load_text("auth_mechanisms = [\"PLAIN\", \"CRAM-MD5\"]\n").auth_mechanisms,
              (std::vector<std::string>{"PLAIN", "CRAM-MD5"}));
    EXPECT_TRUE(load_text("auth_mechanisms = []\n").auth_mechanisms.empty());
    EXPECT_TRUE(contains(load_error("auth_mechanisms = [\"DIGEST-MD5\"]\n"), "lists \"DIGEST-MD5\", which is not one of"));
    EXPECT_TRUE(contains(load_error("auth_mechanisms = [\"plain\"]\n"), "lists \"plain\""));
    EXPECT_TRUE(contains(load_error("auth_mechanisms = [\"PLAIN\", \"PLAIN\"]\n"), "lists \"PLAIN\" twice"));
}

TEST(Expire, NeverOrDays) {
    EXPECT_EQ(load_text("expire = \"never\"\n").expire, "never");
    EXPECT_EQ(load_text("expire = \"0\"\n").expire, "0");
    EXPECT_EQ(expire_days("never"), std::nullopt);
    EXPECT_EQ(expire_days("0"), 0u);
    EXPECT_EQ(expire_days("36500"), 36500u);
    for (const char* bad : {"NEVER", "-1", "36501", "7d", " 7", ""}) {
        EXPECT_FALSE(load_error(fmt::format("expire = \"{}\"\n", bad)).empty()) << bad;
    }
}

TEST(LoginDelay, ZeroMeansNone) {
    EXPECT_EQ(load_text("login_delay = \"15m\"\n").login_delay, std::chrono::minutes{15});
    EXPECT_EQ(Config{}.login_delay, std::chrono::seconds{0});
    EXPECT_TRUE(contains(load_error("login_delay = \"25h\"\n"), "must be between 0s and 24h"));
}

} // namespace
} // namespace poplar::config

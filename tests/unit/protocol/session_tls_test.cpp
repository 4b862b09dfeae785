// STLS (RFC 2595) and the plaintext policy, as string transcripts.
#include "session_harness.hpp"

#include <gtest/gtest.h>

namespace poplar::protocol {
namespace {

using protocol::testing::Harness;

SessionSettings plain_connection_off_loopback() {
    SessionSettings settings;
    settings.stls_offered = true;
    settings.plaintext_auth_allowed = false;
    return settings;
}

TEST(Stls, CapaOffersStlsAndHidesUserUntilTls) {
    Harness h(plain_connection_off_loopback());
    const std::string before = h.send("CAPA");
    EXPECT_NE(before.find("\r\nSTLS\r\n"), std::string::npos) << before;
    EXPECT_EQ(before.find("\r\nUSER\r\n"), std::string::npos) << before;

    EXPECT_EQ(h.send("STLS"), "+OK Begin TLS negotiation\r\n");
    EXPECT_EQ(h.handshakes, 1);
    const std::string after = h.send("CAPA");
    EXPECT_EQ(after.find("\r\nSTLS\r\n"), std::string::npos) << after;
    EXPECT_NE(after.find("\r\nUSER\r\n"), std::string::npos) << after;
}

TEST(Stls, UserIsRefusedWithAuthCodeWithoutTls) {
    Harness h(plain_connection_off_loopback());
    const std::string reply = h.send("USER alice");
    EXPECT_TRUE(reply.starts_with("-ERR [AUTH] Plaintext authentication is not allowed")) << reply;
    // Not a login attempt: nothing was asked of the passdb, and PASS has no USER.
    EXPECT_FALSE(h.last_credentials.has_value());
    EXPECT_TRUE(h.send("PASS secret").starts_with("-ERR Send USER first.")) << "PASS must not follow a refused USER";
}

TEST(Stls, LoginWorksAfterTls) {
    Harness h(plain_connection_off_loopback());
    h.send("STLS");
    EXPECT_TRUE(h.login().starts_with("+OK Logged in")) << "after STLS the password is protected";
}

TEST(Stls, UserGivenBeforeStlsIsForgotten) {
    SessionSettings settings;  // plaintext allowed (loopback), STLS offered
    settings.stls_offered = true;
    Harness loopback(settings);
    EXPECT_EQ(loopback.send("USER alice"), "+OK Send PASS\r\n");
    loopback.send("STLS");
    EXPECT_TRUE(loopback.send("PASS secret").starts_with("-ERR Send USER first.")) << "RFC 2595: state before TLS is gone";
}

TEST(Stls, RefusedTwiceAndOnImplicitTls) {
    SessionSettings implicit;
    implicit.tls_active = true;
    Harness on_995(implicit);
    EXPECT_EQ(on_995.send("STLS"), "-ERR This connection already uses TLS.\r\n");
    EXPECT_EQ(on_995.handshakes, 0);
    EXPECT_EQ(on_995.send("CAPA").find("STLS"), std::string::npos);

    Harness h(plain_connection_off_loopback());
    h.send("STLS");
    EXPECT_EQ(h.send("STLS"), "-ERR This connection already uses TLS.\r\n");
    EXPECT_EQ(h.handshakes, 1);
}

TEST(Stls, RefusedWithoutCertificate) {
    Harness h;  // stls_offered false: no certificate configured
    EXPECT_EQ(h.send("STLS"), "-ERR STLS is not available: this server has no TLS certificate configured.\r\n");
    EXPECT_EQ(h.handshakes, 0);
    EXPECT_EQ(h.send("CAPA").find("STLS"), std::string::npos);
}

TEST(Stls, NotValidAfterLogin) {
    SessionSettings settings;
    settings.stls_offered = true;
    Harness h(settings);
    h.login();
    EXPECT_EQ(h.send("STLS"), "-ERR STLS is not valid after login.\r\n");
    EXPECT_EQ(h.handshakes, 0);
    EXPECT_EQ(h.send("CAPA").find("STLS"), std::string::npos) << "CAPA after login does not offer STLS";
}

TEST(Stls, ApopIsNotPlaintextAndStaysAllowed) {
    SessionSettings settings = plain_connection_off_loopback();
    settings.apop_timestamp = "<1.2@host>";
    Harness h(settings);
    EXPECT_TRUE(h.send("APOP alice " + std::string(32, 'a')).starts_with("+OK Logged in"));
}

} // namespace
} // namespace poplar::protocol

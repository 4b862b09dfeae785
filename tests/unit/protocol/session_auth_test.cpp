// AUTH (RFC 5034), LANG and UTF8 (RFC 6856), EXPIRE and LOGIN-DELAY (RFC
// 2449) in the session, as string transcripts.
#include "auth/base64.hpp"
#include "auth/scram.hpp"
#include "session_harness.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace poplar::protocol {
namespace {

using auth::base64_decode;
using auth::base64_encode;
using auth::sasl::Mechanism;
using protocol::testing::Harness;

SessionSettings with_mechanisms(std::vector<Mechanism> mechanisms) {
    SessionSettings settings;
    settings.sasl_mechanisms = std::move(mechanisms);
    return settings;
}

SessionSettings all_mechanisms() {
    return with_mechanisms({Mechanism::scram_sha_256_plus, Mechanism::scram_sha_256, Mechanism::scram_sha_1,
                            Mechanism::plain, Mechanism::login, Mechanism::cram_md5});
}

std::string plain_response(std::string_view authzid, std::string_view user, std::string_view password) {
    std::string raw(authzid);
    raw += '\0';
    raw += user;
    raw += '\0';
    raw += password;
    return base64_encode(raw);
}

TEST(Auth, PlainWithInitialResponseLogsInThroughTheLoginPath) {
    Harness h(all_mechanisms());
    EXPECT_TRUE(h.send("AUTH PLAIN " + plain_response("", "alice", "secret")).starts_with("+OK Logged in"));
    ASSERT_TRUE(h.last_credentials.has_value());
    EXPECT_TRUE(std::holds_alternative<auth::PasswordCredentials>(*h.last_credentials)) << "same path as USER/PASS";
}

TEST(Auth, PlainWithoutInitialResponseGetsAnEmptyChallenge) {
    Harness h(all_mechanisms());
    EXPECT_EQ(h.send("AUTH PLAIN"), "+ \r\n");
    EXPECT_TRUE(h.send(plain_response("alice", "alice", "secret")).starts_with("+OK Logged in"));
}

TEST(Auth, MechanismNamesAreCaseInsensitive) {
    Harness h(all_mechanisms());
    EXPECT_EQ(h.send("AUTH plain"), "+ \r\n");
}

TEST(Auth, WrongPasswordIsAnAuthFailure) {
    Harness h(all_mechanisms());
    EXPECT_EQ(h.send("AUTH PLAIN " + plain_response("", "alice", "wrong")),
              "-ERR [AUTH] Authentication failed: wrong user name or password.\r\n");
}

TEST(Auth, LoginAsksForUserNameThenPassword) {
    Harness h(all_mechanisms());
    EXPECT_EQ(h.send("AUTH LOGIN"), "+ " + base64_encode("Username:") + "\r\n");
    EXPECT_EQ(h.send(base64_encode("alice")), "+ " + base64_encode("Password:") + "\r\n");
    EXPECT_TRUE(h.send(base64_encode("secret")).starts_with("+OK Logged in"));
}

TEST(Auth, EqualsSignIsAnEmptyInitialResponse) {
    Harness h(all_mechanisms());
    // LOGIN with an empty initial response still asks for the user name.
    EXPECT_EQ(h.send("AUTH LOGIN ="), "+ " + base64_encode("Username:") + "\r\n");
}

TEST(Auth, StarCancelsWithErrAndIsNotCountedAsABadCommand) {
    Harness h(all_mechanisms());
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(h.send("AUTH PLAIN"), "+ \r\n");
        EXPECT_EQ(h.send("*"), "-ERR Authentication cancelled.\r\n");
    }
    EXPECT_FALSE(h.closed);
    EXPECT_TRUE(h.login().starts_with("+OK Logged in")) << "after a cancel, the session is in AUTHORIZATION";
}

TEST(Auth, BadBase64EndsTheExchangeAndCountsAsABadCommand) {
    Harness h(all_mechanisms());
    EXPECT_EQ(h.send("AUTH PLAIN"), "+ \r\n");
    EXPECT_EQ(h.send("not base64!"), "-ERR Response is not valid base64; authentication cancelled.\r\n");
    EXPECT_EQ(h.send("USER alice"), "+OK Send PASS\r\n") << "the next line is a command again";
    EXPECT_TRUE(h.send("AUTH PLAIN %%%").starts_with("-ERR Initial response is not valid base64."));
    EXPECT_TRUE(h.send("AUTH PLAIN ====").starts_with("-ERR"));
    EXPECT_TRUE(h.closed) << "the third bad command before login ends the session";
}

TEST(Auth, UnknownOrUnofferedMechanismIsRefused) {
    Harness h(with_mechanisms({Mechanism::plain}));
    EXPECT_EQ(h.send("AUTH DIGEST-MD5"), "-ERR Unsupported authentication mechanism.\r\n");
    EXPECT_EQ(h.send("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism.\r\n") << "not configured";
}

TEST(Auth, BareAuthListsWhatIsOffered) {
    Harness h(with_mechanisms({Mechanism::scram_sha_256_plus, Mechanism::scram_sha_256, Mechanism::plain}));
    // No TLS: nothing to bind -PLUS to.
    EXPECT_EQ(h.send("AUTH"), "+OK Methods supported:\r\nSCRAM-SHA-256\r\nPLAIN\r\n.\r\n");
}

TEST(Auth, PlaintextMechanismsNeedTlsOffLoopback) {
    SessionSettings settings = with_mechanisms({Mechanism::scram_sha_256, Mechanism::plain, Mechanism::login});
    settings.plaintext_auth_allowed = false;
    settings.stls_offered = true;
    Harness h(settings);
    const std::string capa = h.send("CAPA");
    EXPECT_NE(capa.find("\r\nSASL SCRAM-SHA-256\r\n"), std::string::npos) << capa;
    EXPECT_TRUE(h.send("AUTH PLAIN " + plain_response("", "alice", "secret")).starts_with("-ERR [AUTH] Plaintext"));
    EXPECT_TRUE(h.send("AUTH LOGIN").starts_with("-ERR [AUTH] Plaintext"));
    EXPECT_FALSE(h.last_credentials.has_value()) << "the password never reached the login path";
    h.send("STLS");
    EXPECT_NE(h.send("CAPA").find("\r\nSASL SCRAM-SHA-256 PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(Auth, PlusIsOfferedOnlyWithChannelBindings) {
    SessionSettings settings = with_mechanisms({Mechanism::scram_sha_256_plus, Mechanism::scram_sha_256});
    settings.stls_offered = true;
    Harness h(settings);
    EXPECT_NE(h.send("CAPA").find("\r\nSASL SCRAM-SHA-256\r\n"), std::string::npos);
    EXPECT_EQ(h.send("AUTH SCRAM-SHA-256-PLUS"), "-ERR Unsupported authentication mechanism.\r\n");
    h.channel_bindings = {{"tls-exporter", std::string(32, 'x')}};
    h.send("STLS");
    EXPECT_NE(h.send("CAPA").find("\r\nSASL SCRAM-SHA-256-PLUS SCRAM-SHA-256\r\n"), std::string::npos);
}

// A SCRAM-SHA-256 client written here from RFC 5802, against the harness's
// passdb (alice's secrets from "secret", salt "saltsaltsaltsalt", 4096).
struct ScramClient {
    std::string password;
    std::string client_first_bare = "n=alice,r=clientnonce";
    std::string server_signature;

    std::string first() const { return base64_encode("n,," + client_first_bare); }

    std::string final_message(const std::string& server_first_b64) {
        const std::string server_first = *base64_decode(server_first_b64);
        const auto field = [&](char name) {
            const auto at = server_first.find(std::string(1, name) + "=");
            const auto end = server_first.find(',', at);
            return server_first.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
        };
        const std::string nonce = field('r');
        const std::string salt = *base64_decode(field('s'));
        const int iterations = std::stoi(field('i'));
        std::string salted(32, '\0');
        PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                          EVP_sha256(), 32, reinterpret_cast<unsigned char*>(salted.data()));
        const auto hash = auth::ScramHash::sha256;
        const std::string client_key = *auth::scram_hmac(hash, salted, "Client Key");
        const std::string stored_key = *auth::scram_digest(hash, client_key);
        const std::string without_proof = "c=" + base64_encode("n,,") + ",r=" + nonce;
        const std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
        const std::string signature = *auth::scram_hmac(hash, stored_key, auth_message);
        std::string proof = client_key;
        for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
        const std::string server_key = *auth::scram_hmac(hash, salted, "Server Key");
        server_signature = *auth::scram_hmac(hash, server_key, auth_message);
        return base64_encode(without_proof + ",p=" + base64_encode(proof));
    }
};

std::string challenge_of(const std::string& reply) {
    EXPECT_TRUE(reply.starts_with("+ ")) << reply;
    return reply.substr(2, reply.size() - 4);
}

TEST(Auth, ScramSha256LogsInAndProvesTheServer) {
    Harness h(all_mechanisms());
    ScramClient client;
    client.password = "secret";
    const std::string server_first = challenge_of(h.send("AUTH SCRAM-SHA-256 " + client.first()));
    EXPECT_EQ(h.lookups, std::vector<std::string>{"alice"});
    const std::string server_final = challenge_of(h.send(client.final_message(server_first)));
    EXPECT_EQ(*base64_decode(server_final), "v=" + base64_encode(client.server_signature))
        << "RFC 5034: the server's success data comes as a challenge";
    EXPECT_TRUE(h.send("").starts_with("+OK Logged in"));
    ASSERT_TRUE(h.last_credentials.has_value());
    EXPECT_TRUE(std::holds_alternative<auth::ProvenUser>(*h.last_credentials));
}

TEST(Auth, ScramWithAWrongPasswordFailsLikeAWrongPassword) {
    Harness h(all_mechanisms());
    ScramClient client;
    client.password = "not the secret";
    const std::string server_first = challenge_of(h.send("AUTH SCRAM-SHA-256 " + client.first()));
    EXPECT_EQ(h.send(client.final_message(server_first)),
              "-ERR [AUTH] Authentication failed: wrong user name or password.\r\n");
    ASSERT_TRUE(h.last_credentials.has_value());
    EXPECT_TRUE(std::holds_alternative<auth::FailedExchange>(*h.last_credentials)) << "logged and delayed";
}

TEST(Lang, ListsEnglishAndAcceptsRanges) {
    Harness h;
    EXPECT_EQ(h.send("LANG"), "+OK Language listing follows\r\nen English\r\ni-default Default language\r\n.\r\n");
    // RFC 6856 section 3: the reply starts with the tag of the language now in use.
    EXPECT_EQ(h.send("LANG en"), "+OK en Language changed\r\n");
    EXPECT_EQ(h.send("LANG EN-gb"), "+OK en Language changed\r\n") << "RFC 4647 lookup falls back";
    EXPECT_EQ(h.send("LANG *"), "+OK en Language changed\r\n") << "the default is English";
    EXPECT_EQ(h.send("LANG fr"), "-ERR en Language fr is not available; LANG lists those that are.\r\n");
    h.login();
    EXPECT_EQ(h.send("LANG i-default"), "+OK i-default Language changed\r\n") << "valid in TRANSACTION too";
}

constexpr std::string_view utf8_message = "Subject: Gr\xc3\xbc\xc3\x9f" "e\nFrom: J\xc3\xb6rg <j@example.org>\n\nbody\n";

TEST(Utf8, WithoutUtf8SizesAreThoseOfTheDowngradedMessage) {
    Harness h;
    h.mailbox->add(std::string(utf8_message));
    const auto& info = h.mailbox->messages()[0];
    ASSERT_NE(info.size, info.downgraded_size);
    h.login();
    EXPECT_EQ(h.send("LIST 1"), "+OK 1 " + std::to_string(info.downgraded_size) + "\r\n");
    const std::string retr = h.send("RETR 1");
    const std::string status = "+OK " + std::to_string(info.downgraded_size) + " octets\r\n";
    EXPECT_TRUE(retr.starts_with(status)) << retr;
    EXPECT_EQ(retr.size() - status.size() - 3, info.downgraded_size) << "what RETR sends is what LIST said";
    for (unsigned char c : retr) EXPECT_LT(c, 0x80) << "7-bit header";
}

TEST(Utf8, AfterUtf8MessagesGoOutAsStored) {
    Harness h;
    h.mailbox->add(std::string(utf8_message));
    const auto& info = h.mailbox->messages()[0];
    EXPECT_EQ(h.send("UTF8"), "+OK UTF8 enabled\r\n");
    h.login();
    EXPECT_EQ(h.send("STAT"), "+OK 1 " + std::to_string(info.size) + "\r\n");
    const std::string retr = h.send("RETR 1");
    EXPECT_NE(retr.find("Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n"), std::string::npos) << retr;
    EXPECT_EQ(h.send("UTF8"), "-ERR UTF8 is not valid after login.\r\n");
}

TEST(Expire, CapaShowsTheServerValueBeforeAndTheUsersAfterLogin) {
    SessionSettings settings;
    settings.expire_days = 30;
    settings.login_delay_seconds = 900;
    Harness h(settings);
    const std::string before = h.send("CAPA");
    EXPECT_NE(before.find("\r\nEXPIRE 30 USER\r\n"), std::string::npos) << before;
    EXPECT_NE(before.find("\r\nLOGIN-DELAY 900\r\n"), std::string::npos) << before;
    h.user_expire_days = std::nullopt;
    h.login();
    EXPECT_NE(h.send("CAPA").find("\r\nEXPIRE NEVER\r\n"), std::string::npos);
}

constexpr std::int64_t now = 1'800'000'000;
constexpr std::int64_t day = 86'400;

Harness expiring_mailbox(std::optional<unsigned> days) {
    SessionSettings settings;
    settings.clock = [] { return now; };
    Harness h(settings);
    h.user_expire_days = days;
    for (int i = 0; i < 4; ++i) h.mailbox->add("Subject: m\n\nbody\n");
    h.mailbox->set_first_retrieved("m1", now - 8 * day);
    h.mailbox->set_first_retrieved("m2", now - 6 * day);
    return h;
}

TEST(Expire, QuitRemovesMessagesFirstRetrievedLongEnoughAgo) {
    Harness h = expiring_mailbox(7);
    h.login();
    h.send("RETR 3");
    EXPECT_EQ(h.send("QUIT"), "+OK Bye, 1 message deleted, 3 left\r\n");
    EXPECT_EQ(h.updated, std::vector<store::StoreId>{store::StoreId{"m1"}}) << "8 days: gone; 6 days: kept";
    EXPECT_EQ(h.noted_retrieved, std::vector<store::StoreId>{store::StoreId{"m3"}})
        << "the first retrieval of m3 is recorded; m1, m2 already have one";
}

TEST(Expire, ZeroRemovesWhatThisSessionRetrieved) {
    Harness h = expiring_mailbox(0);
    h.login();
    h.send("RETR 3");
    h.send("TOP 4 0");  // TOP is a peek, not a retrieval
    h.send("QUIT");
    EXPECT_EQ(h.updated, (std::vector<store::StoreId>{{"m1"}, {"m2"}, {"m3"}}));
}

TEST(Expire, NeverRemovesNothingButStillRecordsRetrievals) {
    Harness h = expiring_mailbox(std::nullopt);
    h.login();
    h.send("RETR 4");
    EXPECT_EQ(h.send("QUIT"), "+OK Bye, 0 messages deleted, 4 left\r\n");
    EXPECT_TRUE(h.updated.empty());
    EXPECT_EQ(h.noted_retrieved, std::vector<store::StoreId>{store::StoreId{"m4"}});
}

TEST(Expire, WithoutExpireAtQuitOnlyRetrievalsAreRecorded) {
    SessionSettings settings;
    settings.clock = [] { return now; };
    settings.expire_at_quit = false;
    Harness h(settings);
    h.user_expire_days = 0u;
    for (int i = 0; i < 2; ++i) h.mailbox->add("Subject: m\n\nbody\n");
    h.mailbox->set_first_retrieved("m1", now - 8 * day);
    h.login();
    h.send("RETR 2");
    EXPECT_EQ(h.send("QUIT"), "+OK Bye, 0 messages deleted, 2 left\r\n") << "poplar expire removes them later";
    EXPECT_EQ(h.noted_retrieved, std::vector<store::StoreId>{store::StoreId{"m2"}});
}

TEST(Expire, ADroppedSessionRemovesNothing) {
    Harness h = expiring_mailbox(0);
    h.login();
    h.send("RETR 3");
    h.session.release(EndReason::dropped);  // no UPDATE request is ever made
    EXPECT_TRUE(h.updated.empty());
    EXPECT_TRUE(h.noted_retrieved.empty());
}

TEST(LoginDelay, RefusedLoginGetsTheResponseCode) {
    SessionSettings settings;
    settings.login_delay_seconds = 300;
    Harness h(settings);
    h.login_status = LoginStatus::login_delay;
    EXPECT_EQ(h.login(), "-ERR [LOGIN-DELAY] Logins are allowed once every 300 seconds; try again later.\r\n");
    EXPECT_EQ(h.session.state(), SessionState::authorization);
}

} // namespace
} // namespace poplar::protocol

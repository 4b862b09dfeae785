// Tests for SCRAM: the RFC vectors, an independent client, channel binding,
// decoys, malformed messages, and {SCRAM-*} entries in a passwd-file.
#include "auth/base64.hpp"
#include "auth/passwd_file.hpp"
#include "auth/passwd_load.hpp"
#include "auth/password_scheme.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"

#include "auth/auth_test_support.hpp"
#include "auth/sasl_test_support.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>

namespace poplar::auth::sasl {
namespace {

using Kind = Step::Kind;
using namespace std::string_literals;

// ---- An independent SCRAM client: OpenSSL's PBKDF2, HMAC and base64 directly.

std::string b64(std::string_view bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string unb64(std::string_view text)
{
    auto decoded = base64_decode(text);
    if (!decoded)
        throw std::runtime_error("bad base64 in test");
    return *decoded;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out, &length);
    return {reinterpret_cast<char*>(out), length};
}

std::string digest(const EVP_MD* md, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
    return {reinterpret_cast<char*>(out), length};
}

// The value of attribute `name` in a SCRAM message.
std::string attr(std::string_view message, char name)
{
    for (std::size_t at = 0; at < message.size();) {
        const auto end = std::min(message.find(',', at), message.size());
        if (end - at >= 2 && message[at] == name && message[at + 1] == '=')
            return std::string{message.substr(at + 2, end - at - 2)};
        at = end + 1;
    }
    return {};
}

struct TestClient {
    const EVP_MD* md = EVP_sha256();
    std::string user = "user";
    std::string password = "pencil";
    std::string nonce = "rOprNGfwEbeRWgbNEkqO";
    std::string gs2 = "n,,";
    std::string cb_data; // appended to gs2 in c= (PLUS)

    std::string expected_server_signature; // set by final_message()

    std::string bare() const { return "n=" + user + ",r=" + nonce; }
    std::string first_message() const { return gs2 + bare(); }

    std::string final_message(const std::string& server_first)
    {
        const std::string combined = attr(server_first, 'r');
        const std::string salt = unb64(attr(server_first, 's'));
        const int iterations = std::stoi(attr(server_first, 'i'));
        std::string salted(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
        PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                          md, static_cast<int>(salted.size()), reinterpret_cast<unsigned char*>(salted.data()));
        const std::string client_key = hmac(md, salted, "Client Key");
        const std::string stored_key = digest(md, client_key);
        const std::string without_proof = "c=" + b64(gs2 + cb_data) + ",r=" + combined;
        const std::string auth_message = bare() + "," + server_first + "," + without_proof;
        const std::string signature = hmac(md, stored_key, auth_message);
        std::string proof = client_key;
        for (std::size_t i = 0; i < proof.size(); ++i)
            proof[i] = static_cast<char>(proof[i] ^ signature[i]);
        expected_server_signature = "v=" + b64(hmac(md, hmac(md, salted, "Server Key"), auth_message));
        return without_proof + ",p=" + b64(proof);
    }

    // Answers challenges: server-first -> client-final; v= -> "" after checking it.
    std::function<std::optional<std::string>(const std::string&)> responder()
    {
        return [this](const std::string& challenge) -> std::optional<std::string> {
            if (challenge.empty())
                return first_message();
            if (challenge.starts_with("r="))
                return final_message(challenge);
            if (challenge == expected_server_signature)
                return ""s;
            return std::nullopt; // a server signature that does not verify: stop
        };
    }
};

// ---- The RFC test vectors, with the server nonce injected.

ScramLookup lookup_for(ScramHash hash, const std::string& name, std::string_view password, std::string_view salt_b64)
{
    auto secrets = derive_scram_secrets(hash, password, unb64(salt_b64), 4096);
    if (!secrets)
        throw std::runtime_error("derive failed");
    ScramLookup lookup;
    lookup.status = VerifyStatus::ok;
    lookup.user.name = name;
    lookup.secrets = std::move(*secrets);
    return lookup;
}

TEST(Scram, Rfc7677Section3Sha256Vector)
{
    ExchangeContext context;
    context.scram_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    auto exchange = make_exchange(Mechanism::scram_sha_256, context);

    const auto lookup = exchange->start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"s);
    ASSERT_EQ(lookup.kind, Kind::lookup) << lookup.reason;
    EXPECT_EQ(lookup.lookup_user, "user");
    EXPECT_EQ(lookup.lookup_hash, ScramHash::sha256);

    const auto server_first = exchange->on_lookup(lookup_for(ScramHash::sha256, "user", "pencil", "W22ZaJ0SNY7soEsUEjb6gQ=="));
    ASSERT_EQ(server_first.kind, Kind::challenge) << server_first.reason;
    EXPECT_EQ(server_first.challenge,
              "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");

    const auto server_final = exchange->respond(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    ASSERT_EQ(server_final.kind, Kind::challenge) << server_final.reason;
    EXPECT_EQ(server_final.challenge, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");

    const auto done = exchange->respond("");
    ASSERT_EQ(done.kind, Kind::done);
    EXPECT_EQ(std::get<ProvenUser>(*done.credentials).user.name, "user");
    EXPECT_EQ(exchange->respond("").kind, Kind::failed); // over
}

TEST(Scram, Rfc5802Section5Sha1Vector)
{
    ExchangeContext context;
    context.scram_server_nonce = "3rfcNHYJY1ZVvWVs7j";
    auto exchange = make_exchange(Mechanism::scram_sha_1, context);
    ASSERT_EQ(exchange->start(std::nullopt).challenge, ""); // no initial response: an empty challenge
    const auto lookup = exchange->respond("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    ASSERT_EQ(lookup.kind, Kind::lookup) << lookup.reason;
    EXPECT_EQ(lookup.lookup_hash, ScramHash::sha1);
    const auto server_first = exchange->on_lookup(lookup_for(ScramHash::sha1, "user", "pencil", "QSXCR+Q6sek8bf92"));
    EXPECT_EQ(server_first.challenge, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    const auto server_final =
        exchange->respond("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    ASSERT_EQ(server_final.kind, Kind::challenge) << server_final.reason;
    EXPECT_EQ(server_final.challenge, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    EXPECT_EQ(exchange->respond("").kind, Kind::done);
}

TEST(Scram, DerivedSecretsMatchPythonHashlibInDovecotForm)
{
    // python3: hashlib.pbkdf2_hmac('sha256', b'pencil', salt, 4096), then the
    // RFC 5802 keys, printed as Dovecot's iter,salt,StoredKey,ServerKey.
    auto secrets = derive_scram_secrets(ScramHash::sha256, "pencil", unb64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    ASSERT_TRUE(secrets);
    EXPECT_EQ(format_scram_secret(*secrets), "4096,W22ZaJ0SNY7soEsUEjb6gQ==,WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
                                             "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
}

TEST(Scram, WrongProofIsAFailedExchangeAndNoSignatureIsSent)
{
    ExchangeContext context;
    context.scram_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    auto exchange = make_exchange(Mechanism::scram_sha_256, context);
    exchange->start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"s);
    exchange->on_lookup(lookup_for(ScramHash::sha256, "user", "not pencil", "W22ZaJ0SNY7soEsUEjb6gQ=="));
    const auto step = exchange->respond(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    ASSERT_EQ(step.kind, Kind::done);
    const auto& failed = std::get<FailedExchange>(*step.credentials);
    EXPECT_EQ(failed.user, "user");
    EXPECT_EQ(failed.reason, "wrong SCRAM proof");
}

// ---- Against a passwd-file, with random nonces and the independent client.

// Made with python3's hashlib (password "pencil", salts 00..0f and 10..1f).
const std::string carol_sha256 = "4096,AAECAwQFBgcICQoLDA0ODw==,zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=,"
                                 "dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=";
const std::string dave_sha1 = "4096,EBESExQVFhcYGRobHB0eHw==,AqYp+QYI72vHa4fUFLqNGTm6G9Q=,XT+GlQxLvPou5/gWB8EGaqsGfcY=";

class ScramPasswdTest : public testing::Test {
protected:
    void SetUp() override
    {
        test::write_file(path_, "alice:{PLAIN}wonderland:1000:100::/home/alice\n"
                                "carol:{SCRAM-SHA-256}" + carol_sha256 + ":1002:100::/home/carol\n"
                                "dave:{scram-sha-1}" + dave_sha1 + ":1003:100\n"
                                "erin:{SHA512-CRYPT}" + test::make_hash("pencil", "$6$", 1000) + "\n"
                                "frank:{SCRAM-SHA-256}4096,AAAA,BBBB,CCCC\n");
    }

    test::Transcript run(Mechanism mechanism, TestClient& client, ExchangeContext context = {})
    {
        auto exchange = make_exchange(mechanism, std::move(context));
        return test::run_exchange(*exchange, client.first_message(), client.responder(), &db_);
    }

    test::TempDir dir_;
    std::filesystem::path path_ = dir_.path() / "passwd";
    PasswdFile db_{path_};
};

TEST_F(ScramPasswdTest, PlainUserLogsInWithDerivedSecrets)
{
    TestClient client;
    client.user = "alice";
    client.password = "wonderland";
    client.nonce = "abc123";
    const auto transcript = run(Mechanism::scram_sha_256, client);
    ASSERT_EQ(transcript.last.kind, Kind::done) << transcript.last.reason;
    const auto& proven = std::get<ProvenUser>(*transcript.last.credentials);
    EXPECT_EQ(proven.user.name, "alice");
    EXPECT_EQ(proven.user.home, "/home/alice");
    // server-first, then v=.
    ASSERT_EQ(transcript.challenges.size(), 2u);
    EXPECT_EQ(attr(transcript.challenges[0], 'i'), "4096");
    EXPECT_EQ(unb64(attr(transcript.challenges[0], 's')).size(), 16u);
    // 24 random bytes of server nonce after the client's, base64: 32 characters.
    EXPECT_EQ(attr(transcript.challenges[0], 'r').size(), client.nonce.size() + 32);

    client.md = EVP_sha1();
    EXPECT_EQ(run(Mechanism::scram_sha_1, client).last.kind, Kind::done);
}

TEST_F(ScramPasswdTest, StoredScramEntriesLogInBySaslAndByUserPass)
{
    TestClient carol;
    carol.user = "carol";
    const auto transcript = run(Mechanism::scram_sha_256, carol);
    ASSERT_EQ(transcript.last.kind, Kind::done) << transcript.last.reason;
    EXPECT_EQ(std::get<ProvenUser>(*transcript.last.credentials).user.uid, 1002u);
    EXPECT_EQ(attr(transcript.challenges[0], 's'), "AAECAwQFBgcICQoLDA0ODw=="); // the stored salt

    TestClient dave;
    dave.user = "dave";
    dave.md = EVP_sha1();
    EXPECT_EQ(run(Mechanism::scram_sha_1, dave).last.kind, Kind::done);

    const auto lookup = db_.scram_secrets("carol", ScramHash::sha256);
    ASSERT_EQ(lookup.status, VerifyStatus::ok);
    EXPECT_EQ(format_scram_secret(lookup.secrets), carol_sha256);

    EXPECT_EQ(db_.verify(PasswordCredentials{"carol", "pencil"}).status, VerifyStatus::ok);
    EXPECT_EQ(db_.verify(PasswordCredentials{"carol", "pencil "}).status, VerifyStatus::bad_credentials);
    EXPECT_EQ(db_.verify(PasswordCredentials{"dave", "pencil"}).status, VerifyStatus::ok);
    EXPECT_EQ(db_.verify(PasswordCredentials{"dave", "Pencil"}).status, VerifyStatus::bad_credentials);
    EXPECT_EQ(db_.verify(PasswordCredentials{"frank", "pencil"}).status, VerifyStatus::bad_credentials);
    EXPECT_EQ(check_password("SCRAM-SHA-256", carol_sha256, "pencil"), SchemeCheck::match);
    EXPECT_EQ(check_password("SCRAM-SHA-256", "garbage", "pencil"), SchemeCheck::mismatch);
}

TEST_F(ScramPasswdTest, WrongPasswordFailsAtTheProof)
{
    TestClient carol;
    carol.user = "carol";
    carol.password = "crayon";
    const auto transcript = run(Mechanism::scram_sha_256, carol);
    ASSERT_EQ(transcript.last.kind, Kind::done);
    EXPECT_EQ(std::get<FailedExchange>(*transcript.last.credentials).reason, "wrong SCRAM proof");
    EXPECT_EQ(transcript.challenges.size(), 1u); // no v= for a wrong proof
}

TEST_F(ScramPasswdTest, DecoysLookLikeUsersAndFailOnlyAtTheProof)
{
    // Unknown user, a crypt user, a SHA-1 entry asked for SHA-256, a malformed entry.
    for (const auto& name : {"mallory", "erin", "dave", "frank"}) {
        const auto first = db_.scram_secrets(name, ScramHash::sha256);
        const auto again = db_.scram_secrets(name, ScramHash::sha256);
        EXPECT_EQ(first.status, VerifyStatus::bad_credentials) << name;
        EXPECT_FALSE(first.detail.empty());
        EXPECT_EQ(first.secrets.salt.size(), 16u);
        EXPECT_EQ(first.secrets.iterations, 4096u);
        EXPECT_EQ(first.secrets.stored_key.size(), 32u);
        EXPECT_EQ(first.secrets.salt, again.secrets.salt) << "a prober sees the same salt each time";

        TestClient client;
        client.user = name;
        const auto transcript = run(Mechanism::scram_sha_256, client);
        ASSERT_EQ(transcript.last.kind, Kind::done) << name;
        EXPECT_TRUE(std::holds_alternative<FailedExchange>(*transcript.last.credentials));
        ASSERT_EQ(transcript.challenges.size(), 1u);
        EXPECT_EQ(attr(transcript.challenges[0], 'i'), "4096");
    }
    // A known {PLAIN} user's salt is stable too, so the two cannot be told apart by it.
    EXPECT_EQ(db_.scram_secrets("alice", ScramHash::sha256).secrets.salt,
              db_.scram_secrets("alice", ScramHash::sha256).secrets.salt);
    EXPECT_NE(db_.scram_secrets("mallory", ScramHash::sha256).secrets.salt,
              db_.scram_secrets("mallory", ScramHash::sha1).secrets.salt);
    EXPECT_NE(db_.scram_secrets("mallory", ScramHash::sha256).secrets.salt,
              db_.scram_secrets("trent", ScramHash::sha256).secrets.salt);
}

TEST_F(ScramPasswdTest, UnreadableFileIsATemporaryFailure)
{
    PasswdFile missing{dir_.path() / "nope"};
    const auto lookup = missing.scram_secrets("alice", ScramHash::sha256);
    EXPECT_EQ(lookup.status, VerifyStatus::temporary_failure);

    auto exchange = make_exchange(Mechanism::scram_sha_256, {});
    exchange->start("n,,n=alice,r=abc"s);
    const auto step = exchange->on_lookup(lookup);
    EXPECT_EQ(step.kind, Kind::failed);
    EXPECT_TRUE(step.temporary);
}

TEST_F(ScramPasswdTest, LoaderKnowsScramSchemesAndNamesMalformedOnes)
{
    const auto load = load_passwd_file(path_);
    ASSERT_TRUE(load.table);
    std::string all;
    for (const auto& message : load.messages)
        all += message + "\n";
    EXPECT_EQ(all.find("unknown password scheme"), std::string::npos) << all;
    EXPECT_NE(all.find("malformed {SCRAM-SHA-256} secret"), std::string::npos) << all;
    EXPECT_NE(all.find("'frank'"), std::string::npos) << all;
}

// ---- Channel binding (RFC 5802 section 6, RFC 9266).

ExchangeContext tls_context()
{
    ExchangeContext context;
    context.channel_bindings = {{"tls-exporter", std::string(32, '\x5a')},
                                {"tls-server-end-point", std::string(32, '\xa5')}};
    return context;
}

TEST_F(ScramPasswdTest, PlusWithTheRightBindingLogsIn)
{
    for (const auto& binding : tls_context().channel_bindings) {
        TestClient client;
        client.user = "carol";
        client.gs2 = "p=" + binding.type + ",,";
        client.cb_data = binding.data;
        const auto transcript = run(Mechanism::scram_sha_256_plus, client, tls_context());
        ASSERT_EQ(transcript.last.kind, Kind::done) << binding.type << ": " << transcript.last.reason;
        EXPECT_TRUE(std::holds_alternative<ProvenUser>(*transcript.last.credentials));
    }
}

TEST_F(ScramPasswdTest, PlusWithAnotherConnectionsBindingFails)
{
    TestClient client;
    client.user = "carol";
    client.gs2 = "p=tls-exporter,,";
    client.cb_data = std::string(32, '\x00'); // what a relaying attacker's own TLS connection would give
    const auto transcript = run(Mechanism::scram_sha_256_plus, client, tls_context());
    ASSERT_EQ(transcript.last.kind, Kind::done);
    EXPECT_EQ(std::get<FailedExchange>(*transcript.last.credentials).reason, "SCRAM channel binding mismatch");
}

TEST(ScramChannelBinding, Gs2FlagRules)
{
    struct Case {
        Mechanism mechanism;
        bool tls;
        std::string first;
        Kind expected;
    };
    const Case cases[] = {
        // -PLUS needs p= with a type this connection has.
        {Mechanism::scram_sha_256_plus, true, "n,,n=u,r=abc", Kind::failed},
        {Mechanism::scram_sha_256_plus, true, "y,,n=u,r=abc", Kind::failed},
        {Mechanism::scram_sha_256_plus, true, "p=tls-unique,,n=u,r=abc", Kind::failed},
        {Mechanism::scram_sha_256_plus, false, "p=tls-exporter,,n=u,r=abc", Kind::failed},
        {Mechanism::scram_sha_256_plus, true, "p=tls-exporter,,n=u,r=abc", Kind::lookup},
        // Without -PLUS, p= is refused; y is a downgrade only when -PLUS is on offer.
        {Mechanism::scram_sha_256, true, "p=tls-exporter,,n=u,r=abc", Kind::failed},
        {Mechanism::scram_sha_256, true, "y,,n=u,r=abc", Kind::done},
        {Mechanism::scram_sha_256, false, "y,,n=u,r=abc", Kind::lookup},
        {Mechanism::scram_sha_1, true, "y,,n=u,r=abc", Kind::lookup}, // no SCRAM-SHA-1-PLUS is offered
        {Mechanism::scram_sha_256, true, "n,,n=u,r=abc", Kind::lookup},
    };
    for (const auto& c : cases) {
        auto exchange = make_exchange(c.mechanism, c.tls ? tls_context() : ExchangeContext{});
        const auto step = exchange->start(c.first);
        EXPECT_EQ(step.kind, c.expected) << name(c.mechanism) << " tls=" << c.tls << " " << c.first << ": " << step.reason;
    }
}

// ---- Malformed messages: each is a protocol error (`failed`) with a reason,
// or, where it says so, a failed login (`done` + FailedExchange).

TEST(ScramMalformed, ClientFirst)
{
    const std::string failing[] = {
        "",                               // "=" : SCRAM needs a client-first
        "n,,",                            // no bare part
        "x,,n=user,r=abc",                // bad flag
        "n,n=user,r=abc",                 // gs2 header cut short
        "p=,,n=user,r=abc",               // empty cb-name
        "p=tls exporter,,n=user,r=abc",   // space in cb-name
        "n,b=user,n=user,r=abc",          // authzid not a=
        "n,a=,n=user,r=abc",              // empty authzid
        "n,,m=ext,n=user,r=abc",          // mandatory extension
        "n,,n=,r=abc",                    // empty user
        "n,,n=us=2Ber,r=abc",             // bad escape
        "n,,n=us=er,r=abc",               // bare '='
        "n,,n=user",                      // no nonce
        "n,,n=user,r=",                   // empty nonce
        "n,,n=user,r=a b",                // space in nonce
        "n,,n=user,r=a\x7f",              // DEL in nonce
        "n,,r=abc,n=user",                // out of order
        "n,,n=user,r=abc,1=x",            // malformed extension
        "n,,n=user,r=abc,",               // empty extension
        "n,,n=us\0er,r=abc"s,             // NUL
        "n,,n=\xff\xfe,r=abc",            // not UTF-8
        "n,,n=a\x07,r=abc",               // SASLprep: control character prohibited
        "n,,n=\xc2\xad,r=abc",            // SASLprep maps it to nothing: empty name
        "n,,n=user,r=" + std::string(3000, 'x'), // too long
    };
    for (const auto& message : failing) {
        auto exchange = make_exchange(Mechanism::scram_sha_256, {});
        const auto step = exchange->start(message);
        EXPECT_EQ(step.kind, Kind::failed) << testing::PrintToString(message);
        EXPECT_FALSE(step.reason.empty());
        EXPECT_EQ(exchange->respond("n,,n=user,r=abc").kind, Kind::failed) << "a failed exchange stays failed";
    }

    struct Accepted {
        std::string message;
        std::string user;
    };
    const Accepted accepted[] = {
        {"n,,n=user,r=abc,x=ignored,y=too", "user"}, // optional extensions are ignored
        {"n,a=user,n=user,r=abc", "user"},           // authzid = user
        {"n,,n=us=2Cer=3D,r=abc", "us,er="},         // escapes
        {"n,,n=I\xc2\xadX,r=abc", "IX"},             // RFC 4013 example: soft hyphen mapped to nothing
        {"n,,n=\xe2\x85\xa8,r=abc", "IX"},           // RFC 4013 example: U+2168 ROMAN NUMERAL NINE (NFKC)
    };
    for (const auto& a : accepted) {
        auto exchange = make_exchange(Mechanism::scram_sha_256, {});
        const auto step = exchange->start(a.message);
        ASSERT_EQ(step.kind, Kind::lookup) << a.message << ": " << step.reason;
        EXPECT_EQ(step.lookup_user, a.user);
    }

    auto other = make_exchange(Mechanism::scram_sha_256, {});
    const auto step = other->start("n,a=admin,n=user,r=abc"s);
    ASSERT_EQ(step.kind, Kind::done);
    EXPECT_EQ(std::get<FailedExchange>(*step.credentials).reason, "authorization identity differs from the user");
}

// An exchange that has sent its server-first for RFC 7677's vector.
std::unique_ptr<Exchange> at_client_final()
{
    ExchangeContext context;
    context.scram_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    auto exchange = make_exchange(Mechanism::scram_sha_256, context);
    exchange->start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"s);
    // Derived once: PBKDF2 per call would make the random-input test slow.
    static const ScramLookup lookup = lookup_for(ScramHash::sha256, "user", "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==");
    exchange->on_lookup(lookup);
    return exchange;
}

TEST(ScramMalformed, ClientFinal)
{
    const std::string nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const std::string failing[] = {
        "",
        "c=biws,r=" + nonce,                      // no proof
        "r=" + nonce + ",c=biws," + proof,        // out of order
        "c=bi ws,r=" + nonce + "," + proof,       // bad base64 in c=
        "c=biws,r=" + nonce + ",p=!!!!",          // bad base64 in p=
        "c=biws,r=" + nonce + ",p=AAAA",          // proof of the wrong length
        "c=biws,r=" + nonce + "," + proof + ",x=y", // proof not last
        "c=biws,r=" + nonce + ",1=x," + proof,    // malformed extension
        "c=biws,r=" + nonce + ",p=x," + proof,    // two proofs
        "c=biws,r=," + proof,                     // empty nonce
        "c=biws,r=" + nonce + "\0," + proof,      // NUL
        "c=biws,r=" + nonce + std::string(3000, 'x') + "," + proof, // too long
    };
    for (const auto& message : failing) {
        const auto step = at_client_final()->respond(message);
        EXPECT_EQ(step.kind, Kind::failed) << testing::PrintToString(message);
    }

    // These are well-formed but do not belong to this exchange: failed logins.
    struct Refused {
        std::string message;
        std::string reason;
    };
    const Refused refused[] = {
        {"c=biws,r=" + nonce + "x," + proof, "SCRAM nonce mismatch"},
        {"c=eSws,r=" + nonce + "," + proof, "SCRAM channel binding mismatch"}, // "y,," in place of "n,,"
    };
    for (const auto& r : refused) {
        const auto step = at_client_final()->respond(r.message);
        ASSERT_EQ(step.kind, Kind::done) << r.message;
        EXPECT_EQ(std::get<FailedExchange>(*step.credentials).reason, r.reason);
    }

    // An unknown optional extension before the proof is ignored... but it is
    // part of the signed message, so RFC 7677's proof no longer matches.
    const auto with_extension = at_client_final()->respond("c=biws,r=" + nonce + ",x=y," + proof);
    ASSERT_EQ(with_extension.kind, Kind::done);
    EXPECT_EQ(std::get<FailedExchange>(*with_extension.credentials).reason, "wrong SCRAM proof");

    // After v=, only an empty response completes the login.
    auto exchange = at_client_final();
    ASSERT_EQ(exchange->respond("c=biws,r=" + nonce + "," + proof).kind, Kind::challenge);
    EXPECT_EQ(exchange->respond("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").kind, Kind::failed);
}

TEST(ScramMalformed, OutOfOrderCallsFail)
{
    auto exchange = make_exchange(Mechanism::scram_sha_256, {});
    EXPECT_EQ(exchange->on_lookup(ScramLookup{}).kind, Kind::failed); // before client-first
    auto waiting = make_exchange(Mechanism::scram_sha_256, {});
    waiting->start("n,,n=user,r=abc"s);
    EXPECT_EQ(waiting->respond("c=biws,r=abc,p=AAAA").kind, Kind::failed); // a response while the lookup is due
    auto bad_secrets = make_exchange(Mechanism::scram_sha_256, {});
    bad_secrets->start("n,,n=user,r=abc"s);
    ScramLookup empty;
    empty.status = VerifyStatus::ok;
    const auto step = bad_secrets->on_lookup(empty);
    EXPECT_EQ(step.kind, Kind::failed);
    EXPECT_TRUE(step.temporary);
}

TEST(ScramMalformed, RandomInputNeverCrashes)
{
    std::mt19937 random{20240607};
    const std::string alphabet = "nyp=,a=rcm\0biws0123ABCxyz+/\xc3\xff"s;
    for (int round = 0; round < 3000; ++round) {
        std::string message;
        const auto length = random() % 64;
        for (std::size_t i = 0; i < length; ++i)
            message += alphabet[random() % alphabet.size()];
        auto first = make_exchange(Mechanism::scram_sha_256_plus, tls_context());
        (void)first->start(message);
        (void)at_client_final()->respond(message);
        (void)make_exchange(Mechanism::plain, {})->start(message);
        auto cram = make_exchange(Mechanism::cram_md5, {});
        cram->start(std::nullopt);
        (void)cram->respond(message);
    }
}

} // namespace
} // namespace poplar::auth::sasl

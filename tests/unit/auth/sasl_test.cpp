// Tests for the mechanism table and the PLAIN, LOGIN and CRAM-MD5 exchanges.
#include "auth/passwd_file.hpp"
#include "auth/sasl.hpp"

#include "auth/auth_test_support.hpp"
#include "auth/sasl_test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::auth::sasl {
namespace {

using Kind = Step::Kind;
using namespace std::string_literals;

std::unique_ptr<Exchange> make(Mechanism mechanism)
{
    return make_exchange(mechanism, ExchangeContext{"pop.example.org", {}, {}, {}});
}

const PasswordCredentials& password_of(const Step& step)
{
    return std::get<PasswordCredentials>(*step.credentials);
}

TEST(SaslMechanism, NamesRoundTripCaseInsensitively)
{
    for (auto m : {Mechanism::plain, Mechanism::login, Mechanism::cram_md5, Mechanism::scram_sha_1,
                   Mechanism::scram_sha_256, Mechanism::scram_sha_256_plus}) {
        EXPECT_EQ(parse_mechanism(name(m)), m);
        std::string lower{name(m)};
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(parse_mechanism(lower), m);
    }
    EXPECT_EQ(name(Mechanism::scram_sha_256_plus), "SCRAM-SHA-256-PLUS");
    EXPECT_FALSE(parse_mechanism("DIGEST-MD5"));
    EXPECT_FALSE(parse_mechanism("PLAIN "));
    EXPECT_FALSE(parse_mechanism(""));
    EXPECT_TRUE(is_plaintext(Mechanism::plain));
    EXPECT_TRUE(is_plaintext(Mechanism::login));
    EXPECT_FALSE(is_plaintext(Mechanism::cram_md5));
    EXPECT_FALSE(is_plaintext(Mechanism::scram_sha_256));
}

// --- PLAIN ---------------------------------------------------------------

TEST(SaslPlain, InitialResponseGivesVerify)
{
    auto exchange = make(Mechanism::plain);
    const auto step = exchange->start("\0alice\0wonderland"s);
    ASSERT_EQ(step.kind, Kind::verify) << step.reason;
    EXPECT_EQ(password_of(step).user, "alice");
    EXPECT_EQ(password_of(step).password, "wonderland");
    EXPECT_EQ(exchange->respond("anything").kind, Kind::failed); // over
}

TEST(SaslPlain, WithoutInitialResponseAsksWithAnEmptyChallenge)
{
    auto exchange = make(Mechanism::plain);
    const auto first = exchange->start(std::nullopt);
    ASSERT_EQ(first.kind, Kind::challenge);
    EXPECT_EQ(first.challenge, "");
    const auto step = exchange->respond("alice\0alice\0wonderland"s); // authzid = authcid is fine
    ASSERT_EQ(step.kind, Kind::verify);
    EXPECT_EQ(password_of(step).user, "alice");
}

TEST(SaslPlain, OtherAuthzidIsAFailedLoginNotAVerify)
{
    auto exchange = make(Mechanism::plain);
    const auto step = exchange->start("admin\0alice\0wonderland"s);
    ASSERT_EQ(step.kind, Kind::done);
    const auto& failed = std::get<FailedExchange>(*step.credentials);
    EXPECT_EQ(failed.user, "alice");
    EXPECT_EQ(user_of(*step.credentials), "alice");
}

TEST(SaslPlain, MalformedMessagesFail)
{
    const std::string invalid[] = {
        ""s,                                      // "=": nothing at all
        "alice"s,                                 // no NUL
        "\0alice"s,                               // one NUL
        "\0alice\0pw\0"s,                         // three NULs
        "\0\0pw"s,                                // empty authcid
        "\0al\xffice\0pw"s,                       // not UTF-8
        "\0alice\0\xc0\xaf"s,                     // overlong UTF-8 in the password
        "\0alice\0"s + std::string(4000, 'x'),   // too long
    };
    for (const auto& message : invalid) {
        auto exchange = make(Mechanism::plain);
        const auto step = exchange->start(message);
        EXPECT_EQ(step.kind, Kind::failed) << testing::PrintToString(message);
        EXPECT_FALSE(step.reason.empty());
    }
}

// --- LOGIN ---------------------------------------------------------------

TEST(SaslLogin, AsksUserThenPassword)
{
    auto exchange = make(Mechanism::login);
    const auto first = exchange->start(std::nullopt);
    ASSERT_EQ(first.kind, Kind::challenge);
    EXPECT_EQ(first.challenge, "Username:");
    const auto second = exchange->respond("alice");
    ASSERT_EQ(second.kind, Kind::challenge);
    EXPECT_EQ(second.challenge, "Password:");
    const auto last = exchange->respond("wonderland");
    ASSERT_EQ(last.kind, Kind::verify);
    EXPECT_EQ(password_of(last).user, "alice");
    EXPECT_EQ(password_of(last).password, "wonderland");
    EXPECT_EQ(exchange->respond("more").kind, Kind::failed);
}

TEST(SaslLogin, InitialResponseIsTheUserName)
{
    auto exchange = make(Mechanism::login);
    const auto first = exchange->start("alice");
    ASSERT_EQ(first.kind, Kind::challenge);
    EXPECT_EQ(first.challenge, "Password:");
    EXPECT_EQ(password_of(exchange->respond("wonderland")).user, "alice");

    // "=" (empty) names nobody: the user name is asked for.
    auto empty = make(Mechanism::login);
    EXPECT_EQ(empty->start(""s).challenge, "Username:");
}

TEST(SaslLogin, BadFieldsFail)
{
    EXPECT_EQ(make(Mechanism::login)->start("al\0ice"s).kind, Kind::failed);
    auto exchange = make(Mechanism::login);
    exchange->start(std::nullopt);
    EXPECT_EQ(exchange->respond("").kind, Kind::failed); // empty user name
    auto nul_password = make(Mechanism::login);
    nul_password->start("alice");
    EXPECT_EQ(nul_password->respond("pass\0word"s).kind, Kind::failed);
    auto long_password = make(Mechanism::login);
    long_password->start("alice");
    EXPECT_EQ(long_password->respond(std::string(5000, 'x')).kind, Kind::failed);
}

// --- CRAM-MD5 ------------------------------------------------------------

// RFC 2195 section 2's example.
constexpr std::string_view rfc2195_challenge = "<1896.697170952@postoffice.reston.mci.net>";

TEST(SaslCramMd5, Rfc2195ExampleVerifiesAgainstAPlaintextSecret)
{
    test::TempDir dir;
    const auto path = dir.path() / "passwd";
    test::write_file(path, "tim:{PLAIN}tanstaaftanstaaf\n"
                           "bob:{SHA512-CRYPT}" + test::make_hash("tanstaaftanstaaf", "$6$", 1000) + "\n");
    PasswdFile db{path};

    ExchangeContext context;
    context.cram_md5_challenge = std::string{rfc2195_challenge};
    auto exchange = make_exchange(Mechanism::cram_md5, context);
    const auto transcript = test::run_exchange(
        *exchange, std::nullopt, [](const std::string&) { return std::optional<std::string>{"tim b913a602c7eda7a495b4e6e7334d3890"}; },
        &db);
    ASSERT_EQ(transcript.challenges.size(), 1u);
    EXPECT_EQ(transcript.challenges[0], rfc2195_challenge);
    ASSERT_EQ(transcript.last.kind, Kind::verify);
    const auto& cram = std::get<CramMd5Credentials>(*transcript.last.credentials);
    EXPECT_EQ(cram.user, "tim");
    EXPECT_EQ(cram.challenge, rfc2195_challenge);
    ASSERT_TRUE(transcript.verified);
    EXPECT_EQ(transcript.verified->status, VerifyStatus::ok) << transcript.verified->detail;

    // Upper-case hex is accepted; a wrong digest, an unknown user and a
    // hashed secret are not.
    EXPECT_EQ(db.verify(CramMd5Credentials{"tim", std::string{rfc2195_challenge}, "B913A602C7EDA7A495B4E6E7334D3890"}).status,
              VerifyStatus::ok);
    EXPECT_EQ(db.verify(CramMd5Credentials{"tim", std::string{rfc2195_challenge}, "b913a602c7eda7a495b4e6e7334d3891"}).status,
              VerifyStatus::bad_credentials);
    EXPECT_EQ(db.verify(CramMd5Credentials{"nobody", std::string{rfc2195_challenge}, "b913a602c7eda7a495b4e6e7334d3890"}).status,
              VerifyStatus::bad_credentials);
    const auto hashed = db.verify(CramMd5Credentials{"bob", std::string{rfc2195_challenge}, "b913a602c7eda7a495b4e6e7334d3890"});
    EXPECT_EQ(hashed.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(hashed.detail, "CRAM-MD5 needs a plaintext secret");
    // A challenge that is not <...> is refused whatever the digest.
    EXPECT_EQ(db.verify(CramMd5Credentials{"tim", "1896.697170952", "b913a602c7eda7a495b4e6e7334d3890"}).status,
              VerifyStatus::bad_credentials);
}

TEST(SaslCramMd5, FreshChallengesAreUniqueAndNameTheHost)
{
    auto a = make(Mechanism::cram_md5)->start(std::nullopt);
    auto b = make(Mechanism::cram_md5)->start(std::nullopt);
    ASSERT_EQ(a.kind, Kind::challenge);
    EXPECT_NE(a.challenge, b.challenge);
    EXPECT_TRUE(a.challenge.starts_with("<"));
    EXPECT_TRUE(a.challenge.ends_with("@pop.example.org>"));
}

TEST(SaslCramMd5, MalformedResponsesFail)
{
    const std::string invalid[] = {
        "tim",                                        // no digest
        " b913a602c7eda7a495b4e6e7334d3890",          // no user
        "tim b913a602c7eda7a495b4e6e7334d389",        // 31 digits
        "tim b913a602c7eda7a495b4e6e7334d38900",      // 33 digits
        "tim b913a602c7eda7a495b4e6e7334d389g",       // not hex
        "tim b913a602c7eda7a495b4e6e7334d3890 ",      // trailing space
        "t\0m b913a602c7eda7a495b4e6e7334d3890"s,     // NUL in the name
        std::string(2000, 'x') + " b913a602c7eda7a495b4e6e7334d3890",
    };
    for (const auto& response : invalid) {
        auto exchange = make(Mechanism::cram_md5);
        exchange->start(std::nullopt);
        EXPECT_EQ(exchange->respond(response).kind, Kind::failed) << testing::PrintToString(response);
    }
    // A user name with a space is split at the last one.
    auto spaced = make(Mechanism::cram_md5);
    spaced->start(std::nullopt);
    const auto step = spaced->respond("tim smith b913a602c7eda7a495b4e6e7334d3890");
    ASSERT_EQ(step.kind, Kind::verify);
    EXPECT_EQ(user_of(*step.credentials), "tim smith");
    // CRAM-MD5 is server-first: an initial response is a protocol error.
    EXPECT_EQ(make(Mechanism::cram_md5)->start("tim"s).kind, Kind::failed);
}

TEST(SaslExchange, ProvenUserAndFailedExchangeAreRefusedByThePassdb)
{
    test::TempDir dir;
    const auto path = dir.path() / "passwd";
    test::write_file(path, "alice:{PLAIN}wonderland\n");
    PasswdFile db{path};
    UserInfo alice;
    alice.name = "alice";
    EXPECT_EQ(user_of(Credentials{ProvenUser{alice}}), "alice");
    EXPECT_EQ(db.verify(ProvenUser{alice}).status, VerifyStatus::bad_credentials);
    EXPECT_EQ(db.verify(FailedExchange{"alice", "wrong SCRAM proof"}).status, VerifyStatus::bad_credentials);
    // Mechanisms that never ask the passdb refuse a lookup answer.
    EXPECT_EQ(make(Mechanism::plain)->on_lookup(ScramLookup{}).kind, Kind::failed);
}

} // namespace
} // namespace poplar::auth::sasl

// Fuzz target: the SASL exchanges of auth/sasl.hpp (PLAIN, LOGIN, CRAM-MD5,
// SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-256-PLUS) fed random client messages,
// and, in "honest client" mode, a SCRAM client that computes its proof from
// RFC 5802 with OpenSSL directly, so the whole exchange up to ProvenUser runs.
//
// Input: a mechanism byte, a flags byte (initial response or not, TLS channel
// bindings or not, the passdb's answer, honest client), then client messages
// (FuzzedDataProvider's random-length strings).
//
// Invariants: each step has the shape its kind promises (verify only from
// PLAIN/LOGIN/CRAM-MD5 with their credential types and no NUL in names;
// lookup only from SCRAM with the mechanism's hash; a failure has a reason and
// a temporary one only from the passdb); after verify, done or failed every
// further call fails; ProvenUser only after an ok lookup and a client that
// knew the password (a random client never gets in); the honest client with
// an ok lookup always gets in, and the server signature it is sent is right.
#include "auth/base64.hpp"
#include "auth/sasl.hpp"
#include "auth/scram.hpp"
#include "fuzz_check.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

namespace {

using namespace poplar::auth;
using sasl::Mechanism;
using sasl::Step;

constexpr const char* password = "secret";
constexpr const char* salt = "saltsaltsaltsalt";
constexpr std::uint32_t iterations = 4096;

const EVP_MD* digest_of(ScramHash hash) { return hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256(); }

std::string hmac(ScramHash hash, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(digest_of(hash), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

// The client's side of RFC 5802 section 3, made once per hash.
struct ClientKeys {
    std::string client_key;
    std::string server_key;
};

const ClientKeys& client_keys(ScramHash hash) {
    static const auto make = [](ScramHash h) {
        std::string salted(EVP_MD_get_size(digest_of(h)), '\0');
        PKCS5_PBKDF2_HMAC(password, 6, reinterpret_cast<const unsigned char*>(salt), 16, iterations, digest_of(h),
                          static_cast<int>(salted.size()), reinterpret_cast<unsigned char*>(salted.data()));
        return ClientKeys{hmac(h, salted, "Client Key"), hmac(h, salted, "Server Key")};
    };
    static const ClientKeys sha1 = make(ScramHash::sha1);
    static const ClientKeys sha256 = make(ScramHash::sha256);
    return hash == ScramHash::sha1 ? sha1 : sha256;
}

const ScramSecrets& server_secrets(ScramHash hash, bool real) {
    static const auto make = [](ScramHash h, const char* pw) { return *derive_scram_secrets(h, pw, salt, iterations); };
    static const ScramSecrets s1 = make(ScramHash::sha1, password), s256 = make(ScramHash::sha256, password);
    static const ScramSecrets d1 = make(ScramHash::sha1, "decoy"), d256 = make(ScramHash::sha256, "decoy");
    if (hash == ScramHash::sha1) return real ? s1 : d1;
    return real ? s256 : d256;
}

bool is_scram(Mechanism m) {
    return m == Mechanism::scram_sha_1 || m == Mechanism::scram_sha_256 || m == Mechanism::scram_sha_256_plus;
}

ScramHash hash_of(Mechanism m) { return m == Mechanism::scram_sha_1 ? ScramHash::sha1 : ScramHash::sha256; }

// The value of attribute `name` ("r", "s", "i", "v") in a SCRAM server message.
std::string attribute(std::string_view message, char name) {
    std::string_view rest = message;
    for (;;) {
        const auto comma = rest.find(',');
        const auto part = rest.substr(0, comma);
        if (part.size() >= 2 && part[0] == name && part[1] == '=') return std::string(part.substr(2));
        if (comma == std::string_view::npos) return {};
        rest.remove_prefix(comma + 1);
    }
}

enum class Answer { ok, unknown_user, temporary, unusable };

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    static constexpr Mechanism mechanisms[] = {Mechanism::plain,       Mechanism::login,         Mechanism::cram_md5,
                                               Mechanism::scram_sha_1, Mechanism::scram_sha_256, Mechanism::scram_sha_256_plus};
    const Mechanism mechanism = mechanisms[input.ConsumeIntegralInRange<int>(0, 5)];
    const std::uint8_t flags = input.ConsumeIntegral<std::uint8_t>();
    const bool initial = flags & 1;
    const bool tls = flags & 2;
    const Answer answer = static_cast<Answer>((flags >> 2) & 3);
    const bool honest = is_scram(mechanism) && (flags & 16);
    const bool fixed_nonce = flags & 32;

    sasl::ExchangeContext context;
    context.hostname = "fuzz.example";
    if (tls) context.channel_bindings = {{"tls-exporter", std::string(32, '\x42')}, {"tls-server-end-point", "\x01\x02"}};
    if (fixed_nonce) context.scram_server_nonce = "fixedServerNonce";
    auto exchange = sasl::make_exchange(mechanism, context);
    FUZZ_CHECK(exchange != nullptr, "make_exchange gave null");

    // The honest client's messages; the rest come from the input.
    std::string gs2_header, client_first_bare, auth_message_start, server_signature;
    const ScramHash hash = hash_of(mechanism);
    if (honest) {
        const bool plus = mechanism == Mechanism::scram_sha_256_plus;
        gs2_header = plus ? "p=tls-exporter,," : "n,,";
        std::string nonce;
        for (char c : input.ConsumeRandomLengthString(40)) {
            if (c > 0x20 && c < 0x7f && c != ',') nonce += c;
        }
        if (nonce.empty()) nonce = "clientNonce";
        client_first_bare = "n=alice,r=" + nonce;
    }
    auto next_message = [&]() -> std::string {
        return input.ConsumeRandomLengthString(honest ? 64 : 1024);
    };

    Step step = exchange->start(honest ? std::optional(gs2_header + client_first_bare)
                                       : initial ? std::optional(next_message()) : std::nullopt);
    bool lookup_ok = false;
    bool client_proved = false;  // the honest client sent the right proof
    const bool trace = std::getenv("POPLAR_FUZZ_TRACE") != nullptr;  // to read a reproducer
    for (int round = 0; round < 8; ++round) {
        if (trace) {
            std::fprintf(stderr, "step %d: %s%s\n", static_cast<int>(step.kind),
                         poplar::fuzz::escaped(step.challenge).c_str(), step.reason.c_str());
        }
        switch (step.kind) {
        case Step::Kind::challenge: {
            std::string response;
            if (honest && step.challenge.starts_with("r=")) {
                // server-first: answer with the right proof (RFC 5802 section 3).
                const std::string cb = gs2_header + (mechanism == Mechanism::scram_sha_256_plus && tls
                                                         ? std::string(32, '\x42') : std::string());
                const std::string without_proof = "c=" + base64_encode(cb) + ",r=" + attribute(step.challenge, 'r');
                const std::string auth_message = client_first_bare + "," + step.challenge + "," + without_proof;
                const ScramSecrets& secrets = server_secrets(hash, true);
                const std::string signature = hmac(hash, secrets.stored_key, auth_message);
                std::string proof = client_keys(hash).client_key;
                for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
                response = without_proof + ",p=" + base64_encode(proof);
                server_signature = base64_encode(hmac(hash, client_keys(hash).server_key, auth_message));
                client_proved = lookup_ok;
            } else if (honest && step.challenge.starts_with("v=")) {
                FUZZ_CHECK(step.challenge == "v=" + server_signature, "wrong SCRAM server signature");
                response = "";
            } else {
                response = next_message();
            }
            step = exchange->respond(std::move(response));
            continue;
        }
        case Step::Kind::lookup: {
            FUZZ_CHECK(is_scram(mechanism), "lookup from a mechanism without SCRAM");
            FUZZ_CHECK(step.lookup_hash == hash, "lookup for the wrong hash");
            FUZZ_CHECK(!step.lookup_user.empty(), "lookup for an empty user");
            ScramLookup lookup;
            lookup.user.name = step.lookup_user;
            switch (answer) {
            case Answer::ok:
                lookup.status = VerifyStatus::ok;
                lookup.secrets = server_secrets(hash, step.lookup_user == "alice");
                lookup_ok = step.lookup_user == "alice";
                break;
            case Answer::unknown_user:
                lookup.status = VerifyStatus::bad_credentials;
                lookup.secrets = server_secrets(hash, false);
                break;
            case Answer::temporary:
                lookup.status = VerifyStatus::temporary_failure;
                break;
            case Answer::unusable:
                lookup.status = VerifyStatus::ok;
                lookup.secrets = server_secrets(hash, true);
                lookup.secrets.stored_key.resize(3);
                break;
            }
            step = exchange->on_lookup(std::move(lookup));
            if (answer == Answer::temporary || answer == Answer::unusable) {
                FUZZ_CHECK(step.kind == Step::Kind::failed && step.temporary, "a passdb failure must be [SYS/TEMP]");
            }
            continue;
        }
        case Step::Kind::verify: {
            FUZZ_CHECK(!is_scram(mechanism), "verify from SCRAM");
            FUZZ_CHECK(step.credentials.has_value(), "verify without credentials");
            const auto* password_credentials = std::get_if<PasswordCredentials>(&*step.credentials);
            const auto* cram = std::get_if<CramMd5Credentials>(&*step.credentials);
            if (mechanism == Mechanism::cram_md5) {
                FUZZ_CHECK(cram && cram->digest_hex.size() == 32 && cram->challenge.starts_with("<"), "CRAM-MD5 credentials");
                FUZZ_CHECK(!cram->user.empty(), "CRAM-MD5 with an empty user");
            } else {
                FUZZ_CHECK(password_credentials != nullptr, "PLAIN/LOGIN without password credentials");
                FUZZ_CHECK(!password_credentials->user.empty(), "empty user name");
                FUZZ_CHECK(password_credentials->user.find('\0') == std::string::npos &&
                               password_credentials->password.find('\0') == std::string::npos,
                           "NUL in a user name or password");
            }
            break;
        }
        case Step::Kind::done: {
            FUZZ_CHECK(step.credentials.has_value(), "done without credentials");
            const bool proven = std::holds_alternative<ProvenUser>(*step.credentials);
            FUZZ_CHECK(proven || std::holds_alternative<FailedExchange>(*step.credentials), "done with other credentials");
            if (proven) {
                FUZZ_CHECK(is_scram(mechanism) && lookup_ok && client_proved, "logged in without knowing the password");
            }
            break;
        }
        case Step::Kind::failed:
            FUZZ_CHECK(!step.reason.empty(), "failed without a reason");
            FUZZ_CHECK(!step.temporary || answer == Answer::temporary || answer == Answer::unusable,
                       "a temporary failure without a passdb failure: " + step.reason);
            break;
        }
        break;
    }
    if (step.kind == Step::Kind::challenge || step.kind == Step::Kind::lookup) return 0;  // out of rounds

    if (honest && lookup_ok && answer == Answer::ok && (mechanism != Mechanism::scram_sha_256_plus || tls)) {
        FUZZ_CHECK(step.kind == Step::Kind::done && std::holds_alternative<ProvenUser>(*step.credentials),
                   "the honest client was refused: " + step.reason);
    }
    // The exchange is over: anything more fails.
    const Step after = exchange->respond(input.ConsumeRandomLengthString(16));
    FUZZ_CHECK(after.kind == Step::Kind::failed, "an exchange answered after it ended");
    return 0;
}

// SASL mechanisms (RFC 5034's AUTH) as pure state machines: bytes in, steps out.
// No I/O and no passdb calls: the session base64-decodes what the client
// sends, feeds it here, and carries out each Step (send a challenge, verify
// credentials, look up SCRAM secrets), so every exchange is testable with strings.
#pragma once

#include "auth/credentials.hpp"
#include "auth/passdb.hpp"
#include "auth/scram.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::auth::sasl {

enum class Mechanism { plain, login, cram_md5, scram_sha_1, scram_sha_256, scram_sha_256_plus };

// The IANA name: "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
// "SCRAM-SHA-256-PLUS".
std::string_view name(Mechanism mechanism) noexcept;

// The mechanism a client named in AUTH, case-insensitively (RFC 5034 section
// 4 treats the name as case-insensitive); nullopt for one poplar lacks.
std::optional<Mechanism> parse_mechanism(std::string_view text) noexcept;

// PLAIN and LOGIN send the password itself: the session refuses them unless
// the connection is TLS or loopback (RFC 8314 section 4; RFC 4616 section 6).
bool is_plaintext(Mechanism mechanism) noexcept;

// Data from the TLS layer that ties a SCRAM-PLUS exchange to this connection.
struct ChannelBinding {
    std::string type; // "tls-exporter" (RFC 9266, TLS 1.3) or "tls-server-end-point" (RFC 5929)
    std::string data; // raw bytes; see channel_binding.hpp for computing them from an SSL*
};

struct ExchangeContext {
    std::string hostname; // in the CRAM-MD5 challenge <random.time@host>
    // Set when the connection is TLS: every type this connection can offer
    // (channel_binding.hpp computes them). Empty means no TLS: the session
    // must not offer SCRAM-SHA-256-PLUS then, and a client that asks for it
    // fails. A client picks one type by name in its gs2 header.
    std::vector<ChannelBinding> channel_bindings;

    // Tests only: fixed values in place of fresh random ones. Empty: random.
    std::string scram_server_nonce; // appended to the client's nonce (printable, no ',')
    std::string cram_md5_challenge; // the whole challenge, brackets included
};

struct Step {
    enum class Kind {
        challenge, // send "+ " base64(challenge), then call respond() with the client's answer
        verify,    // log in with `credentials` through the usual path (passdb verify, delay on failure)
        lookup,    // call PassDb::scram_secrets(lookup_user, lookup_hash), then on_lookup() with the answer
        done,      // `credentials` is ProvenUser (log in without the passdb) or FailedExchange (as a wrong password)
        failed,    // the client broke the protocol: -ERR `reason`; not a failed login
    };
    Kind kind = Kind::failed;
    std::string challenge;                  // challenge: raw bytes, possibly empty ("+ " alone)
    std::optional<Credentials> credentials; // verify, done
    std::string lookup_user;                // lookup: the SASLprepped user name
    ScramHash lookup_hash{};                // lookup
    std::string reason;                     // failed: short, for the client's -ERR; never a secret
    bool temporary = false;                 // failed: the passdb is unavailable: -ERR [SYS/TEMP]
};

// One AUTH exchange. Not thread-safe; one per AUTH command; discard it after
// a verify, done or failed step (any further call answers `failed`).
class Exchange {
public:
    virtual ~Exchange() = default;

    // The first step. initial_response: RFC 5034's optional argument, decoded
    // ("" for "="); nullopt when the client gave none.
    virtual Step start(std::optional<std::string> initial_response) = 0;

    // The client's next response, decoded. (The session handles "*", the
    // cancel, itself: the exchange is simply dropped.)
    virtual Step respond(std::string response) = 0;

    // The passdb's answer to a lookup step. Mechanisms that never ask answer `failed`.
    virtual Step on_lookup(ScramLookup lookup);
};

// A fresh exchange for `mechanism`. Never null.
std::unique_ptr<Exchange> make_exchange(Mechanism mechanism, ExchangeContext context);

// Step builders, shared by the mechanisms.
Step challenge_step(std::string challenge);
Step verify_step(Credentials credentials);
Step done_step(Credentials credentials);
Step failed_step(std::string reason);

} // namespace poplar::auth::sasl

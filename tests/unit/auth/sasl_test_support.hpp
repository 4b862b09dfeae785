// Helpers for the SASL tests: drive an exchange the way the session will.
#pragma once

#include "auth/passdb.hpp"
#include "auth/sasl.hpp"

#include <functional>
#include <string>
#include <vector>

namespace poplar::auth::test {

// How an exchange ended, and what was said on the way.
struct Transcript {
    std::vector<std::string> challenges;  // raw, in order
    sasl::Step last;                      // verify, done or failed (or a challenge the client stopped at)
    std::optional<VerifyResult> verified; // when the last step was verify and a passdb was given
};

// Runs `exchange` to its end: challenges go to `client` (which returns the
// next response, or nullopt to stop), lookups and verifies to `db`.
inline Transcript run_exchange(sasl::Exchange& exchange, std::optional<std::string> initial_response,
                               const std::function<std::optional<std::string>(const std::string&)>& client,
                               PassDb* db = nullptr)
{
    Transcript transcript;
    sasl::Step step = exchange.start(std::move(initial_response));
    for (int guard = 0; guard < 16; ++guard) {
        if (step.kind == sasl::Step::Kind::challenge) {
            transcript.challenges.push_back(step.challenge);
            auto response = client(step.challenge);
            if (!response)
                break;
            step = exchange.respond(std::move(*response));
        } else if (step.kind == sasl::Step::Kind::lookup && db != nullptr) {
            step = exchange.on_lookup(db->scram_secrets(step.lookup_user, step.lookup_hash));
        } else {
            break;
        }
    }
    if (step.kind == sasl::Step::Kind::verify && db != nullptr)
        transcript.verified = db->verify(*step.credentials);
    transcript.last = std::move(step);
    return transcript;
}

} // namespace poplar::auth::test

// The PassDb interface: checks credentials. Backends: passwd-file (now).
#pragma once

#include "auth/credentials.hpp"
#include "auth/scram.hpp"

#include <string_view>

namespace poplar::auth {

// The passdb's answer to "what are this user's SCRAM secrets?".
struct ScramLookup {
    // ok: `secrets` are the user's. bad_credentials: no such user, or none
    // that this hash can use; `secrets` then hold a decoy (a salt that is
    // stable for the name, so repeated probes see the same one) so that the
    // exchange looks the same and fails only at the proof. temporary_failure:
    // the passdb could not be read ([SYS/TEMP]); `secrets` are empty.
    VerifyStatus status = VerifyStatus::bad_credentials;
    UserInfo user;        // set when status == ok
    ScramSecrets secrets;
    std::string detail;   // why, for the log; never holds a secret
};

class PassDb {
public:
    virtual ~PassDb() = default;

    // Checks the credentials. May block for a long time (password hashing,
    // file reads): the network layer calls it on the worker pool, never on an
    // I/O thread. An unknown user costs the same hash as a known one. Must be
    // safe to call from several threads at once. Never throws.
    virtual VerifyResult verify(const Credentials& credentials) = 0;

    // The SCRAM secrets of `user` (already SASLprepped by the mechanism) for
    // `hash`, or a decoy (see ScramLookup). Same threading and blocking rules
    // as verify(): it may run PBKDF2. Never throws.
    virtual ScramLookup scram_secrets(std::string_view user, ScramHash hash) = 0;
};

} // namespace poplar::auth

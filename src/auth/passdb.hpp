// The PassDb interface: checks credentials. Backends: passwd-file (now).
#pragma once

#include "auth/credentials.hpp"

namespace poplar::auth {

class PassDb {
public:
    virtual ~PassDb() = default;

    // Checks the credentials. May block for a long time (password hashing,
    // file reads): the network layer calls it on the worker pool, never on an
    // I/O thread. An unknown user costs the same hash as a known one. Must be
    // safe to call from several threads at once. Never throws.
    virtual VerifyResult verify(const Credentials& credentials) = 0;
};

} // namespace poplar::auth

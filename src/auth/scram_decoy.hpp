// Salts that depend only on a user name and this process: for decoys and for
// SCRAM secrets derived from plaintext passwords.
#pragma once

#include "auth/scram.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

// Iterations for secrets made on the fly (from {PLAIN} or as a decoy):
// Dovecot's default and RFC 5802's minimum, so they look like a stored entry.
inline constexpr std::uint32_t derived_scram_iterations = 4096;

// 16 bytes (the size of Dovecot's salts) of HMAC-SHA-256 keyed with a random
// key made once per process, over the hash name and `user`. The same user
// gets the same salt on every lookup, so a prober cannot tell a user whose
// salt is stored (stable) from one whose secrets are derived or faked; a
// restart changes them, and nobody can compute them without the key.
// nullopt only if the OS cannot give randomness or OpenSSL fails.
std::optional<std::string> per_process_salt(std::string_view user, ScramHash hash);

// Secrets for a user who cannot do SCRAM (unknown, wrong scheme): the
// per-process salt, derived_scram_iterations, and keys from a phrase no one
// knows. Costs one PBKDF2 run, as deriving a {PLAIN} user's keys does.
// nullopt as per_process_salt().
std::optional<ScramSecrets> decoy_scram_secrets(std::string_view user, ScramHash hash);

} // namespace poplar::auth

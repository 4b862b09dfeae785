// Password schemes as Dovecot names them, checked in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

enum class SchemeCheck {
    match,
    mismatch,
    unknown_scheme,  // logged once per scheme name by the caller, never a crash
};

// Checks `password` against `secret` stored under `scheme` (upper-case name
// without braces): PLAIN, CLEARTEXT, CRYPT, SHA512-CRYPT, SHA256-CRYPT,
// MD5-CRYPT, BLF-CRYPT and YESCRYPT (all crypt(3) forms via libxcrypt's
// crypt_r, which is thread-safe), and SCRAM-SHA-1/SCRAM-SHA-256 (Dovecot's
// "iter,salt,StoredKey,ServerKey", checked by deriving StoredKey with PBKDF2).
// Comparison is constant-time. A malformed secret is a mismatch.
SchemeCheck check_password(std::string_view scheme, std::string_view secret, std::string_view password);

// The plaintext secret if the scheme stores one (PLAIN, CLEARTEXT): what APOP
// and CRAM-MD5 need.
std::optional<std::string> plaintext_secret(std::string_view scheme, std::string_view secret);

// A hash of the same cost as `like` (a crypt(3) string), to spend on unknown
// users so that they take as long as known ones. Falls back to a yescrypt hash.
std::string make_dummy_hash(std::string_view like);

} // namespace poplar::auth

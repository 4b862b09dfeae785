// Which family a Dovecot scheme name belongs to: plaintext, crypt(3), SCRAM, or unknown.
#pragma once

#include <string_view>

namespace poplar::auth {

enum class SchemeKind {
    plaintext, // PLAIN, CLEARTEXT: the secret is the password
    crypt,     // CRYPT and its named forms: the secret is a crypt(3) string
    scram_sha1,   // SCRAM-SHA-1: "iter,salt,StoredKey,ServerKey" (Dovecot's form)
    scram_sha256, // SCRAM-SHA-256: the same with SHA-256
    unknown,
};

// `scheme` is upper-case, without braces, as PasswdEntry::scheme holds it.
SchemeKind scheme_kind(std::string_view scheme) noexcept;

} // namespace poplar::auth

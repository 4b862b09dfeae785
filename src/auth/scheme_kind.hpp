// Which family a Dovecot scheme name belongs to: plaintext, crypt(3), or unknown.
#pragma once

#include <string_view>

namespace poplar::auth {

enum class SchemeKind {
    plaintext, // PLAIN, CLEARTEXT: the secret is the password
    crypt,     // CRYPT and its named forms: the secret is a crypt(3) string
    unknown,
};

// `scheme` is upper-case, without braces, as PasswdEntry::scheme holds it.
SchemeKind scheme_kind(std::string_view scheme) noexcept;

} // namespace poplar::auth

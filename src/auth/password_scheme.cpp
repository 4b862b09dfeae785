// check_password() and plaintext_secret(): Dovecot's schemes over libxcrypt.
#include "auth/password_scheme.hpp"

#include "auth/constant_time.hpp"
#include "auth/credentials.hpp"
#include "auth/crypt_call.hpp"
#include "auth/scheme_kind.hpp"

#include <array>

namespace poplar::auth {

SchemeKind scheme_kind(std::string_view scheme) noexcept
{
    constexpr std::array<std::string_view, 2> plaintext{"PLAIN", "CLEARTEXT"};
    // Dovecot verifies all of these the same way, with crypt(3) on the stored
    // string, whatever its $id$: a {SHA512-CRYPT} secret that is really "$1$..."
    // still works there, so it works here too.
    constexpr std::array<std::string_view, 6> crypt{
        "CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "BLF-CRYPT", "YESCRYPT"};
    for (auto name : plaintext)
        if (scheme == name)
            return SchemeKind::plaintext;
    for (auto name : crypt)
        if (scheme == name)
            return SchemeKind::crypt;
    return SchemeKind::unknown;
}

SchemeCheck check_password(std::string_view scheme, std::string_view secret, std::string_view password)
{
    switch (scheme_kind(scheme)) {
    case SchemeKind::plaintext:
        return equal_constant_time(password, secret) ? SchemeCheck::match : SchemeCheck::mismatch;
    case SchemeKind::crypt: {
        // A refused hash (bad setting, NUL in the password) is a mismatch, never a match.
        auto hashed = crypt_hash(password, secret);
        if (!hashed)
            return SchemeCheck::mismatch;
        const bool same = equal_constant_time(*hashed, secret);
        wipe(*hashed);
        return same ? SchemeCheck::match : SchemeCheck::mismatch;
    }
    case SchemeKind::unknown:
        break;
    }
    return SchemeCheck::unknown_scheme;
}

std::optional<std::string> plaintext_secret(std::string_view scheme, std::string_view secret)
{
    if (scheme_kind(scheme) == SchemeKind::plaintext)
        return std::string{secret};
    return std::nullopt;
}

} // namespace poplar::auth

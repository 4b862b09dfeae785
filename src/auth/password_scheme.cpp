// check_password() and plaintext_secret(): Dovecot's schemes over libxcrypt.
#include "auth/password_scheme.hpp"

#include "auth/constant_time.hpp"
#include "auth/credentials.hpp"
#include "auth/crypt_call.hpp"
#include "auth/saslprep.hpp"
#include "auth/scram.hpp"
#include "auth/scheme_kind.hpp"

#include <array>

namespace poplar::auth {

namespace {

// USER/PASS against a SCRAM entry: Hi(password) and compare StoredKey.
// Dovecot derives these entries from the password as typed (its scram.c has
// a FIXME about SASLprep), while RFC 5802 clients SASLprep it; so the raw
// password is tried first and, only when SASLprep changes it, the prepared
// one too. A malformed entry is a mismatch: the user cannot log in, and the
// file's loader has no way to tell (the same holds for a bad crypt string).
SchemeCheck check_scram(ScramHash hash, std::string_view secret, std::string_view password)
{
    auto stored = parse_scram_secret(hash, secret);
    if (!stored)
        return SchemeCheck::mismatch;
    bool same = scram_password_matches(hash, *stored, password);
    if (!same) {
        auto prepared = saslprep(password, PrepKind::stored);
        if (prepared && *prepared != password)
            same = scram_password_matches(hash, *stored, *prepared);
        if (prepared)
            wipe(*prepared);
    }
    wipe(*stored);
    return same ? SchemeCheck::match : SchemeCheck::mismatch;
}

} // namespace

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
    if (scheme == "SCRAM-SHA-1")
        return SchemeKind::scram_sha1;
    if (scheme == "SCRAM-SHA-256")
        return SchemeKind::scram_sha256;
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
    case SchemeKind::scram_sha1:
        return check_scram(ScramHash::sha1, secret, password);
    case SchemeKind::scram_sha256:
        return check_scram(ScramHash::sha256, secret, password);
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

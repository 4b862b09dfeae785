// per_process_salt() and decoy_scram_secrets(): one random key per process, HMAC per name.
#include "auth/scram_decoy.hpp"

#include <openssl/rand.h>

namespace poplar::auth {

namespace {

// The process key, drawn on first use. Never written anywhere.
const std::optional<std::string>& process_key()
{
    static const std::optional<std::string> key = [] {
        std::string bytes(32, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1)
            return std::optional<std::string>{};
        return std::optional<std::string>{std::move(bytes)};
    }();
    return key;
}

} // namespace

std::optional<std::string> per_process_salt(std::string_view user, ScramHash hash)
{
    const auto& key = process_key();
    if (!key)
        return std::nullopt;
    std::string message = "poplar scram salt";
    message += '\0';
    message += scram_name(hash);
    message += '\0';
    message += user;
    auto mac = scram_hmac(ScramHash::sha256, *key, message);
    if (!mac)
        return std::nullopt;
    mac->resize(16);
    return mac;
}

std::optional<ScramSecrets> decoy_scram_secrets(std::string_view user, ScramHash hash)
{
    auto salt = per_process_salt(user, hash);
    if (!salt)
        return std::nullopt;
    // The phrase is public; the keys it gives are never checked against a
    // proof (a decoy lookup fails at the proof whatever the client sends).
    return derive_scram_secrets(hash, "poplar: no such user", std::move(*salt), derived_scram_iterations);
}

} // namespace poplar::auth

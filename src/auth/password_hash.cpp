// hash_password(): crypt(3) settings from libxcrypt, SCRAM from scram.hpp.
#include "auth/password_hash.hpp"

#include "auth/crypt_call.hpp"
#include "auth/scram.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace poplar::auth {
namespace {

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// A crypt(3) secret: the settings string picks the algorithm and its cost.
std::optional<std::string> crypt_secret(std::string_view label, const std::string& prefix, unsigned long cost,
                                        std::string_view password) {
    const auto setting = crypt_setting(prefix, cost);
    if (!setting) return std::nullopt;
    auto hashed = crypt_hash(password, *setting);
    if (!hashed) return std::nullopt;
    return "{" + std::string(label) + "}" + *hashed;
}

std::optional<std::string> scram_secret(std::string_view label, ScramHash hash, std::string_view password) {
    std::string salt(16, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
        return std::nullopt;
    }
    auto secrets = derive_scram_secrets(hash, password, std::move(salt), min_scram_iterations);
    if (!secrets) return std::nullopt;
    std::string text = "{" + std::string(label) + "}" + format_scram_secret(*secrets);
    wipe(*secrets);
    return text;
}

} // namespace

std::span<const std::string_view> writable_schemes() {
    static constexpr std::array<std::string_view, 6> names{"YESCRYPT",      "SHA512-CRYPT",  "BLF-CRYPT",
                                                           "SCRAM-SHA-256", "SCRAM-SHA-1",   "PLAIN"};
    return names;
}

std::optional<std::string> hash_password(std::string_view scheme, std::string_view password) {
    const std::string name = upper(scheme);
    // Costs: libxcrypt's defaults (0) for yescrypt and SHA-512; bcrypt at
    // cost 10 (2^10 rounds), as Dovecot writes it.
    if (name == "YESCRYPT") return crypt_secret("CRYPT", "$y$", 0, password);
    if (name == "SHA512-CRYPT") return crypt_secret("SHA512-CRYPT", "$6$", 0, password);
    if (name == "BLF-CRYPT") return crypt_secret("BLF-CRYPT", "$2b$", 10, password);
    if (name == "SCRAM-SHA-256") return scram_secret("SCRAM-SHA-256", ScramHash::sha256, password);
    if (name == "SCRAM-SHA-1") return scram_secret("SCRAM-SHA-1", ScramHash::sha1, password);
    if (name == "PLAIN") {
        // A passwd-file line cannot hold these bytes in its secret field.
        if (password.find_first_of(":\n\r") != std::string_view::npos) return std::nullopt;
        return "{PLAIN}" + std::string(password);
    }
    return std::nullopt;
}

} // namespace poplar::auth

// SCRAM's keys (RFC 5802 section 3): derivation, Dovecot's stored form, the proof check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

enum class ScramHash { sha1, sha256 };

// What a server keeps for SCRAM: enough to check a proof and sign the
// server-final message, not enough to log in elsewhere with USER/PASS.
// All fields are raw bytes (not base64).
struct ScramSecrets {
    std::string salt;
    std::uint32_t iterations = 0;
    std::string stored_key; // H(ClientKey)
    std::string server_key; // HMAC(SaltedPassword, "Server Key")
};

// Overwrites the keys (they let a thief impersonate the server, and with a
// captured exchange, the client).
void wipe(ScramSecrets& secrets) noexcept;

// "SCRAM-SHA-1" or "SCRAM-SHA-256": the mechanism name, also Dovecot's scheme name.
std::string_view scram_name(ScramHash hash) noexcept;

// 20 for SHA-1, 32 for SHA-256.
std::size_t digest_size(ScramHash hash) noexcept;

// Iteration counts accepted from a passwd-file. 4096 is RFC 5802 section 5.1's
// "at least" and Dovecot's minimum (it refuses less); the ceiling bounds what
// a USER/PASS check against a SCRAM entry costs a worker (~seconds at 10^7).
inline constexpr std::uint32_t min_scram_iterations = 4096;
inline constexpr std::uint32_t max_scram_iterations = 10'000'000;

// HMAC(key, data) and H(data) with the SCRAM hash. nullopt only if OpenSSL
// fails (no such digest in a FIPS-restricted build).
std::optional<std::string> scram_hmac(ScramHash hash, std::string_view key, std::string_view data);
std::optional<std::string> scram_digest(ScramHash hash, std::string_view data);

// SaltedPassword = Hi(password, salt, iterations) (PBKDF2-HMAC), then
// StoredKey and ServerKey. `password` is used as given: SASLprep it first
// where RFC 5802 wants that. nullopt if OpenSSL fails or iterations is 0.
std::optional<ScramSecrets> derive_scram_secrets(ScramHash hash, std::string_view password, std::string salt,
                                                 std::uint32_t iterations);

// Parses Dovecot's {SCRAM-SHA-1}/{SCRAM-SHA-256} secret text,
// "iter,base64(salt),base64(StoredKey),base64(ServerKey)" (what `doveadm pw
// -s SCRAM-SHA-256` prints after the scheme). nullopt when the count is out of
// [min_scram_iterations, max_scram_iterations], a field is not canonical
// base64, the salt is empty or a key is not digest_size(hash) bytes.
std::optional<ScramSecrets> parse_scram_secret(ScramHash hash, std::string_view text);

// The inverse of parse_scram_secret(): Dovecot's text form.
std::string format_scram_secret(const ScramSecrets& secrets);

// True when `password` derives `stored`'s StoredKey (so USER/PASS works for a
// user kept as a SCRAM entry). Constant-time compare; one PBKDF2 run.
bool scram_password_matches(ScramHash hash, const ScramSecrets& stored, std::string_view password);

} // namespace poplar::auth

// SCRAM key derivation and Dovecot's stored form, over OpenSSL's HMAC and PBKDF2.
#include "auth/scram.hpp"

#include "auth/base64.hpp"
#include "auth/constant_time.hpp"
#include "auth/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <climits>

namespace poplar::auth {

namespace {

const EVP_MD* md_of(ScramHash hash) noexcept
{
    return hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
}

// Splits "a,b,c,d" into exactly four fields.
bool split4(std::string_view text, std::string_view (&fields)[4])
{
    for (int i = 0; i < 3; ++i) {
        const auto comma = text.find(',');
        if (comma == std::string_view::npos)
            return false;
        fields[i] = text.substr(0, comma);
        text.remove_prefix(comma + 1);
    }
    if (text.find(',') != std::string_view::npos)
        return false;
    fields[3] = text;
    return true;
}

} // namespace

void wipe(ScramSecrets& secrets) noexcept
{
    wipe(secrets.stored_key);
    wipe(secrets.server_key);
}

std::string_view scram_name(ScramHash hash) noexcept
{
    return hash == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::size_t digest_size(ScramHash hash) noexcept
{
    return hash == ScramHash::sha1 ? 20 : 32;
}

std::optional<std::string> scram_hmac(ScramHash hash, std::string_view key, std::string_view data)
{
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (key.size() > INT_MAX)
        return std::nullopt;
    if (HMAC(md_of(hash), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), reinterpret_cast<unsigned char*>(out.data()), &length)
        == nullptr)
        return std::nullopt;
    out.resize(length);
    return out;
}

std::optional<std::string> scram_digest(ScramHash hash, std::string_view data)
{
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length, md_of(hash),
                   nullptr)
        != 1)
        return std::nullopt;
    out.resize(length);
    return out;
}

std::optional<ScramSecrets> derive_scram_secrets(ScramHash hash, std::string_view password, std::string salt,
                                                 std::uint32_t iterations)
{
    if (iterations == 0 || iterations > INT_MAX || password.size() > INT_MAX || salt.size() > INT_MAX)
        return std::nullopt;
    std::string salted(digest_size(hash), '\0');
    // PBKDF2 with one block is exactly RFC 5802's Hi(): the output is one digest long.
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                          static_cast<int>(iterations), md_of(hash), static_cast<int>(salted.size()),
                          reinterpret_cast<unsigned char*>(salted.data()))
        != 1) {
        wipe(salted);
        return std::nullopt;
    }
    auto client_key = scram_hmac(hash, salted, "Client Key");
    auto server_key = scram_hmac(hash, salted, "Server Key");
    wipe(salted);
    std::optional<std::string> stored_key;
    if (client_key)
        stored_key = scram_digest(hash, *client_key);
    if (client_key)
        wipe(*client_key);
    if (!stored_key || !server_key)
        return std::nullopt;
    return ScramSecrets{std::move(salt), iterations, std::move(*stored_key), std::move(*server_key)};
}

std::optional<ScramSecrets> parse_scram_secret(ScramHash hash, std::string_view text)
{
    std::string_view fields[4];
    if (!split4(text, fields))
        return std::nullopt;
    std::uint32_t iterations = 0;
    const auto [end, error] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), iterations);
    if (fields[0].empty() || error != std::errc{} || end != fields[0].data() + fields[0].size()
        || iterations < min_scram_iterations || iterations > max_scram_iterations)
        return std::nullopt;
    auto salt = base64_decode(fields[1]);
    auto stored_key = base64_decode(fields[2]);
    auto server_key = base64_decode(fields[3]);
    if (!salt || salt->empty() || !stored_key || stored_key->size() != digest_size(hash) || !server_key
        || server_key->size() != digest_size(hash))
        return std::nullopt;
    return ScramSecrets{std::move(*salt), iterations, std::move(*stored_key), std::move(*server_key)};
}

std::string format_scram_secret(const ScramSecrets& secrets)
{
    return std::to_string(secrets.iterations) + ',' + base64_encode(secrets.salt) + ','
        + base64_encode(secrets.stored_key) + ',' + base64_encode(secrets.server_key);
}

bool scram_password_matches(ScramHash hash, const ScramSecrets& stored, std::string_view password)
{
    auto derived = derive_scram_secrets(hash, password, stored.salt, stored.iterations);
    if (!derived)
        return false;
    const bool same = equal_constant_time(derived->stored_key, stored.stored_key);
    wipe(*derived);
    return same;
}

} // namespace poplar::auth

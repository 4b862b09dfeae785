// cram_md5_digest_matches(): HMAC-MD5 through OpenSSL, compared in constant time.
#include "auth/cram_md5.hpp"

#include "auth/constant_time.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <climits>

namespace poplar::auth {

bool cram_md5_digest_matches(std::string_view challenge, std::string_view secret, std::string_view client_digest_hex)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (secret.size() > INT_MAX
        || HMAC(EVP_md5(), secret.data(), static_cast<int>(secret.size()),
                reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), digest.data(), &length)
            == nullptr
        || length != 16)
        return false;

    constexpr std::string_view hex = "0123456789abcdef";
    std::array<char, 32> expected{};
    for (std::size_t i = 0; i < 16; ++i) {
        expected[2 * i] = hex[digest[i] >> 4];
        expected[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    // RFC 2195 says lower case; folding the client's input leaks nothing
    // secret. Longer input is cut at 33 bytes: it cannot match, and it bounds
    // the copy.
    std::array<char, 33> given{};
    const std::size_t given_size = std::min(client_digest_hex.size(), given.size());
    for (std::size_t i = 0; i < given_size; ++i) {
        const char c = client_digest_hex[i];
        given[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const bool same = equal_constant_time({given.data(), given_size}, {expected.data(), expected.size()});
    // The expected digest answers this challenge: do not leave it around.
    OPENSSL_cleanse(digest.data(), digest.size());
    OPENSSL_cleanse(expected.data(), expected.size());
    return same;
}

} // namespace poplar::auth

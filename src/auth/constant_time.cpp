// equal_constant_time(): CRYPTO_memcmp with no early exit on a length mismatch.
#include "auth/constant_time.hpp"

#include <algorithm>

#include <openssl/crypto.h>

namespace poplar::auth {

bool equal_constant_time(std::string_view given, std::string_view expected) noexcept
{
    // On a length mismatch, compare `given` with itself: the same work as a
    // real compare of given.size() bytes, so the stored secret's length is not
    // revealed by an early return. CRYPTO_memcmp lives in libcrypto and cannot
    // be optimised away.
    const bool same_length = given.size() == expected.size();
    const char* other = same_length ? expected.data() : given.data();
    const bool same_bytes = CRYPTO_memcmp(given.data(), other, given.size()) == 0;
    return same_length & same_bytes;
}

bool md5_hex_matches(const std::array<unsigned char, 16>& expected, std::string_view client_hex) noexcept {
    constexpr std::string_view hex = "0123456789abcdef";
    std::array<char, 32> expected_hex{};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        expected_hex[2 * i] = hex[expected[i] >> 4];
        expected_hex[2 * i + 1] = hex[expected[i] & 0x0f];
    }
    // RFC 1939 (APOP) does not fix the case of the digits and clients of RFC
    // 2195 (CRAM-MD5) may send upper case; folding the client's input leaks
    // nothing secret. Longer input is cut at 33 bytes: it cannot match, and
    // that bounds the copy.
    std::array<char, 33> given{};
    const std::size_t given_size = std::min(client_hex.size(), given.size());
    for (std::size_t i = 0; i < given_size; ++i) {
        const char c = client_hex[i];
        given[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const bool same = equal_constant_time({given.data(), given_size}, {expected_hex.data(), expected_hex.size()});
    // The expected digits answer this challenge: do not leave them around.
    OPENSSL_cleanse(expected_hex.data(), expected_hex.size());
    return same;
}

} // namespace poplar::auth

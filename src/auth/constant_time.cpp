// equal_constant_time(): CRYPTO_memcmp with no early exit on a length mismatch.
#include "auth/constant_time.hpp"

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

} // namespace poplar::auth

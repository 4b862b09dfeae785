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

    std::array<unsigned char, 16> md5{};
    std::copy_n(digest.begin(), md5.size(), md5.begin());
    const bool same = md5_hex_matches(md5, client_digest_hex);
    OPENSSL_cleanse(digest.data(), digest.size());
    OPENSSL_cleanse(md5.data(), md5.size());
    return same;
}

} // namespace poplar::auth

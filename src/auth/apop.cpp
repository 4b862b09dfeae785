// apop_digest_matches(): MD5 through OpenSSL EVP, compared in constant time.
#include "auth/apop.hpp"

#include "auth/constant_time.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

namespace poplar::auth {

namespace {

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// MD5 of a + b without concatenating them, so no extra copy of the secret exists.
bool md5_of(std::string_view a, std::string_view b, std::array<unsigned char, 16>& out)
{
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx{EVP_MD_CTX_new()};
    unsigned int length = 0;
    return ctx && EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) == 1
        && EVP_DigestUpdate(ctx.get(), a.data(), a.size()) == 1
        && EVP_DigestUpdate(ctx.get(), b.data(), b.size()) == 1
        && EVP_DigestFinal_ex(ctx.get(), out.data(), &length) == 1 && length == out.size();
}

} // namespace

bool apop_digest_matches(std::string_view timestamp, std::string_view secret, std::string_view client_digest_hex)
{
    std::array<unsigned char, 16> digest{};
    if (!md5_of(timestamp, secret, digest))
        return false;

    const bool same = md5_hex_matches(digest, client_digest_hex);
    OPENSSL_cleanse(digest.data(), digest.size());
    return same;
}

} // namespace poplar::auth

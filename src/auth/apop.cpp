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

    constexpr std::string_view hex = "0123456789abcdef";
    std::array<char, 32> expected{};
    for (std::size_t i = 0; i < digest.size(); ++i) {
        expected[2 * i] = hex[digest[i] >> 4];
        expected[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    // RFC 1939 does not fix the case of the hex digits; clients send lower
    // case, but accept upper. Folding the client's input leaks nothing secret.
    // Longer input is cut at 33 bytes: it cannot match, and it bounds the copy.
    std::array<char, 33> given{};
    const std::size_t given_size = std::min(client_digest_hex.size(), given.size());
    for (std::size_t i = 0; i < given_size; ++i) {
        const char c = client_digest_hex[i];
        given[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const bool same = equal_constant_time({given.data(), given_size}, {expected.data(), expected.size()});
    // The expected digest answers this timestamp's challenge: do not leave it around.
    OPENSSL_cleanse(digest.data(), digest.size());
    OPENSSL_cleanse(expected.data(), expected.size());
    return same;
}

} // namespace poplar::auth

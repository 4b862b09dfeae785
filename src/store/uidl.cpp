// The Maildir UIDL rule (see uidl.hpp).
#include "store/uidl.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace poplar::store {

namespace {

// RFC 1939 section 7: "The unique-id of a message ... consists of one to 70
// characters in the range 0x21 to 0x7E".
constexpr std::size_t max_uidl_length = 70;

} // namespace

bool valid_uidl(std::string_view uidl) {
    return !uidl.empty() && uidl.size() <= max_uidl_length &&
           std::all_of(uidl.begin(), uidl.end(), [](char c) {
               auto byte = static_cast<unsigned char>(c);
               return byte >= 0x21 && byte <= 0x7E;
           });
}

// "~" and the hex digits, built in place (GCC 12 warns falsely about
// `"~" + string` at -O3).
std::string hashed_uidl(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "~";
    out.reserve(1 + 2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0F];
    }
    return out;
}

std::string uidl_for_base_name(std::string_view base_name) {
    if (valid_uidl(base_name)) {
        return std::string(base_name);
    }
    return hashed_uidl(base_name);  // SHA-256 has exactly 64 hex digits
}

} // namespace poplar::store

// saslprep(): libidn's "SASLprep" stringprep profile, with its malloc'd result copied and wiped.
#include "auth/saslprep.hpp"

#include "auth/credentials.hpp"

#include <openssl/crypto.h>
#include <stringprep.h>

#include <cstdint>
#include <cstdlib>

namespace poplar::auth {

bool is_valid_utf8(std::string_view text) noexcept
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t code = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            length = 2;
            code = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            length = 3;
            code = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            length = 4;
            code = c & 0x07;
        } else {
            return false; // a continuation byte first, an overlong lead (C0, C1) or > F4
        }
        if (text.size() - i < length)
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80)
                return false;
            code = (code << 6) | (next & 0x3f);
        }
        const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
        if (overlong || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
            return false;
        i += length;
    }
    return true;
}

std::optional<std::string> saslprep(std::string_view text, PrepKind kind)
{
    // libidn reads a C string and does not check UTF-8 itself.
    if (text.find('\0') != std::string_view::npos || !is_valid_utf8(text))
        return std::nullopt;
    std::string input{text};
    char* output = nullptr;
    const auto flags = kind == PrepKind::stored ? STRINGPREP_NO_UNASSIGNED : static_cast<Stringprep_profile_flags>(0);
    const int rc = stringprep_profile(input.c_str(), &output, "SASLprep", flags);
    wipe(input);
    if (rc != STRINGPREP_OK || output == nullptr) {
        std::free(output);
        return std::nullopt;
    }
    std::string result{output};
    // The output may be a password: clear libidn's copy before freeing it
    // (OPENSSL_cleanse, unlike memset, is not optimised away).
    OPENSSL_cleanse(output, result.size());
    std::free(output);
    // A name or password that maps to nothing (only "commonly mapped to
    // nothing" characters) is as good as none.
    if (result.empty())
        return std::nullopt;
    return result;
}

} // namespace poplar::auth

// crypt_hash() and crypt_setting(): libxcrypt calls with their failure modes handled.
#include "auth/crypt_call.hpp"

#include "auth/credentials.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <memory>

namespace poplar::auth {

namespace {

// Wipes the crypt_data on every path out: it holds the phrase's derived state.
struct CryptDataDeleter {
    void operator()(crypt_data* data) const noexcept
    {
        OPENSSL_cleanse(data, sizeof *data);
        delete data;
    }
};

} // namespace

std::optional<std::string> crypt_hash(std::string_view phrase, std::string_view setting)
{
    if (phrase.find('\0') != std::string_view::npos || setting.find('\0') != std::string_view::npos)
        return std::nullopt;
    // crypt_r wants NUL-terminated strings; the phrase copy is wiped below.
    std::string phrase_z{phrase};
    const std::string setting_z{setting};
    // Value-initialised: crypt_r requires a zeroed crypt_data on first use.
    std::unique_ptr<crypt_data, CryptDataDeleter> data{new crypt_data{}};
    const char* out = crypt_r(phrase_z.c_str(), setting_z.c_str(), data.get());
    wipe(phrase_z);
    if (out == nullptr || out[0] == '*' || out[0] == '\0')
        return std::nullopt;
    return std::string{out};
}

std::optional<std::string> crypt_setting(const std::string& prefix, unsigned long count)
{
    char out[CRYPT_GENSALT_OUTPUT_SIZE];
    // rbytes == NULL: libxcrypt draws the salt from the OS (getentropy).
    const char* setting = crypt_gensalt_rn(prefix.c_str(), count, nullptr, 0, out, sizeof out);
    if (setting == nullptr || setting[0] == '*')
        return std::nullopt;
    return std::string{setting};
}

} // namespace poplar::auth

// user_of() and wipe(): the small helpers that go with the credential types.
#include "auth/credentials.hpp"

#include <openssl/crypto.h>

#include <type_traits>

namespace poplar::auth {

const std::string& user_of(const Credentials& credentials)
{
    return std::visit(
        [](const auto& c) -> const std::string& {
            if constexpr (std::is_same_v<std::decay_t<decltype(c)>, ProvenUser>)
                return c.user.name;
            else
                return c.user;
        },
        credentials);
}

void wipe(std::string& secret) noexcept
{
    // Grow to the capacity first so bytes left behind by an earlier, longer
    // value are overwritten too; resize() within the capacity never allocates.
    secret.resize(secret.capacity());
    // OPENSSL_cleanse, unlike memset, is not removed by the optimiser.
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

} // namespace poplar::auth

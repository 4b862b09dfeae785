// make_dummy_hash(): a hash as costly as a real one, spent on unknown users.
#include "auth/password_scheme.hpp"

#include "auth/crypt_call.hpp"

#include <charconv>

namespace poplar::auth {

namespace {

// Hashed into the dummy; what it is does not matter, nobody logs in with it.
constexpr std::string_view dummy_phrase = "poplar: no such user";

// The $id$ prefix of a modular crypt string ("$6$", "$2b$", "$y$"), or "".
std::string_view crypt_prefix(std::string_view hash)
{
    if (hash.size() < 3 || hash[0] != '$')
        return {};
    const auto end = hash.find('$', 1);
    if (end == std::string_view::npos)
        return {};
    return hash.substr(0, end + 1);
}

// Parses all of `text` as a decimal count; nullopt on noise or overflow.
std::optional<unsigned long> parse_count(std::string_view text)
{
    unsigned long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// A fresh setting (new salt) with the prefix and cost of `like`; nullopt when
// `like` is not a form whose cost we know how to read.
std::optional<std::string> same_cost_setting(std::string_view like)
{
    const auto prefix = crypt_prefix(like);
    const auto rest = like.substr(prefix.size());
    if (prefix == "$6$" || prefix == "$5$") {
        // "$6$rounds=N$salt$hash"; without rounds= the cost is the default
        // (5000), which gensalt's count 0 also gives.
        constexpr std::string_view rounds = "rounds=";
        unsigned long count = 0;
        if (rest.starts_with(rounds)) {
            const auto end = rest.find('$');
            auto parsed = parse_count(rest.substr(rounds.size(), end - rounds.size()));
            if (!parsed)
                return std::nullopt;
            count = *parsed;
        }
        return crypt_setting(std::string{prefix}, count);
    }
    if (prefix == "$2a$" || prefix == "$2b$" || prefix == "$2y$") {
        // "$2b$NN$...": NN is log2 of the rounds, and gensalt's count.
        auto cost = parse_count(rest.substr(0, 2));
        if (rest.size() < 3 || rest[2] != '$' || !cost)
            return std::nullopt;
        return crypt_setting(std::string{prefix}, *cost);
    }
    if (prefix == "$1$")
        return crypt_setting("$1$", 0); // MD5-crypt has a fixed cost
    if (prefix == "$y$" || prefix == "$gy$") {
        // "$y$<params>$salt$hash": the params field holds the cost (N, r, p)
        // in yescrypt's own encoding. Rather than map it back to gensalt's
        // count, keep the field as is and take only a fresh salt from gensalt.
        const auto params_end = rest.find('$');
        if (params_end == std::string_view::npos || params_end == 0)
            return std::nullopt;
        auto fresh = crypt_setting(std::string{prefix}, 0);
        if (!fresh)
            return std::nullopt;
        const auto salt_start = fresh->find('$', prefix.size());
        if (salt_start == std::string::npos)
            return std::nullopt;
        return std::string{prefix} + std::string{rest.substr(0, params_end)} + fresh->substr(salt_start);
    }
    return std::nullopt;
}

} // namespace

std::string make_dummy_hash(std::string_view like)
{
    if (auto setting = same_cost_setting(like))
        if (auto hash = crypt_hash(dummy_phrase, *setting))
            return *hash;
    // A form we cannot read the cost of (DES, "$7$", ...) but libxcrypt can
    // hash: reuse `like` itself as the setting. Same salt, so exactly the same
    // cost; the dummy is never stored or shown, so sharing a salt costs nothing.
    if (!like.empty())
        if (auto hash = crypt_hash(dummy_phrase, like))
            return *hash;
    if (auto setting = crypt_setting("$y$", 0))
        if (auto hash = crypt_hash(dummy_phrase, *setting))
            return *hash;
    // Only if libxcrypt has no yescrypt, which Debian's always has.
    return std::string{"$y$j9T$"} + "poplarpoplarpoplarpopl" + "$";
}

} // namespace poplar::auth

// Mechanism names, the factory, and the step builders (see sasl.hpp).
#include "auth/sasl.hpp"

#include "auth/sasl_mechanisms.hpp"

#include <array>
#include <cstdlib>
#include <utility>

namespace poplar::auth::sasl {

namespace {

struct NamedMechanism {
    Mechanism mechanism;
    std::string_view name;
};

constexpr std::array<NamedMechanism, 6> mechanisms{{
    {Mechanism::plain, "PLAIN"},
    {Mechanism::login, "LOGIN"},
    {Mechanism::cram_md5, "CRAM-MD5"},
    {Mechanism::scram_sha_1, "SCRAM-SHA-1"},
    {Mechanism::scram_sha_256, "SCRAM-SHA-256"},
    {Mechanism::scram_sha_256_plus, "SCRAM-SHA-256-PLUS"},
}};

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

} // namespace

std::string_view name(Mechanism mechanism) noexcept
{
    for (const auto& entry : mechanisms)
        if (entry.mechanism == mechanism)
            return entry.name;
    return {};
}

std::optional<Mechanism> parse_mechanism(std::string_view text) noexcept
{
    for (const auto& entry : mechanisms)
        if (equal_ignoring_ascii_case(text, entry.name))
            return entry.mechanism;
    return std::nullopt;
}

bool is_plaintext(Mechanism mechanism) noexcept
{
    return mechanism == Mechanism::plain || mechanism == Mechanism::login;
}

Step Exchange::on_lookup(ScramLookup lookup)
{
    wipe(lookup.secrets);
    return failed_step("unexpected passdb answer");
}

std::unique_ptr<Exchange> make_exchange(Mechanism mechanism, ExchangeContext context)
{
    switch (mechanism) {
    case Mechanism::plain:
        return make_plain_exchange();
    case Mechanism::login:
        return make_login_exchange();
    case Mechanism::cram_md5:
        return make_cram_md5_exchange(std::move(context));
    case Mechanism::scram_sha_1:
        return make_scram_exchange(ScramHash::sha1, false, std::move(context));
    case Mechanism::scram_sha_256:
        return make_scram_exchange(ScramHash::sha256, false, std::move(context));
    case Mechanism::scram_sha_256_plus:
        return make_scram_exchange(ScramHash::sha256, true, std::move(context));
    }
    // An enum value outside the list is a bug in the caller.
    std::abort();
}

Step challenge_step(std::string challenge)
{
    Step step;
    step.kind = Step::Kind::challenge;
    step.challenge = std::move(challenge);
    return step;
}

Step verify_step(Credentials credentials)
{
    Step step;
    step.kind = Step::Kind::verify;
    step.credentials = std::move(credentials);
    return step;
}

Step done_step(Credentials credentials)
{
    Step step;
    step.kind = Step::Kind::done;
    step.credentials = std::move(credentials);
    return step;
}

Step failed_step(std::string reason)
{
    Step step;
    step.kind = Step::Kind::failed;
    step.reason = std::move(reason);
    return step;
}

} // namespace poplar::auth::sasl

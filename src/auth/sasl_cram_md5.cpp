// SASL CRAM-MD5 (RFC 2195): a <random.time@host> challenge, answered "user hex(HMAC-MD5)".
#include "auth/sasl_mechanisms.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace poplar::auth::sasl {

namespace {

bool is_hex(std::string_view text) noexcept
{
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return true;
}

// RFC 2195 section 2: a msg-id, "<" unique "@" host ">", unique per
// connection. 8 random bytes make it unique without relying on the clock;
// the time is there because the RFC's example has it and clients log it.
std::optional<std::string> make_challenge(const std::string& hostname)
{
    unsigned char random[8];
    if (RAND_bytes(random, sizeof random) != 1)
        return std::nullopt;
    std::uint64_t value = 0;
    for (unsigned char byte : random)
        value = (value << 8) | byte;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return "<" + std::to_string(value) + "." + std::to_string(now) + "@" + (hostname.empty() ? "poplar" : hostname)
        + ">";
}

class CramMd5Exchange final : public Exchange {
public:
    explicit CramMd5Exchange(ExchangeContext context) : context_(std::move(context)) {}

    Step start(std::optional<std::string> initial_response) override
    {
        // The server speaks first in CRAM-MD5 (RFC 4422 section 3.3: an
        // initial response to a server-first mechanism is an error).
        if (initial_response)
            return failed_step("CRAM-MD5 takes no initial response");
        if (!context_.cram_md5_challenge.empty()) {
            challenge_ = context_.cram_md5_challenge;
        } else if (auto made = make_challenge(context_.hostname)) {
            challenge_ = std::move(*made);
        } else {
            Step step = failed_step("no randomness for a challenge");
            step.temporary = true;
            return step;
        }
        waiting_ = true;
        return challenge_step(challenge_);
    }

    Step respond(std::string response) override
    {
        if (!waiting_)
            return failed_step("the exchange is over");
        waiting_ = false;
        // "user SP digest": the user name may hold spaces, the digest cannot,
        // so split at the last one.
        if (response.size() > max_field_size + 33)
            return failed_step("CRAM-MD5 response too long");
        const auto space = response.rfind(' ');
        if (space == std::string::npos || space == 0)
            return failed_step("CRAM-MD5 response is not 'user digest'");
        std::string user = response.substr(0, space);
        std::string digest = response.substr(space + 1);
        if (digest.size() != 32 || !is_hex(digest))
            return failed_step("CRAM-MD5 digest is not 32 hex digits");
        if (user.find('\0') != std::string::npos)
            return failed_step("CRAM-MD5 user name holds a NUL");
        return verify_step(CramMd5Credentials{std::move(user), challenge_, std::move(digest)});
    }

private:
    ExchangeContext context_;
    std::string challenge_;
    bool waiting_ = false;
};

} // namespace

std::unique_ptr<Exchange> make_cram_md5_exchange(ExchangeContext context)
{
    return std::make_unique<CramMd5Exchange>(std::move(context));
}

} // namespace poplar::auth::sasl

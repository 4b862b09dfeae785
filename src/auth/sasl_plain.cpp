// SASL PLAIN (RFC 4616): "[authzid] NUL authcid NUL passwd" in one message.
#include "auth/sasl_mechanisms.hpp"
#include "auth/saslprep.hpp"

namespace poplar::auth::sasl {

namespace {

class PlainExchange final : public Exchange {
public:
    Step start(std::optional<std::string> initial_response) override
    {
        if (!initial_response) {
            waiting_ = true;
            return challenge_step({}); // RFC 4616 is client-first: an empty challenge asks for the message
        }
        return take(std::move(*initial_response));
    }

    Step respond(std::string response) override
    {
        if (!waiting_) {
            wipe(response);
            return failed_step("the exchange is over");
        }
        waiting_ = false;
        return take(std::move(response));
    }

private:
    // Parses the message; wipes it on every path, since it holds the password.
    static Step take(std::string message)
    {
        Step step = parse(message);
        wipe(message);
        return step;
    }

    static Step parse(std::string_view message)
    {
        if (message.size() > 3 * max_field_size)
            return failed_step("PLAIN message too long");
        const auto first = message.find('\0');
        const auto second = first == std::string_view::npos ? first : message.find('\0', first + 1);
        if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos)
            return failed_step("PLAIN message is not authzid NUL authcid NUL password");
        const auto authzid = message.substr(0, first);
        const auto authcid = message.substr(first + 1, second - first - 1);
        const auto password = message.substr(second + 1);
        if (authcid.empty())
            return failed_step("PLAIN message has an empty user name");
        // RFC 4616 section 2: all three are UTF-8.
        if (!is_valid_utf8(authzid) || !is_valid_utf8(authcid) || !is_valid_utf8(password))
            return failed_step("PLAIN message is not UTF-8");
        // poplar has no administrators who may act for other users: a client
        // may name itself as the authorization identity, nobody else. Refused
        // as a failed login (logged, delayed) without checking the password,
        // so the answer says nothing about it.
        if (!authzid.empty() && authzid != authcid)
            return done_step(FailedExchange{std::string{authcid}, "authorization identity differs from the user"});
        // Names and passwords are compared as sent, as USER/PASS does (and
        // Dovecot): no SASLprep here, so PLAIN and USER/PASS always agree.
        return verify_step(PasswordCredentials{std::string{authcid}, std::string{password}});
    }

    bool waiting_ = false;
};

} // namespace

std::unique_ptr<Exchange> make_plain_exchange()
{
    return std::make_unique<PlainExchange>();
}

} // namespace poplar::auth::sasl

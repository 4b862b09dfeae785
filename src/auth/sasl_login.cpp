// SASL LOGIN (draft-murchison-sasl-login): "Username:", then "Password:", as the clients expect.
#include "auth/sasl_mechanisms.hpp"

namespace poplar::auth::sasl {

namespace {

class LoginExchange final : public Exchange {
public:
    ~LoginExchange() override { wipe(user_); }

    Step start(std::optional<std::string> initial_response) override
    {
        // An initial response is the user name (the draft's section 2.1,
        // and what Outlook and curl send). An empty one ("=") names no user,
        // so it is asked for as if none was sent.
        if (initial_response && !initial_response->empty())
            return take_user(std::move(*initial_response));
        state_ = State::want_user;
        return challenge_step("Username:");
    }

    Step respond(std::string response) override
    {
        switch (state_) {
        case State::want_user:
            return take_user(std::move(response));
        case State::want_password:
            return take_password(std::move(response));
        case State::over:
            break;
        }
        wipe(response);
        return failed_step("the exchange is over");
    }

private:
    enum class State { want_user, want_password, over };

    Step take_user(std::string user)
    {
        state_ = State::over;
        if (user.empty())
            return failed_step("LOGIN user name is empty");
        if (user.size() > max_field_size)
            return failed_step("LOGIN user name too long");
        if (user.find('\0') != std::string::npos)
            return failed_step("LOGIN user name holds a NUL");
        user_ = std::move(user);
        state_ = State::want_password;
        return challenge_step("Password:");
    }

    Step take_password(std::string password)
    {
        state_ = State::over;
        Step step;
        if (password.size() > max_field_size)
            step = failed_step("LOGIN password too long");
        else if (password.find('\0') != std::string::npos)
            step = failed_step("LOGIN password holds a NUL");
        else
            return verify_step(PasswordCredentials{std::move(user_), std::move(password)});
        wipe(password);
        return step;
    }

    State state_ = State::over;
    std::string user_;
};

} // namespace

std::unique_ptr<Exchange> make_login_exchange()
{
    return std::make_unique<LoginExchange>();
}

} // namespace poplar::auth::sasl

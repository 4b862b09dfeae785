// Login: passdb, mailbox, failure delay (see login.hpp).
#include "net/login.hpp"

#include "net/blocking_pool.hpp"
#include "net/log.hpp"
#include "protocol/reply.hpp"
#include "store/mail_path.hpp"
#include "store/maildir.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

namespace poplar::net {
namespace {

asio::awaitable<void> failure_delay(const Runtime& runtime) {
    asio::steady_timer timer(co_await asio::this_coro::executor, runtime.config.auth_failure_delay);
    co_await timer.async_wait(asio::use_awaitable);
}

protocol::LoginStatus to_login_status(store::OpenStatus status) {
    switch (status) {
    case store::OpenStatus::ok: return protocol::LoginStatus::ok;
    case store::OpenStatus::in_use: return protocol::LoginStatus::in_use;
    case store::OpenStatus::temporary: return protocol::LoginStatus::temporary_failure;
    case store::OpenStatus::permanent: return protocol::LoginStatus::permanent_failure;
    }
    return protocol::LoginStatus::temporary_failure;
}

} // namespace

asio::awaitable<protocol::LoginResult> perform_login(auth::Credentials credentials, const Runtime& runtime,
                                                     asio::thread_pool& pool, const std::string& client_ip) {
    const std::string shown_user = protocol::sanitize_for_log(auth::user_of(credentials));
    auth::VerifyResult verified =
        co_await run_blocking(pool, [&] { return runtime.passdb->verify(credentials); });
    if (auto* password = std::get_if<auth::PasswordCredentials>(&credentials)) {
        auth::wipe(password->password);
    }

    protocol::LoginResult result;
    if (verified.status != auth::VerifyStatus::ok) {
        const bool temporary = verified.status == auth::VerifyStatus::temporary_failure;
        log("login failed user={} ip={} reason={}", shown_user, client_ip,
            temporary ? "passdb-unavailable" : "bad-credentials");
        co_await failure_delay(runtime);
        result.status = temporary ? protocol::LoginStatus::temporary_failure : protocol::LoginStatus::bad_credentials;
        co_return result;
    }

    const auto path = store::expand_mail_path(runtime.config.mail_path, verified.user.name, verified.user.home);
    if (!path) {
        log("login failed user={} ip={} reason=unusable-mail-path", shown_user, client_ip);
        result.status = protocol::LoginStatus::permanent_failure;
        co_return result;
    }
    // uid/gid 0 in the passwd-file means "not given" (Dovecot's empty field);
    // -1 leaves that one as it is (chown(2)).
    std::optional<store::MaildirOwner> owner;
    if (verified.user.uid != 0 || verified.user.gid != 0) {
        owner = store::MaildirOwner{verified.user.uid != 0 ? verified.user.uid : static_cast<uid_t>(-1),
                                    verified.user.gid != 0 ? verified.user.gid : static_cast<gid_t>(-1)};
    }
    store::OpenResult opened = co_await run_blocking(pool, [&] { return store::open_maildir(*path, owner); });
    result.status = to_login_status(opened.status);
    if (opened.status != store::OpenStatus::ok) {
        log("login failed user={} ip={} reason={} detail={}", shown_user, client_ip,
            opened.status == store::OpenStatus::in_use ? "in-use" : "mailbox-unavailable",
            protocol::sanitize_for_log(opened.detail, 200));
        co_return result;
    }
    result.user = verified.user.name;
    result.mailbox = std::move(opened.mailbox);
    co_return result;
}

} // namespace poplar::net

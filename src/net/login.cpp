// Login: passdb, mailbox, failure delay (see login.hpp).
#include "net/login.hpp"

#include "config/checks.hpp"
#include "net/blocking_pool.hpp"
#include "net/log.hpp"
#include "protocol/reply.hpp"
#include "store/mail_path.hpp"
#include "store/maildir.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

#include <chrono>
#include <filesystem>
#include <optional>

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

// The credentials checked: by the passdb, or already by a SASL exchange
// (SCRAM proves the password itself, against secrets the passdb gave it).
auth::VerifyResult verify(const auth::Credentials& credentials, const Runtime& runtime) {
    if (const auto* proven = std::get_if<auth::ProvenUser>(&credentials)) {
        return auth::VerifyResult{auth::VerifyStatus::ok, proven->user, "scram"};
    }
    if (const auto* failed = std::get_if<auth::FailedExchange>(&credentials)) {
        return auth::VerifyResult{auth::VerifyStatus::bad_credentials, {}, failed->reason};
    }
    return runtime.passdb->verify(credentials);
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// RFC 2449 EXPIRE for this user, from the passwd-file or the server's.
std::optional<unsigned> user_expire_days(const auth::UserInfo& user, const Runtime& runtime,
                                         const std::string& shown_user) {
    std::optional<std::string> ignored;
    const auto days = config::user_expire_days(user.extra, runtime.config, ignored);
    if (ignored) {
        log("passwd-file user={} has pop3_expire_days={}, not \"never\" or 0..36500; using the server's expire",
            shown_user, protocol::sanitize_for_log(*ignored));
    }
    return days;
}

// What the blocking half of a login found: the passdb's answer and, when it
// said yes and the user's mail path expands, the opened mailbox.
struct VerifiedAndOpened {
    auth::VerifyResult verified;
    std::optional<std::filesystem::path> path;
    store::OpenResult opened;
};

// Runs on the pool, as one hand-off: the passdb check and the mailbox open
// both may block (a passwd-file re-read, a hash, a Maildir scan), and one trip
// to the pool and back costs a login less than two. The password is wiped as
// soon as it is checked, before the mailbox is opened.
VerifiedAndOpened verify_and_open(auth::Credentials& credentials, const Runtime& runtime) {
    VerifiedAndOpened result{verify(credentials, runtime), std::nullopt, {}};
    if (auto* password = std::get_if<auth::PasswordCredentials>(&credentials)) {
        auth::wipe(password->password);
    }
    if (result.verified.status != auth::VerifyStatus::ok) {
        return result;
    }
    const auth::UserInfo& user = result.verified.user;
    result.path = store::expand_mail_path(runtime.config.mail_path, user.name, user.home);
    if (result.path) {
        result.opened = store::open_maildir(*result.path, store::maildir_owner(user.uid, user.gid));
    }
    return result;
}

} // namespace

asio::awaitable<protocol::LoginResult> perform_login(auth::Credentials credentials, const Runtime& runtime,
                                                     asio::thread_pool& pool, const std::string& client_ip) {
    const std::string shown_user = protocol::sanitize_for_log(auth::user_of(credentials));
    VerifiedAndOpened done = co_await run_blocking(pool, [&] { return verify_and_open(credentials, runtime); });
    const auth::VerifyResult& verified = done.verified;
    store::OpenResult& opened = done.opened;

    protocol::LoginResult result;
    if (verified.status != auth::VerifyStatus::ok) {
        const bool temporary = verified.status == auth::VerifyStatus::temporary_failure;
        log("login failed user={} ip={} reason={}", shown_user, client_ip,
            temporary ? "passdb-unavailable" : "bad-credentials");
        co_await failure_delay(runtime);
        result.status = temporary ? protocol::LoginStatus::temporary_failure : protocol::LoginStatus::bad_credentials;
        co_return result;
    }
    if (!done.path) {
        log("login failed user={} ip={} reason=unusable-mail-path", shown_user, client_ip);
        result.status = protocol::LoginStatus::permanent_failure;
        co_return result;
    }
    result.status = to_login_status(opened.status);
    if (opened.status != store::OpenStatus::ok) {
        log("login failed user={} ip={} reason={} detail={}", shown_user, client_ip,
            opened.status == store::OpenStatus::in_use ? "in-use" : "mailbox-unavailable",
            protocol::sanitize_for_log(opened.detail, 200));
        co_return result;
    }
    // RFC 2449 LOGIN-DELAY, checked only after the password was right, so
    // that it tells nothing about which users exist.
    const auto delay = runtime.config.login_delay.count();
    if (delay > 0) {
        const std::int64_t now = unix_now();
        const auto previous = opened.mailbox->previous_login();
        if (previous && now >= *previous && now - *previous < delay) {
            log("login refused user={} ip={} reason=login-delay", shown_user, client_ip);
            result.status = protocol::LoginStatus::login_delay;
            co_return result;  // the mailbox and its lock go with `opened`
        }
        if (const auto ec = co_await run_blocking(pool, [&] { return opened.mailbox->record_login(now); })) {
            log("cannot record login time user={} error={}", shown_user, ec.message());
        }
    }
    result.user = verified.user.name;
    result.expire_days = user_expire_days(verified.user, runtime, shown_user);
    result.mailbox = std::move(opened.mailbox);
    co_return result;
}

} // namespace poplar::net

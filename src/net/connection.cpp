// The per-connection loop (see connection.hpp).
#include "net/connection.hpp"

#include "auth/channel_binding.hpp"
#include "config/checks.hpp"
#include "net/blocking_pool.hpp"
#include "net/connection_registry.hpp"
#include "net/log.hpp"
#include "net/login.hpp"
#include "protocol/body_source.hpp"
#include "protocol/reply.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace poplar::net {
namespace {

// Replies are gathered and written in one write per pipelined batch; past this
// size they are written at once, so output is never queued without bound. As
// large as a body chunk: a RETR of 5 MiB is then about 20 writes.
constexpr std::size_t flush_threshold = protocol::body_raw_chunk;

// The reply buffer keeps up to this much room between batches (a small
// session's replies fit); what a large RETR grew it to is given back before
// the connection waits for its next command, so an idle session stays small.
constexpr std::size_t idle_reply_capacity = 16 * 1024;

// RFC 1939 section 7: the APOP timestamp is unique per greeting.
std::string make_apop_timestamp(const std::string& hostname) {
    unsigned char random[8];
    if (RAND_bytes(random, sizeof random) != 1) {
        std::abort();  // no randomness: nothing safe to do
    }
    std::uint64_t nonce = 0;
    for (unsigned char byte : random) {
        nonce = (nonce << 8) | byte;
    }
    return fmt::format("<{}.{:016x}@{}>", ::getpid(), nonce, hostname);
}

protocol::SessionSettings session_settings(const Runtime& runtime, const Listener& listener, bool loopback) {
    protocol::SessionSettings settings;
    settings.tls_active = listener.implicit_tls;
    settings.stls_offered = !listener.implicit_tls && runtime.tls != nullptr;
    // Dovecot's rule: a password may cross the network only inside TLS; on
    // loopback it never crosses a network at all.
    const auto& allowed = runtime.config.allow_plaintext_auth;
    settings.plaintext_auth_allowed = listener.implicit_tls || loopback ||
                                      std::find(allowed.begin(), allowed.end(), listener.address) != allowed.end();
    settings.hostname = runtime.hostname;
    if (runtime.config.apop) {
        settings.apop_timestamp = make_apop_timestamp(runtime.hostname);
    }
    settings.last_command = runtime.config.last_command;
    for (const auto& name : runtime.config.auth_mechanisms) {
        // The config check accepts only names this table knows.
        if (const auto mechanism = auth::sasl::parse_mechanism(name)) settings.sasl_mechanisms.push_back(*mechanism);
    }
    settings.expire_days = config::expire_days(runtime.config.expire);
    settings.login_delay_seconds = static_cast<std::uint32_t>(runtime.config.login_delay.count());
    settings.expire_at_quit = runtime.config.expire_at_quit;
    settings.max_bad_commands_before_login = runtime.config.max_bad_commands_before_login;
    settings.max_bad_commands = runtime.config.max_bad_commands;
    return settings;
}

std::optional<asio::ip::address> peer_address(const asio::ip::tcp::socket& socket) {
    asio::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return std::nullopt;
    return endpoint.address();
}

std::string peer_ip(const asio::ip::tcp::socket& socket) {
    const auto address = peer_address(socket);
    return address ? address->to_string() : std::string("unknown");
}

bool on_loopback(const asio::ip::tcp::socket& socket) {
    const auto address = peer_address(socket);
    if (!address) return false;
    if (address->is_v6() && address->to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address->to_v6()).is_loopback();
    }
    return address->is_loopback();
}

} // namespace

Connection::Connection(asio::ip::tcp::socket socket, const Listener& listener, ServerContext& server)
    : transport_(std::move(socket)),
      server_(server),
      runtime_(server.runtime()),
      listener_(listener),
      client_ip_(peer_ip(transport_.socket())),
      client_on_loopback_(on_loopback(transport_.socket())),
      session_(session_settings(*runtime_, listener_, client_on_loopback_)),
      framer_(runtime_->config.max_line_length),
      timer_(transport_.socket().get_executor()),
      connected_at_(std::chrono::steady_clock::now()) {}

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
    co_await self->finish_and_log();
}

asio::awaitable<void> Connection::finish_and_log() {
    std::optional<protocol::EndReason> reason;
    try {
        co_await serve();
    } catch (const std::exception& e) {
        // A disk or network failure in the middle of a reply: the session
        // cannot go on, but the server does, and no mark is applied.
        log("session error ip={} error={}", client_ip_, protocol::sanitize_for_log(e.what(), 200));
        reason = protocol::EndReason::io_error;
    } catch (const store::MessageGone&) {
        reason = protocol::EndReason::io_error;
    }
    finished_ = true;
    timer_.cancel();
    transport_.close();

    const auto& stats = session_.stats();
    if (!reason) reason = stats.end;
    if (!reason) reason = end_reason_;
    if (!reason && timed_out_) reason = protocol::EndReason::idle_timeout;
    if (!reason) reason = shutting_down_ ? protocol::EndReason::shutdown : protocol::EndReason::dropped;
    // The mailbox lock goes before the log line, so that a client (or a test)
    // that reconnects on seeing the session end never meets [IN-USE].
    session_.release(*reason);
    log("session end user={} ip={} retrieved={} bytes={} deleted={} reason={}",
        stats.user.empty() ? "-" : protocol::sanitize_for_log(stats.user), client_ip_, stats.retrieved,
        stats.retrieved_octets, stats.deleted, protocol::to_string(*reason));
    // Last: shutdown waits for the registry to empty, so the log line is out first.
    server_.registry.remove(this);
}

void Connection::request_shutdown() {
    shutting_down_ = true;
    transport_.cancel();
}

void Connection::arm_deadline() {
    using duration = std::chrono::steady_clock::duration;
    const auto& config = runtime_->config;
    if (in_handshake_) {
        // A handshake has its own, shorter allowance, within the login one.
        deadline_ = std::min(connected_at_ + std::chrono::duration_cast<duration>(config.login_timeout),
                             std::chrono::steady_clock::now() +
                                 std::chrono::duration_cast<duration>(config.tls_handshake_timeout));
    } else if (session_.state() == protocol::SessionState::transaction) {
        // RFC 1939 section 3: an inactivity timer, restarted by any activity.
        deadline_ = std::chrono::steady_clock::now() + std::chrono::duration_cast<duration>(config.idle_timeout);
    } else {
        // Before login the allowance is a total since connect: a client that
        // trickles a byte at a time must not hold a slot for ever.
        deadline_ = connected_at_ + std::chrono::duration_cast<duration>(config.login_timeout);
    }
    // The watchdog sleeps until the old deadline and re-arms itself then; only
    // an earlier deadline needs to wake it now.
    if (timer_.expiry() > deadline_) {
        timer_.cancel();
    }
}

void Connection::suspend_deadline() {
    // The server is working for the client (hashing, scanning, UPDATE): that
    // time is not the client's idleness. arm_deadline() ends the pause.
    deadline_ = std::chrono::steady_clock::time_point::max();
}

asio::awaitable<void> Connection::watchdog() {
    auto self = shared_from_this();
    while (!finished_) {
        timer_.expires_at(deadline_);
        asio::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (finished_) {
            co_return;
        }
        if (std::chrono::steady_clock::now() >= deadline_) {
            timed_out_ = true;
            transport_.cancel();
            co_return;
        }
    }
}

void Connection::send_last_words(const std::string& text) {
    // One short line, best effort and without waiting: a client that stopped
    // reading must not hold the session open.
    if (transport_.tls_active() || listener_.implicit_tls) {
        return;  // no TLS session to say it in: the close says it
    }
    asio::error_code ec;
    transport_.socket().non_blocking(true, ec);
    if (!ec) {
        transport_.socket().write_some(asio::buffer(text), ec);
    }
}

asio::awaitable<bool> Connection::flush() {
    // The flags first: a cancel that found no pending operation must still
    // end the session.
    if (shutting_down_ || timed_out_) {
        co_return false;
    }
    if (pending_.empty()) {
        co_return true;
    }
    arm_deadline();
    asio::error_code ec;
    co_await transport_.write(asio::buffer(pending_), ec);
    pending_.clear();
    co_return !ec;
}

asio::awaitable<bool> Connection::start_tls() {
    // A shutdown requested while the STLS reply was being written found no
    // pending operation to cancel: the flags first, as before every read.
    if (shutting_down_) co_return false;
    in_handshake_ = true;
    arm_deadline();
    asio::error_code ec;
    co_await transport_.start_tls(runtime_->tls, ec);
    in_handshake_ = false;
    if (shutting_down_) {
        co_return false;  // the server is stopping: the session ends as a shutdown, not a failure
    }
    if (ec || timed_out_) {
        log("tls handshake failed ip={} reason={}", client_ip_,
            protocol::sanitize_for_log(timed_out_ ? std::string("timeout") : describe_tls_error(ec), 200));
        end_reason_ = protocol::EndReason::tls_failed;
        co_return false;
    }
    arm_deadline();
    co_return true;
}

// A request the session made (login, UPDATE, a message search): the replies
// before it go out first, and the time the server works on it is not counted
// as the client's idleness. nullopt when the replies could not be written.
template <typename Start>
asio::awaitable<std::optional<typename std::invoke_result_t<Start&>::value_type>> Connection::carry_out(Start start) {
    if (!co_await flush()) {
        co_return std::nullopt;
    }
    suspend_deadline();
    auto result = co_await start();
    arm_deadline();
    co_return std::move(result);
}

asio::awaitable<Connection::Flow> Connection::handle(protocol::Output output) {
    pending_ += output.text;
    if (output.body) {
        bool more = true;
        while (more) {
            more = output.body->next(pending_);
            if (pending_.size() >= flush_threshold && !co_await flush()) {
                co_return Flow::stop;
            }
        }
    }
    if (output.login) {
        auto result = co_await carry_out(
            [&] { return perform_login(std::move(*output.login), *runtime_, server_.pool, client_ip_); });
        if (!result) co_return Flow::stop;
        co_return co_await handle(session_.on_login_result(std::move(*result)));
    }
    if (output.update) {
        store::Mailbox* mailbox = session_.mailbox();
        const auto& update = *output.update;
        auto result = co_await carry_out([&] {
            return run_blocking(server_.pool, [&] {
                store::UpdateResult removed = mailbox->remove(update.remove);
                if (!removed.lease_lost && !update.retrieved.empty()) {
                    // Losing this record only delays EXPIRE; it never costs mail.
                    if (const auto ec = mailbox->note_retrieved(update.retrieved, update.now)) {
                        log("cannot record retrievals user={} error={}",
                            protocol::sanitize_for_log(session_.stats().user), ec.message());
                    }
                }
                return removed;
            });
        });
        if (!result) co_return Flow::stop;
        co_return co_await handle(session_.on_update_result(*result));
    }
    if (output.sasl_lookup) {
        const auto& request = *output.sasl_lookup;
        auto lookup = co_await carry_out([&] {
            return run_blocking(server_.pool, [&] { return runtime_->passdb->scram_secrets(request.user, request.hash); });
        });
        if (!lookup) co_return Flow::stop;
        co_return co_await handle(session_.on_sasl_lookup(std::move(*lookup)));
    }
    if (output.open_message) {
        store::Mailbox* mailbox = session_.mailbox();
        const store::StoreId& id = *output.open_message;
        auto opened = co_await carry_out(
            [&] { return run_blocking(server_.pool, [&] { return protocol::open_message_blocking(*mailbox, id); }); });
        if (!opened || shutting_down_ || timed_out_) {
            co_return Flow::stop;  // nothing will be sent: do not count it as retrieved
        }
        co_return co_await handle(session_.on_message_opened(std::move(*opened)));
    }
    if (output.start_tls) {
        // RFC 2595 section 4 and the STARTTLS injection class: whatever the
        // client sent after STLS was sent in the clear and is never executed.
        if (!co_await flush()) co_return Flow::stop;
        framer_.clear();
        if (!co_await start_tls()) co_return Flow::stop;
        session_.on_tls_started(auth::server_channel_bindings(transport_.ssl()));
    }
    if (output.close) {
        if (co_await flush()) {
            co_await transport_.say_goodbye();
        }
        co_return Flow::stop;
    }
    co_return Flow::go_on;
}

asio::awaitable<void> Connection::serve() {
    asio::error_code ec;
    transport_.socket().set_option(asio::ip::tcp::no_delay(true), ec);  // no reply waits on Nagle

    const auto& config = runtime_->config;
    std::optional<ConnectionTicket> ticket =
        server_.limits.try_acquire(client_ip_, config.max_connections, config.max_connections_per_ip);
    if (!ticket) {
        send_last_words(protocol::err("Too many connections; try again later.", protocol::ResponseCode::sys_temp));
        end_reason_ = protocol::EndReason::connection_limit;
        co_return;
    }

    if (shutting_down_ || server_.stopping) {
        shutting_down_ = true;
        co_return;
    }
    arm_deadline();
    asio::co_spawn(executor(), watchdog(), asio::detached);
    if (listener_.implicit_tls) {
        if (!co_await start_tls()) co_return;
        session_.on_tls_started(auth::server_channel_bindings(transport_.ssl()));
    }
    pending_ = session_.greeting();
    if (!co_await flush()) {
        co_return;
    }

    std::string line;
    for (;;) {
        for (;;) {
            const auto status = framer_.next(line);
            if (status == protocol::LineFramer::Status::need_more) {
                break;
            }
            auto output = status == protocol::LineFramer::Status::line ? session_.on_line(line)
                                                                       : session_.on_line_too_long();
            // The line may have been a password: it does not linger.
            auth::wipe(line);
            if (co_await handle(std::move(output)) == Flow::stop) {
                co_return;
            }
        }
        if (!co_await flush()) {
            co_return;
        }
        if (pending_.capacity() > idle_reply_capacity) {
            pending_ = std::string();
        }
        // A cancel that raced with a completed read would be lost: look at
        // the flags before every read instead of trusting the cancel alone.
        if (shutting_down_ || server_.stopping) {
            shutting_down_ = true;
            co_return;
        }
        arm_deadline();
        const std::size_t n = co_await transport_.read_some(asio::buffer(read_buffer_), ec);
        if (ec) {
            if (timed_out_ && !shutting_down_) {
                session_.on_idle_timeout();  // ends the session; RFC 1939 wants no reply
            }
            co_return;
        }
        framer_.feed(std::string_view(read_buffer_.data(), n));
        arm_deadline();
    }
}

} // namespace poplar::net

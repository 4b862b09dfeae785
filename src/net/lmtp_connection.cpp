// The LMTP connection loop (see lmtp_connection.hpp).
#include "net/lmtp_connection.hpp"

#include "net/blocking_pool.hpp"
#include "net/log.hpp"
#include "protocol/reply.hpp"
#include "store/mail_path.hpp"
#include "store/maildir_owner.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>

namespace poplar::net {
namespace {

// Replies are gathered and written once per pipelined batch; past this size
// they go out at once, so output is never queued without bound.
constexpr std::size_t flush_threshold = 64 * 1024;

// Message octets are written to the Maildirs in pieces of this size, on the
// worker pool: memory per connection stays bounded whatever the message size,
// and the next read waits for the write (backpressure on a fast sender).
constexpr std::size_t spool_chunk = 256 * 1024;

protocol::LmtpSettings lmtp_settings(const Runtime& runtime) {
    protocol::LmtpSettings settings;
    settings.hostname = runtime.hostname;
    settings.max_message_size = runtime.config.max_message_size;
    settings.max_bad_commands = runtime.config.max_bad_commands;
    return settings;
}

std::string shown(std::string_view text) { return protocol::sanitize_for_log(text, 200); }

} // namespace

LmtpConnection::LmtpConnection(Socket socket, std::string peer, ServerContext& server)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      server_(server),
      runtime_(server.runtime()),
      session_(lmtp_settings(*runtime_)),
      framer_(runtime_->config.max_line_length),
      timer_(socket_.get_executor()) {}

asio::awaitable<void> LmtpConnection::run(std::shared_ptr<LmtpConnection> self) {
    try {
        co_await self->serve();
    } catch (const std::exception& e) {
        log("lmtp session error peer={} error={}", self->peer_, shown(e.what()));
    }
    // One place says goodbye, whichever wait the shutdown or the timeout
    // interrupted (a read, or the flush of the reply before it).
    if (self->session_.state() != protocol::LmtpState::closed) {
        if (self->shutting_down_) {
            self->send_last_words(self->session_.on_shutdown());
        } else if (self->timed_out_) {
            self->send_last_words(self->session_.on_idle_timeout());
        }
    }
    self->finished_ = true;
    self->timer_.cancel();
    asio::error_code ignored;
    self->socket_.close(ignored);
    // A message whose reply was not sent is not delivered: the open tmp/
    // files go now, and the MTA sends it again.
    self->targets_.clear();
    self->server_.registry.remove(self.get());
}

void LmtpConnection::request_shutdown() {
    shutting_down_ = true;
    asio::error_code ignored;
    socket_.cancel(ignored);
}

void LmtpConnection::arm_deadline() {
    using duration = std::chrono::steady_clock::duration;
    // RFC 5321 section 4.5.3.2 asks a server to wait at least 5 minutes for a
    // command or a piece of DATA; idle_timeout (at least 10 s, 10 min by
    // default) applies to every wait.
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<duration>(runtime_->config.idle_timeout);
    if (timer_.expiry() > deadline_) timer_.cancel();
}

void LmtpConnection::suspend_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }

asio::awaitable<void> LmtpConnection::watchdog() {
    auto self = shared_from_this();
    while (!finished_) {
        timer_.expires_at(deadline_);
        asio::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (finished_) co_return;
        if (std::chrono::steady_clock::now() >= deadline_) {
            timed_out_ = true;
            asio::error_code ignored;
            socket_.cancel(ignored);
            co_return;
        }
    }
}

void LmtpConnection::send_last_words(const std::string& text) {
    // Best effort, without waiting: a client that stopped reading must not
    // hold the connection open.
    asio::error_code ec;
    socket_.non_blocking(true, ec);
    if (!ec) socket_.write_some(asio::buffer(text), ec);
}

asio::awaitable<bool> LmtpConnection::flush() {
    if (ending()) co_return false;
    if (pending_.empty()) co_return true;
    arm_deadline();
    asio::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(pending_), asio::redirect_error(asio::use_awaitable, ec));
    pending_.clear();
    co_return !ec;
}

asio::awaitable<std::size_t> LmtpConnection::read_some(asio::error_code& ec) {
    // A cancel that raced with a completed operation would be lost: look at
    // the flags before every read instead of trusting the cancel alone.
    if (shutting_down_ || server_.stopping) {
        shutting_down_ = true;
        ec = asio::error::operation_aborted;
        co_return 0;
    }
    arm_deadline();
    const std::size_t n =
        co_await socket_.async_read_some(asio::buffer(read_buffer_), asio::redirect_error(asio::use_awaitable, ec));
    co_return n;
}

asio::awaitable<void> LmtpConnection::open_targets(const std::vector<protocol::LmtpRecipient>& recipients) {
    targets_.clear();
    target_of_.clear();
    spool_.clear();
    for (const auto& recipient : recipients) {
        const auto same = std::find_if(targets_.begin(), targets_.end(),
                                       [&](const Target& t) { return t.user.name == recipient.user.name; });
        target_of_.push_back(static_cast<std::size_t>(same - targets_.begin()));
        if (same == targets_.end()) targets_.push_back(Target{recipient.user, nullptr, std::nullopt});
    }
    const auto& config = runtime_->config;
    co_await run_blocking(server_.pool, [&] {
        for (auto& target : targets_) {
            const auto& user = target.user;
            const auto path = store::expand_mail_path(config.mail_path, user.name, user.home);
            if (!path) continue;
            // No size limit here: the session counts the octets as received.
            target.delivery =
                std::make_unique<store::MaildirDelivery>(*path, store::maildir_owner(user.uid, user.gid), 0);
        }
        return 0;
    });
}

asio::awaitable<void> LmtpConnection::write_spool() {
    if (spool_.empty()) co_return;
    suspend_deadline();
    co_await run_blocking(server_.pool, [&] {
        for (auto& target : targets_) {
            if (target.delivery) target.delivery->append(spool_);
        }
        return 0;
    });
    spool_.clear();
}

asio::awaitable<std::vector<store::DeliveryStatus>> LmtpConnection::finish_targets() {
    co_await write_spool();
    suspend_deadline();
    co_await run_blocking(server_.pool, [&] {
        for (auto& target : targets_) {
            if (target.delivery) {
                target.result = target.delivery->finish();
            } else {
                target.result = store::DeliveryResult{store::DeliveryStatus::temporary,
                                                      "mail_path gives no usable Maildir for this user", 0};
            }
        }
        return 0;
    });
    for (const auto& target : targets_) {
        const auto& result = *target.result;
        if (result.status == store::DeliveryStatus::ok) {
            log("lmtp delivered user={} size={} file={}", shown(target.user.name), result.size, shown(result.detail));
        } else {
            log("lmtp refused user={} reason={} detail={}", shown(target.user.name),
                result.status == store::DeliveryStatus::temporary ? "temporary" : "rejected", shown(result.detail));
        }
    }
    std::vector<store::DeliveryStatus> statuses;
    for (const std::size_t target : target_of_) statuses.push_back(targets_[target].result->status);
    targets_.clear();
    co_return statuses;
}

asio::awaitable<LmtpConnection::Flow> LmtpConnection::read_data(std::vector<protocol::LmtpRecipient> recipients) {
    co_await open_targets(recipients);
    if (!co_await flush()) co_return Flow::stop;  // the 354

    // What came after the DATA line in the same read is message content.
    std::string input = framer_.take_buffered();
    for (;;) {
        if (!input.empty()) {
            protocol::LmtpDataStep step = session_.on_data(input);
            spool_ += step.content;
            if (step.end) {
                // Commands pipelined after the final "." go back to the framer.
                framer_.feed(std::string_view(input).substr(step.consumed));
                protocol::LmtpOutput end = std::move(*step.end);
                if (end.deliver) {
                    const auto statuses = co_await finish_targets();
                    if (ending()) co_return Flow::stop;
                    co_return co_await handle(session_.on_delivered(statuses));
                }
                for (const auto& recipient : recipients) {
                    log("lmtp refused user={} reason=too-big limit={}", shown(recipient.user.name),
                        runtime_->config.max_message_size);
                }
                targets_.clear();  // discard: the tmp/ files go
                spool_.clear();
                co_return co_await handle(std::move(end));
            }
            if (spool_.size() >= spool_chunk) co_await write_spool();
        }
        asio::error_code ec;
        const std::size_t n = co_await read_some(ec);
        if (ec) co_return Flow::stop;
        input.assign(read_buffer_.data(), n);
    }
}

asio::awaitable<LmtpConnection::Flow> LmtpConnection::handle(protocol::LmtpOutput output) {
    pending_ += output.text;
    if (pending_.size() >= flush_threshold && !co_await flush()) co_return Flow::stop;
    if (output.lookup) {
        // No flush first: a pipelined MAIL, RCPT..., DATA batch is answered
        // in one write; the lookup is a stat of the passwd-file, not a wait.
        const protocol::RecipientLookup& lookup = *output.lookup;
        auto found = co_await run_blocking(server_.pool, [&] {
            auth::UserSearch result{auth::UserSearch::Status::unknown, {}, {}};
            for (const auto& name : lookup.names) {
                result = runtime_->passdb->find_user(name);
                if (result.status != auth::UserSearch::Status::unknown) break;
            }
            return result;
        });
        if (found.status == auth::UserSearch::Status::unknown) {
            log("lmtp refused rcpt={} reason=unknown-user", shown(lookup.address));
        } else if (found.status == auth::UserSearch::Status::unavailable) {
            log("lmtp refused rcpt={} reason=passdb-unavailable detail={}", shown(lookup.address), shown(found.detail));
        }
        co_return co_await handle(session_.on_recipient_lookup(found));
    }
    if (output.start_data) {
        co_return co_await read_data(std::move(*output.start_data));
    }
    if (output.close) {
        co_await flush();
        co_return Flow::stop;
    }
    co_return Flow::go_on;
}

asio::awaitable<void> LmtpConnection::serve() {
    const auto& config = runtime_->config;
    // LMTP clients are the local MTA: only the total limit applies (its
    // connections all come from one address).
    std::optional<ConnectionTicket> ticket =
        server_.limits.try_acquire(peer_, config.max_connections, config.max_connections);
    if (!ticket) {
        send_last_words(protocol::lmtp_reply(421, "4.3.2", "Too many connections, try again later"));
        co_return;
    }
    if (shutting_down_ || server_.stopping) co_return;
    arm_deadline();
    asio::co_spawn(executor(), watchdog(), asio::detached);
    pending_ = session_.greeting();
    if (!co_await flush()) co_return;

    std::string line;
    for (;;) {
        for (;;) {
            const auto status = framer_.next(line);
            if (status == protocol::LineFramer::Status::need_more) break;
            auto output = status == protocol::LineFramer::Status::line ? session_.on_line(line)
                                                                       : session_.on_line_too_long();
            if (co_await handle(std::move(output)) == Flow::stop) co_return;
        }
        if (!co_await flush()) co_return;
        asio::error_code ec;
        const std::size_t n = co_await read_some(ec);
        if (ec) co_return;
        framer_.feed(std::string_view(read_buffer_.data(), n));
    }
}

} // namespace poplar::net

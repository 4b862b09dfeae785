// One LMTP client connection (an MTA such as Postfix): the loop that drives a
// protocol::LmtpSession over a unix or loopback TCP socket, looks recipients
// up and stores each message into the recipients' Maildirs on the worker pool.
#pragma once

#include "net/connection.hpp"
#include "net/connection_registry.hpp"
#include "protocol/line_framer.hpp"
#include "protocol/lmtp_session.hpp"
#include "store/maildir_delivery.hpp"

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poplar::net {

class LmtpConnection final : public Stoppable, public std::enable_shared_from_this<LmtpConnection> {
public:
    using Socket = asio::generic::stream_protocol::socket;

    // `peer` names the client in the log: its IP for TCP, "unix" for a unix socket.
    LmtpConnection(Socket socket, std::string peer, ServerContext& server);

    // Runs the session to its end. Never throws. The connection must already
    // be in the server's registry; `self` keeps it alive while this runs.
    static asio::awaitable<void> run(std::shared_ptr<LmtpConnection> self);

    // Ends the session at the next opportunity (SIGTERM): a message not yet
    // answered is not delivered, and the MTA sends it again later.
    void request_shutdown() override;
    asio::any_io_executor executor() override { return socket_.get_executor(); }

private:
    enum class Flow { go_on, stop };

    // One Maildir the message goes to; recipients that are the same user share one.
    struct Target {
        auth::UserInfo user;
        std::unique_ptr<store::MaildirDelivery> delivery;  // null: no usable mail_path for the user
        std::optional<store::DeliveryResult> result;
    };

    asio::awaitable<void> serve();
    asio::awaitable<void> watchdog();
    asio::awaitable<Flow> handle(protocol::LmtpOutput output);
    asio::awaitable<Flow> read_data(std::vector<protocol::LmtpRecipient> recipients);
    asio::awaitable<void> open_targets(const std::vector<protocol::LmtpRecipient>& recipients);
    asio::awaitable<void> write_spool();
    asio::awaitable<std::vector<store::DeliveryStatus>> finish_targets();
    asio::awaitable<bool> flush();
    asio::awaitable<std::size_t> read_some(asio::error_code& ec);
    void arm_deadline();
    void suspend_deadline();
    void send_last_words(const std::string& text);
    bool ending() const { return shutting_down_ || timed_out_; }

    Socket socket_;
    std::string peer_;
    ServerContext& server_;
    std::shared_ptr<const Runtime> runtime_;
    protocol::LmtpSession session_;
    protocol::LineFramer framer_;
    std::string pending_;  // replies not yet written: one write per batch
    std::array<char, 16 * 1024> read_buffer_{};
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point deadline_;
    std::vector<Target> targets_;               // of the DATA being read
    std::vector<std::size_t> target_of_;        // recipient index -> targets_ index
    std::string spool_;                         // message octets not yet written to the targets
    bool timed_out_ = false;
    bool shutting_down_ = false;
    bool finished_ = false;
};

} // namespace poplar::net

// One client connection: the read-dispatch-write loop that drives a
// protocol::Session over a TCP socket, with its idle deadline.
#pragma once

#include "net/connection_limits.hpp"
#include "net/connection_registry.hpp"
#include "net/runtime.hpp"
#include "net/transport.hpp"
#include "protocol/line_framer.hpp"
#include "protocol/session.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace poplar::net {

// What a connection needs to know about the socket it was accepted on.
struct Listener {
    std::string address;       // as written in the config (listen or listen_tls)
    bool implicit_tls = false; // listen_tls: TLS from the first byte
};

// What every connection shares with the server.
struct ServerContext {
    asio::thread_pool& pool;
    ConnectionLimits& limits;
    ConnectionRegistry& registry;
    // Set once at shutdown, before connections are told to stop: a connection
    // that starts or reads after that ends at once.
    const std::atomic<bool>& stopping;
    std::function<std::shared_ptr<const Runtime>()> runtime;
};

class Connection final : public Stoppable, public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::ip::tcp::socket socket, const Listener& listener, ServerContext& server);

    // Runs the session to its end, then logs one line about it. Never throws.
    // The connection must already be in the server's registry.
    // `self` keeps the connection alive for as long as the coroutine runs.
    static asio::awaitable<void> run(std::shared_ptr<Connection> self);

    // Ends the session at the next opportunity without applying any DELE
    // mark (SIGTERM). Must be called on the connection's executor.
    void request_shutdown() override;

    // The loop this connection lives on.
    asio::any_io_executor executor() override { return transport_.socket().get_executor(); }

private:
    enum class Flow { go_on, stop };

    asio::awaitable<void> finish_and_log();
    asio::awaitable<void> serve();
    asio::awaitable<void> watchdog();
    asio::awaitable<Flow> handle(protocol::Output output);
    template <typename Start>
    asio::awaitable<std::optional<typename std::invoke_result_t<Start&>::value_type>> carry_out(Start start);
    asio::awaitable<bool> flush();
    asio::awaitable<bool> start_tls();
    void arm_deadline();
    void suspend_deadline();
    void send_last_words(const std::string& text);

    Transport transport_;
    ServerContext& server_;
    std::shared_ptr<const Runtime> runtime_;
    Listener listener_;
    std::string client_ip_;
    bool client_on_loopback_ = false;
    protocol::Session session_;
    protocol::LineFramer framer_;
    std::string pending_;  // replies not yet written: one write per batch
    // Every connection holds this while it idles, so it is small: a POP3
    // command is at most 255 octets (RFC 2449 section 4) and a pipelined
    // batch of 64 fits; a longer SASL line just takes more than one read.
    std::array<char, 2 * 1024> read_buffer_{};
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point connected_at_;
    std::chrono::steady_clock::time_point deadline_;
    std::optional<protocol::EndReason> end_reason_;  // set by the network side
    bool timed_out_ = false;
    bool in_handshake_ = false;
    bool shutting_down_ = false;
    bool finished_ = false;
};

} // namespace poplar::net

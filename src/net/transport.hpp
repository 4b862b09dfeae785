// The byte stream under a session: a TCP socket, with TLS on top once it has
// started (from the first byte on a listen_tls socket, or after STLS). The
// session above never knows which; the connection swaps the stream in place.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>

#include <memory>
#include <optional>
#include <string>

namespace poplar::net {

class Transport {
public:
    explicit Transport(asio::ip::tcp::socket socket);

    // Reads what has arrived; 0 with `ec` set at the end or on error.
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, asio::error_code& ec);

    // Writes all of `bytes`.
    asio::awaitable<void> write(asio::const_buffer bytes, asio::error_code& ec);

    // Runs the server side of a TLS handshake with `context`, which the
    // transport keeps alive. After success every read and write is encrypted.
    asio::awaitable<void> start_tls(std::shared_ptr<asio::ssl::context> context, asio::error_code& ec);

    // Sends TLS close_notify without waiting for the client's (a client that
    // closes first is fine); nothing for plain TCP.
    asio::awaitable<void> say_goodbye();

    bool tls_active() const { return tls_ != nullptr; }
    // The OpenSSL connection once TLS is active (channel binding, version), else null.
    SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

    asio::ip::tcp::socket& socket() { return socket_; }

    // Cancels pending reads and writes (idle timeout, shutdown).
    void cancel();
    void close();

private:
    asio::ip::tcp::socket socket_;
    std::shared_ptr<asio::ssl::context> context_;
    std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

// Why a TLS handshake failed, in words for the log: "timeout", "no shared
// cipher", "wrong version number", "connection closed".
std::string describe_tls_error(const asio::error_code& ec);

} // namespace poplar::net

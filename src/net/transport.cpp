// The session's byte stream (see transport.hpp).
#include "net/transport.hpp"

#include <asio/error.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <openssl/err.h>

namespace poplar::net {
namespace {

// How long a closing TLS session waits for the client's close_notify.
constexpr auto goodbye_limit = std::chrono::milliseconds(500);

} // namespace

Transport::Transport(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

asio::awaitable<std::size_t> Transport::read_some(asio::mutable_buffer buffer, asio::error_code& ec) {
    if (tls_) {
        co_return co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Transport::write(asio::const_buffer bytes, asio::error_code& ec) {
    if (tls_) {
        co_await asio::async_write(*tls_, bytes, asio::redirect_error(asio::use_awaitable, ec));
    } else {
        co_await asio::async_write(socket_, bytes, asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Transport::start_tls(std::shared_ptr<asio::ssl::context> context, asio::error_code& ec) {
    context_ = std::move(context);
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *context_);
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Transport::say_goodbye() {
    if (!tls_) co_return;
    // async_shutdown writes close_notify, then waits for the client's: most
    // clients close at once, but one that does not must not hold the
    // connection, so the wait is bounded.
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer limit(socket_.get_executor(), goodbye_limit);
    asio::error_code shutdown_ec;
    asio::error_code timer_ec;
    co_await (tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, shutdown_ec)) ||
              limit.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
}

void Transport::cancel() {
    asio::error_code ignored;
    socket_.cancel(ignored);
}

void Transport::close() {
    asio::error_code ignored;
    socket_.close(ignored);
}

std::string describe_tls_error(const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return "timeout";
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return "connection closed";
    if (ec.category() == asio::error::get_ssl_category()) {
        const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
        if (reason != nullptr) return reason;
    }
    return ec.message();
}

} // namespace poplar::net

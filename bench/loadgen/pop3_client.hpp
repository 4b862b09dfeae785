// One POP3 connection of the load generator: the scripted sessions and every check on the replies.
#pragma once

#include "line_reader.hpp"

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

enum class Script {
    full,   // login, STAT, UIDL, LIST, RETR each message (DELE each if asked), QUIT
    stat,   // login, STAT, QUIT: the time to the STAT reply
    uidl,   // login, STAT, UIDL (timed alone), QUIT
    greet,  // the greeting, then the server's close (the greet-and-close ceiling)
};

struct SessionOptions {
    Script script = Script::full;
    bool pipelining = false;     // send each batch of commands at once
    bool dele = false;           // DELE every message after its RETR
    std::size_t buffer_size = 64 * 1024;
};

// What one session measured; times in milliseconds from the connect.
struct SessionResult {
    double login_ms = 0;    // until the +OK to PASS
    double stat_ms = 0;     // until the STAT reply
    double uidl_ms = 0;     // the UIDL command alone, sent to terminator
    double session_ms = 0;  // until the +OK to QUIT (greet: until the server's close)
    std::uint64_t messages = 0;  // messages retrieved
    std::uint64_t octets = 0;    // message octets retrieved (unstuffed, CRLF line ends)
};

// A connection; the socket is exposed so that a watchdog can close it when it
// makes no progress (the pending operation then fails and the session with it).
class Pop3Client {
public:
    Pop3Client(asio::any_io_executor executor, const SessionOptions& options)
        : socket_(executor), options_(options) {}

    // A whole session per the options; throws ReplyError or asio::system_error.
    asio::awaitable<SessionResult> run(const asio::ip::tcp::endpoint& server, const std::string& user,
                                       const std::string& password);

    // Connects and logs in (USER/PASS, then STAT) and stays: an idle logged-in session.
    asio::awaitable<void> open_idle(const asio::ip::tcp::endpoint& server, const std::string& user,
                                    const std::string& password);
    // Ends an idle session with QUIT.
    asio::awaitable<void> quit();

    asio::ip::tcp::socket& socket() { return socket_; }
    std::chrono::steady_clock::time_point last_io() const { return last_io_; }

private:
    using clock = std::chrono::steady_clock;

    asio::awaitable<void> connect(const asio::ip::tcp::endpoint& server);
    asio::awaitable<void> send(const std::string& commands);
    asio::awaitable<std::string_view> status_line(std::string_view command);
    asio::awaitable<void> login(const std::string& user, const std::string& password);
    asio::awaitable<std::pair<std::uint64_t, std::uint64_t>> stat_reply();
    asio::awaitable<void> uidl_reply(std::uint64_t count);
    asio::awaitable<std::vector<std::uint64_t>> list_reply(std::uint64_t count, std::uint64_t total);
    asio::awaitable<std::uint64_t> retr_reply(std::uint64_t number, std::uint64_t size);
    asio::awaitable<void> quit_reply();
    asio::awaitable<void> expect_close();
    double since_start() const;

    asio::ip::tcp::socket socket_;
    SessionOptions options_;
    clock::time_point started_{};
    clock::time_point last_io_{};
    std::optional<LineReader> reader_;
    std::string out_;
};

}  // namespace loadgen

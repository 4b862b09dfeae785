// The POP3 sessions of the load generator (see pop3_client.hpp).
#include "pop3_client.hpp"

#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include <charconv>

namespace loadgen {
namespace {

// At most this many commands are sent in one pipelined batch, so that the
// client never writes much while the server waits for it to read.
constexpr std::size_t pipeline_window = 64;

bool is_ok(std::string_view line) { return line == "+OK" || line.starts_with("+OK "); }

// A decimal field of a reply, parsed to its end.
std::uint64_t number(std::string_view text, std::string_view what, std::string_view line) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        throw ReplyError(fmt::format("bad {} in {}", what, quoted(line)));
    }
    return value;
}

// "a b" -> {"a", "b"}; the rest after the second field is ignored (RFC 1939
// allows more text after the scan listing).
std::pair<std::string_view, std::string_view> two_fields(std::string_view line) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return {line, {}};
    auto rest = line.substr(space + 1);
    return {line.substr(0, space), rest.substr(0, rest.find(' '))};
}

}  // namespace

double Pop3Client::since_start() const {
    return std::chrono::duration<double, std::milli>(clock::now() - started_).count();
}

asio::awaitable<void> Pop3Client::connect(const asio::ip::tcp::endpoint& server) {
    started_ = last_io_ = clock::now();
    reader_.emplace(socket_, last_io_, options_.buffer_size);
    co_await socket_.async_connect(server, asio::use_awaitable);
    socket_.set_option(asio::ip::tcp::no_delay(true));
    last_io_ = clock::now();
}

asio::awaitable<void> Pop3Client::send(const std::string& commands) {
    co_await asio::async_write(socket_, asio::buffer(commands), asio::use_awaitable);
    last_io_ = clock::now();
}

// One status line that must be +OK; command names the command in errors.
asio::awaitable<std::string_view> Pop3Client::status_line(std::string_view command) {
    std::string_view line;
    while (!reader_->next_line(line)) co_await reader_->fill();
    if (reader_->bare_lf()) throw ReplyError(fmt::format("{}: a line ended in a bare LF", command));
    if (!is_ok(line)) throw ReplyError(fmt::format("{}: {}", command, quoted(line)));
    co_return line;
}

asio::awaitable<void> Pop3Client::login(const std::string& user, const std::string& password) {
    if (options_.pipelining) {
        // The first batch: everything that needs no earlier answer.
        out_ = fmt::format("USER {}\r\nPASS {}\r\n", user, password);
        out_ += "STAT\r\n";
        if (options_.script == Script::full) out_ += "UIDL\r\nLIST\r\n";
        co_await send(out_);
        co_await status_line("USER");
        co_await status_line("PASS");
    } else {
        co_await send(fmt::format("USER {}\r\n", user));
        co_await status_line("USER");
        co_await send(fmt::format("PASS {}\r\n", password));
        co_await status_line("PASS");
    }
}

asio::awaitable<std::pair<std::uint64_t, std::uint64_t>> Pop3Client::stat_reply() {
    const auto line = co_await status_line("STAT");
    const auto [count, size] = two_fields(line.substr(line.find(' ') + 1));
    co_return std::pair{number(count, "message count", line), number(size, "mailbox size", line)};
}

// The scan listings of UIDL: "n uid", n from 1 to count in order.
asio::awaitable<void> Pop3Client::uidl_reply(std::uint64_t count) {
    co_await status_line("UIDL");
    std::uint64_t seen = 0;
    for (std::string_view line;;) {
        while (!reader_->next_line(line)) co_await reader_->fill();
        if (line == ".") break;
        const auto [n, uid] = two_fields(line);
        if (number(n, "UIDL message number", line) != ++seen || uid.empty() || uid.size() > 70) {
            throw ReplyError(fmt::format("UIDL: unexpected line {}", quoted(line)));
        }
    }
    if (reader_->bare_lf()) throw ReplyError("UIDL: a line ended in a bare LF");
    if (seen != count) throw ReplyError(fmt::format("UIDL listed {} messages, STAT said {}", seen, count));
}

// The sizes of LIST, which must add up to STAT's total.
asio::awaitable<std::vector<std::uint64_t>> Pop3Client::list_reply(std::uint64_t count, std::uint64_t total) {
    co_await status_line("LIST");
    std::vector<std::uint64_t> sizes;
    sizes.reserve(count);
    std::uint64_t sum = 0;
    for (std::string_view line;;) {
        while (!reader_->next_line(line)) co_await reader_->fill();
        if (line == ".") break;
        const auto [n, size] = two_fields(line);
        if (number(n, "LIST message number", line) != sizes.size() + 1) {
            throw ReplyError(fmt::format("LIST: unexpected line {}", quoted(line)));
        }
        sizes.push_back(number(size, "LIST size", line));
        sum += sizes.back();
    }
    if (reader_->bare_lf()) throw ReplyError("LIST: a line ended in a bare LF");
    if (sizes.size() != count || sum != total) {
        throw ReplyError(fmt::format("LIST: {} messages of {} octets, STAT said {} of {}", sizes.size(), sum, count,
                                     total));
    }
    co_return sizes;
}

// A message: dot-unstuffed, counted with CRLF line ends, which must give the
// size LIST reported (RFC 1939: the size is the octets RETR sends, before
// byte-stuffing). Returns the octets.
asio::awaitable<std::uint64_t> Pop3Client::retr_reply(std::uint64_t number, std::uint64_t size) {
    co_await status_line("RETR");
    std::uint64_t octets = 0;
    for (std::string_view line;;) {
        while (!reader_->next_line(line)) co_await reader_->fill();
        if (!line.empty() && line[0] == '.') {
            if (line.size() == 1) break;
            line.remove_prefix(1);  // byte-stuffed
        }
        octets += line.size() + 2;
    }
    if (reader_->bare_lf()) throw ReplyError(fmt::format("RETR {}: a line ended in a bare LF", number));
    if (octets != size) {
        throw ReplyError(fmt::format("RETR {}: {} octets after unstuffing, LIST said {}", number, octets, size));
    }
    co_return octets;
}

asio::awaitable<void> Pop3Client::quit_reply() {
    co_await status_line("QUIT");
    co_await expect_close();
}

// After QUIT's +OK the server closes; waiting for that (rather than closing
// first) leaves the TIME-WAIT state on the server's side, so a long run never
// runs out of the client's ephemeral ports.
asio::awaitable<void> Pop3Client::expect_close() {
    std::string_view line;
    if (reader_->next_line(line) || reader_->buffered() > 0) {
        throw ReplyError(fmt::format("data after the last reply: {}", quoted(line)));
    }
    try {
        co_await reader_->fill();
    } catch (const asio::system_error& e) {
        if (e.code() == asio::error::eof || e.code() == asio::error::connection_reset) co_return;
        throw;
    }
    throw ReplyError("data after the last reply");
}

asio::awaitable<SessionResult> Pop3Client::run(const asio::ip::tcp::endpoint& server, const std::string& user,
                                               const std::string& password) {
    SessionResult result;
    co_await connect(server);
    co_await status_line("greeting");
    if (options_.script == Script::greet) {
        co_await expect_close();
        result.session_ms = since_start();
        socket_.close();
        co_return result;
    }
    co_await login(user, password);
    result.login_ms = since_start();

    std::uint64_t count = 0, total = 0;
    if (!options_.pipelining) co_await send("STAT\r\n");
    std::tie(count, total) = co_await stat_reply();
    result.stat_ms = since_start();
    if (options_.script == Script::uidl) {
        const auto uidl_started = clock::now();
        co_await send("UIDL\r\n");
        co_await uidl_reply(count);
        result.uidl_ms = std::chrono::duration<double, std::milli>(clock::now() - uidl_started).count();
    }
    if (options_.script == Script::full) {
        if (!options_.pipelining) co_await send("UIDL\r\n");
        co_await uidl_reply(count);
        if (!options_.pipelining) co_await send("LIST\r\n");
        const auto sizes = co_await list_reply(count, total);
        // Commands: RETR (and DELE) of each message, then QUIT.
        std::vector<std::string> commands;
        for (std::uint64_t n = 1; n <= count; ++n) {
            commands.push_back(fmt::format("RETR {}\r\n", n));
            if (options_.dele) commands.push_back(fmt::format("DELE {}\r\n", n));
        }
        commands.emplace_back("QUIT\r\n");
        const std::size_t window = options_.pipelining ? pipeline_window : 1;
        for (std::size_t first = 0; first < commands.size(); first += window) {
            const std::size_t last = std::min(commands.size(), first + window);
            out_.clear();
            for (std::size_t i = first; i < last; ++i) out_ += commands[i];
            co_await send(out_);
            for (std::size_t i = first; i < last; ++i) {
                if (commands[i].starts_with("RETR")) {
                    const std::uint64_t n = options_.dele ? i / 2 + 1 : i + 1;
                    result.octets += co_await retr_reply(n, sizes[n - 1]);
                    ++result.messages;
                } else if (commands[i].starts_with("DELE")) {
                    co_await status_line("DELE");
                } else {
                    co_await quit_reply();
                }
            }
        }
    } else {
        co_await send("QUIT\r\n");
        co_await quit_reply();
    }
    result.session_ms = since_start();
    socket_.close();
    co_return result;
}

asio::awaitable<void> Pop3Client::open_idle(const asio::ip::tcp::endpoint& server, const std::string& user,
                                            const std::string& password) {
    const bool pipelining = options_.pipelining;
    options_.pipelining = false;
    co_await connect(server);
    co_await status_line("greeting");
    co_await login(user, password);
    co_await send("STAT\r\n");
    co_await stat_reply();
    options_.pipelining = pipelining;
}

asio::awaitable<void> Pop3Client::quit() {
    co_await send("QUIT\r\n");
    co_await quit_reply();
    socket_.close();
}

}  // namespace loadgen

// Buffered reading of CRLF-terminated reply lines from a socket, for the load generator.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

// A reply that breaks the protocol or the benchmark's expectations; the
// session counts as an error and its text is kept as a sample.
struct ReplyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The server's text in an error message: printable, and short.
inline std::string quoted(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return '"' + out + (text.size() > 80 ? "...\"" : "\"");
}

class LineReader {
public:
    // initial_size: the buffer's first size (small for idle connections, large
    // for bulk transfers: each fill() is one read(2) of at most the free space).
    // A line longer than max_line is an error (RFC 1939 allows 512 octets for a
    // reply line; message lines are limited only by RFC 5322's 998).
    LineReader(asio::ip::tcp::socket& socket, std::chrono::steady_clock::time_point& last_io,
               std::size_t initial_size, std::size_t max_line = 1 << 20)
        : socket_(socket), last_io_(last_io), buffer_(initial_size), max_line_(max_line) {}

    // The next complete line without its line ending, from what is buffered;
    // false when fill() must be awaited first. The view is valid until then.
    // A line that ends in a bare LF (no CR) sets bare_lf().
    bool next_line(std::string_view& line) {
        const void* newline = std::memchr(buffer_.data() + scan_, '\n', end_ - scan_);
        if (newline == nullptr) {
            scan_ = end_;
            return false;
        }
        const std::size_t at = static_cast<const char*>(newline) - buffer_.data();
        std::size_t length = at - begin_;
        if (length > 0 && buffer_[at - 1] == '\r') {
            --length;
        } else {
            bare_lf_ = true;
        }
        line = std::string_view(buffer_.data() + begin_, length);
        begin_ = scan_ = at + 1;
        return true;
    }

    // Reads more input (one read). Throws asio::system_error on EOF or a
    // socket error, ReplyError when a line grows past max_line.
    asio::awaitable<void> fill() {
        if (begin_ == end_) {
            begin_ = scan_ = end_ = 0;
        } else if (begin_ > 0 && buffer_.size() - end_ < buffer_.size() / 4) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            scan_ -= begin_;
            begin_ = 0;
        }
        if (end_ == buffer_.size()) {
            if (buffer_.size() >= max_line_) throw ReplyError("reply line too long");
            buffer_.resize(buffer_.size() * 2);
        }
        const std::size_t n = co_await socket_.async_read_some(
            asio::buffer(buffer_.data() + end_, buffer_.size() - end_), asio::use_awaitable);
        end_ += n;
        last_io_ = std::chrono::steady_clock::now();
    }

    // True once some line ended in a bare LF.
    bool bare_lf() const { return bare_lf_; }
    // Octets received but not yet returned as lines.
    std::size_t buffered() const { return end_ - begin_; }

private:
    asio::ip::tcp::socket& socket_;
    std::chrono::steady_clock::time_point& last_io_;
    std::vector<char> buffer_;
    std::size_t max_line_;
    std::size_t begin_ = 0;  // first octet not yet returned
    std::size_t scan_ = 0;   // searched for '\n' up to here
    std::size_t end_ = 0;    // end of received data
    bool bare_lf_ = false;
};

}  // namespace loadgen

// Splits the bytes a client sends into command lines, with a hard length cap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace poplar::protocol {

// Lines end in CRLF; a bare LF is accepted too (a leniency: some clients and
// every test harness typed by hand send it). The line returned never holds its
// CR/LF. A line longer than the cap is reported once as too_long and all of it
// is thrown away, so memory never grows with the length of a line: the caller
// replies -ERR and closes the session.
class LineFramer {
public:
    explicit LineFramer(std::size_t max_line_length);

    enum class Status { line, need_more, too_long };

    // Adds received bytes.
    void feed(std::string_view bytes);

    // Takes the next complete line into `line` (status line), or says that more
    // bytes are needed, or that the current line passed the cap.
    Status next(std::string& line);

    // Bytes received but not yet returned as lines.
    std::size_t buffered() const { return buffer_.size() - start_; }

    // Hands over the bytes received but not yet returned as lines, and
    // forgets them (LMTP DATA: what follows the DATA line is message content,
    // not commands). Bytes of an over-long line being thrown away are not
    // handed over.
    std::string take_buffered();

    // Throws away everything buffered (STLS: bytes pipelined before the TLS
    // handshake must never be executed).
    void clear();

private:
    std::size_t max_;
    std::string buffer_;
    std::size_t start_ = 0;    // first byte not yet returned
    std::size_t scanned_ = 0;  // bytes from start_ known to hold no LF
    bool discarding_ = false;  // inside an over-long line, until its LF
};

} // namespace poplar::protocol

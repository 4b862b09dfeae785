// Reading an SMTP/LMTP DATA section off the wire: dot-unstuffing and the
// "<CRLF>.<CRLF>" terminator, one byte at a time, in bounded memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace poplar::protocol {

// RFC 5321 section 4.5.2: a line that starts with '.' loses that '.'; a line
// that is just "." ends the data. The data starts at a line start (right
// after the 354 reply). Only CRLF ends a line here: a bare LF or a bare CR is
// message content, kept as it is, and ".\n" does not end the data — the
// strict reading, so that no two servers disagree on where a message ends
// (the "SMTP smuggling" class of bugs). Lines may be of any length: nothing
// but the state below is kept between calls.
class DotUnstuffer {
public:
    struct Step {
        std::size_t consumed = 0;  // input octets used; the rest follow the data
        bool done = false;         // the terminator was read (and consumed)
    };

    // Appends the unstuffed content of `bytes` to `out` (CRLF line ends kept)
    // up to the terminator. Must not be called again after `done`.
    Step feed(std::string_view bytes, std::string& out);

    // Ready for the next message.
    void reset() { state_ = State::line_start; }

private:
    enum class State {
        line_start,  // after CRLF (or at the very start)
        in_line,
        cr,          // inside a line, a CR held back: CRLF or content?
        dot,         // a '.' at a line start, dropped
        dot_cr,      // ".<CR>" at a line start: the terminator if LF follows
    };
    State state_ = State::line_start;
};

} // namespace poplar::protocol

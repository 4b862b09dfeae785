// The DATA reader (see dot_unstuffer.hpp).
#include "protocol/dot_unstuffer.hpp"

namespace poplar::protocol {

DotUnstuffer::Step DotUnstuffer::feed(std::string_view bytes, std::string& out) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const char c = bytes[i];
        switch (state_) {
        case State::line_start:
            if (c == '.') {
                state_ = State::dot;
                ++i;
                continue;
            }
            state_ = State::in_line;
            continue;  // the same octet, as content
        case State::in_line: {
            // The common case, a run of content without CR, in one append.
            const std::size_t cr = bytes.find('\r', i);
            const std::size_t end = cr == std::string_view::npos ? bytes.size() : cr;
            out.append(bytes.substr(i, end - i));
            i = end;
            if (cr != std::string_view::npos) {
                state_ = State::cr;
                ++i;
            }
            continue;
        }
        case State::cr:
            if (c == '\n') {
                out += "\r\n";
                state_ = State::line_start;
                ++i;
            } else if (c == '\r') {
                out += '\r';  // the first of two CRs was content; hold the second
                ++i;
            } else {
                out += '\r';
                state_ = State::in_line;
            }
            continue;
        case State::dot:
            if (c == '\r') {
                state_ = State::dot_cr;
                ++i;
            } else {
                state_ = State::in_line;  // ".." -> ".", ".x" -> "x"
            }
            continue;
        case State::dot_cr:
            if (c == '\n') {
                state_ = State::line_start;
                return {i + 1, true};
            }
            state_ = State::cr;  // ".<CR>x": the CR is content of a line "<CR>x"
            continue;
        }
    }
    return {i, false};
}

} // namespace poplar::protocol

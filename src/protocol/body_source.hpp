// The body of a multi-line reply, pulled by the network layer in chunks so that
// no reply is ever built whole in memory.
#pragma once

#include <string>

namespace poplar::protocol {

class BodySource {
public:
    virtual ~BodySource() = default;

    // Appends the next chunk of wire bytes (already dot-stuffed, CRLF line ends)
    // to `out`; a chunk is at most max_body_chunk octets. Returns false once the
    // whole body, including the terminating ".\r\n", has been appended (that
    // call may append bytes too). Throws std::system_error or
    // store::MessageGone if the underlying data cannot be read; the caller
    // must then close the connection, since the status line is already out.
    virtual bool next(std::string& out) = 0;
};

// Upper bound of one chunk: 32 KiB of input can at most double (LF -> CRLF,
// '.' stuffing) plus the terminator.
inline constexpr std::size_t max_body_chunk = 2 * 32 * 1024 + 8;

} // namespace poplar::protocol

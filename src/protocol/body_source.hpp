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

// Raw message octets a RETR/TOP body reads and converts per chunk. Large, so
// that a 5 MiB RETR costs few reads, few sends and few wake-ups (32 KiB ran at
// well under half the loopback ceiling); it lives only while a body is sent.
inline constexpr std::size_t body_raw_chunk = 256 * 1024;

// Upper bound of one chunk: body_raw_chunk of input can at most double
// (LF -> CRLF, '.' stuffing) plus the terminator.
inline constexpr std::size_t max_body_chunk = 2 * body_raw_chunk + 8;

} // namespace poplar::protocol

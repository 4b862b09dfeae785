// RETR and TOP bodies: a stored message turned into RFC 1939 wire form.
#pragma once

#include "protocol/body_source.hpp"
#include "store/byte_source.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace poplar::protocol {

// Streams `raw` as a multi-line body, reading it 32 KiB at a time:
// - every bare LF becomes CRLF; a CR not followed by LF is sent as is
//   (store/wire_size.hpp states this rule; both must agree);
// - a line starting with '.' gets one more '.' (RFC 1939 section 3);
// - if the message does not end in a line ending, CRLF is added;
// - then ".\r\n" ends the reply.
// With top_lines set (TOP msg n): the header lines, the empty line that ends
// them, and at most *top_lines lines of the body. A message with no empty line
// is all header. top_lines == 0 gives the headers and the empty line only.
// With downgrade_headers set (a session that did not send UTF8, RFC 6856): the
// header block is read first (at most store::max_downgrade_header octets and
// one read more) and, if it has UTF-8, replaced by store::downgrade_header's
// 7-bit block before the rules above apply; the octets sent before stuffing
// are then MessageInfo::downgraded_size. TOP counts body lines as before.
std::unique_ptr<BodySource> make_message_body(std::unique_ptr<store::ByteSource> raw,
                                              std::optional<std::uint64_t> top_lines,
                                              bool downgrade_headers = false);

} // namespace poplar::protocol

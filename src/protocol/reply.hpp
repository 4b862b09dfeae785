// The one place that formats status lines for the wire.
#pragma once

#include <string>
#include <string_view>

namespace poplar::protocol {

// RFC 2449 section 8 and RFC 3206 extended response codes.
enum class ResponseCode { none, in_use, login_delay, auth, sys_temp, sys_perm };

// "+OK text\r\n", or "+OK\r\n" when text is empty.
std::string ok(std::string_view text);

// "-ERR [CODE] text\r\n" ("-ERR text\r\n" without a code). Any CR or LF in text
// is replaced by a space, so one reply is always one line.
std::string err(std::string_view text, ResponseCode code = ResponseCode::none);

// Client bytes made safe for a log line: printable ASCII kept, everything else
// as \xNN, cut to max_length with "..." appended.
std::string sanitize_for_log(std::string_view bytes, std::size_t max_length = 64);

} // namespace poplar::protocol

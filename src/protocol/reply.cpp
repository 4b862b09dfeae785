// Status lines (+OK / -ERR with RFC 2449 response codes) and log-safe text.
#include "protocol/reply.hpp"

#include <algorithm>

namespace poplar::protocol {

namespace {

std::string_view code_text(ResponseCode code) {
    switch (code) {
    case ResponseCode::none: return {};
    case ResponseCode::in_use: return "IN-USE";            // RFC 2449 section 8.1.1
    case ResponseCode::login_delay: return "LOGIN-DELAY";  // RFC 2449 section 8.1.2
    case ResponseCode::auth: return "AUTH";                // RFC 3206 section 4
    case ResponseCode::sys_temp: return "SYS/TEMP";        // RFC 3206 section 4
    case ResponseCode::sys_perm: return "SYS/PERM";        // RFC 3206 section 4
    }
    return {};
}

// Appends text with CR and LF made spaces: a status line is one line
// (RFC 1939 section 3), whatever text a caller passes in.
void append_one_line(std::string& out, std::string_view text) {
    const std::size_t first = out.size();
    out.append(text);
    for (std::size_t i = first; i < out.size(); ++i) {
        if (out[i] == '\r' || out[i] == '\n') {
            out[i] = ' ';
        }
    }
}

std::string status_line(std::string_view status, std::string_view code, std::string_view text) {
    std::string line;
    line.reserve(status.size() + code.size() + text.size() + 6);
    line.append(status);
    if (!code.empty()) {
        line.append(" [").append(code).append("]");
    }
    if (!text.empty()) {
        line.push_back(' ');
        append_one_line(line, text);
    }
    line.append("\r\n");
    return line;
}

} // namespace

std::string ok(std::string_view text) {
    return status_line("+OK", {}, text);
}

std::string err(std::string_view text, ResponseCode code) {
    return status_line("-ERR", code_text(code), text);
}

std::string sanitize_for_log(std::string_view bytes, std::size_t max_length) {
    // max_length bounds the escaped text; an escape is never cut in half.
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(bytes.size(), max_length) + 3);
    for (char c : bytes) {
        const auto octet = static_cast<unsigned char>(c);
        char piece[4];
        std::size_t length = 1;
        if (c == '\\') {
            // Escaped too, so that "\x41" in a log always means one octet 0x41.
            piece[0] = '\\';
            piece[1] = '\\';
            length = 2;
        } else if (octet >= 0x20 && octet < 0x7f) {
            piece[0] = c;
        } else {
            piece[0] = '\\';
            piece[1] = 'x';
            piece[2] = hex[octet >> 4];
            piece[3] = hex[octet & 0xf];
            length = 4;
        }
        if (out.size() + length > max_length) {
            out.append("...");
            return out;
        }
        out.append(piece, length);
    }
    return out;
}

} // namespace poplar::protocol

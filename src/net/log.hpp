// Log lines on stderr, one whole line per call even from many threads.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace poplar::net {

// Writes "poplar: <line>\n" to stderr atomically and flushes it. stderr is
// where systemd's journal and a terminal both read; the prefix lets tests and
// fail2ban-style filters find poplar's lines. Never logs a secret: callers
// pass client bytes through protocol::sanitize_for_log.
void log_line(std::string_view line);

template <typename... Args>
void log(fmt::format_string<Args...> format, Args&&... args) {
    log_line(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace poplar::net

// Taking complete lines off the front of a file's text: the UIDL lists other
// servers write and poplar's own record files end every line in LF, and a last
// line without one was cut short by a crash and is never trusted.
#pragma once

#include <optional>
#include <string_view>

namespace poplar::store {

// The next line of `text` (without its LF), removed from `text`; nullopt when
// what is left has no LF (a line cut short, or nothing).
inline std::optional<std::string_view> take_complete_line(std::string_view& text) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    return line;
}

} // namespace poplar::store

// SASLprep (RFC 4013), the string preparation SCRAM applies to names and passwords.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

enum class PrepKind {
    query,  // unassigned code points allowed: user names a client sends (RFC 5802 section 5.1)
    stored, // unassigned code points refused: passwords fed to Hi() (RFC 5802 section 2.2)
};

// The SASLprep form of `text` (UTF-8), through libidn's stringprep. nullopt
// when `text` is not valid UTF-8, holds a NUL, a prohibited character, breaks
// the bidi rules, prepares to "", or (stored) holds an unassigned code point.
std::optional<std::string> saslprep(std::string_view text, PrepKind kind);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

} // namespace poplar::auth

// Config values of every kind: parsing them from text, checking UTF-8, and writing them as TOML.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace poplar::config {

// A key's value before it is stored in Config: wide enough to hold anything a
// file or an override can say, so bounds are checked before any narrowing.
// Durations are kept in milliseconds whatever unit the Config field has.
using Value = std::variant<std::string, std::vector<std::string>, bool, std::uint64_t, std::chrono::milliseconds>;

// Thrown by the parsers below; what() is the reason alone ("must be true or
// false"), and the caller adds the key, the value and where it came from.
class InvalidValue : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "true"/"false"/"yes"/"no"/"1"/"0", lower case only. Throws InvalidValue.
bool parse_bool(std::string_view text);

// Decimal digits only: no sign, no spaces, no trailing noise; overflow refused.
// Throws InvalidValue.
std::uint64_t parse_unsigned(std::string_view text);

// A whole number with a unit, "500ms", "30s", "10m", "1h", or a bare number
// meaning seconds (as a TOML integer does). Throws InvalidValue.
std::chrono::milliseconds parse_duration(std::string_view text);

// The same duration in seconds, as a TOML integer gives it. Throws InvalidValue on overflow.
std::chrono::milliseconds duration_from_seconds(std::int64_t seconds);

// The largest unit that states the duration exactly: "2s", "500ms", "10m", "24h", "0s".
std::string format_duration(std::chrono::milliseconds duration);

// "a,b" -> {"a", "b"}; spaces around an item are dropped; "" -> {}.
std::vector<std::string> parse_list(std::string_view text);

// Whether text is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Whether text holds a character TOML would have to escape (U+0000..U+001F, U+007F).
bool has_control_character(std::string_view text);

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

// text as a TOML basic string. Control characters are escaped; bytes that are
// not UTF-8 become \xNN (not TOML, but only ever shown in error messages); past
// `limit` bytes the text is cut and "..." added, so an error message stays one
// readable line whatever the input was.
std::string quote(std::string_view text, std::size_t limit = no_limit);

// The value as TOML: "text", ["a", "b"], true, 42, "10m" (a duration is a string).
std::string format_value(const Value& value, std::size_t limit = no_limit);

} // namespace poplar::config

// The config keys as one table: each key's name, type, bounds, doc line and the
// Config field it sets. Adding a Config field means adding one row here.
#pragma once

#include "config/config.hpp"
#include "config/value.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace poplar::config {

enum class Kind { string, string_list, boolean, unsigned_integer, duration };

// The Config member a key reads and writes. The member's type gives the key
// its kind, so the two cannot disagree.
using Field = std::variant<std::string Config::*, std::filesystem::path Config::*, std::vector<std::string> Config::*,
                           bool Config::*, unsigned Config::*, std::size_t Config::*,
                           std::chrono::milliseconds Config::*, std::chrono::seconds Config::*>;

// A key's own rule, run after the checks every key of its kind gets; returns
// why the value is refused, or nothing if it is fine.
using Check = std::optional<std::string> (*)(const Value& value);

struct Key {
    std::string_view name;
    Field field;
    // What the key does, one line, without its bounds (doc_line() adds them).
    std::string_view doc;
    // Inclusive bounds: the number for an integer, milliseconds for a duration,
    // the length in bytes for a string, the number of items for a list.
    std::uint64_t min = 0;
    std::uint64_t max = 0;
    // Why the bounds are what they are, shown with them; empty if obvious.
    std::string_view why = {};
    Check check = nullptr;

    Kind kind() const;
};

// Every key, in the order describe() and examples/poplar.toml show them.
std::span<const Key> keys();

// The key called `name`, or nullptr.
const Key* find_key(std::string_view name);

// The nearest key name to a misspelt one, if one is close enough to be what was meant.
std::optional<std::string_view> suggest_key(std::string_view unknown);

// The key's comment line (without "# "): its doc, then its bounds and why.
std::string doc_line(const Key& key);

// Why a number or duration outside the key's bounds is refused: "must be between 1 and 1000 (...)".
std::string out_of_bounds(const Key& key);

// Reads the key's field from config.
Value get(const Config& config, const Key& key);

// Writes value into the key's field; value must have passed validate().
void set(Config& config, const Key& key, const Value& value);

// Checks value against the key's kind, bounds and own rule; returns why it is
// refused ("must be between 10s and 24h (...)"), or nothing if it is fine.
std::optional<std::string> validate(const Key& key, const Value& value);

} // namespace poplar::config

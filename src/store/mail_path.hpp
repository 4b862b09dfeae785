// Where a user's mail lives: the config's mail_path template, expanded.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace poplar::store {

// Expands a Dovecot-style template: %u the whole user name, %n its local part
// (before '@'), %d its domain (after '@', empty if none), %h the user's home
// from the passdb, %% a literal '%'. Returns nullopt when the result would be
// unsafe: a user name that is empty, ".", "..", or holds '/', NUL or a control
// character; an empty %h; an unknown %-sequence; a relative result.
std::optional<std::filesystem::path> expand_mail_path(std::string_view tmpl, std::string_view user,
                                                      std::string_view home);

} // namespace poplar::store

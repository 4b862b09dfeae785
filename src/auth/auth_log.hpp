// The passwd-file's log: one line to stderr per event, never a secret.
#pragma once

#include <string_view>

namespace poplar::auth {

// Writes "poplar: passwd-file: <message>\n" to stderr in one write(2), so
// lines from several threads do not interleave.
void log_passwd_file(std::string_view message) noexcept;

} // namespace poplar::auth

// A safe wrapper around libxcrypt's crypt_r and crypt_gensalt_rn.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

// crypt_r(phrase, setting) with a heap-allocated, wiped crypt_data (it is
// ~32 KiB, too big for a worker's stack). nullopt when libxcrypt refuses:
// NULL, a "*" failure token, or a phrase/setting holding a NUL (crypt_r would
// silently truncate at it, so "abc\0xyz" would match "abc").
std::optional<std::string> crypt_hash(std::string_view phrase, std::string_view setting);

// crypt_gensalt_rn(prefix, count) with entropy from the OS; nullopt when the
// prefix or count is not supported.
std::optional<std::string> crypt_setting(const std::string& prefix, unsigned long count);

} // namespace poplar::auth

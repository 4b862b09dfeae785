// Comparison of secrets whose run time does not depend on where they differ.
#pragma once

#include <array>
#include <string_view>

namespace poplar::auth {

// True when `given` (the client's input, or a hash of it) equals `expected`
// (the stored secret). The time taken depends on given.size() only: a length
// mismatch still runs a full-length compare, so it does not return early.
bool equal_constant_time(std::string_view given, std::string_view expected) noexcept;

// True when the client's hex text (either case) spells the 16-byte MD5 digest
// `expected`, compared in constant time (APOP, CRAM-MD5). Wipes its own copy of
// the expected hex digits; the caller wipes `expected`.
bool md5_hex_matches(const std::array<unsigned char, 16>& expected, std::string_view client_hex) noexcept;

} // namespace poplar::auth

// Comparison of secrets whose run time does not depend on where they differ.
#pragma once

#include <string_view>

namespace poplar::auth {

// True when `given` (the client's input, or a hash of it) equals `expected`
// (the stored secret). The time taken depends on given.size() only: a length
// mismatch still runs a full-length compare, so it does not return early.
bool equal_constant_time(std::string_view given, std::string_view expected) noexcept;

} // namespace poplar::auth

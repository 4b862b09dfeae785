// Strict RFC 4648 section 4 base64: what SASL puts on the wire (RFC 5034 section 4).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth {

// The padded base64 of `bytes` ("" for no bytes).
std::string base64_encode(std::string_view bytes);

// The bytes of `text`, or nullopt unless it is canonical padded base64: only
// A-Z a-z 0-9 + /, a length that is a multiple of 4, '=' only as the last one
// or two characters, and the unused bits of the last group zero (so every
// byte string has exactly one accepted encoding). No whitespace, no line
// breaks, no URL-safe alphabet. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

} // namespace poplar::auth

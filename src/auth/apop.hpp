// RFC 1939 APOP digest check: hex(MD5(timestamp + secret)).
#pragma once

#include <string_view>

namespace poplar::auth {

// True when `client_digest_hex` (any case) is hex(MD5(timestamp + secret)).
// Compared in constant time. False when MD5 is unavailable (e.g. a FIPS-only
// OpenSSL): APOP then fails closed.
bool apop_digest_matches(std::string_view timestamp, std::string_view secret, std::string_view client_digest_hex);

} // namespace poplar::auth

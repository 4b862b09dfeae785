// RFC 2195 CRAM-MD5 digest check: hex(HMAC-MD5(secret, challenge)).
#pragma once

#include <string_view>

namespace poplar::auth {

// True when `client_digest_hex` (any case) is hex(HMAC-MD5(secret, challenge)).
// Compared in constant time. False when MD5 is unavailable (a FIPS-only
// OpenSSL): CRAM-MD5 then fails closed, as APOP does.
bool cram_md5_digest_matches(std::string_view challenge, std::string_view secret, std::string_view client_digest_hex);

} // namespace poplar::auth

// The mechanisms' factories, for make_exchange() (internal to src/auth).
#pragma once

#include "auth/sasl.hpp"

namespace poplar::auth::sasl {

// Limits on what a client may send in one SASL message, after base64
// decoding. RFC 4616 section 2 asks servers to take at least 255 octets per
// PLAIN field; 1024 leaves room for three such and long UTF-8 names. SCRAM
// messages carry a name, a nonce and a proof (base64 of 32 bytes): 2048 is
// several times a real one. Anything longer is refused, not truncated.
inline constexpr std::size_t max_field_size = 1024;
inline constexpr std::size_t max_scram_message_size = 2048;

std::unique_ptr<Exchange> make_plain_exchange();
std::unique_ptr<Exchange> make_login_exchange();
std::unique_ptr<Exchange> make_cram_md5_exchange(ExchangeContext context);
std::unique_ptr<Exchange> make_scram_exchange(ScramHash hash, bool plus, ExchangeContext context);

} // namespace poplar::auth::sasl

// Fuzz target: auth/base64 (RFC 4648 section 4, canonical and padded).
//
// Invariants: decode(encode(x)) == x for any bytes, and encode gives
// 4*ceil(n/3) characters of the alphabet; decode never crashes, and whatever
// it accepts is canonical: encode(decode(t)) == t (one accepted encoding per
// byte string, so no smuggling through padding bits or whitespace).
#include "auth/base64.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    const std::string encoded = poplar::auth::base64_encode(bytes);
    FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4, "encoded length");
    for (char c : encoded) {
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                              c == '/' || c == '=';
        FUZZ_CHECK(alphabet, "encoded character outside the alphabet");
    }
    const auto round_trip = poplar::auth::base64_decode(encoded);
    FUZZ_CHECK(round_trip && *round_trip == bytes, "decode(encode(x)) != x for " + poplar::fuzz::escaped(bytes));

    if (const auto decoded = poplar::auth::base64_decode(bytes)) {
        FUZZ_CHECK(poplar::auth::base64_encode(*decoded) == bytes,
                   "accepted a non-canonical encoding: " + poplar::fuzz::escaped(bytes));
    }
    return 0;
}

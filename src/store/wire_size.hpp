// The size rule shared by the store (which caches sizes) and the protocol (which
// sends the bytes): the octets RETR sends before dot-stuffing.
//
// The rule: every LF not preceded by CR counts as CRLF (2 octets); a CR not
// followed by LF is an ordinary octet, sent as is; if the message is not empty
// and does not end in LF, a CRLF is added after it. This equals Dovecot's
// ",W=" virtual size for every message that ends in a line ending.
#pragma once

#include "store/byte_source.hpp"

#include <cstdint>
#include <string_view>

namespace poplar::store {

// Counts wire octets of data fed in any number of pieces.
class WireSizeCounter {
public:
    void feed(std::string_view piece);
    // The total, including the CRLF added after a last line without one.
    std::uint64_t total() const;

private:
    std::uint64_t octets_ = 0;
    bool any_ = false;
    char last_ = '\0';
};

// Reads `source` to its end and returns its wire size. Throws what read throws.
std::uint64_t wire_size(ByteSource& source);

} // namespace poplar::store

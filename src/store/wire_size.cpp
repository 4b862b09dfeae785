// The wire-size rule (see wire_size.hpp), counted in one pass.
#include "store/wire_size.hpp"

#include <array>

namespace poplar::store {

void WireSizeCounter::feed(std::string_view piece) {
    for (char c : piece) {
        // A bare LF becomes CRLF on the wire: one extra octet.
        if (c == '\n' && last_ != '\r') {
            ++octets_;
        }
        ++octets_;
        last_ = c;
    }
    if (!piece.empty()) {
        any_ = true;
    }
}

std::uint64_t WireSizeCounter::total() const {
    return (any_ && last_ != '\n') ? octets_ + 2 : octets_;
}

std::uint64_t wire_size(ByteSource& source) {
    WireSizeCounter counter;
    std::array<char, 64 * 1024> buffer;
    while (std::size_t n = source.read(buffer)) {
        counter.feed(std::string_view(buffer.data(), n));
    }
    return counter.total();
}

} // namespace poplar::store

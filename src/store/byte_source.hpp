// A pull-based source of raw bytes: how a stored message is read without
// loading it whole.
#pragma once

#include <cstddef>
#include <span>

namespace poplar::store {

class ByteSource {
public:
    virtual ~ByteSource() = default;

    // Copies up to out.size() bytes into out and returns how many; 0 means the
    // end of the data. Throws std::system_error on an I/O error: the caller must
    // then stop (for RETR the connection is closed, since +OK was already sent).
    virtual std::size_t read(std::span<char> out) = 0;
};

} // namespace poplar::store

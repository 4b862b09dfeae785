// The three ways a message is named, kept apart by type (STYLE.md): the number
// the client uses, the session's snapshot index, and the store's id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace poplar::protocol {

// RFC 1939 message-number: 1..N, as the client sends it. Numbers are never
// reused within a session, deleted or not.
struct MessageNumber {
    std::uint32_t value;
};

// Position in the session's snapshot: 0..N-1.
struct SnapshotIndex {
    std::size_t value;
};

inline std::optional<SnapshotIndex> to_index(MessageNumber number, std::size_t count) {
    if (number.value == 0 || number.value > count) {
        return std::nullopt;
    }
    return SnapshotIndex{number.value - 1u};
}

inline MessageNumber to_number(SnapshotIndex index) {
    return MessageNumber{static_cast<std::uint32_t>(index.value + 1)};
}

} // namespace poplar::protocol

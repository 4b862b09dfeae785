// The store's view of one message: its stable id, its UIDL and its exact sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace poplar::store {

// The id a backend gives a message, stable for the message's whole life (for
// Maildir the base file name, without the ":2,flags" part). Never a position:
// the protocol's numbers and the session's snapshot indices are other types.
struct StoreId {
    std::string value;
    friend bool operator==(const StoreId&, const StoreId&) = default;
};

struct MessageInfo {
    StoreId id;
    // RFC 1939 unique-id: 1..70 characters in 0x21..0x7E, never reused.
    std::string uidl;
    // Exactly the octets RETR sends before dot-stuffing: every line ending is
    // CRLF, and a message that does not end in a line ending gets one CRLF
    // (see protocol/message_body.hpp for the rule both sides follow).
    std::uint64_t size = 0;
    // The same for a client that did not send UTF8 (RFC 6856): the octets RETR
    // sends once a header with UTF-8 is downgraded to 7-bit (see
    // header_downgrade.hpp). Equal to `size` when the header is 7-bit.
    std::uint64_t downgraded_size = 0;
    // When POP3 first retrieved it (unix seconds), for RFC 2449 EXPIRE;
    // nullopt if never (see Mailbox::note_retrieved).
    std::optional<std::int64_t> first_retrieved = std::nullopt;
};

} // namespace poplar::store

// RFC 6856/6857 downgrade: a message's header block with raw UTF-8 (RFC 6532)
// rewritten to 7-bit for a POP3 client that did not send UTF8.
//
// It lives in the store, beside wire_size.hpp, because both sides need it: the
// store to give LIST/STAT the size RETR will send, the protocol to send it.
// The rule (docs/protocol.md, "UTF8 and the downgrade"), field by field:
// - a field with no octet >= 0x80 is copied byte for byte;
// - address fields (From, Sender, Reply-To, To, Cc, Bcc, Resent-*, Disposition-
//   Notification-To): a display name or comment with UTF-8 becomes RFC 2047
//   encoded-words; a mailbox whose addr-spec has UTF-8 becomes an empty group
//   named by the encoded mailbox, `=?UTF-8?B?...?= :;` (RFC 6857 section 3,
//   with the group syntax RFC 6854 allows in From and Sender); a group with
//   such a member becomes one such group as a whole;
// - Content-Type and Content-Disposition: a parameter value with UTF-8 becomes
//   an RFC 2231 `name*0*=UTF-8''...` value; if the type itself has UTF-8 the
//   field is handled as a structured field (below);
// - other known structured fields (Message-ID, References, Received, Date, ...)
//   are renamed `Downgraded-<Field>` with the whole body encoded (as RFC 6857
//   does for Message-ID and its kin); a line that is not a field at all (no
//   name, a name with UTF-8) becomes `Downgraded-Malformed-Line:` with the
//   whole line encoded;
// - all other fields (Subject, Comments, Content-Description, X-*, unknown)
//   are unstructured: the body becomes encoded-words (RFC 2047 section 5(1)).
// A rewritten field is unfolded, then folded with CRLF SP so that each line is
// at most 76 octets where the original words allow; an encoded-word never
// holds part of a UTF-8 character. Invalid UTF-8 is encoded as the bytes it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poplar::store {

// A header block longer than this is sent as stored, never downgraded: the
// block is held in memory to rewrite it, and no real mail has a header of a
// megabyte (Postfix's header_size_limit is 100 KiB).
inline constexpr std::size_t max_downgrade_header = 1024 * 1024;

// Whether `data` has an octet >= 0x80.
bool has_8bit(std::string_view data);

// `header` is a header block: the octets of a message up to and including the
// empty line (LF or CRLF alone) that ends it, or the whole message when it has
// no empty line. Returns the 7-bit block, or nullopt when `header` is already
// 7-bit and is sent unchanged (a scan for octets >= 0x80, nothing more). Line
// ends of copied fields are kept as stored; rewritten fields end in CRLF, or
// in nothing when the original field ended the data without a line end. Never
// fails; allocates about three times the size of the rewritten fields.
std::optional<std::string> downgrade_header(std::string_view header);

// Collects the header block of a message from the pieces its ByteSource
// returns, stopping at the empty line or past max_downgrade_header octets.
class HeaderBlock {
public:
    // Takes the next octets of the message. Returns how many of `piece` belong
    // to the header block: fewer than piece.size() only when the block ends
    // inside it (complete() is then true). Takes nothing once done().
    std::size_t feed(std::string_view piece);

    // The empty line was seen.
    bool complete() const { return complete_; }
    // More than max_downgrade_header octets: the message is sent as stored.
    bool too_large() const { return too_large_; }
    bool done() const { return complete_ || too_large_; }

    // The octets taken so far (at the end of the data: the whole block).
    std::string_view bytes() const { return bytes_; }

    // The block to send to a client that did not say UTF8, once done() or at
    // the end of the data: nullopt when it is sent as stored (7-bit, or too
    // large), else the downgraded block.
    std::optional<std::string> downgraded() const;

    // Empties the block for the next message, keeping its memory.
    void clear();

private:
    std::string bytes_;
    std::size_t line_length_ = 0;  // octets of the current line so far, LF excluded
    bool line_starts_with_cr_ = false;
    bool eight_bit_ = false;
    bool complete_ = false;
    bool too_large_ = false;
};

// The wire size (wire_size.hpp) of a message after the downgrade, given its
// wire size `size` as stored and its HeaderBlock, read to done() or to the end
// of the message. Equal to `size` when the block is sent as stored.
std::uint64_t downgraded_wire_size(std::uint64_t size, const HeaderBlock& block);

} // namespace poplar::store

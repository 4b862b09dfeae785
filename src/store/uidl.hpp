// The Maildir UIDL rule: a message's RFC 1939 unique-id from its base name.
// UIDLs other servers left in the Maildir take precedence (foreign_uidls.hpp).
//
// The rule, stable forever (changing it makes every client download its whole
// mailbox again):
// - the base name (the file name up to its first ':') when it is 1..70
//   characters, each in 0x21..0x7E (RFC 1939 section 7, "UIDL") — this is what
//   Dovecot's pop3_uidl_format = %f gives, so clients keep their UIDLs;
// - otherwise "~" followed by the 64 lowercase hex digits of the SHA-256 of the
//   base name's bytes (65 characters). No real Maildir name is that long and
//   starts with '~', so the two forms do not collide in practice.
#pragma once

#include <string>
#include <string_view>

namespace poplar::store {

// Returns the UIDL for `base_name` by the rule above. Throws std::bad_alloc or
// std::runtime_error if OpenSSL cannot hash (it never does in practice).
std::string uidl_for_base_name(std::string_view base_name);

// Whether `uidl` is one RFC 1939 allows: 1..70 characters, each in 0x21..0x7E.
bool valid_uidl(std::string_view uidl);

// "~" and the 64 lowercase hex digits of the SHA-256 of `data`: the hashed
// form above, also used to move a UIDL off one that another message holds
// (foreign_uidls.hpp). Throws as uidl_for_base_name does.
std::string hashed_uidl(std::string_view data);

} // namespace poplar::store

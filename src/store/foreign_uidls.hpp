// The UIDLs a Maildir already carries, from other servers and from
// `poplar migrate-uidl`, applied over poplar's own (docs/maildir.md, "UIDL").
#pragma once

#include "store/message.hpp"

#include <optional>
#include <span>
#include <string>

namespace poplar::store {

// The texts of the three files, each nullopt when it is not there.
struct UidlSources {
    std::optional<std::string> imported;  // poplar-uidls
    std::optional<std::string> dovecot;   // dovecot-uidlist
    std::optional<std::string> courier;   // courierpop3dsizelist
    bool any() const { return imported || dovecot || courier; }
};

// Reads the three files from the Maildir directory `dir_fd`: one openat each,
// which fails at once when the file is missing (the usual case). Reads at
// most RecordFile::max_bytes of each; a file that cannot be read counts as
// missing.
UidlSources read_uidl_sources(int dir_fd);

// Gives each message its UIDL. On entry `messages[i].uidl` is poplar's own
// (uidl.hpp); the first that applies replaces it:
// 1. poplar-uidls, 2. dovecot-uidlist, 3. courierpop3dsizelist,
// matched by base name; a UIDL that RFC 1939 forbids counts as absent.
// No two messages get one UIDL: UIDLs from the files are claimed first, in
// the order above and then in delivery order; a message whose UIDL was
// already claimed falls back to its own. Then each own UIDL is claimed in
// delivery order; one already taken is replaced by hashed_uidl() of it, again
// until free. Returns the "base uidl\n" lines of every message that did not
// get what its best source offered, for poplar-uidls (uidl_record.hpp), so
// that its UIDL stays the same after the message it lost to is gone.
// Nothing is done (and nothing allocated) when no source is there.
std::string apply_uidl_sources(std::span<MessageInfo> messages, const UidlSources& sources);

} // namespace poplar::store

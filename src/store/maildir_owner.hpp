// The owner the store gives to what it creates in a Maildir when it runs as root.
#pragma once

#include <cstdint>
#include <optional>

#include <sys/types.h>

namespace poplar::store {

// The mail user's uid/gid from the passwd-file: a folder or file the store
// creates is given to it (by descriptor) when poplar runs as root, so that
// the mail user's tools, and poplar once it has dropped privileges, can use it.
struct MaildirOwner {
    uid_t uid;
    gid_t gid;
};

// The owner for a passwd-file entry's uid and gid fields, where 0 means "not
// given" (Dovecot's empty field): nullopt when neither is given; -1 for the
// one not given, which chown(2) leaves as it is.
inline std::optional<MaildirOwner> maildir_owner(std::uint32_t uid, std::uint32_t gid) {
    if (uid == 0 && gid == 0) return std::nullopt;
    return MaildirOwner{uid != 0 ? static_cast<uid_t>(uid) : static_cast<uid_t>(-1),
                        gid != 0 ? static_cast<gid_t>(gid) : static_cast<gid_t>(-1)};
}

} // namespace poplar::store

// The owner the store gives to what it creates in a Maildir when it runs as root.
#pragma once

#include <sys/types.h>

namespace poplar::store {

// The mail user's uid/gid from the passwd-file: a folder or file the store
// creates is given to it (by descriptor) when poplar runs as root, so that
// the mail user's tools, and poplar once it has dropped privileges, can use it.
struct MaildirOwner {
    uid_t uid;
    gid_t gid;
};

} // namespace poplar::store

// How an errno from opening a Maildir maps to a POP3 response code.
#pragma once

#include "store/mailbox.hpp"

namespace poplar::store {

// permanent ([SYS/PERM]) for what only an administrator can fix: permissions,
// a path that is not a directory, a read-only file system, a symlink loop;
// temporary ([SYS/TEMP]) for everything that may pass by itself: I/O errors,
// a full disk or quota, out of descriptors or memory.
OpenStatus open_status_for_errno(int error);

} // namespace poplar::store

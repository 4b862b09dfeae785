// The Maildir backend: <dir>/{cur,new,tmp} as Dovecot and Postfix write it.
#pragma once

#include "store/mailbox.hpp"

#include <filesystem>

namespace poplar::store {

// Opens and locks the Maildir at `dir` for one POP3 session.
// - Creates dir/{cur,new,tmp} (mode 0700) when missing, as Dovecot does.
// - Takes an exclusive flock on dir/poplar.lock without waiting; a held lock
//   gives OpenStatus::in_use. The lock is released when the Mailbox is destroyed
//   or the process dies, so no lock outlives its session.
// - Moves every file of new/ into cur/ keeping its base name (adding ":2,").
// - Builds the snapshot in delivery order (see docs/maildir.md), with sizes from
//   ",W=" in the file name, else from the size cache dir/poplar-sizes, else
//   computed once by reading the file and appended to the cache.
// Never throws: every failure is an OpenStatus with a detail for the log.
OpenResult open_maildir(const std::filesystem::path& dir);

} // namespace poplar::store

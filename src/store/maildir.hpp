// The Maildir backend: <dir>/{cur,new,tmp} as Dovecot and Postfix write it.
#pragma once

#include "store/mailbox.hpp"
#include "store/unique_fd.hpp"
#include "store/maildir_owner.hpp"

#include <filesystem>
#include <optional>

namespace poplar::store {

// Opens and locks the Maildir at `dir` for one POP3 session.
// - Creates dir/{cur,new,tmp} (mode 0700) when missing, as Dovecot does.
// - Takes an exclusive flock on dir/poplar.lock without waiting; a held lock
//   gives OpenStatus::in_use. The lock is released when the Mailbox is destroyed
//   or the process dies, so no lock outlives its session.
// - Moves every file of new/ into cur/ keeping its base name (adding ":2,").
// - Builds the snapshot in delivery order (see docs/maildir.md), with both
//   sizes (as stored, and downgraded: message.hpp) from the size cache
//   dir/poplar-sizes; a message not in it is read once and its sizes appended
//   to the cache: only its header when the size is known from ",W=" in the
//   file name (or from an old cache line), else the whole file.
// - Directories it has to create are given to `owner` when one is given and
//   poplar runs as root, so that the delivery agent, running as the mail
//   user, can still write new/ after a first login made the Maildir.
// - Gives each message the UIDL another server showed for it, from
//   dir/poplar-uidls, dir/dovecot-uidlist or dir/courierpop3dsizelist, else
//   poplar's own (foreign_uidls.hpp); a message moved off a UIDL another one
//   holds is appended to dir/poplar-uidls.
// - Reads poplar's records (docs/maildir.md): each message's first retrieval
//   from dir/poplar-retrieved, the previous login from dir/poplar-last-login.
//   Files it later writes there are given to `owner` in the same way.
// Never throws: every failure is an OpenStatus with a detail for the log.
// The Maildir's folders, open, made if missing as open_maildir() makes them
// (owner, modes, never through a symlink below `dir`). Takes no lock: delivery
// needs none. Throws std::system_error.
struct MaildirFolders {
    UniqueFd root, cur, fresh, tmp;  // fresh: new/
};
MaildirFolders open_maildir_folders(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner);

OpenResult open_maildir(const std::filesystem::path& dir, std::optional<MaildirOwner> owner = std::nullopt);

} // namespace poplar::store

// `poplar expire [--dry-run] [USER...]`: RFC 2449 EXPIRE applied from cron or a
// systemd timer, with the same rule the server applies at QUIT.
#pragma once

#include "config/config.hpp"

#include <string>
#include <vector>

namespace poplar::cli {

// Removes, from each user's Maildir (every user in the passwd-file when
// `users` is empty), the messages first retrieved at least that user's EXPIRE
// days ago. A Maildir held by a POP3 session is tried again a few times, then
// skipped, never touched while locked. Returns 0, or EX_TEMPFAIL (75) when a
// mailbox was skipped or could not be opened, EX_NOUSER (67) for a named user
// not in the passwd-file.
int run_expire(const config::Config& config, const std::vector<std::string>& users, bool dry_run);

} // namespace poplar::cli

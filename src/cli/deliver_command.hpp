// `poplar deliver USER < message`: the local delivery agent for Postfix's
// mailbox_command and procmail-style use.
#pragma once

#include "config/config.hpp"

#include <string>

namespace poplar::cli {

// Reads the message from stdin and stores it in the user's Maildir. Returns a
// sysexits.h code an MTA understands: 0, EX_NOUSER (unknown user),
// EX_TEMPFAIL (any I/O error, a full disk, an unreadable passwd-file: the MTA
// keeps the message and retries), EX_DATAERR (not a message), EX_CANTCREAT
// (over max_message_size).
int run_deliver(const config::Config& config, const std::string& user);

} // namespace poplar::cli

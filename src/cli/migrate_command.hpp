// `poplar migrate-uidl USER FILE`: keep the UIDLs another server showed.
#pragma once

#include "config/config.hpp"

#include <string>

namespace poplar::cli {

// Imports FILE, lines "msgid-or-filename UIDL" (store/uidl_import.hpp), into
// USER's poplar-uidls. Prints how many lines matched and each line that did
// not on stdout; refused lines on stderr. Exit codes (sysexits.h): 0 done
// (unmatched lines included), 65 a bad line (nothing imported), 66 FILE
// cannot be read, 67 unknown user, 74 the Maildir cannot be opened or
// written, 75 the mailbox is in use or the passwd-file unreadable.
int run_migrate_uidl(const config::Config& config, const std::string& user, const std::string& file);

} // namespace poplar::cli

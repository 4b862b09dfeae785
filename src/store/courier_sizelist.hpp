// Reading Courier's courierpop3dsizelist: the POP3 UIDLs Courier's pop3d
// showed for this Maildir.
#pragma once

#include "store/uidl_sources.hpp"

#include <string_view>

namespace poplar::store {

inline constexpr const char* courier_sizelist_name = "courierpop3dsizelist";

// Parses the text of a courierpop3dsizelist as Courier 1.0 (Debian 12's
// courier-pop) writes and reads it:
// - a header `/<version> <nextuid> [<uidvalidity>]`, version 3 or 2; any
//   other first line means Courier would ignore the file: header_ok is false.
// - lines `<filename> <size> <uid>:<uidvalidity>[:<utf8>]`, split at the last
//   two spaces (a file name may hold spaces); numbers decimal. The filename is
//   as it was when Courier wrote the list, flags and all: its base name (up
//   to the first ':') is what matches.
// The UIDL is Courier's: `UID<uid>-<uidvalidity>`, `UID<uid>` when the
// uidvalidity is 0, and for uid 0 the base name with every byte outside
// 0x21..0x7E and every ' " + written as `+XX` (upper-case hex).
// A line that does not parse, or a last line without '\n', is skipped.
UidlFileSummary parse_courier_sizelist(std::string_view text, const OnUidl& on_uidl);

} // namespace poplar::store

// Reading Dovecot's dovecot-uidlist: the POP3 UIDLs a Dovecot showed for this
// Maildir, so that clients moving to poplar download nothing twice.
#pragma once

#include "store/uidl_sources.hpp"

#include <string_view>

namespace poplar::store {

inline constexpr const char* dovecot_uidlist_name = "dovecot-uidlist";

// Parses the text of a dovecot-uidlist as Dovecot 1.x to 2.3 write it:
// - a header line: version 3, `3 V<uidvalidity> N<nextuid> [G<guid> ...]`
//   (one-letter fields in any order, unknown ones ignored), or version 1,
//   `1 <uidvalidity> <nextuid>`; uidvalidity and nextuid decimal, 1..2^32-1.
//   Any other first line (version 2 never shipped) means Dovecot would not
//   have used the file either: header_ok is false and nothing is read.
// - record lines: `<uid> [<fields>] :<filename>` (v3) or `<uid> <filename>`
//   (v1). A field is one upper-case letter and a value without spaces;
//   `P<uidl>` is the UIDL Dovecot saved with pop3_save_uidl (the first P
//   field counts; an empty one is none, as in Dovecot). The uid is
//   decimal, 1..2^32-2, and must be greater than the previous record's
//   (Dovecot's own rule: it throws such a file away; here only that line is
//   skipped, so no two records share a uid).
// The UIDL of a record is its P field when it has one, else what Dovecot's
// default pop3_uidl_format `%08Xu%08Xv` gives: the uid and the uidvalidity as
// 8 hex digits each, LOWER case (Dovecot 2.3's %X modifier prints with "%llx";
// checked against a real Dovecot 2.3.19 in tests/integration/test_migration.py).
// A record with an empty filename, a '/' in it, a bad uid, or a last line
// without '\n' (a write cut short) is skipped.
UidlFileSummary parse_dovecot_uidlist(std::string_view text, const OnUidl& on_uidl);

} // namespace poplar::store

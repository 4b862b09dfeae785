// poplar-uidls: UIDLs poplar was told to keep (`poplar migrate-uidl`) or had
// to give a message to keep UIDLs unique (foreign_uidls.hpp).
#pragma once

#include "store/maildir_owner.hpp"
#include "store/uidl_sources.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace poplar::store {

inline constexpr const char* uidl_record_name = "poplar-uidls";

// Parses poplar-uidls: lines `<base name> <uidl>\n`, exactly one space; the
// base name a storable key (record_file.hpp: no whitespace or control bytes),
// the UIDL one RFC 1939 allows. Other lines, and a last line without '\n'
// (an append cut short), are skipped. Lines are appended over time: of two
// for one base name the later wins (the consumer keeps the later).
UidlFileSummary parse_uidl_record(std::string_view text, const OnUidl& on_uidl);

// Appends `line` text ("base uidl\n" lines) to <dir_fd>/poplar-uidls, and
// fsyncs it: these UIDLs are what clients will remember. A file whose last
// line was cut short is rewritten instead (temp file, fsync, rename) without
// that line, so it can never be completed into a wrong entry. Only the
// session holding the mailbox lock writes. Never throws but std::bad_alloc.
std::error_code add_to_uidl_record(int dir_fd, std::string_view lines, const std::optional<MaildirOwner>& owner);

// Appends the line "base uidl\n" to `out`; false (nothing added) when the
// pair cannot be stored by the rules above.
bool format_uidl_line(std::string& out, std::string_view base_name, std::string_view uidl);

} // namespace poplar::store

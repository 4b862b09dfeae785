// `poplar migrate-uidl`: importing a "msgid-or-filename UIDL" map exported
// from another server into poplar-uidls (docs/maildir.md, "UIDL").
#pragma once

#include "store/mailbox.hpp"
#include "store/maildir_owner.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace poplar::store {

// One usable line of the map. `key` is a Message-ID with its angle brackets
// (`<...>`) or a Maildir base name (a file name given with ":2,flags" is cut
// at its first ':').
struct UidlMapEntry {
    std::size_t line = 0;  // 1-based
    std::string key;
    std::string uidl;
    bool is_message_id() const { return !key.empty() && key.front() == '<'; }
};

struct UidlMapProblem {
    std::size_t line = 0;
    std::string reason;
};

struct UidlMap {
    std::vector<UidlMapEntry> entries;
    std::vector<UidlMapProblem> problems;  // lines refused; nothing is imported then
};

// Parses the map: one `<key> <uidl>` per line, the key and the UIDL separated
// by the last run of spaces or tabs (a key may hold spaces; a UIDL cannot);
// LF or CRLF line ends; empty lines and lines starting with '#' are ignored.
// Refused, each with its line number: a line without both parts, a UIDL RFC
// 1939 forbids (1..70 characters in 0x21..0x7E), a `<...` key without its
// '>', a file name with whitespace or control bytes (poplar-uidls cannot
// hold it), a UIDL given on an earlier line too, a file name given on an
// earlier line too. One Message-ID on several lines is allowed: a mailbox
// can hold several copies of a message; they are paired in delivery order.
UidlMap parse_uidl_map(std::string_view text);

// The Message-ID of a header block (HeaderBlock::bytes()): the `<...>` in the
// first Message-ID field (name matched without regard to case, continuation
// lines unfolded); nullopt when there is none.
std::optional<std::string> find_message_id(std::string_view header);

struct UidlImportReport {
    OpenStatus status = OpenStatus::ok;  // in_use: nothing done
    std::string detail;                   // why the Maildir could not be opened
    std::size_t matched = 0;              // entries that found their message
    std::size_t written = 0;              // of those, UIDLs that changed
    std::vector<UidlMapProblem> unmatched;  // no such message (not an error)
    std::vector<UidlMapProblem> refused;    // would give two messages one UIDL: nothing written
    std::error_code write_error;          // poplar-uidls could not be written
};

// Opens (and locks, as a session does) the Maildir at `dir`, matches each
// entry to a message by base name or Message-ID (headers are read only when
// a key is a Message-ID), and appends the UIDLs that change to poplar-uidls.
// An entry that would give its UIDL to a second message (the UIDL another
// message has, from any source, and keeps), or a second UIDL to a message
// another line matched, is refused, and then nothing is written. Never throws
// but std::bad_alloc.
UidlImportReport import_uidls(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner,
                              std::span<const UidlMapEntry> entries);

} // namespace poplar::store

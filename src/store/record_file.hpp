// poplar's small files in a Maildir: an append-only keyed record ("key number"
// lines) and the atomic replacement of a whole file.
#pragma once

#include "store/maildir_owner.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace poplar::store {

// A file <dir>/<name> of lines "key number\n", kept by the session that holds
// the mailbox lock, so writes need no further locking. New entries are
// appended with one O_APPEND write; a crash can leave the last line cut short,
// which load() ignores and which is never appended to (a cut "k 12" of
// "k 123" would be completed into a wrong entry): the owner rewrites the file
// instead (temp file, fsync, rename), keeping only the entries still in use.
// A failed write is reported, never thrown.
class RecordFile {
public:
    using OnEntry = std::function<void(std::string_view key, std::uint64_t number)>;

    // Reads <dir_fd>/<name> and calls `on_entry` for each complete line made
    // of a storable key, one space and a plain decimal number (no sign, no
    // leading '+', fitting 64 bits, nothing after it); every other line is
    // ignored. A missing, unreadable or non-regular file reads as empty.
    // Reads at most max_bytes; a longer file counts as cut short.
    static RecordFile load(int dir_fd, std::string name, const OnEntry& on_entry);

    // Whether `key` fits the line format (1+ bytes, no whitespace or control
    // bytes). Entries for other keys are never written.
    static bool storable_key(std::string_view key);

    // Appends the line "key number\n" to `out`. `key` must be storable.
    static void format_line(std::string& out, std::string_view key, std::uint64_t number);

    // Whether adding `adding` lines should rewrite rather than append: the
    // file ends in a cut line, or would then hold more than twice as many
    // lines as there are `live` keys (entries for messages long gone).
    bool should_rewrite(std::size_t adding, std::size_t live) const {
        return cut_line_ || lines_ + adding > 2 * live;
    }

    // Appends `lines` (made by format_line, `count` of them) in one write.
    // Refuses (EPERM) a file that is not a regular file with one link.
    std::error_code append(int dir_fd, std::string_view lines, std::size_t count,
                           const std::optional<MaildirOwner>& owner);

    // Replaces the file by one holding exactly `lines` (`count` of them).
    std::error_code rewrite(int dir_fd, std::string_view lines, std::size_t count,
                            const std::optional<MaildirOwner>& owner);

    // Lines in the file, valid or not, as last read or written.
    std::size_t lines() const { return lines_; }
    bool cut_line() const { return cut_line_; }

    // The most load() reads: about a million entries. A bigger file is not
    // ours to trust (the Maildir's owner can write it); it is rewritten.
    static constexpr std::size_t max_bytes = 64 * 1024 * 1024;

private:
    explicit RecordFile(std::string name) : name_(std::move(name)) {}

    std::string name_;
    std::size_t lines_ = 0;
    bool cut_line_ = false;
};

// Parses a plain decimal number: digits only, at least one, fitting 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// Reads <dir_fd>/<name> whole if it is a regular file of at most `limit`
// bytes; nullopt if it is missing, not regular, bigger, or unreadable.
std::optional<std::string> read_small_file(int dir_fd, const std::string& name, std::size_t limit);

// Reads <dir_fd>/<name> up to `limit` bytes (the rest is ignored) if it is a
// regular file; nullopt if it is missing, not regular, or unreadable. For
// files poplar reads but never writes (another server's): a longer file still
// gives its first lines, and a cut last line has no '\n'.
std::optional<std::string> read_file_head(int dir_fd, const std::string& name, std::size_t limit);

// Appends `data` to <dir_fd>/<name> with one O_APPEND write, creating it
// (mode 0600, given to `owner` when running as root) if missing, then fsyncs
// it when `sync`. Refuses (EPERM) a file that is not a regular file with one
// link: appending to a hard link would write into another file. On a failed
// write, `*write_failed` (when given) is set: part of `data` may be there.
std::error_code append_file(int dir_fd, const std::string& name, std::string_view data,
                            const std::optional<MaildirOwner>& owner, bool sync, bool* write_failed = nullptr);

// Replaces <dir_fd>/<name> atomically by a file holding `content`: writes
// <name>.tmp (mode 0600, given to `owner` when running as root), fsyncs it and
// renames it over <name>. On failure the old file is left as it was.
std::error_code replace_file(int dir_fd, const std::string& name, std::string_view content,
                             const std::optional<MaildirOwner>& owner);

} // namespace poplar::store

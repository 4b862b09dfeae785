// The size cache <dir>/poplar-sizes: wire sizes of messages, as stored and
// after the UTF-8 header downgrade, so that a login does not read every
// message, and no message is read twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace poplar::store {

// The file holds lines "basename size downgraded_size\n" (downgraded_size:
// header_downgrade.hpp). A line "basename size" was written before the
// downgrade existed: its header has not been checked yet. Only the session
// holding the mailbox lock touches the file, so appends need no further
// locking. A line cut short by a crash, or any line that does not parse, is
// ignored; of two lines for one name the later wins. Sizes of removed messages
// stay until a compaction rewrites the file.
class SizeCache {
public:
    struct Sizes {
        std::uint64_t size = 0;
        // nullopt for an old two-field line: the header must still be read.
        std::optional<std::uint64_t> downgraded_size;
        friend bool operator==(const Sizes&, const Sizes&) = default;
    };

    // Reads the cache in the Maildir directory `dir_fd`. A missing or
    // unreadable file gives an empty cache: it is only an optimisation.
    static SizeCache load(int dir_fd);

    // The cached sizes of `base_name`, marking the entry as still in use.
    std::optional<Sizes> find(std::string_view base_name);

    // Records sizes just computed; written by save().
    void add(std::string_view base_name, std::uint64_t size, std::uint64_t downgraded_size);

    // Appends the added entries (O_APPEND), or, when the file would hold more
    // than twice as many entries as the mailbox has messages, ends in a line
    // cut short or has old two-field lines, rewrites it with only the entries
    // used since load (temp file, fsync, rename). Failures are ignored: the sizes are computed again at
    // the next login.
    void save(int dir_fd, std::size_t message_count);

    // Whether `base_name` can be stored in the line format at all (no
    // whitespace or control bytes); others are simply never cached.
    static bool cacheable(std::string_view base_name);

    // Lines in the file (valid or not) plus entries added since load.
    std::size_t entry_count() const { return file_entries_ + pending_count_; }

private:
    struct Entry {
        Sizes sizes;
        bool used = false;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
    std::string pending_;  // lines to append
    std::size_t pending_count_ = 0;
    std::size_t file_entries_ = 0;
    // A crash mid-append can leave a last line without '\n'.
    bool cut_line_ = false;
    // Lines "basename size" of a poplar without the downgrade.
    std::size_t two_field_lines_ = 0;
};

} // namespace poplar::store

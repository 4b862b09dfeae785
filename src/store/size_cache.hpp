// The size cache <dir>/poplar-sizes: wire sizes of messages whose names carry
// no ",W=", so that a login does not read every message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace poplar::store {

// The file holds lines "basename size\n". Only the session holding the mailbox
// lock touches it, so appends need no further locking. A line cut short by a
// crash, or any line that does not parse, is ignored. Sizes of removed
// messages stay until a compaction rewrites the file.
class SizeCache {
public:
    // Reads the cache in the Maildir directory `dir_fd`. A missing or
    // unreadable file gives an empty cache: it is only an optimisation.
    static SizeCache load(int dir_fd);

    // The cached size of `base_name`, marking the entry as still in use.
    std::optional<std::uint64_t> find(std::string_view base_name);

    // Records a size just computed; written by save().
    void add(std::string_view base_name, std::uint64_t size);

    // Appends the added entries (O_APPEND), or, when the file would hold more
    // than twice as many entries as the mailbox has messages or ends in a line
    // cut short, rewrites it with only the entries used since load (temp file,
    // fsync, rename). Failures are ignored: the sizes are computed again at
    // the next login.
    void save(int dir_fd, std::size_t message_count);

    // Whether `base_name` can be stored in the line format at all (no
    // whitespace or control bytes); others are simply never cached.
    static bool cacheable(std::string_view base_name);

    // Lines in the file (valid or not) plus entries added since load.
    std::size_t entry_count() const { return file_entries_ + pending_count_; }

private:
    struct Entry {
        std::uint64_t size = 0;
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
};

} // namespace poplar::store

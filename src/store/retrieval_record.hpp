// The retrieval record <dir>/poplar-retrieved: when POP3 first retrieved each
// message, for RFC 2449 EXPIRE.
#pragma once

#include "store/maildir_owner.hpp"
#include "store/message.hpp"
#include "store/record_file.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace poplar::store {

// Lines "basename unix-seconds\n" (a RecordFile). poplar's own record, not the
// Maildir's S flag: an IMAP user reading a message must not start the POP3
// expiry clock. A line that does not parse is ignored, and so is a time
// before 1970 or past 2^63-1 seconds; of two lines for one name the first
// wins (it was written first). Losing the record only delays expiry.
class RetrievalRecord {
public:
    static constexpr const char* file_name = "poplar-retrieved";

    // Reads the record in the Maildir directory `dir_fd`; a missing or
    // unreadable file is an empty record.
    static RetrievalRecord load(int dir_fd);

    // Sets first_retrieved of each message the record names, then forgets
    // the loaded times (the snapshot holds them from now on).
    void fill(std::span<MessageInfo> messages);

    // Records `now_unix` for `added` (names of messages that had no time
    // yet; unstorable names are skipped). Appends, or when the file ends in a
    // cut line or would hold more than twice as many lines as `messages` has
    // entries, rewrites it with the times of `messages` plus the added ones.
    // `now_unix` must not be negative.
    std::error_code save(int dir_fd, std::span<const MessageInfo> messages, std::span<const std::string_view> added,
                         std::int64_t now_unix, const std::optional<MaildirOwner>& owner);

    const RecordFile& file() const { return file_; }

private:
    explicit RetrievalRecord(RecordFile file) : file_(std::move(file)) {}

    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    RecordFile file_;
    std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> times_;
};

} // namespace poplar::store

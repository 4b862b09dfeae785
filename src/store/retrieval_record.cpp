// The retrieval record <dir>/poplar-retrieved (see retrieval_record.hpp).
#include "store/retrieval_record.hpp"

#include <limits>

namespace poplar::store {

RetrievalRecord RetrievalRecord::load(int dir_fd) {
    std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> times;
    RecordFile file = RecordFile::load(dir_fd, file_name, [&](std::string_view name, std::uint64_t seconds) {
        if (seconds <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            times.try_emplace(std::string(name), static_cast<std::int64_t>(seconds));  // the first line wins
        }
    });
    RetrievalRecord record(std::move(file));
    record.times_ = std::move(times);
    return record;
}

void RetrievalRecord::fill(std::span<MessageInfo> messages) {
    if (!times_.empty()) {
        for (MessageInfo& message : messages) {
            if (auto it = times_.find(message.id.value); it != times_.end()) {
                message.first_retrieved = it->second;
            }
        }
    }
    times_ = {};
}

std::error_code RetrievalRecord::save(int dir_fd, std::span<const MessageInfo> messages,
                                      std::span<const std::string_view> added, std::int64_t now_unix,
                                      const std::optional<MaildirOwner>& owner) {
    if (now_unix < 0) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    const auto now = static_cast<std::uint64_t>(now_unix);
    std::string lines;
    std::size_t count = 0;
    for (std::string_view name : added) {
        if (RecordFile::storable_key(name)) {
            RecordFile::format_line(lines, name, now);
            ++count;
        }
    }
    if (!file_.should_rewrite(count, messages.size())) {
        return count == 0 ? std::error_code{} : file_.append(dir_fd, lines, count, owner);
    }
    for (const MessageInfo& message : messages) {
        if (message.first_retrieved && *message.first_retrieved >= 0 && RecordFile::storable_key(message.id.value)) {
            RecordFile::format_line(lines, message.id.value, static_cast<std::uint64_t>(*message.first_retrieved));
            ++count;
        }
    }
    return file_.rewrite(dir_fd, lines, count, owner);
}

} // namespace poplar::store

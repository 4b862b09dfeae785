// The open Maildir (see maildir_mailbox.hpp).
#include "common/fault_point.hpp"
#include "store/maildir_mailbox.hpp"

#include "store/file_source.hpp"
#include "store/last_login.hpp"
#include "store/maildir_name.hpp"
#include "store/maildir_scan.hpp"
#include "store/record_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <string_view>
#include <system_error>

namespace poplar::store {

namespace {

// A file renamed again between our re-scan and our next try: a couple of
// rounds cover a client that flips flags; an endless race is reported as an
// I/O error rather than looping.
constexpr int max_rescans = 3;

} // namespace

MaildirMailbox::MaildirMailbox(MailboxLock lock, UniqueFd cur_fd, UniqueFd new_fd,
                               std::vector<MessageInfo> messages, std::vector<Location> locations, Records records)
    : lock_(std::move(lock)),
      cur_fd_(std::move(cur_fd)),
      new_fd_(std::move(new_fd)),
      messages_(std::move(messages)),
      locations_(std::move(locations)),
      records_(std::move(records)) {
    index_by_id_.reserve(messages_.size());
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        index_by_id_.emplace(messages_[i].id.value, i);
    }
}

const std::size_t* MaildirMailbox::find_index(const StoreId& id) const {
    auto it = index_by_id_.find(id.value);
    return it == index_by_id_.end() ? nullptr : &it->second;
}

void MaildirMailbox::rescan() {
    std::vector<FoundFile> files = list_cur_and_new(new_fd_.get(), cur_fd_.get());
    for (Location& location : locations_) {
        location.present = false;
    }
    for (FoundFile& file : files) {
        MaildirName name = parse_maildir_name(file.name);
        auto it = index_by_id_.find(std::string(name.base));
        if (it == index_by_id_.end()) {
            continue;  // not in the snapshot: delivered after open, or not ours
        }
        Location& location = locations_[it->second];
        if (!location.present) {  // cur/ is listed first and wins
            location = Location{std::move(file.name), file.in_new, true};
        }
    }
}

template <typename Attempt>
int MaildirMailbox::on_message_file(std::size_t index, Attempt attempt) {
    bool rescanned = false;
    for (int round = 0;; ++round) {
        const Location& location = locations_[index];
        if (!location.present) {
            // Not seen by the last scan. A scan that raced another program's
            // rename can miss a file, so one fresh look before "gone".
            if (rescanned) {
                return ENOENT;
            }
        } else {
            int dir_fd = location.in_new ? new_fd_.get() : cur_fd_.get();
            int error = attempt(dir_fd, location.name.c_str());
            if (error != ENOENT) {
                return error;
            }
            if (round == max_rescans) {
                return EAGAIN;
            }
        }
        rescan();
        rescanned = true;
    }
}

std::unique_ptr<ByteSource> MaildirMailbox::open_message(const StoreId& id) {
    const std::size_t* index = find_index(id);
    if (index == nullptr) {
        throw MessageGone{id};
    }
    UniqueFd fd;
    int error = on_message_file(*index, [&](int dir_fd, const char* name) {
        fd = open_message_file(dir_fd, name);
        return fd.valid() ? 0 : errno;
    });
    if (error == ENOENT) {
        throw MessageGone{id};
    }
    if (error != 0) {
        throw std::system_error(error, std::generic_category(), "open message " + id.value);
    }
    return std::make_unique<FileSource>(std::move(fd));
}

std::unique_ptr<ByteSource> MaildirMailbox::try_open_message(const StoreId& id) {
    const std::size_t* index = find_index(id);
    if (index == nullptr) {
        throw MessageGone{id};
    }
    const Location& location = locations_[*index];
    if (!location.present) {
        return nullptr;  // only a scan (on the worker pool) can tell moved from gone
    }
    UniqueFd fd = open_message_file(location.in_new ? new_fd_.get() : cur_fd_.get(), location.name.c_str());
    if (!fd.valid()) {
        const int error = errno;
        if (error == ENOENT) {
            return nullptr;  // renamed or removed: finding out means listing the Maildir
        }
        throw std::system_error(error, std::generic_category(), "open message " + id.value);
    }
    return std::make_unique<FileSource>(std::move(fd));
}

UpdateResult MaildirMailbox::remove(std::span<const StoreId> ids) {
    UpdateResult result;
    // The lease: if another session may own the mailbox now, deleting would
    // act on its snapshot, not ours.
    if (!lock_.still_held()) {
        result.lease_lost = true;
        return result;
    }
    for (const StoreId& id : ids) {
        try {
            const std::size_t* index = find_index(id);
            if (index == nullptr) {
                result.failed.push_back(id);  // never in the snapshot: a caller's mistake
                continue;
            }
            int error = on_message_file(*index, [](int dir_fd, const char* name) {
                return ::unlinkat(dir_fd, name, 0) == 0 ? 0 : errno;
            });
            if (error == 0 || error == ENOENT) {
                locations_[*index].present = false;
                ++result.removed;
                fault_point("maildir.update.after_unlink");
            } else {
                result.failed.push_back(id);
            }
        } catch (const std::exception&) {
            // A re-scan that failed, or no memory: this id is not removed.
            result.failed.push_back(id);
        }
    }
    return result;
}

std::error_code MaildirMailbox::note_retrieved(std::span<const StoreId> ids, std::int64_t now_unix) {
    if (now_unix < 0) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    try {
        std::vector<std::size_t> added;
        std::vector<std::string_view> names;
        std::vector<bool> seen(messages_.size());
        for (const StoreId& id : ids) {
            const std::size_t* index = find_index(id);
            if (index == nullptr || messages_[*index].first_retrieved || !locations_[*index].present ||
                !RecordFile::storable_key(id.value)) {
                continue;  // not ours, already recorded, removed, or a name the record cannot hold
            }
            if (!seen[*index]) {
                seen[*index] = true;
                added.push_back(*index);
                names.push_back(messages_[*index].id.value);
            }
        }
        if (added.empty()) {
            return {};
        }
        // Another session may own the Maildir now and be writing the record.
        if (!lock_.still_held()) {
            return std::make_error_code(std::errc::device_or_resource_busy);
        }
        std::error_code error =
            records_.retrieved.save(records_.dir_fd.get(), messages_, names, now_unix, records_.owner);
        if (!error) {
            for (std::size_t index : added) {
                messages_[index].first_retrieved = now_unix;
            }
        }
        return error;
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    }
}

std::error_code MaildirMailbox::record_login(std::int64_t now_unix) {
    if (now_unix < 0) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (!lock_.still_held()) {
        return std::make_error_code(std::errc::device_or_resource_busy);
    }
    try {
        return write_last_login(records_.dir_fd.get(), now_unix, records_.owner);
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    }
}

} // namespace poplar::store

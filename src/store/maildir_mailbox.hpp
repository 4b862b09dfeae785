// The open Maildir: the Mailbox that open_maildir returns.
#pragma once

#include "store/mailbox.hpp"
#include "store/mailbox_lock.hpp"
#include "store/maildir_owner.hpp"
#include "store/retrieval_record.hpp"
#include "store/unique_fd.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace poplar::store {

class MaildirMailbox final : public Mailbox {
public:
    // Where a message's file was last seen. Another program (an IMAP session,
    // a mail client on the server) may rename it to change its flags; the
    // base name, which is the StoreId, never changes.
    struct Location {
        std::string name;     // file name in cur/ or new/
        bool in_new = false;  // in new/ rather than cur/
        bool present = true;  // false once a re-scan did not find it
    };

    // poplar's own records in the Maildir directory (docs/maildir.md).
    struct Records {
        UniqueFd dir_fd;  // the Maildir itself, where the records live
        std::optional<MaildirOwner> owner;  // for files the records create
        RetrievalRecord retrieved;  // already filled into the messages
        std::optional<std::int64_t> previous_login;
    };

    // `messages` and `locations` are parallel, in delivery order.
    MaildirMailbox(MailboxLock lock, UniqueFd cur_fd, UniqueFd new_fd, std::vector<MessageInfo> messages,
                   std::vector<Location> locations, Records records);

    const std::vector<MessageInfo>& messages() const override { return messages_; }
    std::unique_ptr<ByteSource> open_message(const StoreId& id) override;
    std::unique_ptr<ByteSource> try_open_message(const StoreId& id) override;
    UpdateResult remove(std::span<const StoreId> ids) override;
    std::error_code note_retrieved(std::span<const StoreId> ids, std::int64_t now_unix) override;
    std::optional<std::int64_t> previous_login() const override { return records_.previous_login; }
    std::error_code record_login(std::int64_t now_unix) override;

private:
    // Runs `attempt(dir_fd, name)` on the message's file, which returns 0 or
    // an errno value. On ENOENT re-scans the Maildir for the base name and
    // tries again. Returns ENOENT when the message is gone; never acts on a
    // file with another base name. Throws std::system_error if a re-scan fails.
    template <typename Attempt>
    int on_message_file(std::size_t index, Attempt attempt);

    // Re-reads cur/ and new/ and updates every snapshot message's location.
    void rescan();

    const std::size_t* find_index(const StoreId& id) const;

    MailboxLock lock_;
    UniqueFd cur_fd_;
    UniqueFd new_fd_;
    std::vector<MessageInfo> messages_;
    std::vector<Location> locations_;
    std::unordered_map<std::string, std::size_t> index_by_id_;
    Records records_;
};

} // namespace poplar::store

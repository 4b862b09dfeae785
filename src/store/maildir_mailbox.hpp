// The open Maildir: the Mailbox that open_maildir returns.
#pragma once

#include "store/mailbox.hpp"
#include "store/mailbox_lock.hpp"
#include "store/unique_fd.hpp"

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

    // `messages` and `locations` are parallel, in delivery order.
    MaildirMailbox(MailboxLock lock, UniqueFd cur_fd, UniqueFd new_fd, std::vector<MessageInfo> messages,
                   std::vector<Location> locations);

    const std::vector<MessageInfo>& messages() const override { return messages_; }
    std::unique_ptr<ByteSource> open_message(const StoreId& id) override;
    std::unique_ptr<ByteSource> try_open_message(const StoreId& id) override;
    UpdateResult remove(std::span<const StoreId> ids) override;

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
};

} // namespace poplar::store

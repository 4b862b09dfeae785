// The Mailbox interface: one user's mail drop, opened and locked for a session.
#pragma once

#include "store/byte_source.hpp"
#include "store/message.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace poplar::store {

// Why a mailbox could not be opened, mapped to RFC 2449/3206 response codes by
// the protocol layer.
enum class OpenStatus {
    ok,
    in_use,     // another session holds the lock: [IN-USE]
    temporary,  // an I/O error that may pass: [SYS/TEMP]
    permanent,  // the mailbox cannot be used as it is: [SYS/PERM]
};

// Thrown by Mailbox::open_message when a message is no longer in the store
// (removed or moved away by another program during the session).
struct MessageGone {
    StoreId id;
};

struct UpdateResult {
    std::size_t removed = 0;
    // Ids that were asked for but could not be removed because of an error
    // (a message already gone counts as removed: the goal is reached).
    std::vector<StoreId> failed;
    // The lock was found lost before anything was deleted; nothing was removed.
    bool lease_lost = false;
};

// An open, locked mailbox. The lock is held from open until the object is
// destroyed. All methods may block on disk I/O: the network layer calls them
// from the worker pool, except try_open_message and ByteSource::read, which
// touch one already-known file and so may run on an I/O thread.
class Mailbox {
public:
    virtual ~Mailbox() = default;

    // The snapshot taken at open, in delivery order. Messages delivered later
    // are not in it (they show at the next login).
    virtual const std::vector<MessageInfo>& messages() const = 0;

    // Opens the message as stored (raw bytes, LF or CRLF line ends). Throws
    // MessageGone if the message has vanished, std::system_error on I/O error.
    // May search the whole mailbox for a message another program renamed.
    virtual std::unique_ptr<ByteSource> open_message(const StoreId& id) = 0;

    // Opens the message where the snapshot saw it, never searching: returns
    // nullptr when it is not there (renamed or removed since), and the caller
    // then calls open_message from the worker pool. Throws as open_message.
    virtual std::unique_ptr<ByteSource> try_open_message(const StoreId& id) = 0;

    // RFC 1939 UPDATE: removes the given messages in one operation, after
    // checking that the lock is still held. Never throws for a single message;
    // failures are reported in the result.
    virtual UpdateResult remove(std::span<const StoreId> ids) = 0;

    // RFC 2449 EXPIRE: records `now_unix` as the first retrieval of each of
    // `ids` that has none yet, across sessions and restarts; messages() shows
    // it afterwards. An earlier time is never overwritten; an id not in the
    // snapshot, or already removed, is skipped. Called at UPDATE. Never
    // throws: returns the error of a write that failed (for the log; losing
    // the record only delays expiry), EINVAL for a negative time, EBUSY when
    // the lock was lost.
    [[nodiscard]] virtual std::error_code note_retrieved(std::span<const StoreId> ids, std::int64_t now_unix) = 0;

    // RFC 2449 LOGIN-DELAY: the unix time of the last login recorded by
    // record_login, as read at open; nullopt if none is known. record_login
    // does not change it.
    virtual std::optional<std::int64_t> previous_login() const = 0;

    // Records `now_unix` as the time of this login, persistently. Never
    // throws: returns the error of a write that failed, EINVAL for a negative
    // time, EBUSY when the lock was lost.
    [[nodiscard]] virtual std::error_code record_login(std::int64_t now_unix) = 0;
};

struct OpenResult {
    OpenStatus status = OpenStatus::temporary;
    std::unique_ptr<Mailbox> mailbox;  // set when status == ok
    std::string detail;                // for the log, never sent to the client
};

} // namespace poplar::store

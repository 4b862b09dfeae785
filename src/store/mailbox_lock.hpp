// The mailbox lock: an exclusive flock on <dir>/poplar.lock, held as a lease.
#pragma once

#include "store/unique_fd.hpp"

#include <filesystem>
#include <optional>
#include <system_error>

namespace poplar::store {

struct LockAttempt;

// flock(2) locks belong to an open file description, so two sessions conflict
// whether they are threads of one process (each open()s the file) or separate
// processes, and the kernel drops the lock when the holder exits or crashes.
class MailboxLock {
public:
    // Creates `path` (mode 0600) if needed and locks it without waiting.
    // Never throws except std::bad_alloc.
    static LockAttempt try_acquire(const std::filesystem::path& path);

    // The lease check: true while the file we lock is still the file at the
    // path. False when someone removed or replaced it (then another session
    // may lock the new file, so we must not act as the owner any more).
    bool still_held() const;

private:
    MailboxLock(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}

    UniqueFd fd_;  // closing it releases the lock
    std::filesystem::path path_;
};

enum class LockOutcome { acquired, in_use, error };

struct LockAttempt {
    LockOutcome outcome = LockOutcome::error;
    std::optional<MailboxLock> lock;  // set when acquired
    std::error_code error;            // set when error
};

} // namespace poplar::store

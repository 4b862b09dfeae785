// The mailbox lock (see mailbox_lock.hpp).
#include "store/mailbox_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

namespace poplar::store {

namespace {

bool same_file(int fd, const std::filesystem::path& path) {
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) != 0 || ::lstat(path.c_str(), &named) != 0) {
        return false;
    }
    return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

// Another session may remove or replace the lock file between our open() and
// our flock(); then we hold a lock nobody else will see. A few retries settle
// it; more would only mean something keeps replacing the file on purpose.
constexpr int max_lock_attempts = 5;

} // namespace

LockAttempt MailboxLock::try_acquire(const std::filesystem::path& path) {
    LockAttempt attempt;
    for (int i = 0; i < max_lock_attempts; ++i) {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
        if (!fd.valid()) {
            attempt.error = std::error_code(errno, std::generic_category());
            return attempt;
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK || errno == EINTR) {
                attempt.outcome = LockOutcome::in_use;
            } else {
                attempt.error = std::error_code(errno, std::generic_category());
            }
            return attempt;
        }
        if (same_file(fd.get(), path)) {
            attempt.outcome = LockOutcome::acquired;
            attempt.lock = MailboxLock(std::move(fd), path);
            return attempt;
        }
    }
    attempt.error = std::make_error_code(std::errc::resource_unavailable_try_again);
    return attempt;
}

bool MailboxLock::still_held() const { return same_file(fd_.get(), path_); }

} // namespace poplar::store

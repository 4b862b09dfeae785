// Tests of the mailbox lock: across threads, across processes, after a crash.
#include "store/mailbox_lock.hpp"
#include "store/maildir.hpp"

#include "store/temp_maildir.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

namespace poplar::store {
namespace {

using testing::TempMaildir;

TEST(MailboxLock, SecondOpenInTheSameProcessIsInUse) {
    TempMaildir md;
    OpenResult first = open_maildir(md.dir());
    ASSERT_EQ(first.status, OpenStatus::ok) << first.detail;
    OpenResult second = open_maildir(md.dir());
    EXPECT_EQ(second.status, OpenStatus::in_use);
    EXPECT_FALSE(second.mailbox);
    EXPECT_FALSE(second.detail.empty());
}

TEST(MailboxLock, OpenFromAnotherThreadIsInUse) {
    TempMaildir md;
    OpenResult first = open_maildir(md.dir());
    ASSERT_EQ(first.status, OpenStatus::ok) << first.detail;
    OpenStatus other = OpenStatus::ok;
    std::thread([&] { other = open_maildir(md.dir()).status; }).join();
    EXPECT_EQ(other, OpenStatus::in_use);
}

TEST(MailboxLock, ReleasedWhenTheMailboxIsDestroyed) {
    TempMaildir md;
    OpenResult first = open_maildir(md.dir());
    ASSERT_EQ(first.status, OpenStatus::ok);
    first.mailbox.reset();
    OpenResult second = open_maildir(md.dir());
    EXPECT_EQ(second.status, OpenStatus::ok) << second.detail;
}

TEST(MailboxLock, HeldByAnotherProcessUntilItIsKilled) {
    TempMaildir md;
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(ready[0]);
        OpenResult held = open_maildir(md.dir());
        char status = held.status == OpenStatus::ok ? 'k' : 'x';
        (void)!::write(ready[1], &status, 1);
        for (;;) {
            ::pause();  // hold the lock until SIGKILL
        }
    }
    ::close(ready[1]);
    char status = 0;
    ASSERT_EQ(::read(ready[0], &status, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(status, 'k');

    EXPECT_EQ(open_maildir(md.dir()).status, OpenStatus::in_use);

    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(wait_status));

    OpenResult after = open_maildir(md.dir());
    EXPECT_EQ(after.status, OpenStatus::ok) << after.detail;
}

TEST(MailboxLock, LeaseHeldUntilTheFileIsReplaced) {
    TempMaildir md;
    std::filesystem::path path = md.dir() / "poplar.lock";
    LockAttempt attempt = MailboxLock::try_acquire(path);
    ASSERT_EQ(attempt.outcome, LockOutcome::acquired);
    ASSERT_TRUE(attempt.lock);
    EXPECT_TRUE(attempt.lock->still_held());

    EXPECT_EQ(MailboxLock::try_acquire(path).outcome, LockOutcome::in_use);

    std::filesystem::remove(path);
    EXPECT_FALSE(attempt.lock->still_held());
    // Someone else can now lock the new file: that is why the lease is lost.
    LockAttempt other = MailboxLock::try_acquire(path);
    EXPECT_EQ(other.outcome, LockOutcome::acquired);
    EXPECT_FALSE(attempt.lock->still_held());
    EXPECT_TRUE(other.lock->still_held());
}

TEST(MailboxLock, MissingDirectoryIsAnError) {
    LockAttempt attempt = MailboxLock::try_acquire("/nonexistent-poplar-dir/poplar.lock");
    EXPECT_EQ(attempt.outcome, LockOutcome::error);
    EXPECT_EQ(attempt.error, std::errc::no_such_file_or_directory);
}

} // namespace
} // namespace poplar::store

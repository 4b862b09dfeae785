// Tests for PasswdFile: logins, re-reading on change, read errors, logging once, threads.
#include "auth/passwd_file.hpp"
#include "auth/passwd_load.hpp"

#include "auth/auth_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace poplar::auth {
namespace {

std::size_t count_of(const std::string& text, const std::string& needle)
{
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++count;
    return count;
}

class PasswdFileTest : public testing::Test {
protected:
    // Writes the file and gives it an explicit mtime, so a change is seen
    // without sleeping past the file system's timestamp granularity.
    void write(const std::string& text, long mtime_ns = 0)
    {
        test::write_file(path_, text);
        test::set_mtime(path_, 1'700'000'000, mtime_ns);
    }

    VerifyResult login(const std::string& user, const std::string& password)
    {
        return db_.verify(PasswordCredentials{user, password});
    }

    test::TempDir dir_;
    std::filesystem::path path_ = dir_.path() / "passwd";
    PasswdFile db_{path_};
};

TEST_F(PasswdFileTest, LoginsAndUserInfo)
{
    write("alice:{PLAIN}wonderland:1000:100:Alice:/home/alice:/bin/false:userdb_quota=1G nodelay\n"
          "bob:{SHA512-CRYPT}" + test::make_hash("builder", "$6$", 1000) + ":1001:100\n"
          "carol:" + test::make_hash("singer", "$1$", 0) + "\n");

    const auto alice = login("alice", "wonderland");
    ASSERT_EQ(alice.status, VerifyStatus::ok) << alice.detail;
    EXPECT_EQ(alice.user.name, "alice");
    EXPECT_EQ(alice.user.home, "/home/alice");
    EXPECT_EQ(alice.user.uid, 1000u);
    EXPECT_EQ(alice.user.gid, 100u);
    const std::map<std::string, std::string> extra{{"userdb_quota", "1G"}, {"nodelay", "yes"}};
    EXPECT_EQ(alice.user.extra, extra);

    EXPECT_EQ(login("bob", "builder").status, VerifyStatus::ok);
    EXPECT_EQ(login("bob", "builder").user.uid, 1001u);
    EXPECT_EQ(login("carol", "singer").status, VerifyStatus::ok); // no {SCHEME}: CRYPT

    const auto wrong = login("bob", "Builder");
    EXPECT_EQ(wrong.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(wrong.detail, "wrong password");
    EXPECT_TRUE(wrong.user.name.empty());

    const auto unknown = login("dave", "builder");
    EXPECT_EQ(unknown.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(unknown.detail, "unknown user");
    EXPECT_EQ(login("Alice", "wonderland").status, VerifyStatus::bad_credentials); // case-sensitive
    EXPECT_EQ(login("", "").status, VerifyStatus::bad_credentials);
}

TEST_F(PasswdFileTest, MissingFileIsTemporaryFailureLoggedOnce)
{
    testing::internal::CaptureStderr();
    const auto first = login("alice", "x");
    const auto second = login("alice", "x");
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(first.status, VerifyStatus::temporary_failure);
    EXPECT_EQ(second.status, VerifyStatus::temporary_failure);
    EXPECT_NE(first.detail.find("cannot open"), std::string::npos) << first.detail;
    EXPECT_EQ(count_of(log, "poplar: passwd-file: "), 1u) << log;
    EXPECT_EQ(count_of(log, "\n"), 1u) << log;

    write("alice:{PLAIN}x\n");
    EXPECT_EQ(login("alice", "x").status, VerifyStatus::ok);
}

TEST_F(PasswdFileTest, FindUserForLmtp)
{
    testing::internal::CaptureStderr();
    EXPECT_EQ(db_.find_user("alice").status, UserSearch::Status::unavailable); // no file yet
    (void)testing::internal::GetCapturedStderr();
    write("alice:{PLAIN}x:1000:100::/home/alice\nbob@example.org:{PLAIN}y\n");
    const auto alice = db_.find_user("alice");
    ASSERT_EQ(alice.status, UserSearch::Status::found);
    EXPECT_EQ(alice.user.name, "alice");
    EXPECT_EQ(alice.user.home, "/home/alice");
    EXPECT_EQ(alice.user.uid, 1000u);
    EXPECT_EQ(db_.find_user("bob@example.org").status, UserSearch::Status::found);
    EXPECT_EQ(db_.find_user("Alice").status, UserSearch::Status::unknown);
    EXPECT_EQ(db_.find_user("bob").status, UserSearch::Status::unknown);
    EXPECT_EQ(db_.find_user("").status, UserSearch::Status::unknown);
}

TEST_F(PasswdFileTest, RereadsWhenSizeChanges)
{
    write("alice:{PLAIN}one\n");
    ASSERT_EQ(login("alice", "one").status, VerifyStatus::ok);
    write("alice:{PLAIN}three\nbob:{PLAIN}b\n");
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::bad_credentials);
    EXPECT_EQ(login("alice", "three").status, VerifyStatus::ok);
    EXPECT_EQ(login("bob", "b").status, VerifyStatus::ok);
}

TEST_F(PasswdFileTest, RereadsWhenContentChangesAtSameSize)
{
    write("alice:{PLAIN}one\n", 0);
    ASSERT_EQ(login("alice", "one").status, VerifyStatus::ok);
    write("alice:{PLAIN}two\n", 1); // same size, one nanosecond later
    EXPECT_EQ(login("alice", "two").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::bad_credentials);
}

TEST_F(PasswdFileTest, RereadsWhenReplacedByRename)
{
    write("alice:{PLAIN}one\n");
    ASSERT_EQ(login("alice", "one").status, VerifyStatus::ok);
    const auto next = dir_.path() / "passwd.new";
    test::write_file(next, "alice:{PLAIN}two\n");
    test::set_mtime(next, 1'700'000'000, 0); // same size and mtime: only the inode differs
    std::filesystem::rename(next, path_);
    EXPECT_EQ(login("alice", "two").status, VerifyStatus::ok);
}

TEST_F(PasswdFileTest, ReadErrorKeepsLastGoodContents)
{
    write("alice:{PLAIN}one\n");
    ASSERT_EQ(login("alice", "one").status, VerifyStatus::ok);

    std::filesystem::remove(path_);
    testing::internal::CaptureStderr();
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::ok);
    std::filesystem::create_directory(path_); // a different error: logged too
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "one").status, VerifyStatus::ok);
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_of(log, "\n"), 2u) << log;
    EXPECT_EQ(count_of(log, "cannot open"), 1u) << log;
    EXPECT_EQ(count_of(log, "not a regular file"), 1u) << log;
    EXPECT_EQ(count_of(log, "keeping the last good contents"), 2u) << log;

    std::filesystem::remove(path_);
    write("alice:{PLAIN}two\n");
    EXPECT_EQ(login("alice", "two").status, VerifyStatus::ok);
}

TEST_F(PasswdFileTest, ParseErrorsLoggedOnceNeverTheSecret)
{
    write("alice:{PLAIN}a\nbob:{PLAIN}S3cretMarker:notanumber\n");
    testing::internal::CaptureStderr();
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    EXPECT_EQ(login("bob", "S3cretMarker").status, VerifyStatus::bad_credentials); // the line was skipped
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_of(log, "\n"), 1u) << log;
    EXPECT_TRUE(log.starts_with("poplar: passwd-file: ")) << log;
    EXPECT_NE(log.find("line 2: uid is not a number"), std::string::npos) << log;
    EXPECT_EQ(log.find("S3cretMarker"), std::string::npos) << log;
}

TEST_F(PasswdFileTest, InvalidateForcesReread)
{
    db_.invalidate(); // before anything was read: harmless
    write("alice:{PLAIN}a\n:bad\n");
    testing::internal::CaptureStderr();
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    db_.invalidate();
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    EXPECT_EQ(login("alice", "a").status, VerifyStatus::ok);
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_of(log, "line 2: empty user name"), 2u) << log; // once per read, not per login
}

TEST_F(PasswdFileTest, UnknownSchemeRefusedAndLoggedOnce)
{
    write("alice:{SSHA}S3cretMarker\nbob:{SSHA}other\n");
    testing::internal::CaptureStderr();
    const auto first = login("alice", "S3cretMarker");
    const auto second = login("bob", "other");
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(first.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(first.detail, "unknown password scheme {SSHA}");
    EXPECT_EQ(second.status, VerifyStatus::bad_credentials);
    EXPECT_EQ(count_of(log, "\n"), 1u) << log;
    EXPECT_NE(log.find("unknown password scheme {SSHA} for 2 user(s), first 'alice'"), std::string::npos) << log;
    EXPECT_EQ(log.find("S3cretMarker"), std::string::npos) << log;
}

TEST_F(PasswdFileTest, DummyHashFollowsFirstCryptSecret)
{
    write("plain:{PLAIN}p\nlocked:!\nempty:\nbob:{BLF-CRYPT}" + test::make_hash("b", "$2b$", 5) + "\ncarol:" +
          test::make_hash("c", "$6$", 1000) + "\n");
    const auto load = load_passwd_file(path_);
    ASSERT_TRUE(load.table);
    EXPECT_TRUE(load.table->dummy_hash.starts_with("$2b$05$")) << load.table->dummy_hash;
    EXPECT_EQ(login("nobody", "b").detail, "unknown user");

    write("plain:{PLAIN}p\n");
    const auto plain_only = load_passwd_file(path_);
    ASSERT_TRUE(plain_only.table);
    EXPECT_TRUE(plain_only.table->dummy_hash.starts_with("$y$")) << plain_only.table->dummy_hash;
}

TEST_F(PasswdFileTest, ConcurrentVerifyWhileFileChanges)
{
    // Two versions of the file; alice's password is in both. The writer swaps
    // them by rename, as an administrator's tool should, so every read sees a
    // whole file.
    const std::string hash = test::make_hash("hashed", "$1$", 0);
    const std::string versions[2] = {
        "alice:{PLAIN}a\nbob:" + hash + "\n",
        "bob:" + hash + "\nalice:{PLAIN}a:5\ncarol:{PLAIN}c\n",
    };
    write(versions[0]);

    std::atomic<bool> failed{false};
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
            for (int i = 0; i < 150; ++i) {
                if (login("alice", "a").status != VerifyStatus::ok)
                    failed = true;
                if (i % 10 == t && login("bob", "hashed").status != VerifyStatus::ok)
                    failed = true;
                if (i % 25 == t && login("nobody", "x").status != VerifyStatus::bad_credentials)
                    failed = true;
            }
        });
    }
    std::thread writer([&] {
        const auto next = dir_.path() / "passwd.new";
        for (int i = 1; i <= 40 && !done; ++i) {
            test::write_file(next, versions[i % 2]);
            test::set_mtime(next, 1'700'000'000, i);
            std::filesystem::rename(next, path_);
            if (i % 7 == 0)
                db_.invalidate();
        }
    });
    for (auto& reader : readers)
        reader.join();
    done = true;
    writer.join();
    EXPECT_FALSE(failed);
}

} // namespace
} // namespace poplar::auth

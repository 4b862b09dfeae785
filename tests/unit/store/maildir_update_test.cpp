// Tests of open_message and remove (UPDATE) on an open Maildir, with other
// programs renaming and deleting files behind the session's back.
#include "store/maildir.hpp"

#include "store/temp_maildir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <system_error>

#include <vector>

namespace poplar::store {
namespace {

using testing::read_all;
using testing::TempMaildir;
using testing::write_file;

class MaildirUpdate : public ::testing::Test {
protected:
    void SetUp() override {
        md_.put_cur("1.M1P1.h:2,", "one\n");
        md_.put_cur("2.M1P1.h:2,S", "two\n");
        md_.deliver_new("3.M1P1.h", "three\n");
        OpenResult result = open_maildir(md_.dir());
        ASSERT_EQ(result.status, OpenStatus::ok) << result.detail;
        mailbox_ = std::move(result.mailbox);
        ASSERT_EQ(mailbox_->messages().size(), 3u);
    }

    std::string content_of(const std::string& id) { return read_all(*mailbox_->open_message(StoreId{id})); }

    std::vector<std::string> files_in_cur() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(md_.cur())) {
            names.push_back(entry.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    TempMaildir md_;
    std::unique_ptr<Mailbox> mailbox_;
};

TEST_F(MaildirUpdate, OpensEachMessageById) {
    EXPECT_EQ(content_of("1.M1P1.h"), "one\n");
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
    EXPECT_EQ(content_of("3.M1P1.h"), "three\n");
}

TEST_F(MaildirUpdate, OpensAMessageWhoseFlagsChangedBehindUs) {
    std::filesystem::rename(md_.cur() / "2.M1P1.h:2,S", md_.cur() / "2.M1P1.h:2,RS");
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
    // And again after a second change: the re-scan result is kept up to date.
    std::filesystem::rename(md_.cur() / "2.M1P1.h:2,RS", md_.cur() / "2.M1P1.h:2,");
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
}

TEST_F(MaildirUpdate, TryOpenNeverSearchesAndSaysSoWhenTheFileMoved) {
    EXPECT_EQ(read_all(*mailbox_->try_open_message(StoreId{"2.M1P1.h"})), "two\n");
    std::filesystem::rename(md_.cur() / "2.M1P1.h:2,S", md_.cur() / "2.M1P1.h:2,RS");
    EXPECT_EQ(mailbox_->try_open_message(StoreId{"2.M1P1.h"}), nullptr);
    // The search (on the worker pool, in the server) finds it, and after that
    // the fast path knows the new name.
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
    EXPECT_EQ(read_all(*mailbox_->try_open_message(StoreId{"2.M1P1.h"})), "two\n");
    EXPECT_THROW(mailbox_->try_open_message(StoreId{"nope"}), MessageGone);
}

// Review finding: a scan that ran while another program was renaming a file
// can miss it; that must not make the message "gone" for the whole session.
TEST_F(MaildirUpdate, AMessageAScanMissedIsLookedForAgain) {
    const auto path = md_.cur() / "2.M1P1.h:2,S";
    const auto aside = md_.dir() / "aside";
    std::filesystem::rename(path, aside);
    EXPECT_THROW(content_of("2.M1P1.h"), MessageGone);  // the scan did not see it
    std::filesystem::rename(aside, md_.cur() / "2.M1P1.h:2,RS");
    EXPECT_EQ(mailbox_->try_open_message(StoreId{"2.M1P1.h"}), nullptr);  // "look on the pool"
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
}

TEST_F(MaildirUpdate, FindsAMessageMovedBackToNew) {
    std::filesystem::rename(md_.cur() / "1.M1P1.h:2,", md_.new_dir() / "1.M1P1.h");
    EXPECT_EQ(content_of("1.M1P1.h"), "one\n");
}

TEST_F(MaildirUpdate, NeverOpensAnotherMessage) {
    // The file is gone; a new message with a similar name must not stand in.
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    md_.put_cur("1.M1P1.h2:2,", "impostor\n");
    md_.put_cur("1.M1P1:2,", "impostor\n");
    try {
        mailbox_->open_message(StoreId{"1.M1P1.h"});
        FAIL() << "expected MessageGone";
    } catch (const MessageGone& gone) {
        EXPECT_EQ(gone.id.value, "1.M1P1.h");
    }
}

TEST_F(MaildirUpdate, AMessageReplacedByADirectoryIsAnIoError) {
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    std::filesystem::create_directory(md_.cur() / "1.M1P1.h:2,");
    EXPECT_THROW(mailbox_->open_message(StoreId{"1.M1P1.h"}), std::system_error);
}

TEST_F(MaildirUpdate, AMessageReplacedByAFifoIsAnIoErrorWithoutBlocking) {
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    ASSERT_EQ(::mkfifo((md_.cur() / "1.M1P1.h:2,").c_str(), 0600), 0);
    EXPECT_THROW(mailbox_->open_message(StoreId{"1.M1P1.h"}), std::system_error);
}

TEST_F(MaildirUpdate, UnknownIdIsGone) {
    EXPECT_THROW(mailbox_->open_message(StoreId{"nope"}), MessageGone);
}

TEST_F(MaildirUpdate, RemoveDeletesOnlyTheGivenIds) {
    std::vector<StoreId> ids = {StoreId{"1.M1P1.h"}, StoreId{"3.M1P1.h"}};
    UpdateResult result = mailbox_->remove(ids);
    EXPECT_FALSE(result.lease_lost);
    EXPECT_EQ(result.removed, 2u);
    EXPECT_TRUE(result.failed.empty());
    EXPECT_EQ(files_in_cur(), std::vector<std::string>{"2.M1P1.h:2,S"});
    EXPECT_THROW(mailbox_->open_message(StoreId{"1.M1P1.h"}), MessageGone);
    EXPECT_EQ(content_of("2.M1P1.h"), "two\n");
}

TEST_F(MaildirUpdate, RemoveWithNoIdsDeletesNothing) {
    UpdateResult result = mailbox_->remove({});
    EXPECT_EQ(result.removed, 0u);
    EXPECT_EQ(files_in_cur().size(), 3u);
}

TEST_F(MaildirUpdate, RemoveFindsARenamedFile) {
    std::filesystem::rename(md_.cur() / "2.M1P1.h:2,S", md_.cur() / "2.M1P1.h:2,ST");
    UpdateResult result = mailbox_->remove(std::vector<StoreId>{StoreId{"2.M1P1.h"}});
    EXPECT_EQ(result.removed, 1u);
    EXPECT_TRUE(result.failed.empty());
    EXPECT_EQ(files_in_cur(), (std::vector<std::string>{"1.M1P1.h:2,", "3.M1P1.h:2,"}));
}

TEST_F(MaildirUpdate, AMessageAlreadyGoneCountsAsRemoved) {
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    UpdateResult result = mailbox_->remove(std::vector<StoreId>{StoreId{"1.M1P1.h"}});
    EXPECT_EQ(result.removed, 1u);
    EXPECT_TRUE(result.failed.empty());
    EXPECT_EQ(files_in_cur().size(), 2u);
}

TEST_F(MaildirUpdate, AnUnknownIdFailsAndTheRestIsRemoved) {
    std::vector<StoreId> ids = {StoreId{"not-in-snapshot"}, StoreId{"2.M1P1.h"}};
    UpdateResult result = mailbox_->remove(ids);
    EXPECT_EQ(result.removed, 1u);
    ASSERT_EQ(result.failed.size(), 1u);
    EXPECT_EQ(result.failed[0].value, "not-in-snapshot");
}

TEST_F(MaildirUpdate, AFileThatCannotBeUnlinkedIsReportedFailed) {
    // unlink of a directory fails with EISDIR even for root.
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    std::filesystem::create_directory(md_.cur() / "1.M1P1.h:2,");
    UpdateResult result = mailbox_->remove(std::vector<StoreId>{StoreId{"1.M1P1.h"}, StoreId{"3.M1P1.h"}});
    EXPECT_EQ(result.removed, 1u);
    ASSERT_EQ(result.failed.size(), 1u);
    EXPECT_EQ(result.failed[0].value, "1.M1P1.h");
}

TEST_F(MaildirUpdate, LeaseLostWhenTheLockFileIsReplacedDeletesNothing) {
    std::filesystem::path lock = md_.dir() / "poplar.lock";
    write_file(md_.dir() / "other.lock", "");
    std::filesystem::rename(md_.dir() / "other.lock", lock);
    UpdateResult result = mailbox_->remove(std::vector<StoreId>{StoreId{"1.M1P1.h"}, StoreId{"2.M1P1.h"}});
    EXPECT_TRUE(result.lease_lost);
    EXPECT_EQ(result.removed, 0u);
    EXPECT_EQ(files_in_cur().size(), 3u);
}

TEST_F(MaildirUpdate, LeaseLostWhenTheLockFileIsRemovedDeletesNothing) {
    std::filesystem::remove(md_.dir() / "poplar.lock");
    UpdateResult result = mailbox_->remove(std::vector<StoreId>{StoreId{"1.M1P1.h"}});
    EXPECT_TRUE(result.lease_lost);
    EXPECT_EQ(files_in_cur().size(), 3u);
}

TEST_F(MaildirUpdate, RemovedMessageStaysOutOfTheNextSnapshot) {
    mailbox_->remove(std::vector<StoreId>{StoreId{"2.M1P1.h"}});
    mailbox_.reset();
    OpenResult result = open_maildir(md_.dir());
    ASSERT_EQ(result.status, OpenStatus::ok);
    ASSERT_EQ(result.mailbox->messages().size(), 2u);
    EXPECT_EQ(result.mailbox->messages()[0].id.value, "1.M1P1.h");
    EXPECT_EQ(result.mailbox->messages()[1].id.value, "3.M1P1.h");
}

} // namespace
} // namespace poplar::store

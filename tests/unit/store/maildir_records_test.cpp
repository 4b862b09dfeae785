// Tests of poplar's records in an open Maildir: first retrievals
// (poplar-retrieved, RFC 2449 EXPIRE) and the last login (poplar-last-login,
// RFC 2449 LOGIN-DELAY), across sessions.
#include "store/maildir.hpp"

#include "store/temp_maildir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempMaildir;
using testing::write_file;

class MaildirRecords : public ::testing::Test {
protected:
    void SetUp() override {
        md_.put_cur("1.M1P1.h:2,", "one\n");
        md_.put_cur("2.M1P1.h:2,S", "two\n");
        md_.deliver_new("3.M1P1.h", "three\n");
    }

    // Opens a session; the previous one must have been closed (reset) first.
    std::unique_ptr<Mailbox> open() {
        OpenResult result = open_maildir(md_.dir());
        EXPECT_EQ(result.status, OpenStatus::ok) << result.detail;
        return std::move(result.mailbox);
    }

    static std::map<std::string, std::optional<std::int64_t>> retrievals(const Mailbox& mailbox) {
        std::map<std::string, std::optional<std::int64_t>> out;
        for (const MessageInfo& message : mailbox.messages()) {
            out[message.id.value] = message.first_retrieved;
        }
        return out;
    }

    std::optional<std::int64_t> first_retrieved_after_reopen(const std::string& id) {
        return retrievals(*open())[id];
    }

    std::string record() const { return read_file(md_.dir() / "poplar-retrieved"); }
    void write_record(std::string_view content) const { write_file(md_.dir() / "poplar-retrieved", content); }

    static std::vector<StoreId> ids(std::initializer_list<const char*> names) {
        std::vector<StoreId> out;
        for (const char* name : names) {
            out.push_back(StoreId{name});
        }
        return out;
    }

    TempMaildir md_;
};

using Times = std::map<std::string, std::optional<std::int64_t>>;

TEST_F(MaildirRecords, ANewMaildirHasNoRecords) {
    auto mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", std::nullopt}, {"2.M1P1.h", std::nullopt}, {"3.M1P1.h", std::nullopt}}));
    EXPECT_EQ(mailbox->previous_login(), std::nullopt);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-retrieved"));
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-last-login"));
}

TEST_F(MaildirRecords, RetrievalsSurviveReopen) {
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h", "3.M1P1.h"}), 1000));
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", 1000}, {"2.M1P1.h", std::nullopt}, {"3.M1P1.h", 1000}}));
    EXPECT_EQ(record(), "1.M1P1.h 1000\n3.M1P1.h 1000\n");
    struct stat st {};
    ASSERT_EQ(::stat((md_.dir() / "poplar-retrieved").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    mailbox.reset();

    mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", 1000}, {"2.M1P1.h", std::nullopt}, {"3.M1P1.h", 1000}}));
}

TEST_F(MaildirRecords, AFirstRetrievalIsNeverOverwritten) {
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h"}), 1000));
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h", "1.M1P1.h"}), 2000));  // same session
    EXPECT_EQ(retrievals(*mailbox)["1.M1P1.h"], 1000);
    mailbox.reset();

    mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h", "2.M1P1.h"}), 3000));  // a later session
    EXPECT_EQ(retrievals(*mailbox)["1.M1P1.h"], 1000);
    EXPECT_EQ(record(), "1.M1P1.h 1000\n2.M1P1.h 3000\n");  // nothing written for 1 again
    mailbox.reset();
    EXPECT_EQ(first_retrieved_after_reopen("1.M1P1.h"), 1000);
}

TEST_F(MaildirRecords, IdsListedTwiceAreRecordedOnce) {
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"2.M1P1.h", "2.M1P1.h"}), 1000));
    EXPECT_EQ(record(), "2.M1P1.h 1000\n");
}

TEST_F(MaildirRecords, NothingNewWritesNothing) {
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved({}, 1000));
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-retrieved"));
}

TEST_F(MaildirRecords, ALineCutShortByACrashIsIgnoredAndNeverCompleted) {
    // "2.M1P1.h 20" may be the start of "2.M1P1.h 2000".
    write_record("1.M1P1.h 1000\n2.M1P1.h 20");
    auto mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", 1000}, {"2.M1P1.h", std::nullopt}, {"3.M1P1.h", std::nullopt}}));
    EXPECT_FALSE(mailbox->note_retrieved(ids({"2.M1P1.h"}), 3000));
    mailbox.reset();
    mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", 1000}, {"2.M1P1.h", 3000}, {"3.M1P1.h", std::nullopt}}));
    EXPECT_EQ(record().back(), '\n');
}

TEST_F(MaildirRecords, GarbageLinesAreIgnored) {
    write_record(
        "1.M1P1.h -5\n"                   // before 1970
        "1.M1P1.h 9223372036854775808\n"  // past 2^63-1
        "1.M1P1.h 99999999999999999999\n"  // past 2^64
        "1.M1P1.h +7\n"
        "1.M1P1.h 7 8\n"
        "garbage\n"
        "\n"
        "2.M1P1.h 9223372036854775807\n"  // the largest time is taken as written
        "3.M1P1.h 0\n"
        "3.M1P1.h 5\n");                  // the first line for a name wins
    auto mailbox = open();
    EXPECT_EQ(retrievals(*mailbox),
              (Times{{"1.M1P1.h", std::nullopt}, {"2.M1P1.h", INT64_MAX}, {"3.M1P1.h", 0}}));
    // A message whose lines were all garbage can still be recorded.
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h"}), 4000));
    mailbox.reset();
    EXPECT_EQ(first_retrieved_after_reopen("1.M1P1.h"), 4000);
}

TEST_F(MaildirRecords, CompactionKeepsOnlyLiveEntries) {
    write_record("gone1 1\ngone2 2\n1.M1P1.h 100\ngone3 3\ngone4 4\ngarbage\n");
    auto mailbox = open();
    // 6 lines + 1 new > 2 * 3 messages: rewritten with the live entries only.
    EXPECT_FALSE(mailbox->note_retrieved(ids({"2.M1P1.h"}), 2000));
    std::string content = record();
    EXPECT_TRUE(content == "2.M1P1.h 2000\n1.M1P1.h 100\n" || content == "1.M1P1.h 100\n2.M1P1.h 2000\n") << content;
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-retrieved.tmp"));
    mailbox.reset();
    mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", 100}, {"2.M1P1.h", 2000}, {"3.M1P1.h", std::nullopt}}));
}

TEST_F(MaildirRecords, NoCompactionUpToTwiceTheMessages) {
    write_record("gone1 1\ngone2 2\ngone3 3\ngone4 4\ngone5 5\n");
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h"}), 1000));  // 6 lines == 2 * 3
    EXPECT_EQ(record(), "gone1 1\ngone2 2\ngone3 3\ngone4 4\ngone5 5\n1.M1P1.h 1000\n");
}

TEST_F(MaildirRecords, MessagesRemovedOrUnknownAreSkipped) {
    auto mailbox = open();
    UpdateResult removed = mailbox->remove(ids({"1.M1P1.h"}));
    ASSERT_EQ(removed.removed, 1u);
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h", "not-in-snapshot", "2.M1P1.h"}), 1000));
    EXPECT_EQ(record(), "2.M1P1.h 1000\n");
}

TEST_F(MaildirRecords, AMessageThatVanishedBehindTheSessionIsHarmless) {
    auto mailbox = open();
    std::filesystem::remove(md_.cur() / "3.M1P1.h:2,");  // another program deleted it
    EXPECT_FALSE(mailbox->note_retrieved(ids({"3.M1P1.h"}), 1000));
    mailbox.reset();
    mailbox = open();
    EXPECT_EQ(retrievals(*mailbox), (Times{{"1.M1P1.h", std::nullopt}, {"2.M1P1.h", std::nullopt}}));
}

TEST_F(MaildirRecords, ANegativeTimeIsRefused) {
    auto mailbox = open();
    EXPECT_EQ(mailbox->note_retrieved(ids({"1.M1P1.h"}), -1), std::errc::invalid_argument);
    EXPECT_EQ(retrievals(*mailbox)["1.M1P1.h"], std::nullopt);
    EXPECT_EQ(mailbox->record_login(-1), std::errc::invalid_argument);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-retrieved"));
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-last-login"));
}

TEST_F(MaildirRecords, AFailedWriteIsReportedAndNotRemembered) {
    std::filesystem::create_directory(md_.dir() / "poplar-retrieved");  // cannot be opened for writing
    auto mailbox = open();
    EXPECT_TRUE(mailbox->note_retrieved(ids({"1.M1P1.h"}), 1000));
    EXPECT_EQ(retrievals(*mailbox)["1.M1P1.h"], std::nullopt);
}

TEST_F(MaildirRecords, NothingIsWrittenOnceTheLockIsLost) {
    auto mailbox = open();
    std::filesystem::remove(md_.dir() / "poplar.lock");
    EXPECT_EQ(mailbox->note_retrieved(ids({"1.M1P1.h"}), 1000), std::errc::device_or_resource_busy);
    EXPECT_EQ(mailbox->record_login(1000), std::errc::device_or_resource_busy);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-retrieved"));
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-last-login"));
}

TEST_F(MaildirRecords, NamesThatBreakTheLineFormatAreNotKept) {
    md_.put_cur("4.M1P1.h with space:2,", "four\n");
    auto mailbox = open();
    EXPECT_FALSE(mailbox->note_retrieved(ids({"4.M1P1.h with space", "1.M1P1.h"}), 1000));
    EXPECT_EQ(record(), "1.M1P1.h 1000\n");
    EXPECT_EQ(retrievals(*mailbox)["4.M1P1.h with space"], std::nullopt);  // it never expires
    mailbox.reset();
    EXPECT_EQ(first_retrieved_after_reopen("4.M1P1.h with space"), std::nullopt);
}

TEST_F(MaildirRecords, TheSizeCacheIsUntouched) {
    auto mailbox = open();
    const std::string sizes = read_file(md_.dir() / "poplar-sizes");
    EXPECT_FALSE(mailbox->note_retrieved(ids({"1.M1P1.h"}), 1000));
    EXPECT_FALSE(mailbox->record_login(1000));
    EXPECT_EQ(read_file(md_.dir() / "poplar-sizes"), sizes);
}

TEST_F(MaildirRecords, PreviousLoginSurvivesReopen) {
    auto mailbox = open();
    EXPECT_FALSE(mailbox->record_login(1700000000));
    EXPECT_EQ(mailbox->previous_login(), std::nullopt);  // as read at open
    EXPECT_EQ(read_file(md_.dir() / "poplar-last-login"), "1700000000\n");
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-last-login.tmp"));
    struct stat st {};
    ASSERT_EQ(::stat((md_.dir() / "poplar-last-login").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    mailbox.reset();

    mailbox = open();
    EXPECT_EQ(mailbox->previous_login(), 1700000000);
    EXPECT_FALSE(mailbox->record_login(1700000900));
    mailbox.reset();
    EXPECT_EQ(open()->previous_login(), 1700000900);
}

TEST_F(MaildirRecords, ALastLoginFileThatDoesNotParseMeansNoPreviousLogin) {
    struct Case {
        const char* content;
        std::optional<std::int64_t> expected;
    };
    const Case cases[] = {
        {"1000\n", 1000},
        {"1000", 1000},  // written by hand without a newline
        {"0\n", 0},
        {"9223372036854775807\n", INT64_MAX},
        {"", std::nullopt},
        {"\n", std::nullopt},
        {"-5\n", std::nullopt},
        {"+5\n", std::nullopt},
        {" 5\n", std::nullopt},
        {"5 \n", std::nullopt},
        {"5\n\n", std::nullopt},
        {"5\r\n", std::nullopt},
        {"abc\n", std::nullopt},
        {"9223372036854775808\n", std::nullopt},
        {"99999999999999999999999999999999999999\n", std::nullopt},
    };
    for (const Case& c : cases) {
        write_file(md_.dir() / "poplar-last-login", c.content);
        EXPECT_EQ(open()->previous_login(), c.expected) << '"' << c.content << '"';
    }
}

TEST_F(MaildirRecords, ALastLoginSymlinkIsNeitherReadNorWrittenThrough) {
    write_file(md_.dir() / "elsewhere", "1000\n");
    std::filesystem::create_symlink(md_.dir() / "elsewhere", md_.dir() / "poplar-last-login");
    auto mailbox = open();
    EXPECT_EQ(mailbox->previous_login(), std::nullopt);
    EXPECT_FALSE(mailbox->record_login(2000));
    EXPECT_EQ(read_file(md_.dir() / "elsewhere"), "1000\n");
    EXPECT_FALSE(std::filesystem::is_symlink(md_.dir() / "poplar-last-login"));
    EXPECT_EQ(read_file(md_.dir() / "poplar-last-login"), "2000\n");
}

} // namespace
} // namespace poplar::store

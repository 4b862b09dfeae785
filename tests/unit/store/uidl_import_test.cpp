// Tests of `poplar migrate-uidl`'s store side: the map's lines, the
// Message-ID of a header, and the import into poplar-uidls.
#include "store/maildir.hpp"
#include "store/uidl_import.hpp"

#include "store/temp_maildir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempMaildir;
using testing::write_file;

std::vector<std::string> problems(const UidlMap& map) {
    std::vector<std::string> out;
    for (const auto& problem : map.problems) out.push_back(std::to_string(problem.line) + ": " + problem.reason);
    return out;
}

TEST(UidlMap, GoodLines) {
    UidlMap map = parse_uidl_map("# exported from the old server\n"
                                 "<a@example.org> UIDL-1\r\n"
                                 "\n"
                                 "1700000000.M1P1.h:2,S\tUIDL-2\n"
                                 "  c.3.h \t  UIDL-3  \n"
                                 "<a@example.org> UIDL-4");
    EXPECT_TRUE(map.problems.empty()) << problems(map).front();
    ASSERT_EQ(map.entries.size(), 4u);
    EXPECT_EQ(map.entries[0].line, 2u);
    EXPECT_EQ(map.entries[0].key, "<a@example.org>");
    EXPECT_TRUE(map.entries[0].is_message_id());
    EXPECT_EQ(map.entries[1].key, "1700000000.M1P1.h");
    EXPECT_EQ(map.entries[1].uidl, "UIDL-2");
    EXPECT_FALSE(map.entries[1].is_message_id());
    EXPECT_EQ(map.entries[2].key, "c.3.h");
    EXPECT_EQ(map.entries[2].uidl, "UIDL-3");
    EXPECT_EQ(map.entries[3].line, 6u) << "one Message-ID on two lines: two copies of a message";
}

TEST(UidlMap, BadLinesAreEachReportedByNumber) {
    UidlMap map = parse_uidl_map("onlyone\n"                                  // 1
                                 "a.1.h " + std::string(71, 'x') + "\n"       // 2 too long
                                 "a.1.h u\x01v\n"                             // 3 control byte
                                 "a.1.h caf\xc3\xa9\n"                        // 4 8-bit
                                 "<no-bracket@x UIDL-5\n"                     // 5
                                 "name with spaces UIDL-6\n"                  // 6 (a name poplar-uidls cannot hold)
                                 "b.2.h UIDL-7\n"                             // 7 good
                                 "b.2.h:2,S UIDL-8\n"                         // 8 same file
                                 "<c@x> UIDL-7\n");                           // 9 same UIDL
    EXPECT_EQ(map.entries.size(), 1u);
    std::vector<std::size_t> lines;
    for (const auto& problem : map.problems) lines.push_back(problem.line);
    EXPECT_EQ(lines, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 8, 9}));
    EXPECT_EQ(map.problems.back().reason, "UIDL UIDL-7 is on line 7 too");
}

TEST(FindMessageId, FieldNameAnyCaseFoldedValueAndNone) {
    EXPECT_EQ(find_message_id("Subject: x\nMessage-ID: <a@b>\n\nbody"), "<a@b>");
    EXPECT_EQ(find_message_id("message-id:<a@b> (comment)\r\n\r\n"), "<a@b>");
    EXPECT_EQ(find_message_id("MESSAGE-ID:\r\n  <folded@b>\r\nX: y\r\n\r\n"), "<folded@b>");
    EXPECT_EQ(find_message_id("Subject: x\n\nMessage-ID: <in-body@b>\n"), std::nullopt);
    EXPECT_EQ(find_message_id("Message-ID: no brackets\n\n"), std::nullopt);
    EXPECT_EQ(find_message_id("X-Message-ID: <other@b>\n\n"), std::nullopt);
    EXPECT_EQ(find_message_id("Message-ID: <first@b>\nMessage-ID: <second@b>\n\n"), "<first@b>");
}

class UidlImport : public ::testing::Test {
protected:
    void SetUp() override {
        md_.put_cur("1.M1P1.h:2,S", "Message-ID: <one@x>\nSubject: 1\n\nbody\n");
        md_.put_cur("2.M1P1.h:2,", "Subject: 2\nMessage-Id: <dup@x>\n\nbody\n");
        md_.deliver_new("3.M1P1.h", "Message-ID: <dup@x>\n\nbody\n");
        md_.deliver_new("4.M1P1.h", "Subject: no id\n\nbody\n");
    }
    UidlImportReport import(std::string_view text) {
        UidlMap map = parse_uidl_map(text);
        EXPECT_TRUE(map.problems.empty());
        return import_uidls(md_.dir(), std::nullopt, map.entries);
    }
    std::vector<std::string> listed() {
        OpenResult result = open_maildir(md_.dir());
        std::vector<std::string> out;
        for (const auto& message : result.mailbox->messages()) out.push_back(message.uidl);
        return out;
    }
    TempMaildir md_;
};

TEST_F(UidlImport, ByMessageIdAndFileNameWithDuplicatesPairedInDeliveryOrder) {
    UidlImportReport report = import("<one@x> OLD-1\n<dup@x> OLD-2\n<dup@x> OLD-3\n4.M1P1.h:2,S OLD-4\n"
                                     "<gone@x> OLD-5\n<dup@x> OLD-6\n9.M1P1.h OLD-7\n");
    EXPECT_EQ(report.status, OpenStatus::ok) << report.detail;
    EXPECT_EQ(report.matched, 4u);
    EXPECT_EQ(report.written, 4u);
    ASSERT_EQ(report.unmatched.size(), 3u);
    EXPECT_EQ(report.unmatched[0].line, 5u);
    EXPECT_EQ(report.unmatched[1].line, 6u) << "a third copy of <dup@x> is not there";
    EXPECT_EQ(report.unmatched[2].reason, "no message with base name 9.M1P1.h");
    EXPECT_TRUE(report.refused.empty());
    EXPECT_EQ(listed(), (std::vector<std::string>{"OLD-1", "OLD-2", "OLD-3", "OLD-4"}));
    EXPECT_EQ(read_file(md_.dir() / "poplar-uidls"),
              "1.M1P1.h OLD-1\n2.M1P1.h OLD-2\n3.M1P1.h OLD-3\n4.M1P1.h OLD-4\n");

    // Again: nothing changes, nothing is written.
    report = import("<one@x> OLD-1\n");
    EXPECT_EQ(report.matched, 1u);
    EXPECT_EQ(report.written, 0u);
    EXPECT_EQ(read_file(md_.dir() / "poplar-uidls"),
              "1.M1P1.h OLD-1\n2.M1P1.h OLD-2\n3.M1P1.h OLD-3\n4.M1P1.h OLD-4\n");
}

TEST_F(UidlImport, AUidlAnotherMessageKeepsIsRefusedAndNothingIsWritten) {
    UidlImportReport report = import("1.M1P1.h NEW-1\n2.M1P1.h 3.M1P1.h\n");
    ASSERT_EQ(report.refused.size(), 1u);
    EXPECT_EQ(report.refused[0].line, 2u);
    EXPECT_EQ(report.refused[0].reason, "UIDL 3.M1P1.h would also be the UIDL of message 3.M1P1.h");
    EXPECT_EQ(report.written, 0u);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-uidls"));

    // Swapping two UIDLs in one import is fine: neither keeps its old one.
    report = import("1.M1P1.h 2.M1P1.h\n2.M1P1.h 1.M1P1.h\n");
    EXPECT_TRUE(report.refused.empty());
    EXPECT_EQ(listed(), (std::vector<std::string>{"2.M1P1.h", "1.M1P1.h", "3.M1P1.h", "4.M1P1.h"}));
}

TEST_F(UidlImport, TwoLinesGivingOneMessageTwoUidlsAreRefused) {
    UidlImportReport report = import("<one@x> A\n1.M1P1.h B\n");
    ASSERT_EQ(report.refused.size(), 1u);
    EXPECT_EQ(report.refused[0].line, 2u);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-uidls"));
}

TEST_F(UidlImport, ImportedBeatsDovecot) {
    write_file(md_.dir() / "dovecot-uidlist", "3 V1 N9\n1 :1.M1P1.h\n2 :2.M1P1.h\n");
    EXPECT_EQ(listed(), (std::vector<std::string>{"0000000100000001", "0000000200000001", "3.M1P1.h", "4.M1P1.h"}));
    import("1.M1P1.h IMPORTED\n");
    EXPECT_EQ(listed(), (std::vector<std::string>{"IMPORTED", "0000000200000001", "3.M1P1.h", "4.M1P1.h"}));
}

TEST_F(UidlImport, ALockedMailboxIsInUse) {
    OpenResult session = open_maildir(md_.dir());
    ASSERT_EQ(session.status, OpenStatus::ok);
    UidlImportReport report = import("1.M1P1.h X\n");
    EXPECT_EQ(report.status, OpenStatus::in_use);
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-uidls"));
}

} // namespace
} // namespace poplar::store

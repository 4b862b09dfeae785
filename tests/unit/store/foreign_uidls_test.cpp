// Tests of which UIDL a message gets when the Maildir carries poplar-uidls,
// a dovecot-uidlist or a courierpop3dsizelist: precedence, collisions, and
// the same through open_maildir on a real directory.
#include "store/foreign_uidls.hpp"
#include "store/maildir.hpp"
#include "store/uidl.hpp"

#include "store/temp_maildir.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempMaildir;
using testing::write_file;

std::vector<MessageInfo> messages_named(std::initializer_list<const char*> names) {
    std::vector<MessageInfo> out;
    for (const char* name : names) out.push_back(MessageInfo{StoreId{name}, uidl_for_base_name(name)});
    return out;
}

std::vector<std::string> uidls(const std::vector<MessageInfo>& messages) {
    std::vector<std::string> out;
    for (const MessageInfo& message : messages) out.push_back(message.uidl);
    return out;
}

constexpr const char* dovecot_header = "3 V1795319132 N9 G86df26265c65026b792a000083ecc375\n";

TEST(ForeignUidls, NoSourceLeavesOwnUidls) {
    auto messages = messages_named({"1.a.h", "2.b.h"});
    EXPECT_EQ(apply_uidl_sources(messages, UidlSources{}), "");
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"1.a.h", "2.b.h"}));
}

TEST(ForeignUidls, ImportedBeforeDovecotBeforeCourierBeforeOwn) {
    auto messages = messages_named({"1.a.h", "2.b.h", "3.c.h", "4.d.h"});
    UidlSources sources;
    sources.imported = "1.a.h IMPORTED-1\n";
    sources.dovecot = std::string(dovecot_header) + "1 :1.a.h\n2 :2.b.h\n";
    sources.courier = "/3 9 77\n1.a.h:2, 1 1:77:0\n2.b.h:2, 1 2:77:0\n3.c.h:2,S 1 3:77:0\n";
    EXPECT_EQ(apply_uidl_sources(messages, sources), "");
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"IMPORTED-1", "000000026b02655c", "UID3-77", "4.d.h"}));
}

TEST(ForeignUidls, AForbiddenUidlCountsAsAbsent) {
    auto messages = messages_named({"1.a.h"});
    UidlSources sources;
    sources.dovecot = std::string(dovecot_header) + "1 P" + std::string(71, 'x') + " :1.a.h\n";
    sources.courier = "/3 9 77\n1.a.h 1 1:77\n";
    apply_uidl_sources(messages, sources);
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"UID1-77"}));
}

TEST(ForeignUidls, LinesForMessagesNotThereAreIgnored) {
    auto messages = messages_named({"1.a.h"});
    UidlSources sources;
    sources.dovecot = std::string(dovecot_header) + "1 :gone.h\n2 :1.a.h:2,S\n";
    apply_uidl_sources(messages, sources);
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"000000026b02655c"}));
}

// Issue 4: a Dovecot UIDL equal to the UIDL poplar makes for another message.
// The client knows that UIDL as the Dovecot-listed message, so that message
// keeps it; the other (delivered after the move) is moved off it, and the
// move is recorded so that it holds after the first message is deleted.
TEST(ForeignUidls, ForeignUidlCollidingWithOwnKeepsItAndTheOwnOneMoves) {
    auto messages = messages_named({"1.a.h", "2.b.h"});
    UidlSources sources;
    sources.dovecot = std::string(dovecot_header) + "1 P2.b.h :1.a.h\n";
    const std::string moved = apply_uidl_sources(messages, sources);
    EXPECT_EQ(messages[0].uidl, "2.b.h");
    EXPECT_EQ(messages[1].uidl, hashed_uidl("2.b.h"));
    EXPECT_EQ(moved, "2.b.h " + hashed_uidl("2.b.h") + "\n");

    // Next login, message 1 deleted: message 2 keeps what it was shown.
    auto later = messages_named({"2.b.h"});
    sources.imported = moved;
    EXPECT_EQ(apply_uidl_sources(later, sources), "");
    EXPECT_EQ(later[0].uidl, hashed_uidl("2.b.h"));
}

TEST(ForeignUidls, TwoMessagesOfferedOneUidlTheFirstInDeliveryOrderKeepsIt) {
    auto messages = messages_named({"1.a.h", "2.b.h"});
    UidlSources sources;
    sources.dovecot = std::string(dovecot_header) + "1 PSAME :1.a.h\n2 PSAME :2.b.h\n";
    EXPECT_EQ(apply_uidl_sources(messages, sources), "2.b.h 2.b.h\n");
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"SAME", "2.b.h"}));
}

TEST(ForeignUidls, TheBetterSourceClaimsFirst) {
    auto messages = messages_named({"1.a.h", "2.b.h", "3.c.h"});
    UidlSources sources;
    sources.dovecot = std::string(dovecot_header) + "1 PSAME :1.a.h\n2 PSAME :2.b.h\n";
    sources.imported = "3.c.h SAME\n";
    EXPECT_EQ(apply_uidl_sources(messages, sources), "1.a.h 1.a.h\n2.b.h 2.b.h\n");
    EXPECT_EQ(uidls(messages), (std::vector<std::string>{"1.a.h", "2.b.h", "SAME"}));
}

TEST(ForeignUidls, UidlsAreUniqueWhateverTheFilesSay) {
    // Every message offered one of a few UIDLs, some equal to others' names.
    std::vector<MessageInfo> messages;
    std::string dovecot = dovecot_header;
    std::string courier = "/3 99 1\n";
    std::string imported;
    for (int i = 0; i < 40; ++i) {
        std::string name = "m" + std::to_string(i);
        messages.push_back(MessageInfo{StoreId{name}, name});
        dovecot += std::to_string(i + 1) + " Pm" + std::to_string(i % 5) + " :" + name + "\n";
        if (i % 3 == 0) courier += name + " 1 " + std::to_string(i % 4 + 1) + ":0\n";
        if (i % 7 == 0) imported += name + " UID" + std::to_string(i % 3 + 1) + "\n";
    }
    UidlSources sources{imported, dovecot, courier};
    apply_uidl_sources(messages, sources);
    std::set<std::string> seen;
    for (const MessageInfo& message : messages) {
        EXPECT_TRUE(valid_uidl(message.uidl)) << message.uidl;
        EXPECT_TRUE(seen.insert(message.uidl).second) << "duplicate " << message.uidl;
    }
}

// ---- through open_maildir ----------------------------------------------------

class MaildirForeignUidls : public ::testing::Test {
protected:
    std::vector<std::string> listed() {
        OpenResult result = open_maildir(md_.dir());
        EXPECT_EQ(result.status, OpenStatus::ok) << result.detail;
        return result.mailbox ? uidls(result.mailbox->messages()) : std::vector<std::string>{};
    }
    TempMaildir md_;
};

TEST_F(MaildirForeignUidls, DovecotUidlsForListedMessagesOwnForNewOnes) {
    md_.put_cur("1700000000.M1P1.h,S=4,W=5:2,S", "one\n");
    md_.put_cur("1700000001.M1P1.h,S=4,W=5:2,", "two\n");
    md_.deliver_new("1700000002.M1P1.h,S=6,W=7", "three\n");
    write_file(md_.dir() / "dovecot-uidlist",
               std::string(dovecot_header) + "1 :1700000000.M1P1.h,S=4,W=5\n2 :1700000001.M1P1.h,S=4,W=5\n");
    EXPECT_EQ(listed(), (std::vector<std::string>{"000000016b02655c", "000000026b02655c", "1700000002.M1P1.h,S=6,W=7"}));
    EXPECT_FALSE(std::filesystem::exists(md_.dir() / "poplar-uidls"));
}

TEST_F(MaildirForeignUidls, CourierUidls) {
    md_.put_cur("1700000000.M1P1.h:2,S", "one\n");
    md_.put_cur("1700000001.M1P1.h:2,", "two\n");
    write_file(md_.dir() / "courierpop3dsizelist", "/3 3 1795319174\n1700000000.M1P1.h:2, 5 1:1795319174:0\n");
    EXPECT_EQ(listed(), (std::vector<std::string>{"UID1-1795319174", "1700000001.M1P1.h"}));
}

TEST_F(MaildirForeignUidls, ACollisionIsRecordedInPoplarUidlsAndStays) {
    md_.put_cur("1.M1P1.h:2,", "one\n");
    md_.put_cur("2.M1P1.h:2,", "two\n");
    write_file(md_.dir() / "dovecot-uidlist", std::string(dovecot_header) + "1 P2.M1P1.h :1.M1P1.h\n");
    const std::string moved = hashed_uidl("2.M1P1.h");
    EXPECT_EQ(listed(), (std::vector<std::string>{"2.M1P1.h", moved}));
    EXPECT_EQ(read_file(md_.dir() / "poplar-uidls"), "2.M1P1.h " + moved + "\n");
    EXPECT_EQ(listed(), (std::vector<std::string>{"2.M1P1.h", moved}));
    EXPECT_EQ(read_file(md_.dir() / "poplar-uidls"), "2.M1P1.h " + moved + "\n") << "recorded once";
    std::filesystem::remove(md_.cur() / "1.M1P1.h:2,");
    EXPECT_EQ(listed(), (std::vector<std::string>{moved}));
}

TEST_F(MaildirForeignUidls, ARecordWithACutLastLineIsRewrittenNotAppendedTo) {
    md_.put_cur("1.M1P1.h:2,", "one\n");
    md_.put_cur("2.M1P1.h:2,", "two\n");
    write_file(md_.dir() / "poplar-uidls", "1.M1P1.h 2.M1P1.h\n2.M1P1.h cut-sho");
    const std::string moved = hashed_uidl("2.M1P1.h");
    EXPECT_EQ(listed(), (std::vector<std::string>{"2.M1P1.h", moved}));
    EXPECT_EQ(read_file(md_.dir() / "poplar-uidls"), "1.M1P1.h 2.M1P1.h\n2.M1P1.h " + moved + "\n");
}

TEST_F(MaildirForeignUidls, SymlinkedFilesAreNotRead) {
    md_.put_cur("1.M1P1.h:2,", "one\n");
    write_file(md_.dir() / "elsewhere", std::string(dovecot_header) + "1 :1.M1P1.h\n");
    std::filesystem::create_symlink(md_.dir() / "elsewhere", md_.dir() / "dovecot-uidlist");
    EXPECT_EQ(listed(), (std::vector<std::string>{"1.M1P1.h"}));
}

} // namespace
} // namespace poplar::store

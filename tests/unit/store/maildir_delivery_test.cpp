// Delivery into a Maildir: all or nothing, sizes in the name, CRLF stored as
// LF, refusals that leave nothing behind, and the store reads what it wrote.
#include "store/maildir.hpp"
#include "store/maildir_delivery.hpp"
#include "temp_maildir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace poplar::store {
namespace {

using testing::TempDir;

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) files.push_back(entry.path());
    return files;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

DeliveryResult deliver(const std::filesystem::path& dir, std::vector<std::string_view> pieces, std::uint64_t max = 0) {
    MaildirDelivery delivery(dir, std::nullopt, max);
    for (auto piece : pieces) delivery.append(piece);
    return delivery.finish();
}

TEST(MaildirDelivery, StoresTheMessageInNewWithItsSizes) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    const auto result = deliver(dir, {"Subject: hi\n\nbody\n"});
    ASSERT_EQ(result.status, DeliveryStatus::ok) << result.detail;
    const auto delivered = files_in(dir / "new");
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_TRUE(delivered[0].filename().string().ends_with(",S=18,W=21")) << delivered[0];
    EXPECT_EQ(read_file(delivered[0]), "Subject: hi\n\nbody\n");
    EXPECT_TRUE(files_in(dir / "tmp").empty()) << "nothing is left in tmp/";
    EXPECT_EQ(result.size, 18u);
}

TEST(MaildirDelivery, CrlfIsStoredAsLfEvenSplitAcrossPieces) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    ASSERT_EQ(deliver(dir, {"Subject: hi\r", "\n\r\nbo\rdy\r\n"}).status, DeliveryStatus::ok);
    const auto delivered = files_in(dir / "new");
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(read_file(delivered[0]), "Subject: hi\n\nbo\rdy\n") << "a lone CR is kept";
}

TEST(MaildirDelivery, TheStoreSeesTheSameSizeRetrWillSend) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    ASSERT_EQ(deliver(dir, {"Subject: a\n\n.dot\nno final newline"}).status, DeliveryStatus::ok);
    ASSERT_EQ(deliver(dir, {"Subject: b\n\nsecond\n"}).status, DeliveryStatus::ok);
    auto opened = open_maildir(dir);
    ASSERT_EQ(opened.status, OpenStatus::ok);
    const auto& messages = opened.mailbox->messages();
    ASSERT_EQ(messages.size(), 2u) << "delivery order kept";
    auto raw = opened.mailbox->open_message(messages[0].id);
    EXPECT_EQ(wire_size(*raw), messages[0].size);
}

TEST(MaildirDelivery, RefusesWhatIsNotAMessageAndLeavesNothing) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    EXPECT_EQ(deliver(dir, {}).status, DeliveryStatus::not_a_message);
    EXPECT_EQ(deliver(dir, {"just some text\n"}).status, DeliveryStatus::not_a_message);
    EXPECT_EQ(deliver(dir, {" Subject: leading space\n"}).status, DeliveryStatus::not_a_message);
    EXPECT_EQ(deliver(dir, {": no name\n"}).status, DeliveryStatus::not_a_message);
    EXPECT_TRUE(files_in(dir / "new").empty());
    EXPECT_TRUE(files_in(dir / "tmp").empty());
}

TEST(MaildirDelivery, OverTheLimitIsRefusedAndLeavesNothing) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    EXPECT_EQ(deliver(dir, {"Subject: x\n\n", std::string(100, 'a')}, 50).status, DeliveryStatus::too_big);
    EXPECT_TRUE(files_in(dir / "new").empty());
    EXPECT_TRUE(files_in(dir / "tmp").empty());
    EXPECT_EQ(deliver(dir, {"Subject: x\n\nshort\n"}, 50).status, DeliveryStatus::ok) << "at or under the limit: fine";
}

TEST(MaildirDelivery, AnUnusableMaildirIsATemporaryFailure) {
    TempDir temp;
    std::ofstream(temp.path() / "file") << "not a folder";
    const auto result = deliver(temp.path() / "file", {"Subject: x\n\n"});
    EXPECT_EQ(result.status, DeliveryStatus::temporary);
    EXPECT_FALSE(result.detail.empty());
}

TEST(MaildirDelivery, DeliveryDoesNotNeedTheSessionLock) {
    TempDir temp;
    const auto dir = temp.path() / "alice";
    auto session = open_maildir(dir);
    ASSERT_EQ(session.status, OpenStatus::ok);
    EXPECT_EQ(deliver(dir, {"Subject: during a session\n\n"}).status, DeliveryStatus::ok);
    EXPECT_TRUE(session.mailbox->messages().empty()) << "the open session's snapshot does not change";
    session.mailbox.reset();
    auto next = open_maildir(dir);
    ASSERT_EQ(next.status, OpenStatus::ok);
    EXPECT_EQ(next.mailbox->messages().size(), 1u) << "the next login sees it";
}

} // namespace
} // namespace poplar::store

// open_maildir and the UTF-8 header downgrade: downgraded_size at the scan,
// from the cache at the next open (reading no message), and the upgrade of a
// cache written before the downgrade existed.
#include "store/header_downgrade.hpp"
#include "store/maildir.hpp"

#include "store/temp_maildir.hpp"
#include "store/wire_size.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempMaildir;
using testing::write_file;

std::unique_ptr<Mailbox> open_ok(const std::filesystem::path& dir) {
    OpenResult result = open_maildir(dir);
    EXPECT_EQ(result.status, OpenStatus::ok) << result.detail;
    return std::move(result.mailbox);
}

std::uint64_t wire(std::string_view data) {
    WireSizeCounter counter;
    counter.feed(data);
    return counter.total();
}

const std::string utf8_header = "From: Jürgen Müller <j@example.org>\nSubject: Grüße aus Köln\n\n";
const std::string body = "Hallo,\n.\nbis bald\n";

// The size computed the slow, obvious way: downgrade the header, count all.
std::uint64_t expected_downgraded(const std::string& header, const std::string& rest) {
    const std::optional<std::string> downgraded = downgrade_header(header);
    return wire((downgraded ? *downgraded : header) + rest);
}

// Root reads any file whatever its mode, so make reading reveal itself: empty
// the files; a size or header read from them would now differ.
void empty_all(const TempMaildir& md) {
    for (const auto& entry : std::filesystem::directory_iterator(md.cur())) {
        std::filesystem::resize_file(entry.path(), 0);
    }
}

TEST(MaildirDowngrade, Utf8HeaderSizeAtScanAndFromTheCache) {
    TempMaildir md;
    md.deliver_new("1.M1P1.h", utf8_header + body);
    md.deliver_new("2.M1P1.h", "Subject: plain\n\nbody\n");
    const std::uint64_t size = wire(utf8_header + body);
    const std::uint64_t downgraded = expected_downgraded(utf8_header, body);
    ASSERT_GT(downgraded, size);
    {
        auto mailbox = open_ok(md.dir());
        ASSERT_TRUE(mailbox);
        ASSERT_EQ(mailbox->messages().size(), 2U);
        EXPECT_EQ(mailbox->messages()[0].size, size);
        EXPECT_EQ(mailbox->messages()[0].downgraded_size, downgraded);
        EXPECT_EQ(mailbox->messages()[1].size, 24U);
        EXPECT_EQ(mailbox->messages()[1].downgraded_size, 24U);
    }
    EXPECT_EQ(read_file(md.dir() / "poplar-sizes"),
              "1.M1P1.h " + std::to_string(size) + " " + std::to_string(downgraded) + "\n2.M1P1.h 24 24\n");
    empty_all(md);
    auto mailbox = open_ok(md.dir());
    ASSERT_TRUE(mailbox);
    EXPECT_EQ(mailbox->messages()[0].size, size);
    EXPECT_EQ(mailbox->messages()[0].downgraded_size, downgraded);
    EXPECT_EQ(mailbox->messages()[1].downgraded_size, 24U);
}

TEST(MaildirDowngrade, WNameReadsTheHeaderOnceAndCachesIt) {
    TempMaildir md;
    const std::uint64_t size = wire(utf8_header + body);
    const std::string name = "1.M1P1.h,S=1,W=" + std::to_string(size);
    md.put_cur(name + ":2,S", utf8_header + body);
    const std::uint64_t downgraded = expected_downgraded(utf8_header, body);
    {
        auto mailbox = open_ok(md.dir());
        ASSERT_TRUE(mailbox);
        EXPECT_EQ(mailbox->messages()[0].size, size);
        EXPECT_EQ(mailbox->messages()[0].downgraded_size, downgraded);
    }
    EXPECT_EQ(read_file(md.dir() / "poplar-sizes"), name + " " + std::to_string(size) + " " +
                                                        std::to_string(downgraded) + "\n");
    empty_all(md);
    auto mailbox = open_ok(md.dir());
    ASSERT_TRUE(mailbox);
    EXPECT_EQ(mailbox->messages()[0].downgraded_size, downgraded);
}

TEST(MaildirDowngrade, HeaderBiggerThanOneReadIsReadToItsEnd) {
    TempMaildir md;
    std::string header;
    for (int i = 0; i < 2000; ++i) {
        header += "X-Filler-" + std::to_string(i) + ": some value\n";
    }
    header += "Subject: ünter the filler\n\n";
    ASSERT_GT(header.size(), 16U * 1024U);
    const std::uint64_t size = wire(header + body);
    md.put_cur("1.M1P1.h,W=" + std::to_string(size) + ":2,", header + body);
    md.put_cur("2.M1P1.h:2,", header + body);
    auto mailbox = open_ok(md.dir());
    ASSERT_TRUE(mailbox);
    for (const MessageInfo& m : mailbox->messages()) {
        EXPECT_EQ(m.size, size);
        EXPECT_EQ(m.downgraded_size, expected_downgraded(header, body)) << m.id.value;
    }
}

TEST(MaildirDowngrade, OldCacheLinesAreCheckedOnceAndRewritten) {
    TempMaildir md;
    md.put_cur("1.M1P1.h:2,", utf8_header + body);
    md.put_cur("2.M1P1.h:2,", "Subject: plain\n\nbody\n");
    const std::uint64_t size = wire(utf8_header + body);
    // Written by a poplar without the downgrade: sizes only.
    write_file(md.dir() / "poplar-sizes", "1.M1P1.h " + std::to_string(size) + "\n2.M1P1.h 24\n");
    const std::uint64_t downgraded = expected_downgraded(utf8_header, body);
    {
        auto mailbox = open_ok(md.dir());
        ASSERT_TRUE(mailbox);
        EXPECT_EQ(mailbox->messages()[0].downgraded_size, downgraded);
        EXPECT_EQ(mailbox->messages()[1].downgraded_size, 24U);
    }
    // Rewritten (in no particular order) without the old lines.
    const std::string cache = read_file(md.dir() / "poplar-sizes");
    EXPECT_EQ(cache.size(), ("1.M1P1.h " + std::to_string(size) + " " + std::to_string(downgraded) +
                             "\n2.M1P1.h 24 24\n").size());
    EXPECT_NE(cache.find("1.M1P1.h " + std::to_string(size) + " " + std::to_string(downgraded) + "\n"),
              std::string::npos);
    EXPECT_NE(cache.find("2.M1P1.h 24 24\n"), std::string::npos);
}

TEST(MaildirDowngrade, AllHeaderMessagesWithoutFinalNewline) {
    TempMaildir md;
    const std::string content = "Subject: é\nFrom: ö <x@y>";
    md.put_cur("1.M1P1.h:2,", content);
    auto mailbox = open_ok(md.dir());
    ASSERT_TRUE(mailbox);
    EXPECT_EQ(mailbox->messages()[0].size, wire(content));
    EXPECT_EQ(mailbox->messages()[0].downgraded_size, wire(*downgrade_header(content)));
}

} // namespace
} // namespace poplar::store

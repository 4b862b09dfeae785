// Tests of RecordFile and the small-file helpers behind poplar's own records.
#include "store/record_file.hpp"

#include "store/temp_maildir.hpp"
#include "store/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

UniqueFd open_dir(const TempDir& dir) { return UniqueFd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY)); }

std::map<std::string, std::uint64_t> entries_of(const TempDir& dir) {
    UniqueFd fd = open_dir(dir);
    std::map<std::string, std::uint64_t> entries;
    RecordFile::load(fd.get(), "rec", [&](std::string_view key, std::uint64_t number) {
        entries.emplace(std::string(key), number);
    });
    return entries;
}

TEST(ParseDecimal, AcceptsPlainDigitsThatFit) {
    EXPECT_EQ(parse_decimal("0"), 0u);
    EXPECT_EQ(parse_decimal("007"), 7u);
    EXPECT_EQ(parse_decimal("18446744073709551615"), UINT64_MAX);
}

TEST(ParseDecimal, RefusesEverythingElse) {
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "18446744073709551616",
                            "99999999999999999999999", "1.5", "\n"}) {
        EXPECT_EQ(parse_decimal(bad), std::nullopt) << '"' << bad << '"';
    }
}

TEST(RecordFile, MissingFileIsEmpty) {
    TempDir dir;
    RecordFile file = RecordFile::load(open_dir(dir).get(), "rec", [](std::string_view, std::uint64_t) {
        ADD_FAILURE() << "no entry expected";
    });
    EXPECT_EQ(file.lines(), 0u);
    EXPECT_FALSE(file.cut_line());
}

TEST(RecordFile, GarbageLinesAreCountedButIgnored) {
    TempDir dir;
    write_file(dir.path() / "rec",
               "good 10\n"
               "nospace\n"
               "neg -5\n"
               "plus +5\n"
               "huge 99999999999999999999999\n"
               "trailing 5x\n"
               "two  spaces 5\n"
               "three fields 5\n"
               " 7\n"
               "empty \n"
               "\n"
               "ctl\x01name 4\n"
               "also 11\n");
    RecordFile file = RecordFile::load(open_dir(dir).get(), "rec", [](std::string_view, std::uint64_t) {});
    EXPECT_EQ(entries_of(dir), (std::map<std::string, std::uint64_t>{{"good", 10}, {"also", 11}}));
    EXPECT_EQ(file.lines(), 13u);
    EXPECT_FALSE(file.cut_line());
}

TEST(RecordFile, ALastLineWithoutNewlineIsCutAndIgnored) {
    TempDir dir;
    write_file(dir.path() / "rec", "a 1\ncut 12");
    RecordFile file = RecordFile::load(open_dir(dir).get(), "rec", [](std::string_view, std::uint64_t) {});
    EXPECT_EQ(entries_of(dir), (std::map<std::string, std::uint64_t>{{"a", 1}}));
    EXPECT_EQ(file.lines(), 1u);
    EXPECT_TRUE(file.cut_line());
    EXPECT_TRUE(file.should_rewrite(0, 1000));  // never append after a cut line
}

TEST(RecordFile, RewriteThresholdIsMoreThanTwiceTheLiveKeys) {
    TempDir dir;
    write_file(dir.path() / "rec", "a 1\nb 2\nc 3\n");
    RecordFile file = RecordFile::load(open_dir(dir).get(), "rec", [](std::string_view, std::uint64_t) {});
    EXPECT_FALSE(file.should_rewrite(1, 2));  // 4 lines, 2 live: exactly twice
    EXPECT_TRUE(file.should_rewrite(2, 2));   // 5 > 4
    EXPECT_TRUE(file.should_rewrite(1, 0));   // no live key at all
}

TEST(RecordFile, AppendCreatesAPrivateFileAndAppends) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    RecordFile file = RecordFile::load(fd.get(), "rec", [](std::string_view, std::uint64_t) {});
    std::string lines;
    RecordFile::format_line(lines, "a", 1);
    RecordFile::format_line(lines, "b", UINT64_MAX);
    EXPECT_FALSE(file.append(fd.get(), lines, 2, std::nullopt));
    EXPECT_EQ(file.lines(), 2u);
    lines.clear();
    RecordFile::format_line(lines, "c", 0);
    EXPECT_FALSE(file.append(fd.get(), lines, 1, std::nullopt));
    EXPECT_EQ(read_file(dir.path() / "rec"), "a 1\nb 18446744073709551615\nc 0\n");
    EXPECT_EQ(file.lines(), 3u);
    struct stat st {};
    ASSERT_EQ(::stat((dir.path() / "rec").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(RecordFile, AppendRefusesAHardLinkOrASymlink) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "elsewhere", "precious\n");
    RecordFile file = RecordFile::load(fd.get(), "rec", [](std::string_view, std::uint64_t) {});

    ASSERT_EQ(::link((dir.path() / "elsewhere").c_str(), (dir.path() / "rec").c_str()), 0);
    EXPECT_EQ(file.append(fd.get(), "a 1\n", 1, std::nullopt), std::errc::operation_not_permitted);
    std::filesystem::remove(dir.path() / "rec");

    std::filesystem::create_symlink(dir.path() / "elsewhere", dir.path() / "rec");
    EXPECT_TRUE(file.append(fd.get(), "a 1\n", 1, std::nullopt));
    EXPECT_EQ(read_file(dir.path() / "elsewhere"), "precious\n");
    EXPECT_EQ(file.lines(), 0u);
}

TEST(RecordFile, LoadIgnoresASymlinkAndAFifo) {
    TempDir dir;
    write_file(dir.path() / "elsewhere", "a 1\n");
    std::filesystem::create_symlink(dir.path() / "elsewhere", dir.path() / "rec");
    EXPECT_TRUE(entries_of(dir).empty());
    std::filesystem::remove(dir.path() / "rec");
    ASSERT_EQ(::mkfifo((dir.path() / "rec").c_str(), 0600), 0);
    EXPECT_TRUE(entries_of(dir).empty());  // and does not hang waiting for a writer
}

TEST(RecordFile, RewriteReplacesTheFileAndClearsTheCutLine) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "rec", "old 1\ncut 2");
    write_file(dir.path() / "rec.tmp", "left by a crash");
    RecordFile file = RecordFile::load(fd.get(), "rec", [](std::string_view, std::uint64_t) {});
    ASSERT_TRUE(file.cut_line());
    EXPECT_FALSE(file.rewrite(fd.get(), "new 3\n", 1, std::nullopt));
    EXPECT_EQ(read_file(dir.path() / "rec"), "new 3\n");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "rec.tmp"));
    EXPECT_FALSE(file.cut_line());
    EXPECT_EQ(file.lines(), 1u);
    EXPECT_FALSE(file.should_rewrite(1, 1));
}

TEST(ReplaceFile, NeverWritesThroughATempSymlink) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "elsewhere", "precious\n");
    std::filesystem::create_symlink(dir.path() / "elsewhere", dir.path() / "f.tmp");
    EXPECT_FALSE(replace_file(fd.get(), "f", "content\n", std::nullopt));
    EXPECT_EQ(read_file(dir.path() / "f"), "content\n");
    EXPECT_EQ(read_file(dir.path() / "elsewhere"), "precious\n");
}

TEST(ReplaceFile, AFailureLeavesTheOldFile) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "f", "old\n");
    // A directory where the temp file goes: unlink cannot remove it, O_EXCL fails.
    std::filesystem::create_directory(dir.path() / "f.tmp");
    EXPECT_EQ(replace_file(fd.get(), "f", "new\n", std::nullopt), std::errc::file_exists);
    EXPECT_EQ(read_file(dir.path() / "f"), "old\n");
}

TEST(ReadSmallFile, MissingOrTooBigIsNothing) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    EXPECT_EQ(read_small_file(fd.get(), "f", 10), std::nullopt);
    write_file(dir.path() / "f", "0123456789");
    EXPECT_EQ(read_small_file(fd.get(), "f", 10), "0123456789");
    EXPECT_EQ(read_small_file(fd.get(), "f", 9), std::nullopt);
}

} // namespace
} // namespace poplar::store

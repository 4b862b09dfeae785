// Tests of the size cache file poplar-sizes.
#include "store/size_cache.hpp"

#include "store/temp_maildir.hpp"
#include "store/unique_fd.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

UniqueFd open_dir(const TempDir& dir) { return UniqueFd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY)); }

// A rewritten file's lines come in no particular order.
std::string sorted_lines(const std::string& data) {
    std::vector<std::string> lines;
    std::istringstream in(data);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line + "\n");
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& line : lines) {
        out += line;
    }
    return out;
}

// The cached size as stored, if any.
std::optional<std::uint64_t> size_in(SizeCache& cache, std::string_view name) {
    const std::optional<SizeCache::Sizes> sizes = cache.find(name);
    return sizes ? std::optional<std::uint64_t>(sizes->size) : std::nullopt;
}

TEST(SizeCache, MissingFileIsEmpty) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(size_in(cache, "a"), std::nullopt);
    EXPECT_EQ(cache.entry_count(), 0u);
}

TEST(SizeCache, AddSaveLoad) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    SizeCache cache = SizeCache::load(fd.get());
    cache.add("1.M1P1.h", 42, 42);
    cache.add("2.M1P1.h", 0, 0);
    cache.save(fd.get(), 2);
    EXPECT_EQ(read_file(dir.path() / "poplar-sizes"), "1.M1P1.h 42 42\n2.M1P1.h 0 0\n");
    SizeCache again = SizeCache::load(fd.get());
    EXPECT_EQ(size_in(again, "1.M1P1.h"), 42u);
    EXPECT_EQ(size_in(again, "2.M1P1.h"), 0u);
    EXPECT_EQ(size_in(again, "3.M1P1.h"), std::nullopt);
}

TEST(SizeCache, CorruptLinesAreIgnored) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "poplar-sizes",
               "good 10\n"
               "nospace\n"
               "neg -5\n"
               "plus +5\n"
               "big 99999999999999999999999\n"
               "trailing 5x\n"
               "two  spaces 5\n"
               " 7\n"
               "empty \n"
               "\n"
               "also 11\n"
               "cut 12");  // an append cut short by a crash
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(size_in(cache, "good"), 10u);
    EXPECT_EQ(size_in(cache, "also"), 11u);
    for (const char* bad : {"nospace", "neg", "plus", "big", "trailing", "two", "", "empty", "cut"}) {
        EXPECT_EQ(cache.find(bad), std::nullopt) << bad;
    }
}

TEST(SizeCache, ACutLineIsNeverCompletedByAnAppend) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    // "cut 12" may be the start of "cut 123": appending "\n" would make it valid.
    write_file(dir.path() / "poplar-sizes", "a 1\nb 2\ncut 12");
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(size_in(cache, "a"), 1u);
    cache.add("new", 9, 9);
    cache.save(fd.get(), 10);
    SizeCache again = SizeCache::load(fd.get());
    EXPECT_EQ(size_in(again, "cut"), std::nullopt);
    EXPECT_EQ(size_in(again, "a"), 1u);
    EXPECT_EQ(size_in(again, "new"), 9u);
    EXPECT_EQ(again.entry_count(), 2u);  // rewritten with the entries in use
}

TEST(SizeCache, NamesThatWouldBreakTheFormatAreNotCached) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    SizeCache cache = SizeCache::load(fd.get());
    cache.add("with space", 1, 1);
    cache.add("with\nnewline", 2, 2);
    cache.add("", 3, 3);
    cache.save(fd.get(), 3);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "poplar-sizes"));
    EXPECT_EQ(size_in(cache, "with space"), std::nullopt);
}

TEST(SizeCache, CompactsWhenMoreThanTwiceTheMessages) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "poplar-sizes", "gone1 1\ngone2 2\nkeep 3\ngone3 4\ngarbage\n");
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(cache.entry_count(), 5u);
    EXPECT_EQ(size_in(cache, "keep"), 3u);
    cache.add("fresh", 5, 5);
    cache.save(fd.get(), 2);  // 6 entries > 2 * 2 messages
    EXPECT_EQ(cache.entry_count(), 2u);
    SizeCache again = SizeCache::load(fd.get());
    EXPECT_EQ(again.entry_count(), 2u);
    EXPECT_EQ(size_in(again, "keep"), 3u);
    EXPECT_EQ(size_in(again, "fresh"), 5u);
    EXPECT_EQ(size_in(again, "gone1"), std::nullopt);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "poplar-sizes.tmp"));
}

TEST(SizeCache, NoCompactionAtExactlyTwice) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "poplar-sizes", "a 1 1\nb 2 2\nc 3 3\nd 4 4\n");
    SizeCache cache = SizeCache::load(fd.get());
    cache.save(fd.get(), 2);
    EXPECT_EQ(read_file(dir.path() / "poplar-sizes"), "a 1 1\nb 2 2\nc 3 3\nd 4 4\n");
}

TEST(SizeCache, ThreeFieldLinesCarryTheDowngradedSize) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    SizeCache cache = SizeCache::load(fd.get());
    cache.add("utf8", 100, 140);
    cache.save(fd.get(), 1);
    EXPECT_EQ(read_file(dir.path() / "poplar-sizes"), "utf8 100 140\n");
    SizeCache again = SizeCache::load(fd.get());
    EXPECT_EQ(again.find("utf8"), (SizeCache::Sizes{100, 140}));
}

TEST(SizeCache, BadThirdFieldsAreIgnored) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "poplar-sizes",
               "good 10 12\n"
               "neg 10 -1\n"
               "empty 10 \n"
               "four 10 11 12\n"
               "noise 10 11x\n"
               "double 10  11\n"
               "big 10 99999999999999999999999\n");
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(cache.find("good"), (SizeCache::Sizes{10, 12}));
    for (const char* bad : {"neg", "empty", "four", "noise", "double", "big"}) {
        EXPECT_EQ(cache.find(bad), std::nullopt) << bad;
    }
}

// A cache written before the downgrade: its sizes hold, its headers were
// not checked; once they are, the file is rewritten without the old lines.
TEST(SizeCache, TwoFieldLinesAreOldAndRewritten) {
    TempDir dir;
    UniqueFd fd = open_dir(dir);
    write_file(dir.path() / "poplar-sizes", "a 1\nb 2\nb 2 3\n");
    SizeCache cache = SizeCache::load(fd.get());
    EXPECT_EQ(cache.find("a"), (SizeCache::Sizes{1, std::nullopt}));
    EXPECT_EQ(cache.find("b"), (SizeCache::Sizes{2, 3}));  // the later line wins
    cache.add("a", 1, 1);
    cache.save(fd.get(), 2);
    EXPECT_EQ(sorted_lines(read_file(dir.path() / "poplar-sizes")), "a 1 1\nb 2 3\n");
}

} // namespace
} // namespace poplar::store

// A scale check, disabled by default (it writes 100,000 files): run with
// --gtest_also_run_disabled_tests on a release build to see open times.
#include "store/maildir.hpp"

#include "store/temp_maildir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace poplar::store {
namespace {

using testing::TempMaildir;

void make_messages(const std::filesystem::path& cur, int count, bool with_w) {
    for (int i = 0; i < count; ++i) {
        char name[128];
        std::snprintf(name, sizeof name, "%d.M%dP%d.mail.example.com,S=6%s:2,S", 1700000000 + i / 10, i % 1000000,
                      4000 + i, with_w ? ",W=7" : "");
        int fd = ::open((cur / name).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, "hello\n", 6), 6);
        ::close(fd);
    }
}

double open_seconds(const std::filesystem::path& dir, std::size_t expected) {
    auto start = std::chrono::steady_clock::now();
    OpenResult result = open_maildir(dir);
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(result.status, OpenStatus::ok) << result.detail;
    if (result.mailbox) {
        EXPECT_EQ(result.mailbox->messages().size(), expected);
    }
    return elapsed;
}

TEST(MaildirScale, DISABLED_HundredThousandMessages) {
    constexpr int count = 100000;
    TempMaildir with_w;
    make_messages(with_w.cur(), count, true);
    std::printf("W= names: first open %.3f s, second %.3f s\n", open_seconds(with_w.dir(), count),
                open_seconds(with_w.dir(), count));

    TempMaildir without_w;
    make_messages(without_w.cur(), count, false);
    double computed = open_seconds(without_w.dir(), count);
    double cached = open_seconds(without_w.dir(), count);
    std::printf("no W=: computing open %.3f s, cached open %.3f s\n", computed, cached);
}

} // namespace
} // namespace poplar::store

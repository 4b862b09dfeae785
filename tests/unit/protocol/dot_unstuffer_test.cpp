// DotUnstuffer: DATA vectors fed whole, split at every offset and byte by byte.
#include "protocol/dot_unstuffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace poplar::protocol {
namespace {

struct Vector {
    std::string wire;     // what the client sends after 354, terminator included
    std::string content;  // what the message holds
    std::string after;    // what follows the terminator (pipelined commands)
};

const Vector vectors[] = {
    {".\r\n", "", ""},
    {"Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", ""},
    {"a\r\n..b\r\n.c\r\n...\r\n.\r\nQUIT\r\n", "a\r\n.b\r\nc\r\n..\r\n", "QUIT\r\n"},
    // Bare LF and bare CR are content; ".\n" and "\n.\r\n" do not end the data
    // (a line starting ".\n" still loses its dot: only CRLF ends that line).
    {"a\nb\rc\r\n.\n.\r\r\n.\r\n", "a\nb\rc\r\n\n.\r\r\n", ""},
    {"x\n.\r\ny\r\n.\r\n", "x\n.\r\ny\r\n", ""},
    // A CR before the CRLF, two CRs, and a line that is ".\r" then text.
    {"a\r\r\nb\r\r\r\n.\rz\r\n.\r\n", "a\r\r\nb\r\r\r\n\rz\r\n", ""},
    {"no final CRLF\r\n.\r\nRSET\r\nQUIT\r\n", "no final CRLF\r\n", "RSET\r\nQUIT\r\n"},
    {std::string(100000, 'x') + "\r\n.\r\n", std::string(100000, 'x') + "\r\n", ""},
};

// Feeds `wire` in pieces cut at `cuts` and checks content, consumption and the end.
void check(const Vector& v, const std::vector<std::size_t>& cuts, const std::string& label) {
    DotUnstuffer unstuffer;
    std::string content;
    std::size_t at = 0;
    bool done = false;
    std::string after;
    std::vector<std::size_t> bounds = cuts;
    bounds.push_back(v.wire.size());
    for (std::size_t bound : bounds) {
        if (bound <= at) continue;
        const std::string_view piece = std::string_view(v.wire).substr(at, bound - at);
        if (done) {
            after += piece;
        } else {
            const auto step = unstuffer.feed(piece, content);
            if (step.done) {
                done = true;
                after += piece.substr(step.consumed);
            } else {
                ASSERT_EQ(step.consumed, piece.size()) << label;
            }
        }
        at = bound;
    }
    ASSERT_TRUE(done) << label;
    EXPECT_EQ(content, v.content) << label;
    EXPECT_EQ(after, v.after) << label;
}

TEST(DotUnstuffer, Whole) {
    for (const auto& v : vectors) check(v, {}, "whole: " + v.wire.substr(0, 40));
}

TEST(DotUnstuffer, SplitAtEveryOffset) {
    for (const auto& v : vectors) {
        if (v.wire.size() > 1000) continue;
        for (std::size_t cut = 1; cut < v.wire.size(); ++cut)
            check(v, {cut}, "cut at " + std::to_string(cut) + ": " + v.wire);
    }
}

TEST(DotUnstuffer, ByteByByte) {
    for (const auto& v : vectors) {
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < v.wire.size(); ++i) cuts.push_back(i);
        check(v, cuts, "bytes: " + v.wire.substr(0, 40));
    }
}

TEST(DotUnstuffer, NoTerminatorMeansMoreIsNeeded) {
    DotUnstuffer unstuffer;
    std::string content;
    for (const char* partial : {"", "a\r\n", ".", "\r", "x\r\n.", "\r"}) {
        const auto step = unstuffer.feed(partial, content);
        EXPECT_FALSE(step.done) << partial;
    }
    EXPECT_TRUE(unstuffer.feed("\n", content).done);
    EXPECT_EQ(content, "a\r\n\rx\r\n");
}

TEST(DotUnstuffer, ResetStartsAtALineStart) {
    DotUnstuffer unstuffer;
    std::string content;
    EXPECT_FALSE(unstuffer.feed("half a line", content).done);
    unstuffer.reset();
    EXPECT_TRUE(unstuffer.feed(".\r\n", content).done);
}

} // namespace
} // namespace poplar::protocol

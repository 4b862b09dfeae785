// LineFramer: line vectors fed whole, split at every offset and byte by byte;
// the cap, over-long lines and bounded memory.
#include "protocol/line_framer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::protocol {
namespace {

// One framer result: a line, or nullopt for too_long.
using Event = std::optional<std::string>;
using Events = std::vector<Event>;

const Event too_long = std::nullopt;

// Feeds each piece and drains next() after each, checking the memory bound.
Events run(LineFramer& framer, const std::vector<std::string_view>& pieces, std::size_t max) {
    Events events;
    std::string line;
    for (std::string_view piece : pieces) {
        framer.feed(piece);
        for (;;) {
            const auto status = framer.next(line);
            if (status == LineFramer::Status::need_more) {
                break;
            }
            events.push_back(status == LineFramer::Status::line ? Event(line) : too_long);
        }
        // Drained: what is left is one unfinished line, below the cap.
        EXPECT_LT(framer.buffered(), max);
    }
    return events;
}

Events run_fresh(std::string_view input, std::size_t max, const std::vector<std::size_t>& cuts) {
    LineFramer framer(max);
    std::vector<std::string_view> pieces;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        pieces.push_back(input.substr(from, cut - from));
        from = cut;
    }
    pieces.push_back(input.substr(from));
    return run(framer, pieces, max);
}

std::string show(const Events& events) {
    std::string text;
    for (const auto& event : events) {
        text += event ? "[" + *event + "]" : "<too_long>";
    }
    return text;
}

struct FramerVector {
    const char* name;
    std::size_t max;
    std::string input;
    Events expected;
};

std::vector<FramerVector> framer_vectors() {
    using namespace std::string_literals;
    return {
        {"crlf", 255, "USER alice\r\n", {"USER alice"}},
        {"bare_lf", 255, "USER alice\n", {"USER alice"}},
        {"mixed_endings", 255, "a\r\nb\nc\r\n", {"a", "b", "c"}},
        {"empty_crlf", 255, "\r\n", {""}},
        {"empty_lf_twice", 255, "\n\n", {"", ""}},
        {"cr_inside_kept", 255, "a\rb\r\n", {"a\rb"}},
        {"cr_cr_lf_strips_one", 255, "a\r\r\n", {"a\r"}},
        {"lone_cr_is_not_an_end", 255, "a\rb", {}},
        {"partial_only", 255, "partial", {}},
        {"line_then_partial", 255, "NOOP\r\nQU", {"NOOP"}},
        {"nul_kept", 255, "a\0b\r\n"s, {"a\0b"s}},
        {"pipelined", 255, "STAT\r\nLIST\r\nUIDL 1\r\nQUIT\r\n", {"STAT", "LIST", "UIDL 1", "QUIT"}},
        // Cap 10: content may be 8 octets (8 + CRLF == 10).
        {"at_cap_crlf", 10, "12345678\r\n", {"12345678"}},
        {"at_cap_lf", 10, "12345678\n", {"12345678"}},
        {"over_cap_crlf", 10, "123456789\r\n", {too_long}},
        {"over_cap_lf", 10, "123456789\n", {too_long}},
        {"at_cap_with_inner_cr", 10, "1234567\r\r\n", {"1234567\r"}},
        {"over_cap_with_inner_cr", 10, "12345678\r\r\n", {too_long}},
        {"over_cap_then_line", 10, "1234567890123\r\nok\r\n", {too_long, "ok"}},
        {"line_over_line", 10, "x\r\n" + std::string(30, 'a') + "\r\ny\r\n", {"x", too_long, "y"}},
        {"two_over_in_a_row", 10, std::string(12, 'a') + "\n" + std::string(25, 'b') + "\r\nz\n",
         {too_long, too_long, "z"}},
        {"over_with_crs", 10, std::string(20, '\r') + "\r\nz\r\n", {too_long, "z"}},
        // max octets with no LF can never fit: reported before the LF comes.
        {"over_unfinished", 10, "1234567890", {too_long}},
        {"over_unfinished_long", 10, std::string(50, 'q'), {too_long}},
        // max - 1 octets may still be content + CR of a CRLF: wait.
        {"almost_unfinished", 10, "123456789", {}},
        {"almost_then_lf", 10, "12345678\r\nabc\r\n", {"12345678", "abc"}},
        {"over_then_empty", 10, "1234567890\n\n", {too_long, ""}},
        {"smallest_cap", 3, "a\r\nab\r\n\r\nb\n", {"a", too_long, "", "b"}},
    };
}

// gtest prints the vector's name, not its bytes, when a vector fails.
void PrintTo(const FramerVector& v, std::ostream* os) {
    *os << v.name;
}

class LineFramerVectors : public ::testing::TestWithParam<FramerVector> {};

TEST_P(LineFramerVectors, Whole) {
    const auto& v = GetParam();
    EXPECT_EQ(show(run_fresh(v.input, v.max, {})), show(v.expected));
}

TEST_P(LineFramerVectors, SplitAtEveryOffset) {
    const auto& v = GetParam();
    for (std::size_t cut = 0; cut <= v.input.size(); ++cut) {
        EXPECT_EQ(show(run_fresh(v.input, v.max, {cut})), show(v.expected)) << "cut at " << cut;
    }
}

TEST_P(LineFramerVectors, SplitAtEveryPairOfOffsets) {
    const auto& v = GetParam();
    for (std::size_t a = 0; a <= v.input.size(); ++a) {
        for (std::size_t b = a; b <= v.input.size(); ++b) {
            EXPECT_EQ(show(run_fresh(v.input, v.max, {a, b})), show(v.expected)) << "cuts " << a << "," << b;
        }
    }
}

TEST_P(LineFramerVectors, ByteAtATime) {
    const auto& v = GetParam();
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < v.input.size(); ++i) {
        cuts.push_back(i);
    }
    EXPECT_EQ(show(run_fresh(v.input, v.max, cuts)), show(v.expected));
}

// Feeding everything before draining at all gives the same lines.
TEST_P(LineFramerVectors, ByteAtATimeThenDrain) {
    const auto& v = GetParam();
    LineFramer framer(v.max);
    for (char c : v.input) {
        framer.feed(std::string_view(&c, 1));
    }
    EXPECT_EQ(show(run(framer, {""}, v.max)), show(v.expected));
}

INSTANTIATE_TEST_SUITE_P(Vectors, LineFramerVectors, ::testing::ValuesIn(framer_vectors()),
                         [](const auto& info) { return std::string(info.param.name); });

// A 100 KiB line: one too_long, never more than the cap buffered, and the
// line after it is read normally.
TEST(LineFramerOverLong, HundredKibLineInPieces) {
    constexpr std::size_t max = 255;
    const std::string input = "NOOP\r\n" + std::string(100 * 1024, 'x') + "\r\nQUIT\r\n";
    for (std::size_t piece : {1UL, 2UL, 7UL, 254UL, 255UL, 256UL, 4096UL, 65536UL, input.size()}) {
        LineFramer framer(max);
        Events events;
        std::string line;
        for (std::size_t at = 0; at < input.size(); at += piece) {
            framer.feed(std::string_view(input).substr(at, piece));
            // Besides the short lines around it, at most the cap is kept.
            EXPECT_LE(framer.buffered(), max + 16) << "piece " << piece << " at " << at;
            for (;;) {
                const auto status = framer.next(line);
                EXPECT_LE(framer.buffered(), max + 16);
                if (status == LineFramer::Status::need_more) {
                    break;
                }
                events.push_back(status == LineFramer::Status::line ? Event(line) : too_long);
            }
            EXPECT_LT(framer.buffered(), max);
        }
        EXPECT_EQ(show(events), show({"NOOP", too_long, "QUIT"})) << "piece " << piece;
    }
}

// Fed in one call with no LF at all, the line is cut as it arrives.
TEST(LineFramerOverLong, FedWholeIsCutOnArrival) {
    LineFramer framer(64);
    framer.feed(std::string(100 * 1024, 'y'));
    EXPECT_LE(framer.buffered(), 64U);
    std::string line;
    EXPECT_EQ(framer.next(line), LineFramer::Status::too_long);
    EXPECT_EQ(framer.buffered(), 0U);
    for (int i = 0; i < 100; ++i) {
        framer.feed(std::string(1000, 'y'));
        EXPECT_EQ(framer.buffered(), 0U);
        EXPECT_EQ(framer.next(line), LineFramer::Status::need_more);
    }
    framer.feed("yyy\r\nNOOP\r\n");
    ASSERT_EQ(framer.next(line), LineFramer::Status::line);
    EXPECT_EQ(line, "NOOP");
    EXPECT_EQ(framer.next(line), LineFramer::Status::need_more);
}

// Many feeds before any next(): the cut still applies to every line.
TEST(LineFramerOverLong, SeveralOverLongLinesBeforeDraining) {
    LineFramer framer(16);
    for (int i = 0; i < 3; ++i) {
        framer.feed("ok\r\n");
        for (int k = 0; k < 100; ++k) {
            framer.feed(std::string(100, 'z'));
        }
        framer.feed("\r\n");
    }
    EXPECT_LE(framer.buffered(), 3 * (4 + 17U));
    EXPECT_EQ(show(run(framer, {""}, 16)), show({"ok", too_long, "ok", too_long, "ok", too_long}));
}

TEST(LineFramerClear, DropsPipelinedBytes) {
    LineFramer framer(255);
    framer.feed("STLS\r\nUSER mallory\r\nPASS x");
    std::string line;
    ASSERT_EQ(framer.next(line), LineFramer::Status::line);
    EXPECT_EQ(line, "STLS");
    framer.clear();
    EXPECT_EQ(framer.buffered(), 0U);
    EXPECT_EQ(framer.next(line), LineFramer::Status::need_more);
    framer.feed("CAPA\r\n");
    ASSERT_EQ(framer.next(line), LineFramer::Status::line);
    EXPECT_EQ(line, "CAPA");
}

TEST(LineFramerClear, EndsDiscarding) {
    LineFramer framer(8);
    framer.feed(std::string(20, 'a'));
    std::string line;
    EXPECT_EQ(framer.next(line), LineFramer::Status::too_long);
    framer.clear();
    framer.feed("CAPA\r\n");
    ASSERT_EQ(framer.next(line), LineFramer::Status::line);
    EXPECT_EQ(line, "CAPA");
}

// A long session of small lines: the buffer is compacted, lines stay intact.
TEST(LineFramerStream, ManyLinesThroughOneFramer) {
    LineFramer framer(255);
    std::string line;
    std::string pending;
    for (int i = 0; i < 20000; ++i) {
        pending += "RETR " + std::to_string(i) + "\r\n";
        if (i % 7 == 0) {
            // Odd piece boundaries, so lines often straddle feeds.
            framer.feed(pending.substr(0, pending.size() / 2));
            pending.erase(0, pending.size() / 2);
        }
    }
    framer.feed(pending);
    for (int i = 0; i < 20000; ++i) {
        ASSERT_EQ(framer.next(line), LineFramer::Status::line) << i;
        ASSERT_EQ(line, "RETR " + std::to_string(i));
    }
    EXPECT_EQ(framer.next(line), LineFramer::Status::need_more);
    EXPECT_EQ(framer.buffered(), 0U);
}

TEST(LineFramerConstruct, RefusesCapTooSmallForCrlf) {
    EXPECT_THROW(LineFramer(2), std::invalid_argument);
    EXPECT_NO_THROW(LineFramer(3));
}

} // namespace
} // namespace poplar::protocol

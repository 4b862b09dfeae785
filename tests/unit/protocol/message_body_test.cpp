// make_message_body: RETR/TOP vectors at every chunk boundary, cross-checked
// with store::wire_size, early stop for TOP, and read errors.
#include "protocol/message_body.hpp"
#include "store/wire_size.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace poplar::protocol {
namespace {

using namespace std::string_literals;

struct ReadStats {
    std::size_t reads = 0;
    std::size_t bytes = 0;
};

// Hands out `data` at most `piece` octets per read; throws std::system_error
// on read number `fail_on` (1-based; 0 never).
class PieceSource final : public store::ByteSource {
public:
    PieceSource(std::string data, std::size_t piece, ReadStats* stats = nullptr, std::size_t fail_on = 0)
        : data_(std::move(data)), piece_(piece), stats_(stats), fail_on_(fail_on) {}

    std::size_t read(std::span<char> out) override {
        ++reads_;
        if (stats_ != nullptr) {
            ++stats_->reads;
        }
        if (reads_ == fail_on_) {
            throw std::system_error(std::make_error_code(std::errc::io_error), "test read failure");
        }
        const std::size_t n = std::min({piece_, out.size(), data_.size() - at_});
        std::memcpy(out.data(), data_.data() + at_, n);
        at_ += n;
        if (stats_ != nullptr) {
            stats_->bytes += n;
        }
        return n;
    }

private:
    std::string data_;
    std::size_t piece_;
    ReadStats* stats_;
    std::size_t fail_on_;
    std::size_t at_ = 0;
    std::size_t reads_ = 0;
};

// Pulls the whole body; each chunk must respect max_body_chunk.
std::string render(std::string raw, std::size_t piece, std::optional<std::uint64_t> top,
                   ReadStats* stats = nullptr) {
    auto body = make_message_body(std::make_unique<PieceSource>(std::move(raw), piece, stats), top);
    std::string out;
    for (;;) {
        const std::size_t before = out.size();
        const bool more = body->next(out);
        EXPECT_LE(out.size() - before, max_body_chunk);
        if (!more) {
            break;
        }
    }
    // Once done, it stays done and appends nothing.
    const std::size_t size = out.size();
    EXPECT_FALSE(body->next(out));
    EXPECT_EQ(out.size(), size);
    return out;
}

// Undoes the terminator and dot-stuffing; checks both are well formed.
std::string unstuff(std::string_view wire) {
    std::string plain;
    const bool terminated = wire == ".\r\n" || (wire.size() >= 5 && wire.substr(wire.size() - 5) == "\r\n.\r\n");
    EXPECT_TRUE(terminated);
    if (!terminated) {
        return plain;
    }
    const std::string_view body = wire.substr(0, wire.size() - 3);
    std::size_t at = 0;
    while (at < body.size()) {
        const std::size_t end = body.find("\r\n", at);
        if (end == std::string_view::npos) {
            ADD_FAILURE() << "body does not end in CRLF";
            return plain;
        }
        std::string_view line = body.substr(at, end - at);
        if (!line.empty() && line[0] == '.') {
            // Stuffed: no body line can look like the terminator.
            EXPECT_TRUE(line.size() >= 2 && line[1] == '.') << "unstuffed dot line";
            line.remove_prefix(1);
        }
        plain.append(line).append("\r\n");
        at = end + 2;
    }
    return plain;
}

std::uint64_t wire_size_of(const std::string& raw, std::size_t piece) {
    PieceSource source(raw, piece);
    return store::wire_size(source);
}

// A slow, obvious reference: split at LF, end each line in CRLF, stuff it.
std::vector<std::string> raw_lines(std::string_view raw) {
    std::vector<std::string> lines;
    while (!raw.empty()) {
        const std::size_t lf = raw.find('\n');
        const std::size_t take = lf == std::string_view::npos ? raw.size() : lf + 1;
        lines.emplace_back(raw.substr(0, take));
        raw.remove_prefix(take);
    }
    return lines;
}

std::string reference_line(std::string line) {
    if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
    }
    return (!line.empty() && line[0] == '.' ? "." : "") + line + "\r\n";
}

bool is_empty_line(const std::string& line) {
    return line == "\n" || line == "\r\n";
}

std::string reference(std::string_view raw, std::optional<std::uint64_t> top) {
    std::string out;
    const auto lines = raw_lines(raw);
    std::size_t i = 0;
    if (!top) {
        for (const auto& line : lines) {
            out += reference_line(line);
        }
        return out + ".\r\n";
    }
    for (; i < lines.size(); ++i) {
        out += reference_line(lines[i]);
        if (is_empty_line(lines[i])) {
            ++i;
            break;
        }
    }
    for (std::uint64_t n = 0; n < *top && i < lines.size(); ++n, ++i) {
        out += reference_line(lines[i]);
    }
    return out + ".\r\n";
}

struct BodyVector {
    const char* name;
    std::string raw;
    std::optional<std::uint64_t> top;
    std::string expected;
};

void PrintTo(const BodyVector& v, std::ostream* os) {
    *os << v.name;
}

std::vector<BodyVector> retr_vectors() {
    return {
        {"empty", "", std::nullopt, ".\r\n"},
        {"lf", "a\n", std::nullopt, "a\r\n.\r\n"},
        {"crlf", "a\r\n", std::nullopt, "a\r\n.\r\n"},
        {"mixed", "a\nb\r\nc\n", std::nullopt, "a\r\nb\r\nc\r\n.\r\n"},
        {"only_lf", "\n", std::nullopt, "\r\n.\r\n"},
        {"only_crlf", "\r\n", std::nullopt, "\r\n.\r\n"},
        {"blank_lines", "a\n\n\nb", std::nullopt, "a\r\n\r\n\r\nb\r\n.\r\n"},
        {"lone_cr_inside", "a\rb\n", std::nullopt, "a\rb\r\n.\r\n"},
        {"lone_cr_at_end", "a\r", std::nullopt, "a\r\r\n.\r\n"},
        {"only_cr", "\r", std::nullopt, "\r\r\n.\r\n"},
        {"cr_cr_lf", "x\r\r\n", std::nullopt, "x\r\r\n.\r\n"},
        {"crs_then_crlf", "\r\r\r\n", std::nullopt, "\r\r\r\n.\r\n"},
        {"no_trailing_newline", "abc", std::nullopt, "abc\r\n.\r\n"},
        {"no_trailing_newline_after_lines", "a\nb", std::nullopt, "a\r\nb\r\n.\r\n"},
        {"dot_line", ".\n", std::nullopt, "..\r\n.\r\n"},
        {"dot_line_crlf", ".\r\n", std::nullopt, "..\r\n.\r\n"},
        {"dot_dot_line", "..\r\n", std::nullopt, "...\r\n.\r\n"},
        {"dot_text", ".a\n.\n", std::nullopt, "..a\r\n..\r\n.\r\n"},
        {"dot_only_no_newline", ".", std::nullopt, "..\r\n.\r\n"},
        {"dot_after_blank", "\n.\n", std::nullopt, "\r\n..\r\n.\r\n"},
        {"dot_mid_line_kept", "a.b\n a.\n", std::nullopt, "a.b\r\n a.\r\n.\r\n"},
        {"dot_after_lone_cr_not_stuffed", "a\r.b\n", std::nullopt, "a\r.b\r\n.\r\n"},
        {"crlf_dot_crlf_in_body", "a\r\n.\r\nb\r\n", std::nullopt, "a\r\n..\r\nb\r\n.\r\n"},
        {"binary", "\0\n\xff\x01\r\n"s, std::nullopt, "\0\r\n\xff\x01\r\n.\r\n"s},
    };
}

std::vector<BodyVector> top_vectors() {
    const std::string mail = "From: a\nSubject: b\n\nline 1\nline 2\nline 3\n";
    const std::string headers = "From: a\r\nSubject: b\r\n\r\n";
    return {
        {"top_0", mail, 0, headers + ".\r\n"},
        {"top_1", mail, 1, headers + "line 1\r\n.\r\n"},
        {"top_2", mail, 2, headers + "line 1\r\nline 2\r\n.\r\n"},
        {"top_exact", mail, 3, headers + "line 1\r\nline 2\r\nline 3\r\n.\r\n"},
        {"top_large", mail, 1000000, headers + "line 1\r\nline 2\r\nline 3\r\n.\r\n"},
        {"top_max", mail, UINT64_MAX, headers + "line 1\r\nline 2\r\nline 3\r\n.\r\n"},
        {"top_no_blank_line", "From: a\nSubject: b\n", 5, "From: a\r\nSubject: b\r\n.\r\n"},
        {"top_no_blank_line_0", "From: a\nSubject: b", 0, "From: a\r\nSubject: b\r\n.\r\n"},
        {"top_crlf", "H: 1\r\n\r\nb1\r\n.b2\r\nb3\r\n", 2, "H: 1\r\n\r\nb1\r\n..b2\r\n.\r\n"},
        {"top_ends_mid_line", "H\n\nb1\nb2", 5, "H\r\n\r\nb1\r\nb2\r\n.\r\n"},
        {"top_ends_at_blank", "H\n\n", 0, "H\r\n\r\n.\r\n"},
        {"top_ends_at_blank_n", "H\n\n", 3, "H\r\n\r\n.\r\n"},
        {"top_blank_first", "\nbody1\nbody2\n", 1, "\r\nbody1\r\n.\r\n"},
        {"top_blank_first_0", "\nbody1\n", 0, "\r\n.\r\n"},
        {"top_empty_message", "", 3, ".\r\n"},
        {"top_lone_cr_line_is_not_blank", "H\n\rX\n\nb\n", 0, "H\r\n\rX\r\n\r\n.\r\n"},
        {"top_cr_cr_lf_is_not_blank", "H\n\r\r\nX\n\nb\n", 0, "H\r\n\r\r\nX\r\n\r\n.\r\n"},
        {"top_lone_cr_alone_at_end", "H\n\r", 0, "H\r\n\r\r\n.\r\n"},
        {"top_dot_body_line", "H\n\n.\n..\nx\n", 2, "H\r\n\r\n..\r\n...\r\n.\r\n"},
        {"top_dot_header", ".H\n\nb\n", 0, "..H\r\n\r\n.\r\n"},
        {"top_blank_body_lines_count", "H\n\n\n\nx\n", 2, "H\r\n\r\n\r\n\r\n.\r\n"},
    };
}

// Every source piece size from 1 to past the whole message: every chunk
// boundary falls at every offset (CR|LF, .|., line start, ...).
void expect_every_piece_size(const BodyVector& v) {
    ASSERT_EQ(reference(v.raw, v.top), v.expected) << "the reference disagrees with the vector";
    for (std::size_t piece = 1; piece <= v.raw.size() + 1; ++piece) {
        EXPECT_EQ(render(v.raw, piece, v.top), v.expected) << "piece " << piece;
    }
}

class MessageBodyRetr : public ::testing::TestWithParam<BodyVector> {};

TEST_P(MessageBodyRetr, EveryPieceSize) {
    expect_every_piece_size(GetParam());
}

// LIST and STAT promise exactly the octets RETR sends before stuffing.
TEST_P(MessageBodyRetr, UnstuffedSizeIsWireSize) {
    const auto& v = GetParam();
    for (std::size_t piece = 1; piece <= v.raw.size() + 1; ++piece) {
        EXPECT_EQ(unstuff(render(v.raw, piece, std::nullopt)).size(), wire_size_of(v.raw, piece))
            << "piece " << piece;
    }
}

INSTANTIATE_TEST_SUITE_P(Vectors, MessageBodyRetr, ::testing::ValuesIn(retr_vectors()),
                         [](const auto& info) { return std::string(info.param.name); });

class MessageBodyTopVectors : public ::testing::TestWithParam<BodyVector> {};

TEST_P(MessageBodyTopVectors, EveryPieceSize) {
    expect_every_piece_size(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Vectors, MessageBodyTopVectors, ::testing::ValuesIn(top_vectors()),
                         [](const auto& info) { return std::string(info.param.name); });

// Random-ish mail (fixed seed): many CR, LF and '.' at every position.
std::string random_message(std::size_t size, unsigned seed) {
    std::mt19937 random(seed);
    const std::string alphabet = "abcdefghij .:-\t";
    std::string raw;
    raw.reserve(size);
    std::uniform_int_distribution<int> pick(0, 99);
    std::uniform_int_distribution<std::size_t> letter(0, alphabet.size() - 1);
    // A header block first, so TOP has something to cut.
    raw += "Received: from x\nSubject: random\n\n";
    while (raw.size() < size) {
        const int p = pick(random);
        if (p < 6) {
            raw += '\n';
        } else if (p < 9) {
            raw += "\r\n";
        } else if (p < 10) {
            raw += '\r';
        } else if (p < 14) {
            raw += '.';
        } else if (p < 15) {
            raw += '\0';
        } else {
            raw += alphabet[letter(random)];
        }
    }
    return raw;
}

TEST(MessageBodyLarge, RandomMessageMatchesReferenceAndWireSize) {
    const std::string raw = random_message(1 << 20, 1939);
    const std::string expected = reference(raw, std::nullopt);
    const std::uint64_t size = wire_size_of(raw, raw.size());
    for (std::size_t piece : {1UL, 3UL, 1000UL, 32767UL, 32768UL, 32769UL, 65536UL, raw.size()}) {
        const std::string wire = render(raw, piece, std::nullopt);
        ASSERT_EQ(wire, expected) << "piece " << piece;
        EXPECT_EQ(unstuff(wire).size(), size) << "piece " << piece;
    }
}

TEST(MessageBodyLarge, RandomMessageTop) {
    const std::string raw = random_message(300 * 1024, 2449);
    for (std::uint64_t top : {0ULL, 1ULL, 2ULL, 17ULL, 1000ULL, 5000ULL, 100000ULL}) {
        for (std::size_t piece : {1UL, 4097UL, 32768UL, raw.size()}) {
            ASSERT_EQ(render(raw, piece, top), reference(raw, top)) << "top " << top << " piece " << piece;
        }
    }
}

TEST(MessageBodyLarge, ChunksAreBoundedEvenWhenEveryOctetDoubles) {
    // Every line is ".": each raw octet becomes two on the wire.
    std::string raw;
    for (int i = 0; i < 100000; ++i) {
        raw += ".\n";
    }
    const std::string wire = render(raw, raw.size(), std::nullopt);
    EXPECT_EQ(wire.size(), 2 * raw.size() + 3);
    EXPECT_EQ(unstuff(wire).size(), wire_size_of(raw, raw.size()));
}

// TOP stops reading once it has its lines: a 5 MiB message is not read for
// TOP 1 0.
TEST(MessageBodyTop, StopsReadingWhenDone) {
    const std::string head = "From: a\r\nSubject: b\r\n\r\n";
    std::string raw = head + "first\r\nsecond\r\n";
    raw.resize(5 * 1024 * 1024, 'x');

    ReadStats bytewise;
    EXPECT_EQ(render(raw, 1, 0, &bytewise), head + ".\r\n");
    EXPECT_EQ(bytewise.bytes, head.size());

    ReadStats two_lines;
    EXPECT_EQ(render(raw, 1, 2, &two_lines), head + "first\r\nsecond\r\n.\r\n");
    EXPECT_EQ(two_lines.bytes, head.size() + 15);

    ReadStats chunked;
    EXPECT_EQ(render(raw, raw.size(), 0, &chunked), head + ".\r\n");
    EXPECT_EQ(chunked.reads, 1U);
    EXPECT_LE(chunked.bytes, 32U * 1024U);
}

// A read error surfaces from next(), at whichever read it happens.
TEST(MessageBodyErrors, ReadFailurePropagatesAtEveryPoint) {
    const std::string raw = "Subject: x\n\n" + std::string(100, 'y') + "\n.\n";
    for (std::size_t fail_on = 1; fail_on <= 12; ++fail_on) {
        for (std::optional<std::uint64_t> top : {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{5}}) {
            auto body = make_message_body(std::make_unique<PieceSource>(raw, 10, nullptr, fail_on), top);
            std::string out;
            std::size_t calls = 0;
            EXPECT_THROW(
                {
                    while (body->next(out)) {
                        ++calls;
                    }
                },
                std::system_error)
                << "fail on read " << fail_on;
            EXPECT_EQ(calls, fail_on - 1);
        }
    }
}

TEST(MessageBodyErrors, NoFailureWhenTheFailingReadIsNeverMade) {
    const std::string raw = "a\nb\n";
    // 4 octets in pieces of 2: reads 1, 2 give data, read 3 says end.
    EXPECT_EQ(render(raw, 2, std::nullopt), "a\r\nb\r\n.\r\n");
    auto body = make_message_body(std::make_unique<PieceSource>(raw, 2, nullptr, 4), std::nullopt);
    std::string out;
    while (body->next(out)) {
    }
    EXPECT_EQ(out, "a\r\nb\r\n.\r\n");
}

} // namespace
} // namespace poplar::protocol

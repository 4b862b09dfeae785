// make_message_body: RETR/TOP vectors at every chunk boundary, cross-checked
// with store::wire_size, early stop for TOP, and read errors.
#include "protocol/message_body.hpp"
#include "store/header_downgrade.hpp"
#include "store/maildir.hpp"
#include "store/temp_maildir.hpp"
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
std::string render_source(std::unique_ptr<store::ByteSource> source, std::optional<std::uint64_t> top,
                          bool downgrade) {
    auto body = make_message_body(std::move(source), top, downgrade);
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

std::string render(std::string raw, std::size_t piece, std::optional<std::uint64_t> top,
                   ReadStats* stats = nullptr, bool downgrade = false) {
    return render_source(std::make_unique<PieceSource>(std::move(raw), piece, stats), top, downgrade);
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

// ---- downgrade_headers: RFC 6856 without UTF8 ----

// A 7-bit message is sent exactly as without the downgrade; an 8-bit one
// (the "binary" vector is all header) in the size the store computes.
TEST_P(MessageBodyRetr, DowngradeChangesNothingWhenSevenBit) {
    const auto& v = GetParam();
    store::HeaderBlock header;
    header.feed(v.raw);
    const std::uint64_t downgraded_size = store::downgraded_wire_size(wire_size_of(v.raw, v.raw.size()), header);
    for (std::size_t piece = 1; piece <= v.raw.size() + 1; ++piece) {
        const std::string sent = render(v.raw, piece, v.top, nullptr, true);
        if (!store::has_8bit(v.raw)) {
            EXPECT_EQ(sent, v.expected) << "piece " << piece;
        }
        EXPECT_EQ(unstuff(sent).size(), downgraded_size) << "piece " << piece;
    }
}

TEST_P(MessageBodyTopVectors, DowngradeChangesNothingWhenSevenBit) {
    const auto& v = GetParam();
    for (std::size_t piece = 1; piece <= v.raw.size() + 1; ++piece) {
        EXPECT_EQ(render(v.raw, piece, v.top, nullptr, true), v.expected) << "piece " << piece;
    }
}

TEST(MessageBodyDowngrade, Utf8HeaderIsDowngradedAtEveryPieceSize) {
    const std::string raw = "Subject: \xc3\xa9t\xc3\xa9\n.X: y\n\n.body \xc3\xa9\nline 2\n";
    const std::string head = "Subject: =?UTF-8?B?w6l0w6k=?=\r\n..X: y\r\n\r\n";
    for (std::size_t piece = 1; piece <= raw.size() + 1; ++piece) {
        // The body keeps its 8-bit octets: only the header is rewritten.
        EXPECT_EQ(render(raw, piece, std::nullopt, nullptr, true), head + "..body \xc3\xa9\r\nline 2\r\n.\r\n");
        EXPECT_EQ(render(raw, piece, 0, nullptr, true), head + ".\r\n");
        EXPECT_EQ(render(raw, piece, 1, nullptr, true), head + "..body \xc3\xa9\r\n.\r\n");
        // Without the downgrade, as stored.
        EXPECT_EQ(render(raw, piece, 0), "Subject: \xc3\xa9t\xc3\xa9\r\n..X: y\r\n\r\n.\r\n");
    }
}

TEST(MessageBodyDowngrade, AllHeaderWithoutFinalNewline) {
    EXPECT_EQ(render("A: b\nSubject: \xc3\xa9", 3, std::nullopt, nullptr, true),
              "A: b\r\nSubject: =?UTF-8?B?w6k=?=\r\n.\r\n");
    EXPECT_EQ(render("Subject: \xc3\xa9", 100, 5, nullptr, true), "Subject: =?UTF-8?B?w6k=?=\r\n.\r\n");
}

TEST(MessageBodyDowngrade, ReadFailureWhileReadingTheHeader) {
    const std::string raw = "Subject: \xc3\xa9\n" + std::string(100, 'x') + "\n\nbody\n";
    auto body = make_message_body(std::make_unique<PieceSource>(raw, 10, nullptr, 3), std::nullopt, true);
    std::string out;
    EXPECT_THROW(body->next(out), std::system_error);
}

// Messages of every shape, generated: 8-bit and folded headers, LF, CRLF and
// mixed, no body, no final newline, no empty line at all, headers bigger than
// a read and one bigger than max_downgrade_header.
std::vector<std::string> generated_messages() {
    std::mt19937 random(6856);
    const std::vector<std::string> fields = {
        "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln",
        "From: Zo\xc3\xab M\xc3\xbcller <zoe@example.org>",
        "To: \xc3\xbcser@\xe4\xbe\x8b\xe3\x81\x88.jp, plain@example.org",
        "Cc: \"M\xc3\xbcller, J\" <j@x> (caf\xc3\xa9)",
        "Subject: folded\n\tsecond \xc3\xa9 line\n  third",
        "Content-Type: text/plain; name=\"r\xc3\xa9sum\xc3\xa9.txt\"; charset=utf-8",
        "Message-ID: <\xc3\xa9@example.org>",
        "X-Bad: \xff\xfe\x80 invalid",
        "X-Cr: a\rb \xc3\xa9",
        ".Dot-Field: \xc3\xa9",
        "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000",
        "Date: Mon, 1 Jan 2024 00:00:00 +0000",
        "X-Plain: plain ascii",
    };
    std::string long_text;
    for (int i = 0; i < 60; ++i) {
        long_text += "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ";  // 3-octet characters
    }
    std::vector<std::string> messages;
    for (int m = 0; m < 200; ++m) {
        const int style = static_cast<int>(random() % 3);  // LF, CRLF, mixed
        auto eol = [&] { return style == 0 ? "\n" : style == 1 ? "\r\n" : (random() % 2 ? "\n" : "\r\n"); };
        std::string message;
        const int count = 1 + static_cast<int>(random() % 8);
        for (int f = 0; f < count; ++f) {
            std::string field = fields[random() % fields.size()];
            if (random() % 10 == 0) {
                field = "X-Long: " + long_text;
            }
            for (std::size_t at = field.find('\n'); at != std::string::npos; at = field.find('\n', at + 2)) {
                field.replace(at, 1, eol());
            }
            message += field + eol();
        }
        if (m % 50 == 7) {
            // Bigger than one read: the header spans chunks.
            for (int i = 0; i < 1500; ++i) {
                message += "X-Filler: " + std::to_string(i) + " \xc3\xa9" + eol();
            }
        }
        const int shape = static_cast<int>(random() % 6);
        if (shape == 0) {
            const bool crlf = message.size() >= 2 && message[message.size() - 2] == '\r';
            message.resize(message.size() - (crlf ? 2 : 1));  // no final newline
        } else if (shape == 1) {
            // all header, ends in a newline
        } else {
            message += eol();
            if (shape >= 3) {
                message += "body line" + std::string(eol()) + "." + eol() + ".. dots" + eol() + "\xc3\xa9";
                if (shape >= 4) {
                    message += eol();
                }
            }
        }
        messages.push_back(message);
    }
    // Over the cap: sent as stored, and sized so.
    std::string huge = "Subject: \xc3\xa9\n";
    while (huge.size() <= store::max_downgrade_header) {
        huge += "X-Filler: " + std::string(200, 'f') + "\xc3\xa9\n";
    }
    messages.push_back(huge + "\nbody\n");
    return messages;
}

// The test the sizes promise rests on: for every generated message, the
// octets RETR sends (before stuffing) equal the size the Maildir scan gives,
// with and without the downgrade, whether the scan read the whole file or
// (,W= names) only the header.
TEST(MessageBodyDowngrade, SentOctetsEqualTheStoresSizes) {
    const std::vector<std::string> messages = generated_messages();
    store::testing::TempMaildir md;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        std::string name = std::to_string(1700000000 + i) + ".M" + std::to_string(i) + "P1.test";
        if (i % 2 == 1) {
            name += ",W=" + std::to_string(wire_size_of(messages[i], messages[i].size()));
        }
        md.put_cur(name + ":2,", messages[i]);
    }
    store::OpenResult opened = store::open_maildir(md.dir());
    ASSERT_EQ(opened.status, store::OpenStatus::ok) << opened.detail;
    const auto& infos = opened.mailbox->messages();
    ASSERT_EQ(infos.size(), messages.size());
    std::size_t changed = 0;
    for (std::size_t i = 0; i < infos.size(); ++i) {
        auto open = [&] { return opened.mailbox->open_message(infos[i].id); };
        const std::string as_stored = unstuff(render_source(open(), std::nullopt, false));
        EXPECT_EQ(as_stored.size(), infos[i].size) << "message " << i;
        const std::string sent = unstuff(render_source(open(), std::nullopt, true));
        EXPECT_EQ(sent.size(), infos[i].downgraded_size) << "message " << i;
        changed += infos[i].downgraded_size != infos[i].size ? 1 : 0;
        // The header that went out is 7-bit (unless over the cap).
        const std::size_t header_end = sent.find("\r\n\r\n");
        const std::string_view header = std::string_view(sent).substr(0, header_end);
        if (messages[i].size() < store::max_downgrade_header) {
            EXPECT_FALSE(store::has_8bit(header)) << "message " << i;
        } else {
            EXPECT_EQ(infos[i].downgraded_size, infos[i].size);
        }
        // TOP sends the same header.
        const std::string top = unstuff(render_source(open(), 0, true));
        EXPECT_EQ(top.substr(0, std::min(top.size(), header.size())), header) << "message " << i;
    }
    EXPECT_GT(changed, messages.size() / 2);  // the generator does make 8-bit headers
}

} // namespace
} // namespace poplar::protocol

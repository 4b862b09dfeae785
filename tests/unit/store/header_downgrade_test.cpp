// The header downgrade: vectors per field kind, the properties every output
// must have (7-bit, short lines, lossless, whole characters per word), the
// block collector fed at every split, and random input.
#include "store/header_downgrade.hpp"

#include "store/wire_size.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// ---- a small RFC 2047 B decoder, for the tests only ----

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

std::string base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        const int v = base64_value(c);
        if (v < 0) {
            continue;
        }
        bits = bits << 6 | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xFF);
        }
    }
    return out;
}

// Replaces every =?UTF-8?B?...?= by its octets; whitespace between two
// encoded-words is dropped (RFC 2047 section 6.2).
std::string decode_words(std::string_view text) {
    std::string out;
    std::size_t at = 0;
    bool last_was_word = false;
    while (at < text.size()) {
        const std::size_t open = text.find("=?UTF-8?B?", at);
        if (open == std::string_view::npos) {
            out.append(text.substr(at));
            break;
        }
        const std::string_view between = text.substr(at, open - at);
        const bool blank = between.find_first_not_of(" \t") == std::string_view::npos;
        if (!(last_was_word && blank)) {
            out.append(between);
        }
        const std::size_t close = text.find("?=", open + 10);
        EXPECT_NE(close, std::string_view::npos);
        if (close == std::string_view::npos) {
            break;
        }
        out += base64_decode(text.substr(open + 10, close - open - 10));
        at = close + 2;
        last_was_word = true;
    }
    return out;
}

std::string unfold(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 3) == "\r\n " || text.substr(i, 3) == "\r\n\t") {
            i += 1;
            continue;
        }
        out += text[i];
    }
    return out;
}

std::string downgrade(std::string_view header) {
    const auto out = downgrade_header(header);
    EXPECT_TRUE(out.has_value());
    return out.value_or("");
}

// Every line of the output: 7-bit, and at most 76 octets when it holds an
// encoded-word; every encoded-word at most 75 octets and whole UTF-8.
void expect_well_formed(std::string_view out) {
    EXPECT_FALSE(has_8bit(out)) << out;
    std::size_t at = 0;
    while (at < out.size()) {
        std::size_t end = out.find('\n', at);
        end = end == std::string_view::npos ? out.size() : end + 1;
        std::string_view line = out.substr(at, end - at);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.remove_suffix(1);
        }
        if (line.find("=?UTF-8?B?") != std::string_view::npos) {
            EXPECT_LE(line.size(), 76U) << line;
            EXPECT_FALSE(line.find_first_not_of(" \t") == std::string_view::npos) << "blank folded line";
        }
        at = end;
    }
    for (std::size_t open = out.find("=?UTF-8?B?"); open != std::string_view::npos;
         open = out.find("=?UTF-8?B?", open + 1)) {
        const std::size_t close = out.find("?=", open + 10);
        ASSERT_NE(close, std::string_view::npos);
        EXPECT_LE(close + 2 - open, 75U);
        const std::string octets = base64_decode(out.substr(open + 10, close - open - 10));
        ASSERT_FALSE(octets.empty());
        // Valid UTF-8 input never gives a word that starts mid-character.
        EXPECT_NE(static_cast<unsigned char>(octets.front()) & 0xC0, 0x80) << out.substr(open, close + 2 - open);
    }
}

TEST(HeaderDowngrade, SevenBitIsUnchanged) {
    for (std::string_view header : {""sv, "\n"sv, "Subject: hi\n\n"sv, "A: b\r\n c\r\n\r\n"sv, "X: \x7f\x01\n"sv,
                                    "no colon at all\n"sv, "Subject: x"sv}) {
        EXPECT_EQ(downgrade_header(header), std::nullopt) << header;
    }
}

TEST(HeaderDowngrade, UnstructuredSubject) {
    const std::string out = downgrade("Subject: Grüße\nX-A: b\n\n");
    EXPECT_EQ(out, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nX-A: b\n\n");
    expect_well_formed(out);
}

TEST(HeaderDowngrade, OnlyTheFieldWithUtf8IsRewritten) {
    const std::string in = "Received: from a\r\n\tby b\r\nSubject: é\r\nTo: x@y\r\n\r\n";
    EXPECT_EQ(downgrade(in), "Received: from a\r\n\tby b\r\nSubject: =?UTF-8?B?w6k=?=\r\nTo: x@y\r\n\r\n");
}

TEST(HeaderDowngrade, LongSubjectIsFoldedWithWholeCharacters) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
        text += "日本語テキスト ";  // 3-octet characters
    }
    const std::string out = downgrade("Subject: " + text + "\n\n");
    expect_well_formed(out);
    EXPECT_NE(out.find("\r\n =?UTF-8?B?"), std::string::npos);
    const std::string field = out.substr(0, out.size() - 3);  // CRLF and the empty line
    EXPECT_EQ(decode_words(unfold(field)), "Subject: " + text);
}

TEST(HeaderDowngrade, FoldedFieldIsUnfoldedThenEncoded) {
    const std::string out = downgrade("Subject: caf\xc3\xa9\n  au lait\n\n");
    EXPECT_EQ(decode_words(unfold(out)), "Subject: caf\xc3\xa9  au lait\r\n\n");
}

TEST(HeaderDowngrade, InvalidUtf8IsKeptAsOctets) {
    const std::string bytes = "\xff\xfe\x80\x80\x80\x80\x80\xc3"s + std::string(100, '\x80');
    const std::string out = downgrade("Subject: " + bytes + "\n\n");
    EXPECT_FALSE(has_8bit(out));
    EXPECT_EQ(decode_words(unfold(out)), "Subject: " + bytes + "\r\n\n");
}

TEST(HeaderDowngrade, DisplayNameBecomesEncodedWords) {
    EXPECT_EQ(downgrade("From: Jürgen Müller <j@example.org>\n\n"),
              "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@example.org>\r\n\n");
    // Quoted: the display text without its quotes and quoted-pairs.
    const std::string out = downgrade("To: \"Müller, J\\\"ü\" <j@x>, plain@y (Zoë)\n\n");
    EXPECT_EQ(decode_words(out), "To: Müller, J\"ü <j@x>, plain@y (Zoë)\r\n\n");
    EXPECT_NE(out.find(" <j@x>, plain@y ("), std::string::npos);
    expect_well_formed(out);
}

TEST(HeaderDowngrade, Utf8AddressBecomesAnEmptyGroup) {
    EXPECT_EQ(downgrade("From: Ünsal <ünsal@例え.jp>\n\n"),
              "From: =?UTF-8?B?w5xuc2FsIDzDvG5zYWxA5L6L44GILmpwPg==?= :;\r\n\n");
    // Only that mailbox; the others stay as they are.
    const std::string out = downgrade("To: a@b, ü@x, \"Zoë\" <z@y>\n\n");
    EXPECT_EQ(decode_words(out), "To: a@b, ü@x :;, Zoë <z@y>\r\n\n");
    EXPECT_EQ(out.substr(0, 12), "To: a@b, =?U");
    // A group with such a member becomes one empty group.
    EXPECT_EQ(decode_words(downgrade("Cc: team: a@b, ö@c;, d@e\n\n")), "Cc: team: a@b, ö@c; :;, d@e\r\n\n");
}

// Issue 6 (fuzz_header_downgrade): a domain literal with UTF-8 outside the
// <...> was copied as it was, 8-bit octets and all.
TEST(HeaderDowngrade, Issue6Utf8DomainLiteralOutsideAnglesIsEncoded) {
    for (const std::string in : {"Cc:<>[\xdf\n\n", "To: <a@b> [\xc3\xa9]\n\n", "To: [\xc3\xa9]: a@b;\n\n",
                                 "From: x@[\xc3\xa9]\n\n"}) {
        const std::string out = downgrade(in);
        EXPECT_FALSE(has_8bit(out)) << out;
        EXPECT_NE(out.find(" :;"), std::string::npos) << out;
    }
}

TEST(HeaderDowngrade, ContentTypeParameterUsesRfc2231) {
    EXPECT_EQ(downgrade("Content-Type: text/plain; name=\"résumé.txt\"; charset=utf-8\n\n"),
              "Content-Type: text/plain; name*=UTF-8''r%C3%A9sum%C3%A9.txt; charset=utf-8\r\n\n");
    std::string long_name;
    for (int i = 0; i < 30; ++i) {
        long_name += "ñ";
    }
    const std::string out = downgrade("Content-Disposition: attachment; filename=" + long_name + "\n\n");
    EXPECT_NE(out.find("filename*0*=UTF-8''%C3%B1"), std::string::npos) << out;
    EXPECT_NE(out.find(";\r\n filename*1*=%C3%B1"), std::string::npos) << out;
    expect_well_formed(out);
    for (std::size_t at = 0, end; (end = out.find("\r\n", at)) != std::string::npos; at = end + 2) {
        EXPECT_LE(end - at, 76U) << out;
    }
}

TEST(HeaderDowngrade, StructuredFieldIsRenamed) {
    EXPECT_EQ(downgrade("Message-ID: <ü@x>\n\n"), "Downgraded-Message-ID: =?UTF-8?B?PMO8QHg+?=\r\n\n");
    EXPECT_EQ(decode_words(downgrade("Content-Type: tëxt/plain\n\n")), "Downgraded-Content-Type: tëxt/plain\r\n\n");
}

TEST(HeaderDowngrade, MalformedLineIsKept) {
    EXPECT_EQ(decode_words(downgrade("Sübject: x\n\n")), "Downgraded-Malformed-Line: Sübject: x\r\n\n");
    EXPECT_EQ(decode_words(downgrade(" é\nA: b\n\n")), "Downgraded-Malformed-Line:  é\r\nA: b\n\n");
}

TEST(HeaderDowngrade, NoFinalLineEndStaysWithout) {
    EXPECT_EQ(downgrade("A: b\nSubject: é"), "A: b\nSubject: =?UTF-8?B?w6k=?=");
}

TEST(HeaderDowngrade, LongFieldNameStillFits) {
    const std::string name = "X-" + std::string(90, 'n');
    const std::string out = downgrade(name + ": é\n\n");
    EXPECT_EQ(out, name + ":\r\n =?UTF-8?B?w6k=?=\r\n\n");
}

// ---- the collector ----

TEST(HeaderBlock, FindsTheEmptyLineAtEverySplit) {
    const std::string message = "A: b\r\nSubject: é\r\n\r\nbody\r\n\r\nmore";
    const std::size_t header = message.find("\r\n\r\n") + 4;
    for (std::size_t split = 0; split <= message.size(); ++split) {
        HeaderBlock block;
        std::size_t taken = block.feed(std::string_view(message).substr(0, split));
        if (!block.done()) {
            taken += block.feed(std::string_view(message).substr(split));
        }
        EXPECT_TRUE(block.complete()) << split;
        EXPECT_EQ(taken, header) << split;
        EXPECT_EQ(block.bytes(), message.substr(0, header)) << split;
    }
}

TEST(HeaderBlock, LoneCrLinesAreNotEmpty) {
    HeaderBlock block;
    const std::string message = "A: b\n\r\r\nC: d\n\rx\n\n";
    EXPECT_EQ(block.feed(message), message.size());
    EXPECT_TRUE(block.complete());
}

TEST(HeaderBlock, NoEmptyLineIsAllHeader) {
    HeaderBlock block;
    EXPECT_EQ(block.feed("Subject: é\nA: b"), 16U);
    EXPECT_FALSE(block.done());
    ASSERT_TRUE(block.downgraded());
    EXPECT_EQ(*block.downgraded(), "Subject: =?UTF-8?B?w6k=?=\r\nA: b");
}

TEST(HeaderBlock, TooLargeIsSentAsStored) {
    HeaderBlock block;
    const std::string line = "X: " + std::string(1000, 'a') + "é\n";
    while (!block.done()) {
        block.feed(line);
    }
    EXPECT_TRUE(block.too_large());
    EXPECT_GT(block.bytes().size(), max_downgrade_header);
    EXPECT_EQ(block.downgraded(), std::nullopt);
    EXPECT_EQ(downgraded_wire_size(12345, block), 12345U);
    // Exactly at the limit it is still downgraded.
    HeaderBlock at_limit;
    std::string header = "Subject: é\n";
    header += "X: " + std::string(max_downgrade_header - header.size() - 5, 'a') + "\n\n";
    ASSERT_EQ(header.size(), max_downgrade_header);
    EXPECT_EQ(at_limit.feed(header + "body\n"), header.size());
    EXPECT_TRUE(at_limit.complete());
    EXPECT_FALSE(at_limit.too_large());
    EXPECT_TRUE(at_limit.downgraded().has_value());
}

TEST(HeaderBlock, ClearStartsOver) {
    HeaderBlock block;
    block.feed("Subject: é\n\n");
    block.clear();
    EXPECT_FALSE(block.done());
    EXPECT_EQ(block.feed("A: b\n\n"), 6U);
    EXPECT_EQ(block.downgraded(), std::nullopt);
}

// ---- random input: never crashes, always 7-bit, one empty line, sized ----

TEST(HeaderDowngrade, RandomHeadersAreSevenBitAndFramed) {
    std::mt19937 random(6857);
    const std::vector<std::string> pieces = {
        "Subject:", "From:",  "To:",   "Content-Type:", "Message-ID:", " ",   "\t",   "\n",       "\r\n",
        "\r",       "é",      "日本",  "\xff",          "\x80",        "<",   ">",    ",",        ":",
        ";",        "\"",     "(",     ")",             "\\",          "@",   "a",    "name=",    "x@y",
        "=?",       "?=",     "\n ",   "Zoë <z@ü>",     "g: a@b;",     ".",   "[",    "\xc3",     "\0"s};
    for (int round = 0; round < 3000; ++round) {
        std::string header;
        const int count = static_cast<int>(random() % 40);
        for (int i = 0; i < count; ++i) {
            header += pieces[random() % pieces.size()];
        }
        header += "\n\n";
        HeaderBlock block;
        block.feed(header);
        const std::optional<std::string> out = block.downgraded();
        if (!has_8bit(block.bytes())) {
            EXPECT_EQ(out, std::nullopt);
            continue;
        }
        ASSERT_TRUE(out.has_value());
        EXPECT_FALSE(has_8bit(*out)) << header;
        // The empty line that ends the block is still the only one.
        HeaderBlock again;
        EXPECT_EQ(again.feed(*out + "body\n"), out->size()) << header;
        // And the size rule agrees with what is sent.
        WireSizeCounter before;
        before.feed(block.bytes());
        WireSizeCounter after;
        after.feed(*out);
        EXPECT_EQ(downgraded_wire_size(before.total() + 1000, block), after.total() + 1000) << header;
    }
}

} // namespace
} // namespace poplar::store

// Tests of Maildir file-name parsing and delivery order.
#include "store/maildir_name.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

struct NameVector {
    std::string file_name;
    std::string base;
    std::string flags;
    bool well_formed;
    std::uint64_t time;
    std::optional<std::uint64_t> usec;
    std::optional<std::uint64_t> s_size;
    std::optional<std::uint64_t> w_size;
};

const std::vector<NameVector> name_vectors = {
    // Dovecot
    {"1700000000.M123456P4242.mail.example.com,S=1234,W=1260:2,RS", "1700000000.M123456P4242.mail.example.com,S=1234,W=1260",
     "RS", true, 1700000000, 123456, 1234, 1260},
    {"1035478339.M27617P8324V0000000000000803I0000000000021A2D_0.host,S=99:2,", "1035478339.M27617P8324V0000000000000803I0000000000021A2D_0.host,S=99",
     "", true, 1035478339, 27617, 99, std::nullopt},
    // Postfix: V and I in lowercase hex, then M
    {"1700000001.V801I2a5fM654321.mx", "1700000001.V801I2a5fM654321.mx", "", true, 1700000001, 654321, std::nullopt,
     std::nullopt},
    // qmail-style without microseconds
    {"1700000002.4242.host:2,S", "1700000002.4242.host", "S", true, 1700000002, std::nullopt, std::nullopt,
     std::nullopt},
    // W before S, an unknown field, an invalid S
    {"5.M1P2.h,W=10,X=abc,S=zz", "5.M1P2.h,W=10,X=abc,S=zz", "", true, 5, 1, std::nullopt, 10},
    // first valid value of a key wins; a bad one does not block a later one
    {"5.P1.h,W=,W=7,W=8", "5.P1.h,W=,W=7,W=8", "", true, 5, std::nullopt, std::nullopt, 7},
    // overflowing W= is refused
    {"5.P1.h,W=99999999999999999999999", "5.P1.h,W=99999999999999999999999", "", true, 5, std::nullopt, std::nullopt,
     std::nullopt},
    // a time with no '.' after it is garbage; so is a leading non-digit
    {"1700000000", "1700000000", "", false, 0, std::nullopt, std::nullopt, std::nullopt},
    {"x1700000000.M1P1.h,W=5", "x1700000000.M1P1.h,W=5", "", false, 0, std::nullopt, std::nullopt, std::nullopt},
    // timestamp overflow is garbage
    {"123456789012345678901234.M1.h", "123456789012345678901234.M1.h", "", false, 0, std::nullopt, std::nullopt,
     std::nullopt},
    // an info that is not "2,": no flags, base still up to the first ':'
    {"7.P1.h:1,experimental", "7.P1.h", "", true, 7, std::nullopt, std::nullopt, std::nullopt},
    // a second ':' belongs to the info
    {"7.P1.h:2,S:junk", "7.P1.h", "S:junk", true, 7, std::nullopt, std::nullopt, std::nullopt},
    {"", "", "", false, 0, std::nullopt, std::nullopt, std::nullopt},
    {":2,S", "", "S", false, 0, std::nullopt, std::nullopt, std::nullopt},
    {".", ".", "", false, 0, std::nullopt, std::nullopt, std::nullopt},
    {"8.", "8.", "", true, 8, std::nullopt, std::nullopt, std::nullopt},
    // 'M' with no digits, then one with digits: the first with digits counts
    {"9.MxM42P1.h", "9.MxM42P1.h", "", true, 9, 42, std::nullopt, std::nullopt},
    // 'M' in the host field is not microseconds
    {"9.P1.M77host", "9.P1.M77host", "", true, 9, std::nullopt, std::nullopt, std::nullopt},
};

TEST(MaildirName, ParsesVectors) {
    for (const NameVector& v : name_vectors) {
        SCOPED_TRACE(v.file_name);
        MaildirName name = parse_maildir_name(v.file_name);
        EXPECT_EQ(name.base, v.base);
        EXPECT_EQ(name.flags, v.flags);
        EXPECT_EQ(name.well_formed, v.well_formed);
        EXPECT_EQ(name.time, v.time);
        EXPECT_EQ(name.usec, v.usec);
        EXPECT_EQ(name.s_size, v.s_size);
        EXPECT_EQ(name.w_size, v.w_size);
    }
}

TEST(MaildirName, EveryPrefixOfEveryVectorParses) {
    // Names cut anywhere must parse without reading outside the name (ASan).
    for (const NameVector& v : name_vectors) {
        for (std::size_t cut = 0; cut <= v.file_name.size(); ++cut) {
            std::string prefix = v.file_name.substr(0, cut);
            MaildirName name = parse_maildir_name(prefix);
            EXPECT_LE(name.base.size(), prefix.size());
        }
    }
}

TEST(MaildirName, RandomGarbageNeverCrashes) {
    std::mt19937 random(12345);
    static constexpr char letters[] = "0123456789.,:=SWMP2abc\xff\x01 ";
    const std::string alphabet(letters, sizeof letters - 1);
    for (int i = 0; i < 20000; ++i) {
        std::string name(random() % 40, '\0');
        for (char& c : name) {
            c = alphabet[random() % alphabet.size()];
        }
        MaildirName parsed = parse_maildir_name(name);
        EXPECT_EQ(parsed.base, std::string_view(name).substr(0, name.find(':')));
        if (!parsed.well_formed) {
            EXPECT_FALSE(parsed.w_size.has_value());
        }
    }
}

std::vector<std::string> sorted(std::vector<std::string> names) {
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return delivered_before(parse_maildir_name(a), parse_maildir_name(b));
    });
    return names;
}

TEST(MaildirName, OrderIsTimeThenMicrosecondsThenName) {
    std::vector<std::string> expected = {
        "99.P1.h",         // smaller time first, though "99" > "100" as text
        "100.P9.h",        // same time, no microseconds: before those with
        "100.M5P1.z:2,S",  // usec 5
        "100.M40P1.b",     // usec 40; equal usec, so the base name decides:
        "100.V1I2M40.a",   // usec 40 (Postfix), "100.M" < "100.V"
        "100.M1000P1.a",   // usec 1000: numeric, not text, order
        "1000.M1P1.a",     // larger time
        "#garbage",        // garbage last, by name
        "abc",
    };
    std::vector<std::string> shuffled = expected;
    std::reverse(shuffled.begin(), shuffled.end());
    EXPECT_EQ(sorted(shuffled), expected);
    std::rotate(shuffled.begin(), shuffled.begin() + 4, shuffled.end());
    EXPECT_EQ(sorted(shuffled), expected);
}

TEST(MaildirName, FlagsDoNotChangeTheOrder) {
    EXPECT_FALSE(delivered_before(parse_maildir_name("5.M1P1.h:2,S"), parse_maildir_name("5.M1P1.h:2,")));
    EXPECT_FALSE(delivered_before(parse_maildir_name("5.M1P1.h:2,"), parse_maildir_name("5.M1P1.h:2,S")));
}

TEST(MaildirName, OrderIsAStrictWeakOrderOnRandomNames) {
    std::mt19937 random(7);
    const std::string alphabet = "0123456789.MPx:,";
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) {
        std::string name(random() % 12, '\0');
        for (char& c : name) {
            c = alphabet[random() % alphabet.size()];
        }
        names.push_back(name);
    }
    for (const auto& a : names) {
        MaildirName pa = parse_maildir_name(a);
        EXPECT_FALSE(delivered_before(pa, pa));
        for (const auto& b : names) {
            MaildirName pb = parse_maildir_name(b);
            if (delivered_before(pa, pb)) {
                EXPECT_FALSE(delivered_before(pb, pa)) << a << " / " << b;
            }
        }
    }
}

} // namespace
} // namespace poplar::store

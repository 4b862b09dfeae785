// Tests of the readers of other servers' UIDL files (dovecot-uidlist,
// courierpop3dsizelist) and of poplar-uidls: what each line gives, and what
// happens to a malformed one.
#include "store/courier_sizelist.hpp"
#include "store/dovecot_uidlist.hpp"
#include "store/uidl_record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace poplar::store {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

template <typename Parse>
Pairs collect(Parse parse, std::string_view text, UidlFileSummary* summary = nullptr) {
    Pairs out;
    UidlFileSummary got = parse(text, [&](std::string_view base, std::string_view uidl) {
        out.emplace_back(std::string(base), std::string(uidl));
    });
    if (summary) *summary = got;
    return out;
}

Pairs dovecot(std::string_view text, UidlFileSummary* summary = nullptr) {
    return collect(parse_dovecot_uidlist, text, summary);
}
Pairs courier(std::string_view text, UidlFileSummary* summary = nullptr) {
    return collect(parse_courier_sizelist, text, summary);
}
Pairs record(std::string_view text, UidlFileSummary* summary = nullptr) {
    return collect(parse_uidl_record, text, summary);
}

// ---- dovecot-uidlist -------------------------------------------------------

TEST(DovecotUidlist, Version3AsDovecot2WritesIt) {
    // Copied from a file a real Dovecot 2.3.19 wrote (uidvalidity 1795319132 =
    // 0x6b02655c); its UIDL list showed 000000016b02655c and so on.
    UidlFileSummary summary;
    EXPECT_EQ(dovecot("3 V1795319132 N1 G86df26265c65026b792a000083ecc375\n"
                      "1 :1700000000.M0P99.test,S=20,W=21\n"
                      "2 :1700000001.M1P99.test,S=20,W=21\n"
                      "3 W21 :1700000002.M2P99.test,S=20,W=21:2,S\n",
                      &summary),
              (Pairs{{"1700000000.M0P99.test,S=20,W=21", "000000016b02655c"},
                     {"1700000001.M1P99.test,S=20,W=21", "000000026b02655c"},
                     {"1700000002.M2P99.test,S=20,W=21", "000000036b02655c"}}));
    EXPECT_TRUE(summary.header_ok);
    EXPECT_EQ(summary.entries, 3u);
    EXPECT_EQ(summary.skipped, 0u);
}

TEST(DovecotUidlist, SavedPop3UidlWins) {
    // pop3_save_uidl = yes with pop3_uidl_format = %v.%u, as a real Dovecot wrote it.
    EXPECT_EQ(dovecot("3 V1795319152 N4 G02c3840e7065026bb02c000083ecc375\n"
                      "1 P1795319152.1 :a.1.host\n"
                      "2 W40 P1795319152.2 S39 :b.2.host\n"
                      "4 :c.4.host\n"),
              (Pairs{{"a.1.host", "1795319152.1"}, {"b.2.host", "1795319152.2"}, {"c.4.host", "000000046b026570"}}));
}

TEST(DovecotUidlist, HexIsEightDigitsEachAndLowerCase) {
    EXPECT_EQ(dovecot("3 N5 V4294967295\n4294967294 :x\n"), (Pairs{{"x", "fffffffeffffffff"}}));
    EXPECT_EQ(dovecot("3 V1 N5\n10 :x\n"), (Pairs{{"x", "0000000a00000001"}}));
}

TEST(DovecotUidlist, Version1) {
    EXPECT_EQ(dovecot("1 1234 10\n1 1035478339.27041_118.foo.org\n7  b.2.host:2,S\n"),
              (Pairs{{"1035478339.27041_118.foo.org", "00000001000004d2"}, {"b.2.host", "00000007000004d2"}}));
}

TEST(DovecotUidlist, HeadersDovecotWouldNotUseGiveNothing) {
    for (std::string_view text : {"", "3 V1 N2", "2 V1 N2\n1 :a\n", "3 N2\n1 :a\n", "3 V0 N2\n1 :a\n",
                                  "3 V4294967296 N2\n1 :a\n", "3 V1\n1 :a\n", "3 V1x N2\n1 :a\n", "1 5\n1 a\n",
                                  "x V1 N2\n1 :a\n", "3V1 N2\n1 :a\n", "31 V1 N2\n1 :a\n"}) {
        UidlFileSummary summary;
        EXPECT_EQ(dovecot(text, &summary), Pairs{}) << text;
        EXPECT_FALSE(summary.header_ok) << text;
    }
}

TEST(DovecotUidlist, MalformedRecordsAreSkippedOneByOne) {
    UidlFileSummary summary;
    EXPECT_EQ(dovecot("3 V1 N9\n"
                      "0 :zero\n"              // uid 0
                      "1:a\n"                  // no space after the uid
                      "x :letters\n"           // no uid
                      "2 :good\n"
                      "2 :same-uid\n"          // not above the previous uid
                      "1 :lower-uid\n"         // below it
                      "3 W1\n"                 // no file name
                      "4 :\n"                  // empty file name
                      "5 :a/b\n"               // a '/'
                      "6 ::2,S\n"              // empty base name
                      "4294967295 :too-big\n"  // 2^32-1 is not a uid
                      "99999999999 :overflow\n"
                      "7 :last\n"
                      "8 :cut-short",
                      &summary),
              (Pairs{{"good", "0000000200000001"}, {"last", "0000000700000001"}}));
    EXPECT_EQ(summary.entries, 2u);
    EXPECT_EQ(summary.skipped, 12u);
}

TEST(DovecotUidlist, UnknownFieldsAndAFirstPFieldOnly) {
    EXPECT_EQ(dovecot("3 V1 N9 Xfuture\n1 Gabc Z9 P first Psecond :a\n2 P :b\n"),
              (Pairs{{"a", "0000000100000001"}, {"b", "0000000200000001"}}))
        << "the first P field counts, as in Dovecot; an empty one is no saved UIDL";
    EXPECT_EQ(dovecot("3 V1 N9\n1 Pfirst Psecond :a\n"), (Pairs{{"a", "first"}}));
}

// ---- courierpop3dsizelist ---------------------------------------------------

TEST(CourierSizelist, Version3AsCourier1WritesIt) {
    // Copied from a file Debian 12's courierpop3d wrote; it listed UID1-1795319174.
    UidlFileSummary summary;
    EXPECT_EQ(courier("/3 4 1795319174\n"
                      "1700000000.M0P99.test,S=20,W=21:2, 21 1:1795319174:0\n"
                      "1700000001.M1P99.test,S=20,W=21:2,S 21 2:1795319174:1\n",
                      &summary),
              (Pairs{{"1700000000.M0P99.test,S=20,W=21", "UID1-1795319174"},
                     {"1700000001.M1P99.test,S=20,W=21", "UID2-1795319174"}}));
    EXPECT_TRUE(summary.header_ok);
    EXPECT_EQ(summary.entries, 2u);
}

TEST(CourierSizelist, Version2NoValidityAndUidZero) {
    EXPECT_EQ(courier("/2 9\n"
                      "a.1.host 10 5:0\n"               // no uidvalidity: UID<n>
                      "name with spaces:2,S 10 6:77\n"  // split at the last two spaces
                      "we'ird+\"x\x01.host 3 0:77\n"), // uid 0: the base name, escaped
              (Pairs{{"a.1.host", "UID5"},
                     {"name with spaces", "UID6-77"},
                     {"we'ird+\"x\x01.host", "we+27ird+2B+22x+01.host"}}));
}

TEST(CourierSizelist, HeadersCourierWouldNotUseGiveNothing) {
    for (std::string_view text : {"", "/3 4 5", "/1 4 5\na 1 1:5\n", "/4 4 5\na 1 1:5\n", "3 4 5\na 1 1:5\n",
                                  "/3\na 1 1:5\n", "/3 x 5\na 1 1:5\n", "/3 4 y\na 1 1:5\n"}) {
        UidlFileSummary summary;
        EXPECT_EQ(courier(text, &summary), Pairs{}) << text;
        EXPECT_FALSE(summary.header_ok) << text;
    }
}

TEST(CourierSizelist, MalformedLinesAreSkippedOneByOne) {
    UidlFileSummary summary;
    EXPECT_EQ(courier("/3 9 7\n"
                      "onlyname\n"
                      "name 1\n"              // one space
                      " 1 1:7:0\n"            // empty file name
                      "a x 1:7:0\n"           // size not a number
                      "a 1 1\n"               // no ':'
                      "a 1 1:z:0\n"           // bad uidvalidity
                      "a 1 -1:7:0\n"          // sign
                      "a 1 1:7:q\n"           // bad utf8 flag
                      ":2,S 1 1:7:0\n"        // empty base name
                      "good 1 2:7:0\n"
                      "cut 1 3:7:0",
                      &summary),
              (Pairs{{"good", "UID2-7"}}));
    EXPECT_EQ(summary.skipped, 10u);
}

// ---- poplar-uidls -------------------------------------------------------------

TEST(UidlRecord, LinesAndWhatIsSkipped) {
    UidlFileSummary summary;
    EXPECT_EQ(record("a.1.host UIDL-1\n"
                     "no-uidl\n"
                     "two  spaces\n"
                     "bad uidl with space\n"
                     "long " + std::string(71, 'x') + "\n"
                     "ctl x\x7f\n"
                     "\n"
                     "b.2.host 71\n"
                     "a.1.host later-wins\n"
                     "cut short",
                     &summary),
              (Pairs{{"a.1.host", "UIDL-1"}, {"b.2.host", "71"}, {"a.1.host", "later-wins"}}));
    EXPECT_EQ(summary.skipped, 7u);
}

TEST(UidlRecord, FormatRefusesWhatCannotBeReadBack) {
    std::string out;
    EXPECT_TRUE(format_uidl_line(out, "a.1.host", "U1"));
    EXPECT_FALSE(format_uidl_line(out, "with space", "U2"));
    EXPECT_FALSE(format_uidl_line(out, "b", ""));
    EXPECT_FALSE(format_uidl_line(out, "b", std::string(71, 'u')));
    EXPECT_EQ(out, "a.1.host U1\n");
    EXPECT_EQ(record(out), (Pairs{{"a.1.host", "U1"}}));
}

} // namespace
} // namespace poplar::store

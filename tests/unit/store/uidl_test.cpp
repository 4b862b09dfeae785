// Tests of the Maildir UIDL rule.
#include "store/uidl.hpp"

#include <gtest/gtest.h>

#include <string>

namespace poplar::store {
namespace {

TEST(Uidl, PrintableBaseNameIsItself) {
    EXPECT_EQ(uidl_for_base_name("1700000000.M1P2.host,S=10,W=12"), "1700000000.M1P2.host,S=10,W=12");
    EXPECT_EQ(uidl_for_base_name("!"), "!");
    EXPECT_EQ(uidl_for_base_name("~"), "~");
}

TEST(Uidl, SeventyCharactersIsStillItself) {
    std::string name(70, 'a');
    EXPECT_EQ(uidl_for_base_name(name), name);
}

TEST(Uidl, LongNameIsHashed) {
    // sha256("a" * 71), computed with Python's hashlib.
    EXPECT_EQ(uidl_for_base_name(std::string(71, 'a')),
              "~eefa4cfbea79400c2f4239e1f702e02ebece761f78b6a35c9d2c167a79f9570c");
}

TEST(Uidl, NonAsciiSpaceAndEmptyAreHashed) {
    EXPECT_EQ(uidl_for_base_name("caf\xc3\xa9.1.host"),
              "~e57cc6cea1ae39d9f49a012f11eddb83581154dcf8b9dd477acd61a2b9d07c12");
    EXPECT_EQ(uidl_for_base_name("with space"), "~b8b8f25a5fc711caea1cfebfe02359e3ce2b9a8f9ce02d18fdcb1ba47ff095f1");
    EXPECT_EQ(uidl_for_base_name(""), "~e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(uidl_for_base_name(std::string("a\x7f", 2)).front(), '~');
    EXPECT_EQ(uidl_for_base_name(std::string("a\0b", 3)).front(), '~');
}

TEST(Uidl, HashedUidlIsAValidUidlAndStable) {
    std::string name(200, '\xe9');
    std::string uidl = uidl_for_base_name(name);
    EXPECT_EQ(uidl, uidl_for_base_name(name));
    EXPECT_EQ(uidl.size(), 65u);
    for (char c : uidl) {
        EXPECT_TRUE(c >= 0x21 && c <= 0x7E);
    }
    EXPECT_NE(uidl, uidl_for_base_name(std::string(201, '\xe9')));
}

} // namespace
} // namespace poplar::store

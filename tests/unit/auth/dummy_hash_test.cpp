// Tests for make_dummy_hash(): same prefix and cost as the hash it imitates.
#include "auth/password_scheme.hpp"

#include "auth/auth_test_support.hpp"

#include <gtest/gtest.h>

namespace poplar::auth {
namespace {

// The part of a crypt string that fixes its cost, up to the salt.
struct CostCase {
    std::string like;
    std::string expected_prefix;

    friend void PrintTo(const CostCase& c, std::ostream* os) { *os << c.like; }
};

class DummyHash : public testing::TestWithParam<CostCase> {};

TEST_P(DummyHash, SamePrefixAndCostFreshSalt)
{
    const auto& c = GetParam();
    const auto dummy = make_dummy_hash(c.like);
    EXPECT_TRUE(dummy.starts_with(c.expected_prefix)) << c.like << " -> " << dummy;
    EXPECT_NE(dummy, c.like);
    // It is a real hash: libxcrypt accepts it as a setting, and nothing
    // plausible matches it.
    EXPECT_EQ(check_password("CRYPT", dummy, ""), SchemeCheck::mismatch);
    EXPECT_EQ(check_password("CRYPT", dummy, "password"), SchemeCheck::mismatch);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, DummyHash,
    testing::Values(CostCase{test::make_hash("pw", "$y$", 3), "$y$j7T$"},
                    CostCase{test::make_hash("pw", "$y$", 1), "$y$j75$"},
                    CostCase{"$y$jBT$F5Jx5fExrKuPp53xLKQ..1$tLlJ3TJUejdac0O4aNAV0nkBhSE4FMnchVbPLUnVdn9", "$y$jBT$"},
                    CostCase{test::make_hash("pw", "$6$", 1234), "$6$rounds=1234$"},
                    CostCase{test::make_hash("pw", "$5$", 2000), "$5$rounds=2000$"},
                    CostCase{test::make_hash("pw", "$1$", 0), "$1$"},
                    CostCase{test::make_hash("pw", "$2b$", 6), "$2b$06$"},
                    CostCase{"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "$2a$05$"},
                    CostCase{"", "$y$"},                // no crypt secret in the file
                    CostCase{"not a hash", "$y$"},      // unusable: the yescrypt fallback
                    CostCase{"$6$rounds=x$s$h", "$y$"})); // unreadable cost: the fallback

TEST(DummyHash, DefaultShaCostHasNoRoundsField)
{
    const auto dummy = make_dummy_hash("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
    EXPECT_TRUE(dummy.starts_with("$6$")) << dummy;
    EXPECT_EQ(dummy.find("rounds="), std::string::npos) << dummy;
}

TEST(DummyHash, DesFormKeepsItsForm)
{
    // No $id$ to read a cost from: the dummy reuses the setting, so DES stays DES.
    const auto dummy = make_dummy_hash("abgOeLfPimXQo");
    EXPECT_EQ(dummy.size(), 13u) << dummy;
    EXPECT_TRUE(dummy.starts_with("ab")) << dummy;
}

TEST(DummyHash, FreshSaltEachTime)
{
    EXPECT_NE(make_dummy_hash("$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"), make_dummy_hash("$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"));
}

} // namespace
} // namespace poplar::auth

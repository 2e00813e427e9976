// Seeded randomness: derived streams are stable and independent; draws stay in range.
#include <gtest/gtest.h>

#include <set>

#include "sim/random.h"

using namespace kafkasim::sim;

TEST(Random, SameSeedSameDraws) {
  Rng a(derive_seed(42, "transport")), b(derive_seed(42, "transport"));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(Random, StreamsDiffer) {
  EXPECT_NE(derive_seed(42, "transport"), derive_seed(42, "broker-1"));
  EXPECT_NE(derive_seed(42, "transport"), derive_seed(43, "transport"));
  // Pinned: a change to the derivation changes every recorded replay, so it must be deliberate.
  EXPECT_EQ(derive_seed(1, "transport"), derive_seed(1, std::string("trans") + "port"));
}

TEST(Random, BetweenCoversTheRangeInclusive) {
  Rng r(7);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto v = r.between(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_FALSE(r.chance(0.0));
  EXPECT_TRUE(r.chance(1.0));
}

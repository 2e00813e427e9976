// Network rules: partitions, isolation, one-way cuts, drops, delays, heal, over Boost.Graph.
#include <gtest/gtest.h>

#include "sim/network_rules.h"

using namespace kafkasim;
using namespace kafkasim::sim;

TEST(NetworkRules, PartitionSeparatesListedGroupsOnly) {
  NetworkRules r(5);  // 0,1,2 brokers, 3 zk, 4 client
  RuleId id = r.add_partition({{0, 1}, {2, 3}});
  EXPECT_TRUE(r.reachable(0, 1));
  EXPECT_FALSE(r.reachable(0, 2));
  EXPECT_FALSE(r.reachable(3, 1));
  EXPECT_TRUE(r.reachable(2, 3));
  EXPECT_TRUE(r.reachable(4, 0));  // unlisted nodes still reach everyone
  EXPECT_TRUE(r.reachable(2, 4));
  EXPECT_TRUE(r.remove(id));
  EXPECT_FALSE(r.remove(id));
  EXPECT_TRUE(r.reachable(0, 2));
}

TEST(NetworkRules, IsolateAndOneWayCut) {
  NetworkRules r(4);
  r.add_isolation(2);
  for (int i : {0, 1, 3}) {
    EXPECT_FALSE(r.reachable(i, 2));
    EXPECT_FALSE(r.reachable(2, i));
  }
  EXPECT_TRUE(r.reachable(2, 2));
  r.clear();
  r.add_cut(0, 1);
  EXPECT_FALSE(r.reachable(0, 1));
  EXPECT_TRUE(r.reachable(1, 0));
}

TEST(NetworkRules, OverlappingRulesHealIndependently) {
  NetworkRules r(3);
  RuleId a = r.add_cut(0, 1);
  RuleId b = r.add_isolation(1);
  r.remove(b);
  EXPECT_FALSE(r.reachable(0, 1));  // the cut still holds
  EXPECT_TRUE(r.reachable(1, 0));
  r.remove(a);
  EXPECT_TRUE(r.reachable(0, 1));
  EXPECT_TRUE(r.empty());
}

TEST(NetworkRules, DropsByFilterAndProbability) {
  NetworkRules r(3);
  Rng rng(1);
  r.add_drop(MessageFilter{kAnyEndpoint, 2, "LeaderAndIsr", 1.0});
  EXPECT_TRUE(r.dropped(0, 2, "LeaderAndIsr", rng));
  EXPECT_FALSE(r.dropped(0, 2, "Fetch", rng));
  EXPECT_FALSE(r.dropped(0, 1, "LeaderAndIsr", rng));
  r.clear();
  r.add_drop(MessageFilter{0, kAnyEndpoint, "", 0.25});
  int dropped = 0;
  for (int i = 0; i < 4000; ++i) dropped += r.dropped(0, 1, "Fetch", rng);
  EXPECT_GT(dropped, 800);
  EXPECT_LT(dropped, 1200);
}

TEST(NetworkRules, DelaysAddUp) {
  NetworkRules r(3);
  r.add_delay(MessageFilter{0, 1, "Fetch", 1.0}, 200 * kMicrosPerMs);
  r.add_delay(MessageFilter{kAnyEndpoint, 1, "", 1.0}, 50 * kMicrosPerMs);
  EXPECT_EQ(r.extra_delay(0, 1, "Fetch"), 250 * kMicrosPerMs);
  EXPECT_EQ(r.extra_delay(2, 1, "Fetch"), 50 * kMicrosPerMs);
  EXPECT_EQ(r.extra_delay(1, 0, "Fetch"), 0);
}

TEST(NetworkRules, ComponentsForNarration) {
  NetworkRules r(4);
  EXPECT_EQ(r.components().size(), 1u);
  r.add_partition({{0, 1}, {2, 3}});
  auto c = r.components();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(c[1], (std::vector<int>{2, 3}));
}

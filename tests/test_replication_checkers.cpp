// The replication checkers on hand-written histories: each fires where its property is broken and stays
// silent where it holds.
#include <gtest/gtest.h>

#include "checks/checkers.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

Scenario any_scenario() {
  return parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
}
Micros s(double seconds) { return static_cast<Micros>(seconds * kMicrosPerSecond); }
std::int64_t i(int v) { return v; }

struct H {
  sim::History h;
  void leader(double t, int b, int epoch, std::vector<std::int64_t> isr, int hw = 0, const char* p = "t-0") {
    h.record(s(t), "became-leader", {{"broker", i(b)}, {"partition", std::string(p)}, {"leader", i(b)},
                                     {"leader_epoch", i(epoch)}, {"isr", isr}, {"leo", i(0)}, {"hw", i(hw)}});
  }
  void follower(double t, int b, int leader, int epoch, const char* p = "t-0") {
    h.record(s(t), "became-follower", {{"broker", i(b)}, {"partition", std::string(p)}, {"leader", i(leader)},
                                       {"leader_epoch", i(epoch)}});
  }
  void append(double t, int b, int offset, int epoch, const std::string& value, const char* p = "t-0") {
    h.record(s(t), "appended", {{"broker", i(b)}, {"partition", std::string(p)}, {"offset", i(offset)},
                                {"leader_epoch", i(epoch)}, {"value", value}});
  }
  void hw(double t, int b, int hw, const char* p = "t-0") {
    h.record(s(t), "hw-advanced", {{"broker", i(b)}, {"partition", std::string(p)}, {"hw", i(hw)}});
  }
  void truncate(double t, int b, int from, int to, const char* p = "t-0") {
    h.record(s(t), "truncated", {{"broker", i(b)}, {"partition", std::string(p)}, {"from_offset", i(from)},
                                 {"to_offset", i(to)}, {"reason", std::string("high-watermark")}});
  }
  void acked(double t, const std::string& value, int offset, const char* acks = "all") {
    h.record(s(t), "produce-acked", {{"producer", std::string("p1")}, {"partition", std::string("t-0")},
                                     {"value", value}, {"offset", i(offset)}, {"acks", std::string(acks)}});
  }
  void consumed(double t, int offset, const std::string& value) {
    h.record(s(t), "consumed", {{"consumer", std::string("c1")}, {"partition", std::string("t-0")},
                                {"offset", i(offset)}, {"value", value}});
  }
  void elected(double t, int leader, int epoch, std::vector<std::int64_t> isr, bool clean = true) {
    h.record(s(t), "leader-elected", {{"partition", std::string("t-0")}, {"leader", i(leader)},
                                      {"leader_epoch", i(epoch)}, {"isr", isr}, {"clean", clean},
                                      {"controller_epoch", i(1)}});
  }
  void done(double t, bool converged) {
    h.record(s(t), "phase", {{"name", std::string("done")}, {"converged", converged}});
  }
  std::vector<checks::Violation> only(const std::string& property) const {
    std::vector<checks::Violation> out;
    for (auto& v : checks::check_history(any_scenario(), h))
      if (v.property == property) out.push_back(v);
    return out;
  }
};

// A healthy two-replica history: leader 1 appends m0, follower 2 copies it, HW 1, acked, consumed.
H healthy() {
  H x;
  x.leader(0.1, 1, 0, {1, 2});
  x.follower(0.1, 2, 1, 0);
  x.append(1.0, 1, 0, 0, "m0");
  x.append(1.1, 2, 0, 0, "m0");
  x.hw(1.2, 1, 1);
  x.acked(1.3, "m0", 0);
  x.consumed(1.4, 0, "m0");
  x.done(2.0, true);
  return x;
}

}  // namespace

TEST(ReplicationCheckers, AHealthyHistoryViolatesNothing) { EXPECT_TRUE(checks::check_history(any_scenario(), healthy().h).empty()); }

TEST(SingleLeaderPerEpoch, FiresOnTwoLeadersInOneEpochOnly) {
  H x = healthy();
  x.leader(3.0, 2, 0, {2});
  ASSERT_EQ(x.only("single-leader-per-epoch").size(), 1u);
  H y = healthy();
  y.leader(3.0, 2, 1, {2});
  EXPECT_TRUE(y.only("single-leader-per-epoch").empty());
}

TEST(LeaderInIsr, FiresWhenAPublishedStateLeavesOutItsLeader) {
  H x = healthy();
  x.elected(3.0, 2, 1, {1, 3});
  auto v = x.only("leader-in-isr");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].partition, "t-0");
  H y = healthy();
  y.elected(3.0, -1, 1, {1});  // no leader: allowed
  y.elected(3.5, 2, 2, {2});
  EXPECT_TRUE(y.only("leader-in-isr").empty());
}

TEST(HwWithinIsr, FiresWhenTheLeaderAdvancesPastAnIsrMember) {
  H x;
  x.leader(0.1, 1, 0, {1, 2});
  x.append(1.0, 1, 0, 0, "m0");
  x.hw(1.2, 1, 1);  // broker 2 never had m0
  ASSERT_EQ(x.only("hw-within-isr").size(), 1u);
  EXPECT_TRUE(healthy().only("hw-within-isr").empty());
}

TEST(HwMonotonic, FiresWhenALeaderLowersItsHwInOneEpoch) {
  H x = healthy();
  x.truncate(3.0, 1, 1, 0);  // the leader truncating below its own HW
  ASSERT_EQ(x.only("hw-monotonic").size(), 1u);
  H y = healthy();
  y.follower(3.0, 1, 2, 1);  // no longer leader: its truncation is not a leader lowering its HW
  y.truncate(3.1, 1, 1, 0);
  EXPECT_TRUE(y.only("hw-monotonic").empty());
}

TEST(EpochMonotonic, FiresWhenABrokerGoesBackToALowerLeaderEpoch) {
  H x = healthy();
  x.follower(3.0, 2, 1, 3);
  x.follower(4.0, 2, 1, 2);
  ASSERT_EQ(x.only("epoch-monotonic").size(), 1u);
  H y = healthy();
  y.follower(3.0, 2, 1, 3);
  y.h.record(s(3.5), "broker-started", {{"broker", i(2)}, {"incarnation", i(2)}});
  y.follower(4.0, 2, 1, 2);  // a new process starts from nothing
  EXPECT_TRUE(y.only("epoch-monotonic").empty());
}

TEST(CommittedRecordChanged, FiresWhenALaterLeaderHoldsADifferentRecordAtACommittedOffset) {
  H x = healthy();
  x.truncate(3.0, 2, 1, 0);
  x.leader(3.1, 2, 1, {2});
  EXPECT_TRUE(x.only("committed-record-changed").empty());  // missing is not (yet) changed
  x.append(3.2, 2, 0, 1, "other");
  auto v = x.only("committed-record-changed");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].detail.find("m0"), std::string::npos) << v[0].detail;
}

TEST(AckedWriteLost, FiresWhenAnAcksAllRecordIsNotInTheFinalLog) {
  H x = healthy();
  x.truncate(3.0, 2, 1, 0);
  x.leader(3.1, 2, 1, {2});
  auto v = x.only("acked-write-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].brokers, std::vector<int>{2});
  EXPECT_TRUE(healthy().only("acked-write-lost").empty());
}

TEST(AckedWriteLost, Acks1LossIsCountedNotReported) {
  H x;
  x.leader(0.1, 1, 0, {1, 2});
  x.follower(0.1, 2, 1, 0);
  x.append(1.0, 1, 0, 0, "m0");
  x.acked(1.0, "m0", 0, "1");
  x.leader(2.0, 2, 1, {2});
  EXPECT_TRUE(x.only("acked-write-lost").empty());
  auto stats = checks::loss_stats(x.h);
  EXPECT_EQ(stats.acked, 1);
  EXPECT_EQ(stats.lost_acks1, 1);
  EXPECT_EQ(stats.lost_unclean, 0);
}

TEST(AckedWriteLost, LossAfterAnUncleanElectionIsCountedAsSuch) {
  H x = healthy();
  x.elected(3.0, 2, 1, {2}, false);
  x.truncate(3.0, 2, 1, 0);
  x.leader(3.1, 2, 1, {2});
  EXPECT_EQ(checks::loss_stats(x.h).lost_unclean, 1);
  EXPECT_EQ(x.only("acked-write-lost").size(), 1u);  // acks=all loss is reported even then
}

TEST(LogDivergence, FiresOnDifferentRecordsAtOneOffsetAndOnUnequalLogsAfterConvergence) {
  H x;
  x.leader(0.1, 1, 0, {1, 2});
  x.append(1.0, 1, 0, 0, "a");
  x.append(1.0, 2, 0, 1, "b");
  x.done(2.0, false);
  ASSERT_EQ(x.only("log-divergence").size(), 1u);
  H y;
  y.h.record(0, "broker-started", {{"broker", i(2)}, {"incarnation", i(1)}});
  y.leader(0.1, 1, 0, {1, 2});
  y.follower(0.1, 2, 1, 0);
  y.append(1.0, 1, 0, 0, "a");
  y.done(2.0, true);  // converged, yet broker 2 lacks "a"
  ASSERT_EQ(y.only("log-divergence").size(), 1u);
  EXPECT_TRUE(healthy().only("log-divergence").empty());
}

TEST(PhantomRead, FiresWhenAConsumedRecordIsNotInTheFinalLog) {
  H x = healthy();
  x.consumed(1.5, 1, "ghost");
  ASSERT_EQ(x.only("phantom-read").size(), 1u);
  EXPECT_TRUE(healthy().only("phantom-read").empty());
}

TEST(ConsumerOrder, FiresOnGapsAndOnGoingBackwards) {
  H gap = healthy();
  gap.consumed(2.0, 2, "m2");
  ASSERT_EQ(gap.only("consumer-order").size(), 1u);
  H back = healthy();
  back.consumed(2.0, 0, "m0");
  auto v = back.only("consumer-order");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].detail.find("backwards"), std::string::npos);
  H fine = healthy();
  fine.consumed(2.0, 1, "m1");
  EXPECT_TRUE(fine.only("consumer-order").empty());
}

TEST(ConsumerOrder, APositionResetTheConsumerReportedStartsANewSequence) {
  auto reset = [](H& x, double t, int from, int to) {
    x.h.record(s(t), "consumer-position-reset", {{"consumer", std::string("c1")}, {"partition", std::string("t-0")},
                                                 {"from_offset", i(from)}, {"to_offset", i(to)},
                                                 {"reason", std::string("truncation-detected")}});
  };
  H told = healthy();  // read offset 0, then told to go back to 0
  reset(told, 2.0, 1, 0);
  told.consumed(2.1, 0, "m0");
  EXPECT_TRUE(told.only("consumer-order").empty());
  H skipped = healthy();  // went back to 0 but then read 1: offset 0 skipped
  reset(skipped, 2.0, 1, 0);
  skipped.consumed(2.1, 1, "m1");
  EXPECT_EQ(skipped.only("consumer-order").size(), 1u);
}

TEST(StaleControllerObeyed, FiresOnAControllerWriteAfterANewerEpoch) {
  H x;
  x.h.record(s(0.1), "controller-elected", {{"broker", i(3)}, {"controller_epoch", i(1)}});
  x.h.record(s(0.2), "controller-zk-write", {{"broker", i(3)}, {"controller_epoch", i(1)}, {"path", std::string("/p")}});
  EXPECT_TRUE(x.only("stale-controller-obeyed").empty());
  x.h.record(s(5.0), "controller-elected", {{"broker", i(2)}, {"controller_epoch", i(2)}});
  x.h.record(s(6.0), "controller-zk-write", {{"broker", i(3)}, {"controller_epoch", i(1)}, {"path", std::string("/p")}});
  ASSERT_EQ(x.only("stale-controller-obeyed").size(), 1u);
}

// Loss an unclean election explains is allowed by design (spec: "Allowed loss"): acked-write-lost alone
// reports acknowledged acks=all records lost that way; committed-record-changed and phantom-read do not.
namespace {
// m0 committed and read on leader 1; broker 2 never copied it and is elected uncleanly, writing `other`.
H lost_to_election(bool clean) {
  H x;
  x.leader(0.1, 1, 0, {1, 2});
  x.follower(0.1, 2, 1, 0);
  x.append(1.0, 1, 0, 0, "m0");
  x.hw(1.2, 1, 1);
  x.acked(1.3, "m0", 0);
  x.consumed(1.4, 0, "m0");
  x.elected(3.0, 2, 1, {2}, clean);
  x.leader(3.1, 2, 1, {2});
  x.append(3.2, 2, 0, 1, "other");
  x.follower(3.3, 1, 2, 1);
  x.truncate(3.4, 1, 1, 0);
  x.append(3.5, 1, 0, 1, "other");
  x.done(4.0, true);
  return x;
}
}  // namespace

TEST(UncleanLoss, OnlyAckedWriteLostReportsWhatAnUncleanElectionLost) {
  H unclean = lost_to_election(false);
  EXPECT_EQ(unclean.only("acked-write-lost").size(), 1u);
  EXPECT_TRUE(unclean.only("committed-record-changed").empty());
  EXPECT_TRUE(unclean.only("phantom-read").empty());
  EXPECT_EQ(checks::loss_stats(unclean.h).lost_unclean, 1);
  // The same loss through a clean election is a violation of all three.
  H clean = lost_to_election(true);
  EXPECT_EQ(clean.only("acked-write-lost").size(), 1u);
  EXPECT_EQ(clean.only("committed-record-changed").size(), 1u);
  EXPECT_EQ(clean.only("phantom-read").size(), 1u);
  EXPECT_EQ(checks::loss_stats(clean.h).lost_unclean, 0);
}

TEST(UncleanLoss, ARecordTheDeposedLeaderAcknowledgedAfterTheUncleanElectionCountsAsItsLoss) {
  H x = lost_to_election(false);
  // The old leader had not heard of the election and acknowledged m1 (epoch 0) after it.
  x.append(3.05, 1, 1, 0, "m1");
  x.acked(3.06, "m1", 1, "1");
  EXPECT_EQ(checks::loss_stats(x.h).lost_unclean, 2);
  EXPECT_EQ(checks::loss_stats(x.h).lost_acks1, 0);
}

TEST(HwWithinIsr, AFollowersPowerLossIsKafkasDesignUntilItFetchesAgain) {
  // Follower 2 copied m0 and m1, lost m1 with its power; the leader, which knew of both, advances its HW.
  auto build = [](bool power_loss) {
    H x;
    x.leader(0.1, 1, 0, {1, 2});
    x.follower(0.1, 2, 1, 0);
    x.append(1.0, 1, 0, 0, "m0");
    x.append(1.0, 1, 1, 0, "m1");
    x.append(1.1, 2, 0, 0, "m0");
    x.append(1.1, 2, 1, 0, "m1");
    x.h.record(s(1.2), "truncated", {{"broker", i(2)}, {"partition", std::string("t-0")}, {"from_offset", i(2)},
                                     {"to_offset", i(1)}, {"reason", std::string(power_loss ? "power-loss" : "leader-epoch")}});
    x.hw(1.3, 1, 2);
    return x;
  };
  EXPECT_TRUE(build(true).only("hw-within-isr").empty());
  EXPECT_EQ(build(false).only("hw-within-isr").size(), 1u);
  // Once it fetches again it counts: an HW past what it then holds fires.
  H again = build(true);
  again.append(2.0, 2, 1, 0, "m1");
  again.h.record(s(2.1), "truncated", {{"broker", i(2)}, {"partition", std::string("t-0")}, {"from_offset", i(2)},
                                       {"to_offset", i(0)}, {"reason", std::string("leader-epoch")}});
  again.hw(2.2, 1, 2);
  EXPECT_EQ(again.only("hw-within-isr").size(), 1u);
}

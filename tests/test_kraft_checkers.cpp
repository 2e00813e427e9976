// The KRaft checkers (quorum-single-leader-per-epoch, metadata-committed-lost) on hand-written
// histories: each fires where its property is broken and stays silent on a normal run.
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/checkers.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

Scenario any_scenario() {
  return parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
}
Micros s(double seconds) { return static_cast<Micros>(seconds * kMicrosPerSecond); }
std::int64_t i(int v) { return v; }
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct K {
  sim::History h;
  // `leader` "" records sim::Null (no leader known).
  void quorum(double t, const std::string& node, const char* state, int epoch, const std::string& leader = "") {
    h.record(s(t), "quorum-state",
             {{"node", node}, {"state", std::string(state)}, {"epoch", i(epoch)},
              {"leader", leader.empty() ? sim::Value(sim::Null{}) : sim::Value(leader)}});
  }
  void committed(double t, const std::string& node, int offset, int epoch, const char* record, const std::string& detail) {
    h.record(s(t), "metadata-committed", {{"node", node}, {"offset", i(offset)}, {"epoch", i(epoch)},
                                          {"record", std::string(record)}, {"detail", detail}});
  }
  void truncated(double t, const std::string& node, int from, int to) {
    h.record(s(t), "metadata-truncated", {{"node", node}, {"from_offset", i(from)}, {"to_offset", i(to)}});
  }
  void done(double t) { h.record(s(t), "phase", {{"name", std::string("done")}, {"converged", true}}); }
  std::vector<checks::Violation> only(const std::string& property) const {
    std::vector<checks::Violation> out;
    for (auto& v : checks::check_history(any_scenario(), h))
      if (v.property == property) out.push_back(v);
    return out;
  }
};

// The committed metadata log every node agrees on: offsets 0..4 in epoch 1, 5..7 in epoch 2.
struct Rec {
  int epoch;
  const char* type;
  const char* detail;
};
const Rec kLog[] = {
    {1, "RegisterBroker", "broker=1 epoch=10"}, {1, "RegisterBroker", "broker=2 epoch=11"},
    {1, "Topic", "name=t id=AAAA"},             {1, "Partition", "t-0 replicas=[1,2] isr=[1,2] leader=1"},
    {1, "UnfenceBroker", "broker=1 epoch=10"},  {2, "LeaderChange", "epoch=2 leader=controller-2"},
    {2, "UnfenceBroker", "broker=2 epoch=11"},  {2, "PartitionChange", "t-0 isr=[1]"},
};
void apply(K& k, double t, const std::string& node, int from, int to) {  // offsets from..to, in order
  for (int o = from; o <= to; ++o) k.committed(t + 0.001 * o, node, o, kLog[o].epoch, kLog[o].type, kLog[o].detail);
}

// A normal run: three voters elect controller-1 in epoch 1 and controller-2 in epoch 2 (controller-1 cut
// off with two uncommitted records), controller-3 in epoch 3; controller-1 truncates its divergent suffix
// above what it committed; broker-1 restarts and replays from offset 0; broker-2 applies 0..7.
K normal_run() {
  K k;
  for (const char* c : {"controller-1", "controller-2", "controller-3"}) k.quorum(0.1, c, "unattached", 0);
  k.quorum(0.5, "controller-1", "candidate", 1);
  k.quorum(0.51, "controller-2", "voted", 1);
  k.quorum(0.51, "controller-3", "voted", 1);
  k.quorum(0.52, "controller-1", "leader", 1, "controller-1");
  k.quorum(0.53, "controller-2", "follower", 1, "controller-1");
  k.quorum(0.53, "controller-3", "follower", 1, "controller-1");
  for (const char* n : {"controller-1", "controller-2", "controller-3", "broker-1", "broker-2"}) apply(k, 1.0, n, 0, 4);
  // controller-1 is cut off with offsets 5 and 6 of epoch 1 that no one else has; controller-2 wins epoch 2.
  k.quorum(3.0, "controller-2", "candidate", 2);
  k.quorum(3.01, "controller-3", "voted", 2);
  k.quorum(3.02, "controller-2", "leader", 2, "controller-2");
  k.quorum(3.03, "controller-3", "follower", 2, "controller-2");
  apply(k, 3.5, "controller-2", 5, 7);
  apply(k, 3.6, "controller-3", 5, 7);
  // broker-1 restarts and replays its log from the start.
  apply(k, 4.0, "broker-1", 0, 7);
  apply(k, 4.1, "broker-2", 5, 7);
  // controller-1 hears of epoch 2 and truncates its uncommitted suffix 5..6 (to end offset 5 > 4, its last
  // committed), then applies the new records.
  k.quorum(5.0, "controller-1", "follower", 2, "controller-2");
  k.truncated(5.01, "controller-1", 7, 5);
  apply(k, 5.1, "controller-1", 5, 7);
  // Another election in a higher epoch.
  k.quorum(6.0, "controller-3", "candidate", 3);
  k.quorum(6.01, "controller-1", "voted", 3);
  k.quorum(6.02, "controller-3", "leader", 3, "controller-3");
  k.quorum(6.02, "controller-3", "leader", 3, "controller-3");  // recorded again by the same node: one leader
  k.quorum(6.03, "controller-1", "follower", 3, "controller-3");
  k.quorum(6.03, "controller-2", "follower", 3, "controller-3");
  k.done(8.0);
  return k;
}

}  // namespace

TEST(KraftCheckers, ANormalRunViolatesNothing) {
  auto all = checks::check_history(any_scenario(), normal_run().h);
  EXPECT_TRUE(all.empty()) << all.size() << " violation(s), the first: " << all.front().property << ": "
                           << all.front().detail;
}

TEST(KraftCheckers, RegisteredInTheSpecsPropertyOrder) {
  auto names = checks::checked_properties();
  auto at = [&](const char* p) { return std::find(names.begin(), names.end(), p) - names.begin(); };
  ASSERT_LT(at("quorum-single-leader-per-epoch"), static_cast<long>(names.size()));
  ASSERT_LT(at("metadata-committed-lost"), static_cast<long>(names.size()));
  EXPECT_EQ(at("quorum-single-leader-per-epoch"), at("stale-controller-obeyed") + 1);
  EXPECT_EQ(at("metadata-committed-lost"), at("quorum-single-leader-per-epoch") + 1);
  EXPECT_EQ(at("committed-record-changed"), at("metadata-committed-lost") + 1);
}

TEST(QuorumSingleLeaderPerEpoch, FiresOnTwoLeadersInOneEpoch) {
  K k = normal_run();
  k.quorum(7.0, "controller-1", "leader", 2, "controller-1");  // controller-2 led epoch 2
  auto v = k.only("quorum-single-leader-per-epoch");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(7.0));
  EXPECT_EQ(v[0].partition, "");
  EXPECT_TRUE(v[0].brokers.empty());
  EXPECT_TRUE(has(v[0].detail, "controller-2 and controller-1 both act as quorum leader in epoch 2")) << v[0].detail;
}

TEST(QuorumSingleLeaderPerEpoch, OneViolationPerEpochAndSecondNode) {
  K k = normal_run();
  k.quorum(7.0, "controller-1", "leader", 2, "controller-1");
  k.quorum(7.5, "controller-1", "leader", 2, "controller-1");  // the same second leader again: not a new problem
  k.quorum(7.6, "controller-3", "leader", 2, "controller-3");  // a third leader of epoch 2
  k.quorum(7.7, "controller-2", "leader", 1, "controller-2");  // and a second leader of epoch 1
  auto v = k.only("quorum-single-leader-per-epoch");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(has(v[0].detail, "controller-2 and controller-1") && has(v[0].detail, "epoch 2")) << v[0].detail;
  EXPECT_TRUE(has(v[1].detail, "controller-2 and controller-3") && has(v[1].detail, "epoch 2")) << v[1].detail;
  EXPECT_TRUE(has(v[2].detail, "controller-1 and controller-2") && has(v[2].detail, "epoch 1")) << v[2].detail;
}

TEST(QuorumSingleLeaderPerEpoch, SilentOnOneLeaderPerEpochAndOnOtherStates) {
  K k = normal_run();
  // Candidates, voters and followers naming some leader are not leaders.
  k.quorum(7.0, "controller-1", "candidate", 3);
  k.quorum(7.0, "controller-2", "prospective", 3);
  k.quorum(7.0, "controller-2", "resigned", 3, "controller-3");
  k.quorum(7.0, "controller-1", "follower", 3, "controller-1");
  EXPECT_TRUE(k.only("quorum-single-leader-per-epoch").empty());
}

TEST(MetadataCommittedLost, FiresWhenACommittedRecordIsReplaced) {
  K k = normal_run();
  k.committed(7.0, "broker-2", 0, 1, "RegisterBroker", "broker=1 epoch=10");  // a restart: the same record
  EXPECT_TRUE(k.only("metadata-committed-lost").empty());
  k.committed(7.1, "broker-2", 1, 1, "RegisterBroker", "broker=2 epoch=99");  // a different record at offset 1
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(7.1));
  EXPECT_EQ(v[0].partition, "");
  EXPECT_EQ(v[0].brokers, std::vector<int>{2});  // controller-1 first committed it; controllers are not brokers
  EXPECT_TRUE(has(v[0].detail, "broker-2 applied RegisterBroker (broker=2 epoch=99) (epoch 1)")) << v[0].detail;
  EXPECT_TRUE(has(v[0].detail, "offset 1, but controller-1 had applied RegisterBroker (broker=2 epoch=11)")) << v[0].detail;
  EXPECT_TRUE(has(v[0].detail, "replaced")) << v[0].detail;
  ASSERT_EQ(v[0].records.size(), 2u);
  EXPECT_EQ(v[0].records[0].role, "committed");
  EXPECT_EQ(v[0].records[1].role, "held");
  EXPECT_EQ(v[0].records[1].offset, 1);
}

TEST(MetadataCommittedLost, AReplacedRecordIsReportedOncePerOffset) {
  K k = normal_run();
  k.committed(7.0, "broker-2", 0, 2, "RegisterBroker", "broker=1 epoch=10");  // the epoch differs
  k.committed(7.1, "broker-1", 0, 1, "Topic", "broker=1 epoch=10");           // the type differs: offset 0 again
  k.committed(7.2, "broker-1", 1, 1, "RegisterBroker", "broker=2 epoch=12");  // offset 1: a second problem
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(has(v[0].detail, "(epoch 2) as the committed metadata record at offset 0")) << v[0].detail;
  EXPECT_TRUE(has(v[1].detail, "at offset 1")) << v[1].detail;
}

TEST(MetadataCommittedLost, FiresOnAGapInTheOffsetsANodeApplies) {
  K k;
  apply(k, 1.0, "broker-1", 0, 1);
  apply(k, 1.1, "broker-1", 4, 5);  // 2 and 3 skipped
  apply(k, 1.2, "broker-1", 7, 7);  // and 6: the same node, the same problem
  apply(k, 1.3, "broker-2", 0, 4);
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(1.1 + 0.001 * 4));  // as apply() times offset 4
  EXPECT_EQ(v[0].brokers, std::vector<int>{1});
  EXPECT_TRUE(has(v[0].detail, "broker-1 applied committed metadata offset 4 right after offset 1: offsets 2..3 were skipped"))
      << v[0].detail;
  EXPECT_TRUE(has(v[0].detail, "did not apply the committed records in log order")) << v[0].detail;
  ASSERT_EQ(v[0].records.size(), 1u);
  EXPECT_EQ(v[0].records[0].offset, 4);
}

TEST(MetadataCommittedLost, FiresOnARepeatedOffset) {
  K k;
  apply(k, 1.0, "controller-2", 0, 2);
  apply(k, 1.1, "controller-2", 2, 3);  // offset 2 again, the same record
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].brokers.empty());
  EXPECT_TRUE(has(v[0].detail, "controller-2 applied committed metadata offset 2 twice in a row")) << v[0].detail;
}

TEST(MetadataCommittedLost, FiresOnAStepBackThatIsNotARestart) {
  K k;
  apply(k, 1.0, "broker-2", 0, 5);
  apply(k, 1.1, "broker-2", 3, 5);  // back to 3, not to 0
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(has(v[0].detail, "broker-2 applied committed metadata offset 3 after offset 5 without starting over"))
      << v[0].detail;
  // Back to 0 is a restart replaying its log: nothing.
  K r;
  apply(r, 1.0, "broker-2", 0, 5);
  apply(r, 1.1, "broker-2", 0, 7);
  EXPECT_TRUE(r.only("metadata-committed-lost").empty());
}

TEST(MetadataCommittedLost, FiresWhenANodesFirstOffsetIsNotZero) {
  K k;
  apply(k, 1.0, "broker-3", 2, 4);
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(has(v[0].detail, "broker-3's first committed metadata record is at offset 2: offsets 0..1 were never applied"))
      << v[0].detail;
}

TEST(MetadataCommittedLost, FiresOnATruncationBelowWhatTheNodeCommitted) {
  K k = normal_run();
  // controller-2 applied 0..7; its log is cut back to end offset 6: offsets 6..7 removed.
  k.truncated(7.0, "controller-2", 8, 6);
  k.truncated(7.1, "controller-2", 6, 2);  // further: the same node, the same problem
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(7.0));
  EXPECT_TRUE(v[0].brokers.empty());
  EXPECT_TRUE(has(v[0].detail, "controller-2 truncated its metadata log from end offset 8 to 6, removing offsets 6..7 "
                               "it had already applied as committed (offset 6 held UnfenceBroker (broker=2 epoch=11), "
                               "epoch 2)"))
      << v[0].detail;
  EXPECT_TRUE(has(v[0].detail, "below its high watermark")) << v[0].detail;
  ASSERT_EQ(v[0].records.size(), 2u);
  EXPECT_EQ(v[0].records[0].role, "lost");
  EXPECT_EQ(v[0].records[1].offset, 7);
  // To exactly its last committed offset removes that one record.
  K edge = normal_run();
  edge.truncated(7.0, "broker-2", 8, 7);
  auto e = edge.only("metadata-committed-lost");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(has(e[0].detail, "broker-2 truncated") && has(e[0].detail, "removing offset 7 it")) << e[0].detail;
  EXPECT_EQ(e[0].brokers, std::vector<int>{2});
}

TEST(MetadataCommittedLost, ATruncationCountsWhatWasCommittedSinceTheSequenceStartedOver) {
  // broker-1 applied 0..7, restarted and has replayed only 0..1: truncating to end offset 3 removes none
  // of what it applied since its restart.
  K k;
  apply(k, 1.0, "broker-1", 0, 7);
  apply(k, 2.0, "broker-1", 0, 1);
  k.truncated(2.5, "broker-1", 8, 3);
  EXPECT_TRUE(k.only("metadata-committed-lost").empty());
  k.truncated(2.6, "broker-1", 3, 1);  // but to 1 removes offset 1, which it applied since
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(has(v[0].detail, "removing offset 1 it had already applied")) << v[0].detail;
}

TEST(MetadataCommittedLost, AfterAReportedTruncationReapplyingIsJudgedByTheRecordOnly) {
  K k = normal_run();
  k.truncated(7.0, "controller-3", 8, 6);
  k.committed(7.1, "controller-3", 6, 2, "UnfenceBroker", "broker=2 epoch=11");  // the same record again: not a step back
  k.committed(7.2, "controller-3", 7, 3, "FenceBroker", "broker=1 epoch=10");    // a different record at 7
  auto v = k.only("metadata-committed-lost");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(has(v[0].detail, "controller-3 truncated")) << v[0].detail;
  EXPECT_TRUE(has(v[1].detail, "controller-3 applied FenceBroker (broker=1 epoch=10) (epoch 3) as the committed "
                               "metadata record at offset 7"))
      << v[1].detail;
}

TEST(EpochMonotonicKraft, FiresWhenAControllerNodeGoesBackToALowerQuorumEpoch) {
  sim::History h;
  auto state = [&](double t, const char* node, const char* st, std::int64_t epoch) {
    h.record(static_cast<Micros>(t * kMicrosPerSecond), "quorum-state",
             {{"node", std::string(node)}, {"state", std::string(st)}, {"epoch", epoch}, {"leader", sim::Value(sim::Null{})}});
  };
  state(1, "controller-1", "candidate", 1);
  state(2, "controller-1", "leader", 1);
  state(3, "controller-2", "unattached", 2);
  state(4, "controller-1", "unattached", 2);  // a higher epoch: fine
  const Scenario s = parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
  auto only = [&] {
    std::vector<checks::Violation> v;
    for (auto& x : checks::check_history(s, h))
      if (x.property == "epoch-monotonic") v.push_back(x);
    return v;
  };
  EXPECT_TRUE(only().empty());
  // A restarted node that forgot its quorum-state file would start again at epoch 0.
  state(5, "controller-1", "unattached", 0);
  const auto v = only();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].detail, "controller-1 moved from quorum epoch 2 back to 0 (as unattached)");
}

TEST(StaleControllerObeyedKraft, FiresWhenABrokerAppliesADeposedControllersRecord) {
  sim::History h;
  auto applied = [&](double t, const char* node, std::int64_t offset, std::int64_t epoch) {
    h.record(static_cast<Micros>(t * kMicrosPerSecond), "metadata-committed",
             {{"node", std::string(node)}, {"offset", offset}, {"epoch", epoch},
              {"record", std::string("PartitionChange")}, {"detail", std::string("d") + std::to_string(offset)}});
  };
  applied(1, "broker-1", 0, 1);
  applied(2, "broker-1", 1, 3);
  applied(3, "broker-2", 0, 1);  // another broker, its own sequence
  applied(4, "broker-1", 0, 1);  // a restart replays from the start: not stale
  applied(5, "broker-1", 1, 3);
  const Scenario s = parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
  auto only = [&] {
    std::vector<checks::Violation> v;
    for (auto& x : checks::check_history(s, h))
      if (x.property == "stale-controller-obeyed") v.push_back(x);
    return v;
  };
  EXPECT_TRUE(only().empty());
  applied(6, "broker-1", 2, 2);  // epoch 2 after epoch 3
  const auto v = only();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].brokers, std::vector<int>{1});
  EXPECT_NE(v[0].detail.find("quorum epoch 2 at offset 2 after records of epoch 3"), std::string::npos) << v[0].detail;
}

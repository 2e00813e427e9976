// Checkers on hand-written histories: each must fire where its property is broken and stay silent
// where it holds.
#include <gtest/gtest.h>

#include "checks/checkers.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

Scenario any_scenario() {
  return parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
}

Micros s(double seconds) { return static_cast<Micros>(seconds * kMicrosPerSecond); }

void elected(sim::History& h, double t, int broker, int epoch) {
  h.record(s(t), "controller-elected", {{"broker", std::int64_t{broker}}, {"controller_epoch", std::int64_t{epoch}}});
}
void applied(sim::History& h, double t, int broker, int from, int epoch, double sent) {
  h.record(s(t), "control-applied", {{"broker", std::int64_t{broker}}, {"request", std::string("UpdateMetadata")},
                                     {"from", std::int64_t{from}}, {"controller_epoch", std::int64_t{epoch}},
                                     {"sent", sent}});
}
std::vector<checks::Violation> only(const std::string& property, const sim::History& h) {
  std::vector<checks::Violation> out;
  for (auto& v : checks::check_history(any_scenario(), h))
    if (v.property == property) out.push_back(v);
  return out;
}

}  // namespace

TEST(StaleControllerObeyed, FiresWhenARequestSentAfterANewerElectionIsApplied) {
  sim::History h;
  elected(h, 0.01, 3, 1);
  applied(h, 0.02, 1, 3, 1, 0.015);
  elected(h, 6.0, 2, 2);
  applied(h, 9.001, 1, 3, 1, 9.0);  // the zombie's request, sent after epoch 2 existed
  auto v = only("stale-controller-obeyed", h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(9.001));
  EXPECT_EQ(v[0].brokers, (std::vector<int>{1, 3}));
  EXPECT_NE(v[0].detail.find("controller epoch 1, sent at 9.000 s, after controller epoch 2 had been elected at 6.000 s"),
            std::string::npos)
      << v[0].detail;
}

TEST(StaleControllerObeyed, SilentWhenTheRequestLeftBeforeTheNewerElection) {
  sim::History h;
  elected(h, 0.01, 3, 1);
  applied(h, 6.001, 1, 3, 1, 5.999);  // in flight while epoch 2 was elected: not stale when sent
  elected(h, 6.0, 2, 2);
  applied(h, 6.01, 1, 2, 2, 6.005);
  EXPECT_TRUE(only("stale-controller-obeyed", h).empty());
}

// A controller's ZooKeeper write is ordered against newer elections by zxid, not by when its reply was
// read (a controller paused between its write and the reply reads it after a newer election): the
// regression explore found (scenarios/regression-paused-controller-write-order.yaml first showed it).
void zk_elected(sim::History& h, double t, int broker, int epoch, std::int64_t zxid) {
  h.record(s(t), "controller-elected", {{"broker", std::int64_t{broker}}, {"controller_epoch", std::int64_t{epoch}},
                                        {"zxid", zxid}});
}
void zk_write(sim::History& h, double t, int broker, int epoch, std::int64_t zxid) {
  h.record(s(t), "controller-zk-write", {{"broker", std::int64_t{broker}}, {"controller_epoch", std::int64_t{epoch}},
                                         {"path", std::string("/brokers/topics/t/partitions/0/state")}, {"zxid", zxid}});
}

TEST(StaleControllerObeyed, AWriteIsOrderedByItsZxidNotByWhenItsReplyWasRead) {
  sim::History h;
  zk_elected(h, 0.01, 1, 3, 10);
  zk_elected(h, 6.0, 2, 4, 20);
  zk_write(h, 9.0, 1, 3, 15);  // applied before epoch 4's election; read late (paused)
  EXPECT_TRUE(only("stale-controller-obeyed", h).empty());
  zk_write(h, 9.5, 1, 3, 25);  // applied after it: a zombie's write
  auto v = only("stale-controller-obeyed", h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].detail.find("wrote /brokers/topics/t/partitions/0/state after controller epoch 4"), std::string::npos)
      << v[0].detail;
}

TEST(EpochMonotonic, FiresWhenAProcessGoesBackToALowerControllerEpoch) {
  sim::History h;
  applied(h, 1.0, 2, 1, 2, 0.99);
  applied(h, 2.0, 2, 3, 1, 1.99);
  auto v = only("epoch-monotonic", h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].brokers, (std::vector<int>{2}));
  EXPECT_NE(v[0].detail.find("from controller epoch 2 back to 1"), std::string::npos) << v[0].detail;
}

TEST(EpochMonotonic, ARestartedProcessStartsAfreshAndEqualEpochsAreFine) {
  sim::History h;
  applied(h, 1.0, 2, 1, 2, 0.99);
  applied(h, 1.5, 2, 1, 2, 1.49);
  h.record(s(3.0), "broker-started", {{"broker", std::int64_t{2}}, {"incarnation", std::int64_t{2}}});
  applied(h, 4.0, 2, 3, 1, 3.99);
  EXPECT_TRUE(only("epoch-monotonic", h).empty());
}

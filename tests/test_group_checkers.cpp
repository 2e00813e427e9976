// The consumer-group checkers (spec/consumer-groups.md) on hand-written histories: each fires where its
// property is broken and stays silent where it holds. Scenarios are built as structs, not parsed, so a
// transactional sink (which the parser refuses until it is modelled) can be tried too.
#include <gtest/gtest.h>

#include <algorithm>

#include "checks/checkers.h"
#include "checks/groups.h"
#include "reports/result_json.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

Micros s(double seconds) { return static_cast<Micros>(seconds * kMicrosPerSecond); }
std::int64_t i(std::int64_t v) { return v; }

struct Shape {
  std::string commit = "after-process";
  std::string sink = "db";  // "" = no sink
  std::string kind = "append";
  std::string delivery;
  Shape committing(std::string c) const { Shape x = *this; x.commit = std::move(c); return x; }
  Shape without_sink() const { Shape x = *this; x.sink = ""; return x; }
  Shape sink_kind(std::string k) const { Shape x = *this; x.kind = std::move(k); return x; }
  Shape exactly_once() const { Shape x = *this; x.delivery = "exactly-once"; return x; }
};

// Topic orders (2 partitions), group g1 of c1 and c2, both consuming orders with one spec.
Scenario scenario(const Shape& x = {}) {
  Scenario sc = parse_scenario_text("name: t\nsummary: t\nduration: 10s\ncluster: {brokers: 3}\n", "t.yaml");
  TopicSpec t;
  t.name = "orders";
  t.partitions = 2;
  t.replication_factor = 1;
  t.assignment = {{1}, {1}};
  sc.topics.push_back(t);
  if (!x.sink.empty()) sc.sinks.push_back(SinkSpec{x.sink, x.kind, {}});
  for (const char* id : {"c1", "c2"}) {
    ConsumerSpec c;
    c.id = id;
    c.topic = "orders";
    c.group = "g1";
    c.processing = 5 * kMicrosPerMs;
    c.commit = x.commit;
    c.sink = x.sink;
    c.delivery = x.delivery;
    sc.consumers.push_back(c);
  }
  return sc;
}

struct G {
  sim::History h;
  // Broker 1 leads `p` and holds `values` at offsets 0.., all below its HW.
  void log(double t, const std::string& p, const std::vector<std::string>& values, std::int64_t hw = -1) {
    h.record(s(t), "became-leader", {{"broker", i(1)}, {"partition", p}, {"leader", i(1)}, {"leader_epoch", i(0)},
                                     {"isr", std::vector<std::int64_t>{1}}, {"leo", i(0)}, {"hw", i(0)}});
    for (std::size_t o = 0; o < values.size(); ++o)
      h.record(s(t), "appended", {{"broker", i(1)}, {"partition", p}, {"offset", i(static_cast<std::int64_t>(o))},
                                  {"leader_epoch", i(0)}, {"value", values[o]}});
    h.record(s(t), "hw-advanced",
             {{"broker", i(1)}, {"partition", p}, {"hw", hw >= 0 ? hw : static_cast<std::int64_t>(values.size())}});
  }
  void rebalance(double t, int generation, const std::string& assignment, std::vector<std::string> members = {"c1", "c2"}) {
    h.record(s(t), "group-rebalance", {{"group", std::string("g1")}, {"generation", i(generation)}, {"members", members},
                                       {"assignment", assignment}, {"reason", std::string("member joined")},
                                       {"coordinator", i(1)}});
  }
  void consumed(double t, const std::string& c, const std::string& p, int o, const std::string& v) {
    h.record(s(t), "consumed", {{"consumer", c}, {"partition", p}, {"offset", i(o)}, {"value", v}});
  }
  void processed(double t, const std::string& c, const std::string& p, int o, const std::string& v, int attempt = 1) {
    h.record(s(t), "processed", {{"consumer", c}, {"partition", p}, {"offset", i(o)}, {"value", v},
                                 {"attempt", i(attempt)}, {"group", std::string("g1")}});
  }
  void sink(double t, const std::string& c, const std::string& p, int o, const std::string& v,
            const std::string& applied = "new", const std::string& sink = "db") {
    h.record(s(t), "sink-write", {{"sink", sink}, {"consumer", c}, {"partition", p}, {"offset", i(o)}, {"value", v},
                                  {"key", p + "-" + std::to_string(o)}, {"applied", applied}});
  }
  // What a member does with one record when it has a sink: the write, then `processed` on its answer.
  void handle(double t, const std::string& c, const std::string& p, int o, const std::string& v,
              const std::string& applied = "new") {
    sink(t, c, p, o, v, applied);
    processed(t + 0.001, c, p, o, v);
  }
  void commit(double t, const std::string& c, const std::string& p, int offset, int generation = 1) {
    h.record(s(t), "offset-committed", {{"group", std::string("g1")}, {"consumer", c}, {"partition", p},
                                        {"offset", i(offset)}, {"generation", i(generation)}});
  }
  void done(double t) { h.record(s(t), "phase", {{"name", std::string("done")}, {"converged", true}}); }

  std::vector<checks::Violation> only(const std::string& property, const Scenario& sc) const {
    std::vector<checks::Violation> out;
    for (auto& v : checks::check_history(sc, h))
      if (v.property == property) out.push_back(v);
    return out;
  }
};

const std::vector<std::string> kOrders0 = {"m0", "m1", "m2", "m3"};
const std::vector<std::string> kOrders1 = {"n0", "n1", "n2", "n3"};

// c1 reads orders-0, c2 orders-1; each writes every record to db and commits after the batch.
G healthy() {
  G g;
  g.log(0.1, "orders-0", kOrders0);
  g.log(0.1, "orders-1", kOrders1);
  g.rebalance(1.0, 1, "{c1: [orders-0], c2: [orders-1]}");
  for (int o = 0; o < 4; ++o) {
    g.consumed(1.1, "c1", "orders-0", o, kOrders0[o]);
    g.consumed(1.1, "c2", "orders-1", o, kOrders1[o]);
  }
  for (int o = 0; o < 4; ++o) {
    g.handle(1.2 + 0.01 * o, "c1", "orders-0", o, kOrders0[o]);
    g.handle(1.2 + 0.01 * o, "c2", "orders-1", o, kOrders1[o]);
  }
  g.commit(1.5, "c1", "orders-0", 4);
  g.commit(1.5, "c2", "orders-1", 4);
  g.done(2.0);
  return g;
}

std::vector<std::int64_t> offsets(const checks::Violation& v, const std::string& role) {
  std::vector<std::int64_t> out;
  for (const auto& r : v.records)
    if (r.role == role) out.push_back(r.offset);
  return out;
}

}  // namespace

// ---- the registry and the contract -----------------------------------------------------------------

TEST(GroupCheckers, RegisteredAfterTheReplicationCheckersInTheSpecsOrder) {
  const auto names = checks::checked_properties();
  const std::vector<std::string> groups = {"record-not-processed", "duplicate-processing", "offset-commit-regressed",
                                           "commit-beyond-processed", "zombie-sink-write"};
  auto at = std::find(names.begin(), names.end(), "unavailable-after-heal");
  ASSERT_NE(at, names.end());
  ASSERT_GE(names.end() - at, 6);
  EXPECT_EQ(std::vector<std::string>(at + 1, at + 6), groups);
  for (const auto& p : groups) EXPECT_TRUE(is_property(p)) << p;
}

TEST(GroupCheckers, AHealthyGroupRunViolatesNothing) {
  const auto all = checks::check_history(scenario(), healthy().h);
  EXPECT_TRUE(all.empty()) << all.size() << " violation(s), the first: " << all.front().property << ": "
                           << all.front().detail;
  EXPECT_EQ(checks::duplicate_count(scenario(), healthy().h), 0);
}

TEST(GroupCheckers, AssignmentsAreReadBackFromTheirText) {
  auto a = checks::parse_assignment("{c1: [orders-0, orders-1], c2: [orders-2], c3: []}");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a["c1"], (std::vector<std::string>{"orders-0", "orders-1"}));
  EXPECT_EQ(a["c2"], (std::vector<std::string>{"orders-2"}));
  EXPECT_TRUE(a["c3"].empty());
  EXPECT_TRUE(checks::parse_assignment("{}").empty());
  EXPECT_EQ(checks::owners(a)["orders-1"], "c1");
  EXPECT_EQ(checks::offsets_text({4, 3}), "3, 4");
  EXPECT_EQ(checks::offsets_text({1, 2, 3, 4, 9}), "1-4, 9");
}

// ---- record-not-processed --------------------------------------------------------------------------

TEST(GroupCheckers, RecordNotProcessedFiresWhenTheCommitCoversRecordsNeverWrittenToTheSink) {
  // commit: before-process: c1 commits its batch's end, writes two records of it, and crashes.
  G g;
  g.log(0.1, "orders-0", kOrders0);
  g.rebalance(1.0, 1, "{c1: [orders-0], c2: [orders-1]}");
  for (int o = 0; o < 4; ++o) g.consumed(1.1, "c1", "orders-0", o, kOrders0[o]);
  g.commit(1.15, "c1", "orders-0", 4);
  g.handle(1.2, "c1", "orders-0", 0, "m0");
  g.handle(1.3, "c1", "orders-0", 1, "m1");
  g.done(5.0);
  const auto v = g.only("record-not-processed", scenario(Shape().committing("before-process")));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].partition, "orders-0");
  EXPECT_EQ(v[0].time, s(5.0));
  EXPECT_EQ(v[0].brokers, std::vector<int>{1});
  EXPECT_EQ(offsets(v[0], "lost"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(v[0].records[0].value, "m2");
  EXPECT_EQ(v[0].records[1].value, "m3");
  EXPECT_NE(v[0].detail.find("g1 committed orders-0 up to 4, but offsets 2, 3 were never processed into db"),
            std::string::npos)
      << v[0].detail;
}

TEST(GroupCheckers, RecordNotProcessedIsSilentBeyondTheCommitAndAboveTheHW) {
  // Records 2 and 3 were read but not processed; the group committed only 2: the next owner reads them.
  G g;
  g.log(0.1, "orders-0", kOrders0);
  for (int o = 0; o < 4; ++o) g.consumed(1.1, "c1", "orders-0", o, kOrders0[o]);
  g.handle(1.2, "c1", "orders-0", 0, "m0");
  g.handle(1.3, "c1", "orders-0", 1, "m1");
  g.commit(1.4, "c1", "orders-0", 2);
  g.done(5.0);
  EXPECT_TRUE(g.only("record-not-processed", scenario()).empty());

  // A commit of 4 with the HW at 2: what is above the HW is not judged.
  G above;
  above.log(0.1, "orders-0", kOrders0, 2);
  above.handle(1.2, "c1", "orders-0", 0, "m0");
  above.handle(1.3, "c1", "orders-0", 1, "m1");
  above.commit(1.4, "c1", "orders-0", 4);
  above.done(5.0);
  EXPECT_TRUE(above.only("record-not-processed", scenario()).empty());
  // The same with the HW at 4 fires.
  G at;
  at.log(0.1, "orders-0", kOrders0, 4);
  at.handle(1.2, "c1", "orders-0", 0, "m0");
  at.handle(1.3, "c1", "orders-0", 1, "m1");
  at.commit(1.4, "c1", "orders-0", 4);
  at.done(5.0);
  EXPECT_EQ(at.only("record-not-processed", scenario()).size(), 1u);
}

TEST(GroupCheckers, RecordNotProcessedWithoutASinkNeedsAProcessingOfTheFinalRecord) {
  G g;
  g.log(0.1, "orders-0", {"m0", "x1", "m2"});
  g.processed(1.0, "c1", "orders-0", 0, "m0");
  g.processed(1.0, "c1", "orders-0", 1, "m1");  // a value the final log does not hold at 1
  g.processed(1.0, "c2", "orders-0", 2, "m2");  // another member of the group: counts
  g.commit(1.1, "c1", "orders-0", 3);
  g.done(5.0);
  const auto v = g.only("record-not-processed", scenario(Shape().without_sink()));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(offsets(v[0], "lost"), std::vector<std::int64_t>{1});
  EXPECT_NE(v[0].detail.find("offset 1 was never processed by a member of g1"), std::string::npos) << v[0].detail;
  // With m1 replaced by the final record, nothing is missing.
  g.processed(1.2, "c2", "orders-0", 1, "x1");
  EXPECT_TRUE(g.only("record-not-processed", scenario(Shape().without_sink())).empty());
}

// ---- duplicate-processing --------------------------------------------------------------------------

TEST(GroupCheckers, DuplicatesOnAnAppendSinkAreCountedButNotAViolationWithoutExactlyOnce) {
  G g = healthy();
  g.handle(3.0, "c2", "orders-0", 2, "m2", "duplicate");
  g.handle(3.1, "c2", "orders-0", 3, "m3", "duplicate");
  EXPECT_EQ(checks::duplicate_count(scenario(), g.h), 2);
  EXPECT_EQ(checks::duplicate_count(g.h), 2);
  EXPECT_EQ(checks::loss_stats(g.h).duplicates, 2);
  EXPECT_TRUE(g.only("duplicate-processing", scenario()).empty());
}

TEST(GroupCheckers, DuplicatesOfAnExactlyOnceConsumerAreAViolation) {
  G g = healthy();
  g.handle(3.0, "c2", "orders-0", 2, "m2", "duplicate");
  g.handle(3.1, "c2", "orders-0", 3, "m3", "duplicate");
  g.handle(3.2, "c1", "orders-1", 0, "n0", "duplicate");
  const auto v = g.only("duplicate-processing", scenario(Shape().exactly_once()));
  ASSERT_EQ(v.size(), 2u);  // (c1, orders-1) and (c2, orders-0)
  const auto& c2 = v[0].partition == "orders-0" ? v[0] : v[1];
  EXPECT_EQ(c2.partition, "orders-0");
  EXPECT_EQ(c2.time, s(3.0));
  EXPECT_EQ(offsets(c2, "duplicate"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_NE(c2.detail.find("c2 declares delivery: exactly-once, but wrote 2 records of orders-0 to db a second time"),
            std::string::npos)
      << c2.detail;
}

TEST(GroupCheckers, AnOverwriteOnAKeyedSinkIsNoDuplicate) {
  G g = healthy();
  g.handle(3.0, "c2", "orders-0", 2, "m2", "overwrite");
  const Scenario sc = scenario(Shape().sink_kind("keyed").exactly_once());
  EXPECT_EQ(checks::duplicate_count(sc, g.h), 0);
  EXPECT_TRUE(g.only("duplicate-processing", sc).empty());
}

TEST(GroupCheckers, WithoutASinkARecordTheGroupProcessedTwiceIsADuplicate) {
  G g;
  g.log(0.1, "orders-0", kOrders0);
  g.processed(1.0, "c1", "orders-0", 0, "m0");
  g.processed(1.0, "c1", "orders-0", 1, "m1");
  g.processed(2.0, "c2", "orders-0", 1, "m1");  // the new owner again, after a rebalance
  g.processed(2.1, "c2", "orders-0", 2, "m2");
  const Scenario plain = scenario(Shape().without_sink());
  EXPECT_EQ(checks::duplicate_count(plain, g.h), 1);
  EXPECT_EQ(checks::duplicate_count(g.h), 1);
  EXPECT_TRUE(g.only("duplicate-processing", plain).empty());
  const auto v = g.only("duplicate-processing", scenario(Shape().without_sink().exactly_once()));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].time, s(2.0));
  EXPECT_EQ(offsets(v[0], "duplicate"), std::vector<std::int64_t>{1});
  EXPECT_NE(v[0].detail.find("c2 declares delivery: exactly-once, but processed 1 record of orders-0 that g1"),
            std::string::npos)
      << v[0].detail;
}

TEST(GroupCheckers, TheResultJsonCountsDuplicatesAfterTheLosses) {
  G g = healthy();
  g.handle(3.0, "c2", "orders-0", 2, "m2", "duplicate");
  const auto j = reports::result_json(scenario(), {}, sim::RunStats{}, "", checks::loss_stats(g.h));
  ASSERT_TRUE(j["stats"].contains("duplicates"));
  EXPECT_EQ(j["stats"]["duplicates"].get<int>(), 1);
  std::vector<std::string> keys;
  for (const auto& item : j["stats"].items()) keys.push_back(item.key());
  const auto unclean = std::find(keys.begin(), keys.end(), "lost_unclean");
  ASSERT_NE(unclean, keys.end());
  EXPECT_EQ(*(unclean + 1), "duplicates");
}

// ---- offset-commit-regressed -----------------------------------------------------------------------

TEST(GroupCheckers, OffsetCommitRegressedFiresAtTheFirstDecrease) {
  G g = healthy();
  g.commit(3.0, "c2", "orders-0", 2, 2);
  g.commit(3.5, "c2", "orders-0", 1, 2);  // a second decrease of the same partition: one violation
  const auto v = g.only("offset-commit-regressed", scenario());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].partition, "orders-0");
  EXPECT_EQ(v[0].time, s(3.0));
  EXPECT_EQ(offsets(v[0], "committed"), std::vector<std::int64_t>{4});
  EXPECT_EQ(offsets(v[0], "regressed"), std::vector<std::int64_t>{2});
  EXPECT_NE(v[0].detail.find("g1's committed offset for orders-0 moved back from 4 to 2"), std::string::npos)
      << v[0].detail;
}

TEST(GroupCheckers, OffsetCommitRegressedIsSilentForEqualAndRisingCommitsPerPartition) {
  G g = healthy();
  g.commit(3.0, "c2", "orders-0", 4, 2);  // the same offset again
  g.commit(3.1, "c2", "orders-0", 6, 2);
  g.commit(3.2, "c2", "orders-1", 5, 2);
  EXPECT_TRUE(g.only("offset-commit-regressed", scenario()).empty());
}

// ---- commit-beyond-processed -----------------------------------------------------------------------

G commits_ahead() {
  // c1 read 0..3, processed 0 and 1 (2 only after the commit), and committed 4.
  G g;
  g.log(0.1, "orders-0", kOrders0);
  for (int o = 0; o < 4; ++o) g.consumed(1.1, "c1", "orders-0", o, kOrders0[o]);
  g.handle(1.2, "c1", "orders-0", 0, "m0");
  g.handle(1.3, "c1", "orders-0", 1, "m1");
  g.commit(1.4, "c1", "orders-0", 4);
  g.handle(1.5, "c1", "orders-0", 2, "m2");
  g.done(5.0);
  return g;
}

TEST(GroupCheckers, CommitBeyondProcessedFiresForAfterProcessAndAuto) {
  for (const char* commit : {"after-process", "auto"}) {
    const auto v = commits_ahead().only("commit-beyond-processed", scenario(Shape().committing(commit)));
    ASSERT_EQ(v.size(), 1u) << commit;
    EXPECT_EQ(v[0].partition, "orders-0");
    EXPECT_EQ(v[0].time, s(1.4));
    EXPECT_EQ(offsets(v[0], "unprocessed"), (std::vector<std::int64_t>{2, 3})) << commit;
    EXPECT_EQ(offsets(v[0], "committed"), std::vector<std::int64_t>{4});
    EXPECT_NE(v[0].detail.find("committed orders-0 up to 4 (from 0) while offsets 2, 3, which g1 had read, were not "
                               "processed yet"),
              std::string::npos)
        << v[0].detail;
  }
}

TEST(GroupCheckers, CommitBeyondProcessedIsSilentForBeforeProcessAndForProcessedOrUnreadOffsets) {
  EXPECT_TRUE(commits_ahead().only("commit-beyond-processed", scenario(Shape().committing("before-process"))).empty());
  // Every offset below the commit that the group had read was processed, one of them by the other member;
  // offset 3 was never read by then (the commit is not judged for it).
  G g;
  g.log(0.1, "orders-0", kOrders0);
  for (int o = 0; o < 3; ++o) g.consumed(1.1, "c1", "orders-0", o, kOrders0[o]);
  g.handle(1.2, "c1", "orders-0", 0, "m0");
  g.handle(1.3, "c1", "orders-0", 1, "m1");
  g.handle(1.3, "c2", "orders-0", 2, "m2");
  g.commit(1.4, "c1", "orders-0", 4);
  g.consumed(1.5, "c1", "orders-0", 3, "m3");
  // A commit that does not move the offset up is not judged, nor what lies below the previous commit.
  g.commit(1.6, "c1", "orders-0", 4);
  g.consumed(1.7, "c1", "orders-0", 4, "m4");
  g.processed(1.8, "c1", "orders-0", 4, "m4");
  g.commit(1.9, "c1", "orders-0", 5);
  EXPECT_TRUE(g.only("commit-beyond-processed", scenario()).empty());
  EXPECT_TRUE(healthy().only("commit-beyond-processed", scenario()).empty());
}

// ---- zombie-sink-write -----------------------------------------------------------------------------

G handed_over() {
  // Generation 1 gives c1 both partitions; generation 2 moves orders-0 to c2.
  G g;
  g.log(0.1, "orders-0", kOrders0);
  g.log(0.1, "orders-1", kOrders1);
  g.rebalance(1.0, 1, "{c1: [orders-0, orders-1]}", {"c1"});
  g.sink(1.1, "c1", "orders-0", 0, "m0");
  g.rebalance(2.0, 2, "{c1: [orders-1], c2: [orders-0]}");
  g.sink(2.1, "c2", "orders-0", 1, "m1");
  g.sink(2.2, "c1", "orders-1", 0, "n0");
  return g;
}

TEST(GroupCheckers, ZombieSinkWriteFiresOnATransactionalWriteAfterThePartitionMovedElsewhere) {
  G g = handed_over();
  g.sink(2.5, "c1", "orders-0", 1, "m1");  // the deposed owner
  g.sink(2.6, "c1", "orders-0", 2, "m2");
  const Scenario sc = scenario(Shape().sink_kind("transactional"));
  const auto v = g.only("zombie-sink-write", sc);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].partition, "orders-0");
  EXPECT_EQ(v[0].time, s(2.5));
  EXPECT_EQ(offsets(v[0], "zombie"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_NE(v[0].detail.find("c1 wrote orders-0 offset 1 (m1) to the transactional sink db at 2.500 s, after "
                             "generation 2 of g1 had assigned orders-0 to c2"),
            std::string::npos)
      << v[0].detail;
  // Fencing is the transactional sink's: the same writes to an append sink are not zombie writes.
  EXPECT_TRUE(g.only("zombie-sink-write", scenario()).empty());
}

TEST(GroupCheckers, ZombieSinkWriteIsSilentForTheOwnerAndOnceALaterGenerationGivesThePartitionBack) {
  const Scenario sc = scenario(Shape().sink_kind("transactional"));
  EXPECT_TRUE(handed_over().only("zombie-sink-write", sc).empty());
  G g = handed_over();
  g.rebalance(3.0, 3, "{c1: [orders-0, orders-1]}", {"c1"});
  g.sink(3.1, "c1", "orders-0", 1, "m1");
  EXPECT_TRUE(g.only("zombie-sink-write", sc).empty());
}

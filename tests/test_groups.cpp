// Consumer groups end to end: the bundled group scenarios give their verdicts on both control planes,
// and their histories show the mechanism (a rebalance after an eviction, a refused commit, the
// duplicates a keyed sink absorbs), not only the property.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "explore/search.h"
#include "explore_support.h"
#include "models/groups/assignors.h"
#include "models/groups/group_coordinator.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

struct GroupRun {
  std::set<std::string> violated;
  nlohmann::json result;
  std::vector<nlohmann::json> history;
  std::string failure;
  std::size_t count(const std::string& event, const std::string& field = "", const std::string& value = "") const {
    std::size_t n = 0;
    for (const auto& e : history)
      if (e.value("event", "") == event &&
          (field.empty() || (e.contains(field) && (e[field].is_string() ? e[field].get<std::string>() : e[field].dump()) == value)))
        ++n;
    return n;
  }
};

GroupRun run_group(const std::string& name, const std::string& preset = "") {
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/" + name);
  if (!preset.empty()) {
    std::string error;
    auto d = parse_design_flag(preset, error);
    EXPECT_TRUE(d.has_value()) << error;
    s.apply_design(*d);
  }
  const std::string history = "/tmp/kafkasim-test-groups-" + name + preset + ".jsonl";
  cli::RunOptions options;
  options.history_path = history;
  options.failures_dir = "/tmp/kafkasim-test-failures";
  auto report = cli::run_scenario(s, options);
  GroupRun r;
  r.failure = report.failure;
  r.result = nlohmann::json::parse(report.result.dump());
  for (const auto& v : r.result["violations"]) r.violated.insert(v["property"].get<std::string>());
  std::ifstream in(history);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) r.history.push_back(nlohmann::json::parse(line));
  return r;
}

// Runs a scenario built in the test (no history kept) and gives its result JSON; a simulator failure fails the test.
nlohmann::json result_of(const Scenario& s) {
  cli::RunOptions options;
  options.failures_dir = "/tmp/kafkasim-test-failures";
  const auto report = cli::run_scenario(s, options);
  EXPECT_TRUE(report.failure.empty()) << report.failure;
  return nlohmann::json::parse(report.result.dump());
}

}  // namespace

TEST(Groups, TheCoordinatorPartitionIsJavasStringHashModuloThePartitions) {
  // "g1".hashCode() = 103 * 31 + 49 = 3242; 3242 % 3 = 2, % 50 = 42.
  EXPECT_EQ(models::groups::partition_for("g1", 3), 2);
  EXPECT_EQ(models::groups::partition_for("g1", 50), 42);
  // "analytics".hashCode() overflows to -1693017210: Utils.abs masks the sign bit (38), not Math.abs (10).
  EXPECT_EQ(models::groups::partition_for("analytics", 50), 38);
  EXPECT_EQ(models::groups::partition_for("group-alpha", 50), 42);
}

TEST(Assignors, RangeGivesEachMemberARangeTheFirstOnesOneMore) {
  using models::groups::Subscription;
  const std::map<std::string, Subscription> members = {{"a", {"t", {}, -1}}, {"b", {"t", {}, -1}}, {"c", {"u", {}, -1}}};
  const auto out = models::groups::range_assign(members, "t", 5);
  EXPECT_EQ(out.at("a"), (std::vector<std::string>{"t-0", "t-1", "t-2"}));
  EXPECT_EQ(out.at("b"), (std::vector<std::string>{"t-3", "t-4"}));
  EXPECT_TRUE(out.at("c").empty());  // subscribes to another topic
}

TEST(Assignors, CooperativeStickyKeepsWhatMembersOwnAndHoldsBackWhatMoves) {
  using models::groups::Subscription;
  using V = std::vector<std::string>;
  // A first assignment: nobody owns anything, the partitions are dealt round-robin.
  auto out = models::groups::cooperative_sticky_assign({{"a", {"t", {}, -1}}, {"b", {"t", {}, -1}}}, "t", 6);
  EXPECT_EQ(out.at("a"), (V{"t-0", "t-2", "t-4"}));
  EXPECT_EQ(out.at("b"), (V{"t-1", "t-3", "t-5"}));
  // A third member: a and b keep two each; the two they give up go to nobody this round.
  out = models::groups::cooperative_sticky_assign(
      {{"a", {"t", {"t-0", "t-2", "t-4"}, 1}}, {"b", {"t", {"t-1", "t-3", "t-5"}, 1}}, {"c", {"t", {}, -1}}}, "t", 6);
  EXPECT_EQ(out.at("a"), (V{"t-0", "t-2"}));
  EXPECT_EQ(out.at("b"), (V{"t-1", "t-3"}));
  EXPECT_TRUE(out.at("c").empty());
  // Once they have revoked them, c gets them, and nobody else moves.
  out = models::groups::cooperative_sticky_assign(
      {{"a", {"t", {"t-0", "t-2"}, 2}}, {"b", {"t", {"t-1", "t-3"}, 2}}, {"c", {"t", {}, -1}}}, "t", 6);
  EXPECT_EQ(out.at("a"), (V{"t-0", "t-2"}));
  EXPECT_EQ(out.at("b"), (V{"t-1", "t-3"}));
  EXPECT_EQ(out.at("c"), (V{"t-4", "t-5"}));
  // A member gone: its partitions go straight to the others (no owner to revoke them).
  out = models::groups::cooperative_sticky_assign({{"a", {"t", {"t-0", "t-2"}, 2}}, {"b", {"t", {"t-1", "t-3"}, 2}}}, "t", 6);
  EXPECT_EQ(out.at("a").size() + out.at("b").size(), 6u);
  EXPECT_EQ(out.at("a").size(), 3u);
  // Claims from an older generation (a zombie's) do not count; a partition two members claim is nobody's.
  out = models::groups::cooperative_sticky_assign({{"a", {"t", {"t-0", "t-1"}, 3}}, {"z", {"t", {"t-2", "t-3"}, 1}}}, "t", 4);
  EXPECT_EQ(out.at("a"), (V{"t-0", "t-1"}));
  EXPECT_EQ(out.at("z"), (V{"t-2", "t-3"}));  // unowned, so given without a revocation round
  out = models::groups::cooperative_sticky_assign({{"a", {"t", {"t-0", "t-1"}, 3}}, {"b", {"t", {"t-1"}, 3}}}, "t", 2);
  EXPECT_EQ(out.at("a"), (V{"t-0"}));
  EXPECT_TRUE(out.at("b").empty()) << "t-1 was claimed twice: it changes hands, so it waits a round";
}

TEST(Groups, CommitBeforeProcessAndACrashLosesRecords) {
  const auto r = run_group("group-commit-before-process-loses.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, (std::set<std::string>{"record-not-processed"}));
  // The mechanism: the group rebalanced after c1 was removed for its expired session.
  EXPECT_GE(r.count("consumer-evicted", "reason", "session-timeout"), 1u);
  EXPECT_GE(r.count("group-rebalance"), 2u);
}

TEST(Groups, CommitAfterProcessAndACrashDuplicatesButLosesNothing) {
  for (const char* design : {"latest", "kafka-4.1"}) {
    const auto r = run_group("group-commit-after-process-duplicates.yaml", design);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.violated, std::set<std::string>{}) << design;
    EXPECT_GT(r.result["stats"].value("duplicates", 0), 0) << design;
    EXPECT_GT(r.count("sink-write", "applied", "duplicate"), 0u) << design;
  }
}

TEST(Groups, APollTimeoutEvictsTheMemberAndRefusesItsCommit) {
  const auto r = run_group("group-poll-timeout-duplicates.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_GE(r.count("consumer-evicted", "reason", "max-poll-interval"), 1u);
  EXPECT_GE(r.count("offset-commit-failed", "error", "UNKNOWN_MEMBER_ID"), 1u);
  EXPECT_GT(r.count("sink-write", "applied", "duplicate"), 0u);
}

TEST(Groups, AKeyedSinkGivesExactlyOnceThroughACoordinatorFailover) {
  const auto r = run_group("group-idempotent-sink-exactly-once.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_GT(r.count("sink-write", "applied", "overwrite"), 0u);
  EXPECT_EQ(r.count("sink-write", "applied", "duplicate"), 0u);
  // The coordinator moved: a rebalance was completed by another broker than the first.
  std::set<std::int64_t> coordinators;
  for (const auto& e : r.history)
    if (e.value("event", "") == "group-rebalance") coordinators.insert(e.value("coordinator", -1));
  EXPECT_GE(coordinators.size(), 2u);
}

TEST(Groups, ATransactionalSinkFencesTheZombieAndTheNewOwnerSeeksToItsOffsets) {
  const auto r = run_group("group-transactional-sink-fences-zombie.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_GE(r.count("sink-write-fenced", "consumer", "c1"), 1u);
  EXPECT_EQ(r.count("sink-write", "applied", "duplicate"), 0u);
  EXPECT_EQ(r.result["stats"].value("duplicates", -1), 0);
  EXPECT_GE(r.count("consumer-position-reset", "reason", "sink-offset"), 1u);
  // With an append sink and the same pause, the zombie's writes are kept: duplicates.
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/group-transactional-sink-fences-zombie.yaml");
  s.sinks[0].kind = "append";
  for (auto& c : s.consumers) c.delivery.clear();
  EXPECT_GT(result_of(s)["stats"].value("duplicates", 0), 0);
}

TEST(Groups, ATransactionalSinkIsExactlyOnceThroughConsumerCrashesAndBrokerFailures) {
  const auto r = run_group("group-transactional-sink-exactly-once.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_EQ(r.result["stats"].value("duplicates", -1), 0);
  EXPECT_EQ(r.count("sink-write"), r.count("produce-acked")) << "each acknowledged record in db once";
  EXPECT_EQ(r.count("node-crashed", "node", "c1") + r.count("node-crashed", "node", "c2"), 2u);
  // Into an append sink, the same faults write records twice: the transactional sink is what prevents it.
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/group-transactional-sink-exactly-once.yaml");
  s.sinks[0].kind = "append";
  for (auto& c : s.consumers) c.delivery.clear();
  EXPECT_GT(result_of(s)["stats"].value("duplicates", 0), 0);
}

namespace {
// The time of the first event named `event` whose `field` is `value` (-1: none).
double first_time(const GroupRun& r, const std::string& event, const std::string& field, const std::string& value) {
  for (const auto& e : r.history)
    if (e.value("event", "") == event && e.value(field, "") == value) return e.value("t", -1.0);
  return -1.0;
}
}  // namespace

TEST(Groups, ARetryInPlaceBlocksThePollLoopUntilTheMemberIsEvicted) {
  for (const char* design : {"latest", "kafka-4.1"}) {
    const auto r = run_group("group-retry-in-place-blocks.yaml", design);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.violated, std::set<std::string>{}) << design;
    EXPECT_EQ(r.count("processing-failed", "handling", "retry-in-place"), 15u) << design;
    EXPECT_GE(r.count("consumer-evicted", "reason", "max-poll-interval"), 1u) << design;
    EXPECT_GE(r.count("offset-commit-failed", "consumer", "c1"), 1u) << design;
    EXPECT_GT(r.result["stats"].value("duplicates", 0), 0) << design;
  }
}

TEST(Groups, PauseResumeKeepsTheMemberInItsGroupAndTheOtherPartitionFlowing) {
  const auto r = run_group("group-retry-pause-resume.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_EQ(r.count("processing-failed", "handling", "pause"), 15u);
  EXPECT_EQ(r.count("partition-paused"), 15u);
  EXPECT_EQ(r.count("consumer-evicted"), 0u);
  EXPECT_EQ(r.count("group-rebalance"), 1u);
  EXPECT_EQ(r.result["stats"].value("duplicates", -1), 0);
  EXPECT_EQ(r.count("consumer-position-reset", "reason", "seek"), 15u);
  // The record is written once the error stops, after records of orders-1 written meanwhile.
  const double poison = first_time(r, "sink-write", "value", "p1-20");
  ASSERT_GT(poison, 0);
  bool other_partition_meanwhile = false;
  for (const auto& e : r.history)
    if (e.value("event", "") == "sink-write" && e.value("partition", "") == "orders-1" && e.value("t", 0.0) > 6.0 &&
        e.value("t", 0.0) < poison)
      other_partition_meanwhile = true;
  EXPECT_TRUE(other_partition_meanwhile);
}

TEST(Groups, ARetryTopicTakesThePoisonRecordAndItsRetryGroupProcessesItLater) {
  const auto r = run_group("group-retry-topic-poison.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  EXPECT_EQ(r.count("processing-failed", "handling", "retry-topic"), 1u);
  EXPECT_EQ(r.count("retry-produced", "to_partition", "orders-retry-0"), 1u);
  EXPECT_EQ(r.count("processing-failed", "consumer", "c1-retry"), 14u);  // the error's other 14 times
  EXPECT_EQ(r.count("sink-write", "consumer", "c1-retry"), 1u);
  EXPECT_EQ(r.count("consumer-evicted"), 0u);
  // orders-0 was not blocked: c1 wrote the records behind p1-20 long before p1-20 reached db.
  const double poison = first_time(r, "sink-write", "value", "p1-20");
  const double behind = first_time(r, "sink-write", "value", "p1-22");
  ASSERT_GT(poison, 0);
  ASSERT_GT(behind, 0);
  EXPECT_LT(behind + 10.0, poison);
}

TEST(Groups, ARetryPatternThatGivesUpLosesTheRecordAndTheCheckerSaysSo) {
  const auto r = run_group("group-retry-gives-up-loses.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, (std::set<std::string>{"record-not-processed"}));
  EXPECT_EQ(r.count("processing-failed", "handling", "give-up"), 1u);
  EXPECT_EQ(r.count("processing-failed", "handling", "pause"), 2u);
  // Had the retry topic lost the record, record-not-processed would follow it there: the same checker,
  // on a history where the retry group gives up, fires for the retry topic.
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/group-retry-topic-poison.yaml");
  for (auto& c : s.consumers) c.retry.attempts = 3;
  const auto result = result_of(s);
  std::set<std::string> where;
  for (const auto& v : result["violations"])
    if (v["property"] == "record-not-processed") where.insert(v.value("partition", ""));
  EXPECT_EQ(where, std::set<std::string>{"orders-retry-0"});
}

TEST(Groups, ARebalanceDuringAWorkerBatchNeitherPassesAFailedRecordNorMovesARevokedPartitionBack) {
  for (const char* name : {"group-workers-rebalance-mid-batch.yaml", "group-workers-revoked-partition.yaml"}) {
    Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/tests/data/" + name);
    const auto result = result_of(s);
    EXPECT_TRUE(result["violations"].empty()) << name << ": " << result["violations"].dump();
  }
}

TEST(Groups, WorkersWithAutoCommitCommitWhatThePoolHasNotProcessed) {
  const auto r = run_group("group-workers-auto-commit-loses.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, (std::set<std::string>{"commit-beyond-processed", "record-not-processed"}));
  // The consumers polled on while their pools worked: 400 ms x 20 records / 4 workers is 2 s a batch,
  // and the only eviction is c1's, for the session its crash let expire.
  EXPECT_EQ(r.count("consumer-evicted", "reason", "max-poll-interval"), 0u);
  EXPECT_EQ(r.count("consumer-evicted", "reason", "session-timeout"), 1u);
  const auto safe = run_group("group-workers-after-process.yaml");
  ASSERT_TRUE(safe.failure.empty()) << safe.failure;
  EXPECT_EQ(safe.violated, std::set<std::string>{});
  EXPECT_GT(safe.result["stats"].value("duplicates", 0), 0);
  // Four records at a time: writes of one batch come in fours at the same instant.
  std::map<double, int> writes_at;
  for (const auto& e : safe.history)
    if (e.value("event", "") == "sink-write" && e.value("consumer", "") == "c2") ++writes_at[e.value("t", 0.0)];
  int most = 0;
  for (const auto& [t, n] : writes_at) most = std::max(most, n);
  EXPECT_EQ(most, 4);
}

namespace {
// For each group-joining of `consumer`, the records it processed before the rebalance that answered it.
std::vector<int> processed_while_joining(const GroupRun& r, const std::string& consumer) {
  std::vector<int> out;
  double joined = -1;
  int n = 0;
  for (const auto& e : r.history) {
    const std::string name = e.value("event", "");
    if (name == "group-joining" && e.value("consumer", "") == consumer) { joined = e.value("t", 0.0); n = 0; }
    else if (name == "processed" && joined >= 0 && e.value("consumer", "") == consumer) ++n;
    else if (name == "group-rebalance" && joined >= 0) { out.push_back(n); joined = -1; }
  }
  return out;
}
}  // namespace

TEST(Groups, CooperativeStickyKeepsConsumingThroughARebalanceWhereEagerStops) {
  const auto r = run_group("group-cooperative-rebalance.yaml");
  ASSERT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.violated, std::set<std::string>{});
  std::vector<std::string> assignments;
  for (const auto& e : r.history)
    if (e.value("event", "") == "group-rebalance") assignments.push_back(e.value("assignment", ""));
  EXPECT_EQ(assignments, (std::vector<std::string>{"{c1: [orders-0, orders-2, orders-4], c2: [orders-1, orders-3, orders-5]}",
                                                    "{c1: [orders-0, orders-2], c2: [orders-1, orders-3], c3: []}",
                                                    "{c1: [orders-0, orders-2], c2: [orders-1, orders-3], c3: [orders-4, orders-5]}"}));
  EXPECT_EQ(r.count("group-joining", "owned", "[orders-1, orders-3, orders-5]"), 1u);
  const auto coop = processed_while_joining(r, "c2");
  ASSERT_GE(coop.size(), 2u);
  EXPECT_GT(coop[1], 20) << "c2 went on processing while the rebalance waited for c1";
  EXPECT_EQ(r.count("sink-write", "applied", "duplicate"), 0u);
  // The same group with the eager protocol: c2 waits as long and processes nothing meanwhile.
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/group-cooperative-rebalance.yaml");
  for (auto& c : s.consumers) {
    c.config.set("partition.assignment.strategy", "range");
    c.config.explicit_values["partition.assignment.strategy"] = "range";
  }
  const std::string history = "/tmp/kafkasim-test-groups-eager.jsonl";
  cli::RunOptions options;
  options.history_path = history;
  options.failures_dir = "/tmp/kafkasim-test-failures";
  const auto report = cli::run_scenario(s, options);
  ASSERT_TRUE(report.failure.empty()) << report.failure;
  GroupRun eager;
  std::ifstream in(history);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) eager.history.push_back(nlohmann::json::parse(line));
  EXPECT_EQ(eager.count("group-joining", "owned", "[]"), eager.count("group-joining"));
  EXPECT_EQ(eager.count("group-rebalance"), 2u);
  const auto stopped = processed_while_joining(eager, "c2");
  ASSERT_GE(stopped.size(), 2u);
  EXPECT_EQ(stopped[1], 0);
}

TEST(Groups, AnUnknownAssignorIsAnInputError) {
  EXPECT_THROW(parse_scenario_text("name: s\nsummary: x\nduration: 10s\ncluster: {brokers: 3}\n"
                                   "topics: [{name: t, partitions: 2, replication.factor: 3}]\n"
                                   "consumers:\n  - {id: c1, topic: t, group: g1, config: {partition.assignment.strategy: sticky}}\n",
                                   "s.yaml"),
               InputError);
}

TEST(Groups, ExploreCrashesAConsumerOnItsOwnAndFindsTheCommitBeforeProcessLoss) {
  // A base without faults: the search's own schedules (crash and pause, whose targets include the
  // group's consumers and its sink) find record-not-processed and shrink it to one consumer crash.
  if (testing_support::kSanitized) GTEST_SKIP() << "a search of 40 runs and its shrinking; the normal build runs it";
  explore::ExploreOptions o;
  o.base_file = std::string(KAFKASIM_SOURCE_DIR) + "/tests/data/group-base-before-process.yaml";
  o.faults = {"crash", "pause"};
  o.runs = 40;
  o.jobs = 2;
  o.seed = 1;
  o.max_shrink_runs = 300;
  o.out_dir = testing_support::fresh_dir("groups-before-process");
  const auto e = testing_support::run_explore(o);
  ASSERT_EQ(e.code, cli::kExitFail) << e.out << e.err;
  bool found = false;
  for (const auto& v : e.summary["violations"]) {
    if (v["property"] != "record-not-processed" || !v["file"].is_string()) continue;
    found = true;
    const Scenario s = parse_scenario_file(o.out_dir + "/" + v["file"].get<std::string>());
    ASSERT_FALSE(s.events.empty());
    bool consumer_fault = false;
    for (const auto& ev : s.events)
      for (const auto& t : ev.action.targets) consumer_fault |= t.node == "c1" || t.node == "c2";
    EXPECT_TRUE(consumer_fault) << v.dump();
    EXPECT_LE(v["events_after_shrink"].get<int>(), 2) << v.dump();
  }
  EXPECT_TRUE(found) << e.out;
}

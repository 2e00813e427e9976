// The replication model end to end: the bundled scenarios give the verdict of each design (the
// historical bugs where Kafka had them, none where it had fixed them), and random fault schedules
// (RapidCheck) find no safety violation on `latest`, find KIP-966's power-loss loss, and find and
// shrink a violation on kafka-0.10.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

struct Outcome {
  std::set<std::string> violated;
  nlohmann::json result;
  std::string failure;
};

Outcome run(Scenario s, const std::string& preset = "", const std::string& history = "") {
  if (!preset.empty()) {
    std::string error;
    auto d = parse_design_flag(preset, error);
    EXPECT_TRUE(d.has_value()) << error;
    s.apply_design(*d);
  }
  cli::RunOptions options;
  options.history_path = history;
  options.failures_dir = "/tmp/kafkasim-test-failures";
  auto report = cli::run_scenario(s, options);
  Outcome o;
  o.failure = report.failure;
  o.result = nlohmann::json::parse(report.result.dump());
  for (const auto& v : o.result["violations"]) o.violated.insert(v["property"].get<std::string>());
  return o;
}

Outcome run_file(const std::string& name, const std::string& preset = "") {
  return run(parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/" + name), preset);
}

const std::set<std::string> kNone;

}  // namespace

TEST(Kip101, HighWatermarkTruncationLosesAnAckedWriteOnlyBefore011) {
  // and the old leader, whose log is longer than the new one's, cannot follow: it exits on every start
  // (FatalExitError before KAFKA-7414), so the partition stays short of a replica.
  EXPECT_EQ(run_file("kip101-hw-truncation.yaml", "kafka-0.10").violated,
            (std::set<std::string>{"acked-write-lost", "unavailable-after-heal"}));
  EXPECT_EQ(run_file("kip101-hw-truncation.yaml", "kafka-0.10,out-of-range-never-fatal=true").violated,
            std::set<std::string>{"acked-write-lost"});
  for (const char* d : {"kafka-0.11", "kafka-2.0", "kafka-2.2", "kafka-2.8", "kafka-3.7", "latest"})
    EXPECT_EQ(run_file("kip101-hw-truncation.yaml", d).violated, kNone) << d;
}

TEST(Kip101, TheFixIsTheTruncationSwitchAlone) {
  // kafka-0.10 with only the truncation mechanism changed: the loss goes.
  EXPECT_EQ(run_file("kip101-hw-truncation.yaml", "kafka-0.10,truncation=leader-epoch").violated, kNone);
}

TEST(ZombieController, ObeyedBefore11AndFencedAfter) {
  EXPECT_TRUE(run_file("zombie-controller.yaml", "kafka-0.10").violated.count("stale-controller-obeyed"));
  EXPECT_TRUE(run_file("zombie-controller.yaml", "kafka-0.11").violated.count("stale-controller-obeyed"));
  EXPECT_EQ(run_file("zombie-controller.yaml", "kafka-2.0").violated, kNone);
  EXPECT_EQ(run_file("zombie-controller.yaml", "kafka-2.2").violated, kNone);
  EXPECT_EQ(run_file("zombie-controller.yaml", "latest").violated, kNone);
  // The 1.1 controller's clearAndPut(Expire) alone closes it; the epoch check alone keeps its stale
  // request from being obeyed (the zombie's first conditional write fails and it resigns).
  EXPECT_EQ(run_file("zombie-controller.yaml", "kafka-0.11,expire-clears-controller-queue=true").violated, kNone);
  EXPECT_FALSE(run_file("zombie-controller.yaml", "kafka-0.11,controller-epoch-check=true").violated.count("stale-controller-obeyed"));
}

TEST(Jepsen2013, AnIsrOfOneLosesAckedWritesUnlessMinIsrRefusesThem) {
  auto lost = run_file("jepsen-2013-isr-shrink.yaml");
  EXPECT_EQ(lost.violated, std::set<std::string>{"acked-write-lost"});
  EXPECT_GT(lost.result["stats"]["lost_unclean"].get<int>(), 0);
  EXPECT_EQ(run_file("jepsen-2013-isr-shrink-fixed.yaml").violated, kNone);
}

TEST(UncleanElection, LossIsCountedAndAcksAllLossReported) {
  auto on = run_file("unclean-election.yaml");
  EXPECT_EQ(on.violated, std::set<std::string>{"acked-write-lost"});
  EXPECT_GT(on.result["stats"]["lost_unclean"].get<int>(), 0);
  auto off = run_file("unclean-election-disabled.yaml");
  EXPECT_EQ(off.violated, kNone);
  EXPECT_EQ(off.result["stats"]["lost_unclean"].get<int>(), 0);
}

TEST(SteadyState, EveryAckedRecordIsConsumedOnceInOrder) {
  const std::string history = "/tmp/kafkasim-steady-state-history.jsonl";
  auto o = run(parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/steady-state.yaml"), "", history);
  EXPECT_EQ(o.violated, kNone);
  std::map<std::string, std::string> acked;  // value -> partition
  std::map<std::string, int> consumed;
  std::ifstream in(history);
  std::string line;
  while (std::getline(in, line)) {
    auto e = nlohmann::json::parse(line);
    if (e["event"] == "produce-acked") acked[e["value"]] = e["partition"];
    if (e["event"] == "consumed") ++consumed[e["value"]];
  }
  EXPECT_EQ(acked.size(), 1000u);
  for (const auto& [value, partition] : acked) EXPECT_EQ(consumed[value], 1) << value;
}

TEST(Kip966, PowerLossOfTheLastReplicaStandingLosesAckedWritesEvenOnLatest) {
  // Documented, not hidden: ZooKeeper-mode Kafka keeps ISR = {last replica} after the others leave; if that
  // replica loses power, its unwritten tail is gone and it is still the only one that may be elected.
  auto o = run_file("kip966-last-replica-standing.yaml", "latest");
  EXPECT_EQ(o.violated, (std::set<std::string>{"acked-write-lost", "committed-record-changed"}));
}

// ---------------------------------------------------------------------------------------------------
// Random fault schedules.

namespace {

struct Fault {
  int at_ms, kind, target, for_ms;
};

const char* kKinds[] = {"crash", "pause", "partition", "isolate", "cut", "drop", "delay", "expire-session", "power-loss"};

std::string schedule_yaml(const std::string& design, const std::vector<Fault>& faults) {
  std::string events;
  for (const auto& f : faults) {
    const std::string a = f.target == 0 ? "controller" : fmt::format("broker-{}", f.target);
    const std::string b = fmt::format("broker-{}", f.target % 3 + 1);
    const std::string kind = kKinds[f.kind];
    std::string action;
    if (kind == "partition") action = fmt::format("partition: [[{}], [{}]]", a, b);
    else if (kind == "cut") action = fmt::format("cut: {{from: {}, to: {}}}", a, b);
    else if (kind == "drop") action = fmt::format("drop: {{from: {}, probability: 0.5}}", a);
    else if (kind == "delay") action = fmt::format("delay: {{to: {}, by: 300ms}}", a);
    else action = fmt::format("{}: {}", kind, a);
    events += fmt::format("  - {{at: {}ms, {}{}}}\n", f.at_ms, action,
                          kind == "expire-session" ? "" : fmt::format(", for: {}ms", f.for_ms));
  }
  return fmt::format(
      "name: random\nsummary: random faults\nduration: 12s\nsettle: 60s\ndesign: {}\ncluster: {{brokers: 3}}\n"
      "config: {{min.insync.replicas: 2, zookeeper.session.timeout.ms: 6000, replica.lag.time.max.ms: 10000}}\n"
      "topics: [{{name: t, partitions: 2, replication.factor: 3}}]\n"
      "producers: [{{id: p1, topic: t, acks: all, rate: 5/s}}]\nconsumers: [{{id: c1, topic: t}}]\nevents:{}",
      design, events.empty() ? " []\n" : "\n" + events);
}

std::vector<Fault> gen_schedule(int kinds) {
  auto raw = *rc::gen::container<std::vector<std::tuple<int, int, int, int>>>(rc::gen::tuple(
      rc::gen::inRange(0, 11000), rc::gen::inRange(0, kinds), rc::gen::inRange(0, 4), rc::gen::inRange(50, 8000)));
  std::vector<Fault> faults;
  for (const auto& [at, kind, target, duration] : raw) {
    if (faults.size() == 6) break;  // a bounded schedule mapped from the generated one (shrinks well)
    faults.push_back(Fault{at, kind, target, duration});
  }
  std::sort(faults.begin(), faults.end(), [](const Fault& a, const Fault& b) { return a.at_ms < b.at_ms; });
  return faults;
}

const std::set<std::string> kSafety = {"single-leader-per-epoch", "leader-in-isr", "hw-within-isr", "hw-monotonic",
                                       "epoch-monotonic", "stale-controller-obeyed", "committed-record-changed",
                                       "acked-write-lost", "log-divergence", "phantom-read", "consumer-order"};

rc::detail::TestParams params(int cases) {
  rc::detail::TestParams p;
  p.seed = 7;
  p.maxSuccess = cases;
  return p;
}

}  // namespace

TEST(ReplicationProperty, LatestIsSafeAndConvergesUnderRandomFaultsWithoutPowerLoss) {
  auto result = rc::detail::checkTestable(
      [] {
        const auto faults = gen_schedule(8);  // every kind but power loss
        const std::string yaml = schedule_yaml("latest", faults);
        RC_TAG(faults.size());
        auto o = run(parse_scenario_text(yaml, "random.yaml"));
        RC_ASSERT(o.failure.empty());
        for (const auto& v : o.result["violations"])
          RC_FAIL(fmt::format("{}: {}\n{}", v["property"].get<std::string>(), v["detail"].get<std::string>(), yaml));
      },
      rc::detail::TestMetadata{}, params(100));
  rc::detail::FailureResult failure;
  EXPECT_FALSE(result.match(failure)) << failure.description;
}

TEST(ReplicationProperty, Kafka010LosesDataUnderRandomFaultsAndShrinksToAFewEvents) {
#ifdef KAFKASIM_SANITIZED
  // Search and shrinking run hundreds of simulations: minutes under ASan. The normal build runs it; the
  // sanitizer build's job (memory and UB errors in these code paths) is done by the `latest` search.
  GTEST_SKIP() << "search-and-shrink runs in the normal build only";
#endif
  static std::size_t smallest = 1000;
  smallest = 1000;
  auto result = rc::detail::checkTestable(
      [] {
        const auto faults = gen_schedule(8);
        auto o = run(parse_scenario_text(schedule_yaml("kafka-0.10", faults), "random.yaml"));
        RC_ASSERT(o.failure.empty());
        bool unsafe = false;
        for (const auto& p : o.violated) unsafe |= kSafety.count(p) > 0;
        if (unsafe) smallest = std::min(smallest, faults.size());
        RC_ASSERT(!unsafe);
      },
      rc::detail::TestMetadata{}, params(60));
  rc::detail::FailureResult failure;
  ASSERT_TRUE(result.match(failure)) << "no violation found on kafka-0.10";
  EXPECT_LE(smallest, 3u) << failure.description;
}

TEST(Regressions, EveryScenarioExploreFoundOnLatestEndsAsItsFileExpects) {
  // scenarios/regression-*.yaml: schedules `kafkasim explore` found and shrank on `latest`, each the proof
  // of a defect fixed in the simulator, the model or a checker (their comments say which).
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios")) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("regression-")) continue;
    ++seen;
    const Scenario scenario = parse_scenario_file(entry.path().string());
    auto o = run(scenario, "latest");
    EXPECT_TRUE(o.failure.empty()) << name << ": " << o.failure;
    // None, except a file that says it now shows ZooKeeper mode's own zombie window (its comment says why).
    std::set<std::string> expected(scenario.expected_violations.begin(), scenario.expected_violations.end());
    if (!expected.empty()) {
      EXPECT_EQ(expected, (std::set<std::string>{"stale-controller-obeyed"})) << name;
    }
    EXPECT_EQ(o.violated, expected) << name;
  }
  EXPECT_GE(seen, 9);
}

// ---- KRaft (issue 14): the historical failures of the KRaft designs, each where the release had it.

namespace {
const char* const kKraftDesigns[] = {"kafka-3.3-kraft", "kafka-3.7-kraft", "kafka-4.0", "kafka-4.1"};
double stat(const Outcome& o, const char* name) { return o.result["stats"][name].get<double>(); }
}  // namespace

TEST(KraftScenarios, LastReplicaStandingLosesWritesUntilElr) {
  // No ELR before 4.1: the powered-off last ISR member is elected again with its tail gone.
  const std::set<std::string> lost = {"acked-write-lost", "committed-record-changed"};
  for (const char* d : {"kafka-3.3-kraft", "kafka-3.7-kraft", "kafka-4.0"}) {
    const Outcome o = run_file("kraft-kip966-last-replica-standing.yaml", d);
    EXPECT_EQ(o.failure, "") << d;
    EXPECT_EQ(o.violated, lost) << d;
    EXPECT_EQ(o.result["verdict"], "pass") << d;
  }
  const Outcome elr = run_file("kraft-kip966-last-replica-standing.yaml", "kafka-4.1");
  EXPECT_EQ(elr.violated, kNone);
  EXPECT_EQ(elr.result["verdict"], "pass");
  // The same schedule on 4.1 with ELR switched off loses again: ELR, not something else, is the fix.
  EXPECT_EQ(run_file("kraft-kip966-last-replica-standing.yaml", "kafka-4.1,eligible-leader-replicas=false").violated, lost);
}

TEST(KraftScenarios, CheckQuorumEndsTheStaleMetadataOfACutOffLeader) {
  const Outcome old = run_file("kraft-quorum-leader-cut-off.yaml", "kafka-3.3-kraft");
  const Outcome fixed = run_file("kraft-quorum-leader-cut-off.yaml", "kafka-3.7-kraft");
  EXPECT_EQ(old.violated, kNone);
  EXPECT_EQ(fixed.violated, kNone);
  // Without check-quorum the brokers stay behind for the whole 20 s cut (three brokers: ~60
  // broker-seconds); with it they find the new leader within seconds.
  EXPECT_GT(stat(old, "stale_metadata_s"), 45.0);
  EXPECT_LT(stat(fixed, "stale_metadata_s"), 20.0);
  EXPECT_GT(stat(old, "stale_metadata_s"), 3 * stat(fixed, "stale_metadata_s"));
}

TEST(KraftScenarios, PreVoteKeepsAHealthyLeaderWhenAVoterReturns) {
  const Outcome without = run_file("kraft-voter-returns.yaml", "kafka-3.7-kraft");
  const Outcome with = run_file("kraft-voter-returns.yaml", "kafka-4.0");
  EXPECT_EQ(without.violated, kNone);
  EXPECT_EQ(with.violated, kNone);
  EXPECT_GE(stat(without, "quorum_leader_changes"), 1.0);
  EXPECT_EQ(stat(with, "quorum_leader_changes"), 0.0);
}

TEST(KraftScenarios, AFencedPausedLeaderAndEveryFaultOnTheQuorumBreakNothingOnEveryDesign) {
  for (const char* f : {"kraft-paused-broker-fenced.yaml", "kraft-controller-faults.yaml"})
    for (const char* d : kKraftDesigns) {
      const Outcome o = run_file(f, d);
      EXPECT_EQ(o.failure, "") << f << " " << d;
      EXPECT_EQ(o.violated, kNone) << f << " " << d;
    }
}

TEST(KraftScenarios, TheLessonPairFailsOverAfterTheSessionOrTheHeartbeats) {
  const std::string h_zk = testing::TempDir() + "/lesson-zk.jsonl", h_kraft = testing::TempDir() + "/lesson-kraft.jsonl";
  EXPECT_EQ(run(parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/lessons/lesson-failover-zookeeper.yaml"), "", h_zk).violated, kNone);
  EXPECT_EQ(run(parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/lessons/lesson-failover-kraft.yaml"), "", h_kraft).violated, kNone);
  // When the second leader of t-0 is elected, and what came just before it.
  auto second_election = [](const std::string& path, const char* cause, double& cause_t) {
    std::ifstream in(path);
    std::string line;
    int elections = 0;
    while (std::getline(in, line)) {
      auto e = nlohmann::json::parse(line);
      if (e["event"] == cause) cause_t = e["t"].get<double>();
      if (e["event"] == "leader-elected" && ++elections == 2) return e["t"].get<double>();
    }
    return -1.0;
  };
  double expired = -1, fenced = -1;
  const double zk = second_election(h_zk, "zk-session-expired", expired);
  const double kraft = second_election(h_kraft, "broker-fenced", fenced);
  EXPECT_NEAR(zk - expired, 0.0, 0.1);     // ZooKeeper mode waits for the session to expire
  EXPECT_NEAR(kraft - fenced, 0.0, 0.1);   // KRaft for the heartbeats to stop
  EXPECT_LT(kraft, zk);                     // 9 s of heartbeats against 18 s of session
}

TEST(KraftScenarios, ZooKeeperScenariosKeepTheirVerdictsOnKraftWhereTheyCanRun) {
  for (const char* f : {"steady-state.yaml", "lessons/lesson-leader-failover.yaml", "fault-power-loss.yaml", "fault-partition.yaml",
                        "unclean-election.yaml", "kip101-hw-truncation.yaml"})
    for (const char* d : {"kafka-3.7-kraft", "kafka-4.1"}) {
      const Outcome o = run_file(f, d);
      EXPECT_EQ(o.failure, "") << f << " " << d;
      EXPECT_EQ(o.result["verdict"], "pass") << f << " " << d << " " << o.result["violations"].dump();
    }
}

TEST(KraftScenarios, TheSameSeedGivesTheSameHistory) {
  const std::string a = testing::TempDir() + "/kraft-a.jsonl", b = testing::TempDir() + "/kraft-b.jsonl";
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/kraft-quorum-leader-cut-off.yaml");
  run(s, "", a);
  run(s, "", b);
  std::ifstream fa(a), fb(b);
  const std::string ta((std::istreambuf_iterator<char>(fa)), {}), tb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_GT(ta.size(), 1000u);
  EXPECT_EQ(ta, tb);
}

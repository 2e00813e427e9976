// `kafkasim explore --systematic --depth K`: the enumeration covers its space on a small cluster, prunes
// placements that reach a state already seen, finds KIP-101 on kafka-0.10 and nothing on kafka-0.11, stops
// at its budget saying what it left, and refuses bad flags; the abstract state keeps a state's shape and
// drops when it was reached.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "explore/search.h"
#include "explore/systematic.h"
#include "explore_support.h"
#include "scenario/scenario.h"
#include "sim/history.h"

using namespace kafkasim;
using json = nlohmann::json;
using testing_support::Explored;
using testing_support::fresh_dir;
using testing_support::kSanitized;

namespace {

Explored run_systematic(const std::string& design, int depth, const std::string& out_dir,
                        std::optional<std::int64_t> runs = std::nullopt) {
  explore::ExploreOptions o;
  o.base_file = std::string(KAFKASIM_SOURCE_DIR) + "/bench/bases/two-brokers.yaml";
  o.design = design;
  o.faults = {"crash"};
  o.systematic = true;
  o.systematic_depth = depth;
  o.jobs = 2;
  o.runs = runs;
  o.out_dir = out_dir;
  return testing_support::run_explore(o);
}

int run_file(const std::string& file) {
  const std::string cmd = "'" + std::string(KAFKASIM_BINARY) + "' run '" + file + "' > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(ExploreSystematic, DepthTwoCoversItsSpaceFindsKip101OnKafka010AndNothingOnKafka011) {
  if (kSanitized) GTEST_SKIP() << "two searches of hundreds of runs";
  const std::string dir = fresh_dir("systematic-010");
  auto buggy = run_systematic("kafka-0.10", 2, dir);
  ASSERT_EQ(buggy.code, 1) << buggy.out << buggy.err;
  const json& s = buggy.summary["systematic"];
  EXPECT_TRUE(s["covered"].get<bool>()) << s.dump();
  EXPECT_EQ(s["placements_not_run"].get<int>(), 0);
  // Pruning by state happened: some placements reached a state another had, and were not extended.
  EXPECT_GT(s["per_depth"][1]["seen_states"].get<int>(), 0) << s.dump();
  EXPECT_LT(s["distinct_states"].get<int>(), buggy.summary["runs"].get<int>());
  bool kip101 = false;
  for (const auto& v : buggy.summary["violations"]) {
    for (const auto& c : v["classes"]) kip101 = kip101 || c == "kip101-hw-truncation";
    ASSERT_TRUE(v["file"].is_string()) << v.dump();
    EXPECT_LE(v["events_after_shrink"].get<int>(), 2);
    EXPECT_EQ(run_file(dir + "/" + v["file"].get<std::string>()), 1) << v.dump();
  }
  EXPECT_TRUE(kip101) << buggy.summary["violations"].dump();
  EXPECT_NE(buggy.out.find(": covered"), std::string::npos) << buggy.out;

  auto fixed = run_systematic("kafka-0.11", 2, fresh_dir("systematic-011"));
  EXPECT_EQ(fixed.code, 0) << fixed.out << fixed.err;
  EXPECT_TRUE(fixed.summary["systematic"]["covered"].get<bool>());
  EXPECT_TRUE(fixed.summary["violations"].empty()) << fixed.summary["violations"].dump();
  // The same seed and placements run the same: the space is the same size each time.
  auto again = run_systematic("kafka-0.11", 2, fresh_dir("systematic-011-again"));
  EXPECT_EQ(again.summary["runs"], fixed.summary["runs"]);
  EXPECT_EQ(again.summary["systematic"]["distinct_states"], fixed.summary["systematic"]["distinct_states"]);
}

TEST(ExploreSystematic, ABudgetStopsItAndSaysHowMuchOfTheSpaceWasLeft) {
  auto e = run_systematic("kafka-0.11", 2, fresh_dir("systematic-budget"), 12);
  EXPECT_EQ(e.code, 0) << e.out << e.err;
  EXPECT_EQ(e.summary["runs"].get<int>(), 12);
  EXPECT_FALSE(e.summary["systematic"]["covered"].get<bool>());
  EXPECT_GT(e.summary["systematic"]["placements_not_run"].get<int>(), 0);
  EXPECT_NE(e.out.find("not run (the budget ran out)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("coverage over 12 runs"), std::string::npos) << e.out;
}

TEST(ExploreSystematic, BadFlagsAreRefusedWithExit2) {
  auto bad = [](auto tweak, const std::string& expect) {
    explore::ExploreOptions o;
    o.systematic = true;
    o.out_dir = fresh_dir("systematic-bad");
    tweak(o);
    std::ostringstream out, err;
    EXPECT_EQ(explore::command_explore(o, out, err), cli::kExitBadInput) << expect;
    EXPECT_NE(err.str().find(expect), std::string::npos) << err.str();
  };
  bad([](auto& o) { o.systematic_depth = 0; }, "--depth 0");
  bad([](auto& o) { o.systematic_depth = 9; }, "--depth 9");
  bad([](auto& o) { o.resume = true; }, "--systematic and --resume");
  bad([](auto& o) { o.shard_count = 2; }, "--systematic and --shard");
  bad([](auto& o) { o.check_determinism_percent = 5; }, "--systematic and --check-determinism");
  for (const char* args : {"explore --depth 2", "explore --systematic --strategy random", "explore --systematic --depth x"}) {
    const std::string cmd = "'" + std::string(KAFKASIM_BINARY) + "' " + args + " --out " + fresh_dir("systematic-cli") + " > /dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << args;
  }
}

namespace {

Scenario two_brokers() {
  return parse_scenario_text(
      "name: s\nsummary: a test\nduration: 10s\ncluster: {brokers: 2}\ntopics: [{name: t, partitions: 1, replication.factor: 2}]\nevents: []\n",
      "s.yaml");
}

// A partition led by broker 1 in `epoch`, both replicas holding `records` records of that epoch, starting at
// `t0` seconds; broker 2's last record of epoch `tail_epoch` when that differs.
sim::History replicated(double t0, int records, int epoch, int tail_epoch, bool crash_two) {
  sim::History h;
  Micros t = static_cast<Micros>(t0 * 1e6);
  h.record(t, "broker-started", {{"broker", std::int64_t{1}}, {"incarnation", std::int64_t{1}}});
  h.record(t, "broker-started", {{"broker", std::int64_t{2}}, {"incarnation", std::int64_t{1}}});
  h.record(t, "leader-elected", {{"partition", std::string("t-0")}, {"leader", std::int64_t{1}}, {"leader_epoch", std::int64_t{epoch}},
                                 {"isr", std::vector<std::int64_t>{2, 1}}});
  h.record(t, "became-leader", {{"broker", std::int64_t{1}}, {"partition", std::string("t-0")}, {"leader", std::int64_t{1}},
                                {"leader_epoch", std::int64_t{epoch}}});
  for (int o = 0; o < records; ++o)
    for (std::int64_t b : {1, 2})
      h.record(++t, "appended", {{"broker", b}, {"partition", std::string("t-0")}, {"offset", std::int64_t{o}},
                                 {"leader_epoch", std::int64_t{b == 2 && o == records - 1 ? tail_epoch : epoch}},
                                 {"value", std::string("v")}});
  for (std::int64_t b : {1, 2})
    h.record(++t, "hw-advanced", {{"broker", b}, {"partition", std::string("t-0")}, {"hw", std::int64_t{records - 1}}});
  if (crash_two) h.record(++t, "broker-crashed", {{"broker", std::int64_t{2}}, {"kind", std::string("crash")}});
  h.record(++t, "fault", {{"action", std::string("crash")}, {"target", std::string("broker-2")}, {"for", 1.0}});
  return h;
}

}  // namespace

TEST(ExploreSystematic, TheAbstractStateKeepsTheShapeAndDropsWhenItWasReached) {
  const Scenario s = two_brokers();
  auto state = [&](const sim::History& h) { return explore::abstract_state(s, h, h.size() - 1); };
  const std::string early = state(replicated(1.0, 5, 3, 3, false));
  // The same shape later, with more records in both logs and a newer epoch everywhere: one state.
  EXPECT_EQ(early, state(replicated(7.5, 40, 6, 6, false)));
  // A follower whose last record is of another epoch diverges there; a crashed broker is another state.
  const std::string diverging = state(replicated(1.0, 5, 3, 2, false));
  EXPECT_NE(early, diverging);
  EXPECT_NE(diverging.find("diverges -1"), std::string::npos) << diverging;
  EXPECT_NE(early, state(replicated(1.0, 5, 3, 3, true)));
  // The placed fault's `for:` is still to run out: it is part of the state.
  EXPECT_NE(early.find("pending: [crash broker-2]"), std::string::npos) << early;
}

// `kafkasim explore` and `merge`: the search finds and shrinks a historical bug into a scenario that
// replays it, finds nothing on `latest`, covers the same seeds and violations when sharded, re-checks
// determinism, and refuses bad flags. The generators draw triggers, targets and kinds as intended.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "explore/schedule.h"
#include "explore/search.h"
#include "scenario/scenario.h"

using namespace kafkasim;
using json = nlohmann::json;

namespace {

#ifdef KAFKASIM_SANITIZED
constexpr bool kSanitized = true;  // about 60x slower: the searches below run a handful of runs there
#else
constexpr bool kSanitized = false;
#endif

std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/explore-" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

struct Explored {
  int code;
  std::string out, err;
  json summary;
};

Explored run_explore(explore::ExploreOptions options) {
  options.progress = false;
  std::ostringstream out, err;
  Explored e;
  e.code = explore::command_explore(options, out, err);
  e.out = out.str();
  e.err = err.str();
  std::ifstream f(options.out_dir + "/summary.json");
  if (f) e.summary = json::parse(f);
  return e;
}

std::set<std::pair<std::string, std::uint64_t>> found(const json& summary) {
  std::set<std::pair<std::string, std::uint64_t>> out;
  for (const auto& v : summary["violations"]) out.insert({v["property"].get<std::string>(), v["seed"].get<std::uint64_t>()});
  return out;
}

}  // namespace

TEST(ExploreSchedule, DrawsTimeAndEventTriggersDynamicTargetsAndSwarmsOfKinds) {
  const Scenario base = parse_scenario_text(explore::default_base_text(), "base.yaml");
  const auto ctx = explore::ScheduleContext::of(base);
  std::vector<std::string> all;
  for (auto k : all_fault_kinds()) all.emplace_back(k);
  std::map<std::string, int> seen;
  std::set<std::size_t> swarm_sizes;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const auto kinds = explore::swarm_kinds(all, seed);
    ASSERT_FALSE(kinds.empty());
    swarm_sizes.insert(kinds.size());
    for (const auto& line : explore::event_lines(explore::draw_schedule(ctx, seed).value(), ctx, kinds)) {
      for (const char* what : {"at: ", "when: {event: became-follower", "when: {event: produce-acked", "when: {event: broker-started",
                               "'leader:t-", "'controller'", "for: ", "after: "})
        if (line.find(what) != std::string::npos) ++seen[what];
      for (const auto& k : kinds)
        if (line.find(" " + k + ":") != std::string::npos) ++seen[k];
    }
  }
  for (const char* what : {"at: ", "when: {event: became-follower", "when: {event: produce-acked", "when: {event: broker-started",
                           "'leader:t-", "'controller'", "for: ", "after: "})
    EXPECT_GT(seen[what], 10) << what;
  for (const auto& k : all) EXPECT_GT(seen[k], 10) << k;
  EXPECT_GT(swarm_sizes.size(), 4u) << "swarm testing draws subsets of different sizes";
  // The same seed draws the same schedule.
  EXPECT_EQ(explore::event_lines(explore::draw_schedule(ctx, 42).value(), ctx, all),
            explore::event_lines(explore::draw_schedule(ctx, 42).value(), ctx, all));
}

TEST(ExploreSchedule, EveryDrawnScheduleIsAValidScenario) {
  const Scenario base = parse_scenario_text(explore::default_base_text(), "base.yaml");
  const auto ctx = explore::ScheduleContext::of(base);
  std::vector<std::string> all;
  for (auto k : all_fault_kinds()) all.emplace_back(k);
  std::string text = explore::default_base_text();
  text = text.substr(0, text.find("events:"));
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::string events = "events:\n";
    for (const auto& l : explore::event_lines(explore::draw_schedule(ctx, seed).value(), ctx, explore::swarm_kinds(all, seed)))
      events += l + "\n";
    if (events == "events:\n") events = "events: []\n";
    EXPECT_NO_THROW(parse_scenario_text(text + events, "drawn.yaml")) << events;
  }
}

TEST(Explore, Kafka010FindsAViolationAndWritesASmallCounterexampleThatReplays) {
  if (kSanitized) GTEST_SKIP() << "search and shrinking run hundreds of simulations; the normal build runs it";
  explore::ExploreOptions o;
  o.design = "kafka-0.10";
  o.runs = 12;
  o.jobs = 2;
  o.seed = 1;
  o.max_shrink_runs = 200;
  o.out_dir = fresh_dir("kafka010");
  auto e = run_explore(o);
  ASSERT_EQ(e.code, cli::kExitFail) << e.out << e.err;
  ASSERT_FALSE(e.summary["violations"].empty());
  int written = 0;
  for (const auto& v : e.summary["violations"]) {
    if (!v["file"].is_string()) continue;
    ++written;
    EXPECT_LE(v["events_after_shrink"].get<int>(), 8) << v.dump();
    EXPECT_LE(v["events_after_shrink"].get<int>(), v["events_before_shrink"].get<int>());
    const std::string file = o.out_dir + "/" + v["file"].get<std::string>();
    Scenario s = parse_scenario_file(file);
    EXPECT_TRUE(s.expected_violations.empty());
    cli::RunOptions ro;
    ro.failures_dir = o.out_dir + "/failures";
    auto r = cli::run_scenario(s, ro);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    std::set<std::string> replayed;
    for (const auto& x : r.result["violations"]) replayed.insert(x["property"].get<std::string>());
    EXPECT_TRUE(replayed.count(v["property"].get<std::string>())) << file;
    std::ifstream in(file);
    std::string first_line;
    std::getline(in, first_line);
    EXPECT_NE(first_line.find("Found by kafkasim explore"), std::string::npos);
  }
  EXPECT_GT(written, 0);
}

TEST(Explore, LatestFindsNothingUnderCrashesPausesPartitionsDropsDelaysAndExpiries) {
  explore::ExploreOptions o;
  o.design = "latest";
  o.faults = {"crash", "pause", "partition", "isolate", "drop", "delay", "expire-session"};
  o.runs = kSanitized ? 4 : 300;
  o.jobs = 2;
  o.seed = 1;
  o.out_dir = fresh_dir("latest");
  auto e = run_explore(o);
  EXPECT_EQ(e.code, cli::kExitPass) << e.out << e.err;
  EXPECT_EQ(e.summary["runs"].get<int>(), *o.runs);
  EXPECT_TRUE(e.summary["violations"].empty()) << e.summary["violations"].dump(2);
  EXPECT_TRUE(e.summary["simulator_failures"].empty());
  // Coverage: every allowed kind fired, and the table says so.
  if (!kSanitized) {
    for (const auto& k : o.faults) EXPECT_GT(e.summary["coverage"]["fault:" + k].get<int>(), 0) << k;
  }
  EXPECT_NE(e.out.find("coverage over"), std::string::npos);
}

TEST(Explore, FourShardsCoverTheSameSeedsAndViolationsAsOneRun) {
  const int per_shard = kSanitized ? 1 : 8;
  explore::ExploreOptions o;
  o.design = "kafka-0.10";
  o.jobs = 2;
  o.seed = 100;
  o.shrink = false;
  o.runs = 4 * per_shard;
  o.out_dir = fresh_dir("unsharded");
  auto whole = run_explore(o);
  ASSERT_NE(whole.code, cli::kExitSimulatorFailure) << whole.err;
  std::vector<std::string> dirs;
  std::set<std::pair<std::string, std::uint64_t>> union_found;
  json coverage_sum = json::object();
  for (int i = 0; i < 4; ++i) {
    explore::ExploreOptions s = o;
    s.runs = per_shard;
    s.shard_index = i;
    s.shard_count = 4;
    s.out_dir = fresh_dir("shard" + std::to_string(i));
    auto part = run_explore(s);
    ASSERT_NE(part.code, cli::kExitSimulatorFailure) << part.err;
    EXPECT_EQ(part.summary["shard"], std::to_string(i) + "/4");
    for (const auto& f : found(part.summary)) union_found.insert(f);
    dirs.push_back(s.out_dir);
  }
  EXPECT_EQ(union_found, found(whole.summary));
  std::ostringstream out, err;
  const std::string merged_dir = fresh_dir("merged");
  const int code = explore::command_merge(dirs, merged_dir, out, err);
  EXPECT_EQ(code, whole.code) << out.str() << err.str();
  std::ifstream f(merged_dir + "/summary.json");
  json merged = json::parse(f);
  EXPECT_EQ(merged["shard"], "merged");
  std::vector<std::uint64_t> seeds;
  for (int k = 0; k < 4 * per_shard; ++k) seeds.push_back(100 + static_cast<std::uint64_t>(k));
  EXPECT_EQ(merged["covered_seeds"].get<std::vector<std::uint64_t>>(), seeds);
  EXPECT_EQ(found(merged), found(whole.summary));
  EXPECT_EQ(merged["coverage"], whole.summary["coverage"]);
  // A summary of another sweep cannot be merged in.
  explore::ExploreOptions other = o;
  other.seed = 7;
  other.runs = 1;
  other.out_dir = fresh_dir("other");
  run_explore(other);
  dirs.push_back(other.out_dir);
  std::ostringstream out2, err2;
  EXPECT_EQ(explore::command_merge(dirs, fresh_dir("merged2"), out2, err2), cli::kExitBadInput);
  EXPECT_NE(err2.str().find("differs"), std::string::npos) << err2.str();
}

TEST(Explore, DeterminismCheckRerunsAndComparesHistories) {
  explore::ExploreOptions o;
  o.design = "kafka-2.0";
  o.runs = kSanitized ? 2 : 10;
  o.jobs = 2;
  o.shrink = false;
  o.check_determinism_percent = 100;
  o.out_dir = fresh_dir("determinism");
  auto e = run_explore(o);
  EXPECT_NE(e.code, cli::kExitSimulatorFailure) << e.out << e.err;
  EXPECT_EQ(e.summary["determinism_checked"].get<int>(), *o.runs);
  EXPECT_TRUE(e.summary["simulator_failures"].empty());
}

TEST(Explore, BadFlagsAreRefusedWithExit2AndAMessage) {
  auto bad = [](auto tweak, const std::string& expect) {
    explore::ExploreOptions o;
    o.out_dir = fresh_dir("bad");
    tweak(o);
    std::ostringstream out, err;
    EXPECT_EQ(explore::command_explore(o, out, err), cli::kExitBadInput) << expect;
    EXPECT_NE(err.str().find(expect), std::string::npos) << err.str();
  };
  bad([](auto& o) { o.jobs = 0; }, "--jobs 0");
  bad([](auto& o) { o.faults = {"crash", "meteor"}; }, "unknown fault kind 'meteor'");
  bad([](auto& o) { o.design = "kafka-9.9"; }, "--design");
  bad([](auto& o) { o.runs = 0; }, "--runs 0");
  bad([](auto& o) { o.check_determinism_percent = 120; }, "--check-determinism");
  bad([](auto& o) { o.base_file = "/nonexistent/base.yaml"; }, "/nonexistent/base.yaml");
  int i = 0, n = 0;
  std::string error;
  EXPECT_FALSE(explore::parse_shard("5/4", i, n, error));
  EXPECT_NE(error.find("5/4"), std::string::npos);
  EXPECT_FALSE(explore::parse_shard("1-4", i, n, error));
  EXPECT_FALSE(explore::parse_shard("0/0", i, n, error));
  EXPECT_TRUE(explore::parse_shard("3/4", i, n, error));
  EXPECT_EQ(i, 3);
  EXPECT_EQ(n, 4);
}

TEST(Explore, TheCommandLineRefusesBadFlagsWithExit2) {
  for (const char* args : {"explore --shard 5/4", "explore --jobs 0", "explore --faults crash,meteor", "explore --time 10parsecs",
                           "merge /nonexistent-summary-dir"}) {
    const std::string cmd = "NO_COLOR=1 '" + std::string(KAFKASIM_BINARY) + "' " + args + " --out " +
                            fresh_dir("cli") + " > /dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << args;
  }
}

TEST(Explore, ASimulatorFailureIsSavedAndTheSearchGoesOn) {
  // A base whose runs all pass their event bound: every run is a simulator failure (exit 3), each saved
  // as a replayable scenario, and the search still completes its runs.
  const std::string base = testing::TempDir() + "/explore-bounded-base.yaml";
  std::string text = explore::default_base_text();
  text.replace(text.find("config: {min.insync.replicas: 2}"), std::string("config: {min.insync.replicas: 2}").size(),
               "config: {min.insync.replicas: 2, sim.max.events: 2000}");
  std::ofstream(base) << text;
  explore::ExploreOptions o;
  o.base_file = base;
  o.design = "latest";
  o.runs = 3;
  o.jobs = 2;
  o.out_dir = fresh_dir("failures");
  auto e = run_explore(o);
  EXPECT_EQ(e.code, cli::kExitSimulatorFailure) << e.out << e.err;
  EXPECT_EQ(e.summary["runs"].get<int>(), 3);
  ASSERT_EQ(e.summary["simulator_failures"].size(), 3u) << e.summary.dump(2);
  for (const auto& f : e.summary["simulator_failures"]) {
    const std::string file = o.out_dir + "/" + f["file"].get<std::string>();
    EXPECT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_NO_THROW(parse_scenario_file(file));
    EXPECT_NE(f["reason"].get<std::string>().find("event"), std::string::npos) << f["reason"];
  }
}

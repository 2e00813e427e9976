// A run's bounds and what a user sees of a long run: the memory bound (checked by the run itself), the
// progress callback, the early warning when the pace says a bound will be passed, producer rates honoured
// exactly, and the cost estimate that refuses a clearly oversized scenario.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "models/kafka_cluster.h"
#include "scenario/scenario.h"
#include "sim/cost.h"
#include "sim/runner.h"
#include "sim/world.h"

using namespace kafkasim;

namespace {
const std::string kBase = "name: b\nsummary: s\nduration: 10s\nsettle: 5s\ncluster: {brokers: 3}\n"
                          "topics: [{name: t, partitions: 3, replication.factor: 3}]\n";
}  // namespace

TEST(Bounds, ARunPastItsMemoryBoundFailsWithTheSizeItReached) {
  // 30,000 records: about 100 MiB of logs and history, far past the 16 MiB bound.
  Scenario s = parse_scenario_text(kBase + "producers: [{id: p1, topic: t, acks: all, rate: 3000/s}]\n"
                                           "config: {sim.max.memory.mb: 16}\n",
                                   "memory.yaml");
  cli::RunOptions options;
  options.failures_dir = testing::TempDir() + "/memory-failures";
  const auto r = cli::run_scenario(s, options);
  EXPECT_NE(r.failure.find("the run passed its memory limit (sim.max.memory.mb = 16): it had reached"), std::string::npos)
      << r.failure;
  EXPECT_FALSE(r.saved_replay.empty()) << r.save_error;
}

TEST(Bounds, ALongRunReportsProgressAndWarnsEarlyWhenItsPaceWillPassABound) {
  Scenario s = parse_scenario_text(kBase + "producers: [{id: p1, topic: t, acks: all, rate: 2000/s}]\n"
                                           "config: {sim.max.events: 150000}\n",
                                   "pace.yaml");
  auto child = sim::run_in_child(
      [&] {
        models::KafkaCluster model;
        sim::World world(s, model);
        nlohmann::json seen = {{"progress", nlohmann::json::array()}, {"warnings", nlohmann::json::array()}};
        world.set_progress([&](const sim::Progress& p) { seen["progress"].push_back(to_seconds(p.simulated)); }, 0.0);
        world.set_pace_warning([&](const std::string& w) { seen["warnings"].push_back(w); }, 0.0);
        world.run();
        return seen.dump();
      },
      120);
  ASSERT_TRUE(child.completed) << child.describe();
  const auto seen = nlohmann::json::parse(child.payload);
  ASSERT_GE(seen["progress"].size(), 1u);
  EXPECT_LE(seen["progress"][0].get<double>(), seen["progress"].back().get<double>());
  ASSERT_EQ(seen["warnings"].size(), 1u) << seen.dump();
  EXPECT_NE(seen["warnings"][0].get<std::string>().find("at this pace the run may pass sim.max.events = 150000"),
            std::string::npos);
}

TEST(Bounds, AProducerRateIsHonouredExactly) {
  Rate r;
  std::string error;
  r = *parse_rate_exact("400/s", error);
  EXPECT_EQ(r.offset_of(400), kMicrosPerSecond);  // 400 sends in each second, not 500 (a rounded 2 us interval)
  r = *parse_rate_exact("3/s", error);
  EXPECT_EQ(r.offset_of(1), 333334);  // rounded up to the microsecond, never drifting: the 3rd is at exactly 1 s
  EXPECT_EQ(r.offset_of(3), kMicrosPerSecond);
  r = *parse_rate_exact("7/m", error);
  EXPECT_EQ(r.offset_of(7), 60 * kMicrosPerSecond);
  r = *parse_rate_exact("100000/s", error);
  EXPECT_EQ(r.offset_of(100000), kMicrosPerSecond);
  // In a run: 30/s over [1 s, 4 s) sends exactly 90 records.
  Scenario s = parse_scenario_text(kBase + "producers: [{id: p1, topic: t, acks: all, rate: 30/s, from: 1s, until: 4s}]\n",
                                   "rate.yaml");
  cli::RunOptions options;
  options.history_path = testing::TempDir() + "/rate-history.jsonl";
  const auto run = cli::run_scenario(s, options);
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  std::ifstream h(options.history_path);
  int sent = 0;
  for (std::string line; std::getline(h, line);)
    if (nlohmann::json::parse(line)["event"] == "produce-sent") ++sent;
  EXPECT_EQ(sent, 90);
}

TEST(Bounds, TheCostEstimateRefusesOnlyWhatIsClearlyTooLarge) {
  Scenario small = parse_scenario_text(kBase, "small.yaml");
  EXPECT_EQ(sim::refuse_by_estimate(small), "");
  Scenario huge = parse_scenario_text("name: h\nsummary: s\nduration: 60s\ncluster: {brokers: 1000}\n"
                                      "topics: [{name: t, partitions: 100000, replication.factor: 3}]\n",
                                      "huge.yaml");
  const std::string why = sim::refuse_by_estimate(huge);
  EXPECT_NE(why.find("huge.yaml:1:1: this scenario is clearly larger than a run may be"), std::string::npos) << why;
  EXPECT_NE(why.find("sim.max.memory.mb"), std::string::npos) << why;
  // Raising the bound is the way out the message names.
  Scenario raised = parse_scenario_text("name: h\nsummary: s\nduration: 60s\ncluster: {brokers: 3}\n"
                                        "topics: [{name: t, partitions: 3, replication.factor: 3}]\n"
                                        "producers: [{id: p1, topic: t, rate: 100000/s}]\n"
                                        "config: {sim.max.events: 10000000000, sim.max.memory.mb: 100000}\n",
                                        "raised.yaml");
  EXPECT_EQ(sim::refuse_by_estimate(raised), "");
}

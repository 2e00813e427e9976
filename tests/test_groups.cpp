// Consumer groups end to end: the bundled group scenarios give their verdicts on both control planes,
// and their histories show the mechanism (a rebalance after an eviction, a refused commit, the
// duplicates a keyed sink absorbs), not only the property.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
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

}  // namespace

TEST(Groups, TheCoordinatorPartitionIsJavasStringHashModuloThePartitions) {
  // "g1".hashCode() = 103 * 31 + 49 = 3242; 3242 % 3 = 2, % 50 = 42.
  EXPECT_EQ(models::groups::partition_for("g1", 3), 2);
  EXPECT_EQ(models::groups::partition_for("g1", 50), 42);
  // "analytics".hashCode() overflows to -1693017210: Utils.abs masks the sign bit (38), not Math.abs (10).
  EXPECT_EQ(models::groups::partition_for("analytics", 50), 38);
  EXPECT_EQ(models::groups::partition_for("group-alpha", 50), 42);
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

// The bug-class recognisers (explore/classes.h) on the bundled scenarios that pin each class: the class
// is recognised on the design that had the bug, and not on the design that fixed it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "explore/classes.h"
#include "explore/search.h"
#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

explore::ClassifiedRun classify(const std::string& file, const std::string& design) {
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/scenarios/" + file);
  std::string error;
  auto d = parse_design_flag(design, error);
  EXPECT_TRUE(d.has_value()) << error;
  s.apply_design(*d);
  auto r = explore::classify_run(s);
  EXPECT_EQ(r.failure, "") << file;
  return r;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

struct Pinned {
  const char* file;
  const char* bug_class;
  const char* buggy;
  const char* fixed;
};

class ClassPinnedByScenario : public ::testing::TestWithParam<Pinned> {};

}  // namespace

TEST_P(ClassPinnedByScenario, RecognisedOnTheBuggyDesignOnlyAndAMarkOfItsOwn) {
  const Pinned& p = GetParam();
  ASSERT_NE(explore::find_bug_class(p.bug_class), nullptr) << p.bug_class;
  const auto buggy = classify(p.file, p.buggy);
  EXPECT_TRUE(has(buggy.classes, p.bug_class)) << p.file << " on " << p.buggy << ": classes ["
                                               << fmt::format("{}", fmt::join(buggy.classes, ", ")) << "], violated ["
                                               << fmt::format("{}", fmt::join(buggy.properties, ", ")) << "]";
  EXPECT_TRUE(has(buggy.marks, std::string("class:") + p.bug_class)) << fmt::format("{}", fmt::join(buggy.marks, ", "));
  const auto fixed = classify(p.file, p.fixed);
  EXPECT_FALSE(has(fixed.classes, p.bug_class)) << p.file << " on " << p.fixed << ": violated ["
                                                << fmt::format("{}", fmt::join(fixed.properties, ", ")) << "]";
}

INSTANTIATE_TEST_SUITE_P(
    Bundled, ClassPinnedByScenario,
    ::testing::Values(Pinned{"kip101-hw-truncation.yaml", "kip101-hw-truncation", "kafka-0.10", "kafka-0.11"},
                      Pinned{"zombie-controller.yaml", "kafka-6082-zombie-controller", "kafka-0.11", "kafka-2.2"},
                      Pinned{"kafka-7128-stale-hw-isr-join.yaml", "kafka-7128-stale-hw-isr-join",
                             "kafka-2.2,isr-join-requires-epoch-start=false", "kafka-2.2"},
                      Pinned{"kip320-unfenced-follower-fetch.yaml", "kip320-unfenced-follower-fetch", "kafka-2.0", "kafka-2.2"},
                      Pinned{"kraft-kip966-last-replica-standing.yaml", "kip966-last-replica-standing", "kafka-4.0",
                             "kafka-4.1"}),
    [](const auto& info) {
      std::string name = info.param.bug_class;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(BugClasses, ADataLossWithoutTheMechanismIsNoClass) {
  // acks=1 losses and an unclean election lose records, but by none of the historical mechanisms.
  const auto r = classify("unclean-election.yaml", "kafka-0.10");
  EXPECT_TRUE(r.classes.empty()) << fmt::format("{}", fmt::join(r.classes, ", "));
}

TEST(BugClasses, TheStaleJoinersMomentNamesItAndTheReplicasAChainCanTakeDown) {
  // broker-1 joins broker-2's ISR lacking m3, which broker-3 had committed; the moment names broker-1 and
  // the two others, which the scenario crashes there.
  const auto r = classify("kafka-7128-stale-hw-isr-join.yaml", "kafka-2.2,isr-join-requires-epoch-start=false");
  ASSERT_TRUE(has(r.marks, "situation:isr-join-lacking-committed-records")) << fmt::format("{}", fmt::join(r.marks, ", "));
  const auto& m = r.moments.at("situation:isr-join-lacking-committed-records");
  EXPECT_EQ(m.event, "isr-changed");
  EXPECT_EQ(m.partition, "t-0");
  EXPECT_EQ(m.broker, 1);
  EXPECT_EQ(m.others, (std::vector<int>{2, 3}));
  EXPECT_GT(m.at_ms, 6000);
  // The fix: broker-1 joins only with m3, so it lacks nothing committed.
  const auto fixed = classify("kafka-7128-stale-hw-isr-join.yaml", "kafka-2.2");
  EXPECT_FALSE(has(fixed.marks, "situation:isr-join-lacking-committed-records"));
}

TEST(DynamicTargets, LaggingNamesTheReplicaOutsideTheIsr) {
  // broker-2 (not the controller, broker-3, which must answer the leader's AlterPartition) is paused past replica.lag.time.max.ms, so the leader drops it from the ISR; `lagging:t-0`
  // then resolves to it (and to nothing at 0.5 s, while every replica is in the ISR).
  const std::string dir = ::testing::TempDir() + "/lagging-target";
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/lagging.yaml";
  std::ofstream(file) << "name: lagging\nsummary: the lagging replica as a fault target\nduration: 12s\ncluster: {brokers: 3}\n"
                         "config: {replica.lag.time.max.ms: 1000}\n"
                         "topics: [{name: t, partitions: 1, replication.factor: 3, assignment: {0: [1, 2, 3]}}]\n"
                         "producers: [{id: p1, topic: t, acks: all, rate: 10/s}]\n"
                         "events:\n"
                         "  - {at: 500ms, crash: 'lagging:t-0', for: 1s}\n"
                         "  - {at: 1s, pause: broker-2, for: 3s}\n"
                         "  - {at: 3500ms, crash: 'lagging:t-0', for: 1s}\n";
  const std::string history = dir + "/history.jsonl";
  const std::string cmd = "'" + std::string(KAFKASIM_BINARY) + "' run '" + file + "' --history '" + history + "' > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(history);
  std::string line, faults;
  while (std::getline(in, line))
    if (line.find("\"event\":\"fault\"") != std::string::npos && line.find("lagging:t-0") != std::string::npos) faults += line + "\n";
  EXPECT_NE(faults.find("\"detail\":\"lagging:t-0 = broker-2\""), std::string::npos) << faults;
  EXPECT_NE(faults.find("\"noop\":true"), std::string::npos) << faults;  // at 0.5 s nobody lags
}

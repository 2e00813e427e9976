// Property test of controller election under random faults (RapidCheck): for schedules of crash, pause,
// isolate and expire-session over 3-5 brokers, each controller epoch is held by at most one broker
// (elected once, and every request with that epoch comes from that broker), and once the faults are
// healed the cluster converges to exactly one controller within the settle bound.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/kafka_cluster.h"
#include "scenario/scenario.h"
#include "history_in_child.h"

using namespace kafkasim;
using json = nlohmann::json;

namespace {

struct Fault {
  int at_ms;
  int kind;  // 0 crash, 1 pause, 2 isolate, 3 expire-session
  int target;  // 0 = the controller, else a broker id
  int for_ms;
};

std::string schedule_yaml(int brokers, const std::vector<Fault>& faults) {
  static const char* kinds[] = {"crash", "pause", "isolate", "expire-session"};
  std::string events;
  for (const auto& f : faults) {
    std::string target = f.target == 0 ? "controller" : fmt::format("broker-{}", f.target);
    events += fmt::format("  - {{at: {}ms, {}: {}", f.at_ms, kinds[f.kind], target);
    if (f.kind != 3) events += fmt::format(", for: {}ms", f.for_ms);
    events += "}\n";
  }
  return fmt::format("name: random\nsummary: random controller faults\nduration: 12s\nsettle: 30s\n"
                     "cluster: {{brokers: {}}}\nconfig: {{zookeeper.session.timeout.ms: 3000}}\nevents:{}",
                     brokers, events.empty() ? " []\n" : "\n" + events);
}

std::vector<json> run_history(const std::string& yaml) {
  auto child = testing_support::history_in_child(parse_scenario_text(yaml, "random.yaml"),
                                                 [] { return std::make_unique<models::KafkaCluster>(); }, 60);
  RC_ASSERT(child.completed);
  return child.events;
}

}  // namespace

RC_GTEST_PROP(ControllerProperty, OneBrokerPerEpochAndOneControllerAfterHealing, ()) {
  const int brokers = *rc::gen::inRange(3, 6);
  auto raw = *rc::gen::container<std::vector<std::tuple<int, int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 11000), rc::gen::inRange(0, 4), rc::gen::inRange(0, brokers + 1),
                     rc::gen::inRange(100, 6000)));
  std::vector<Fault> faults;
  for (const auto& [at, kind, target, duration] : raw) {
    if (faults.size() == 8) break;  // a bounded schedule, mapped from the generated one (shrinks well)
    faults.push_back(Fault{at, kind, target, duration});
  }
  const std::string yaml = schedule_yaml(brokers, faults);
  RC_TAG(faults.size());
  auto history = run_history(yaml);

  std::map<std::int64_t, std::int64_t> holder;  // controller epoch -> the broker elected with it
  for (const auto& e : history) {
    if (e["event"] == "controller-elected") {
      const auto epoch = e["controller_epoch"].get<std::int64_t>();
      RC_ASSERT(holder.count(epoch) == 0u);  // every epoch is won once
      holder[epoch] = e["broker"].get<std::int64_t>();
    }
    if (e["event"] == "control-applied") {
      const auto epoch = e["controller_epoch"].get<std::int64_t>();
      RC_ASSERT(holder.count(epoch) == 1u);
      RC_ASSERT(holder[epoch] == e["from"].get<std::int64_t>());  // only its holder acts on an epoch
    }
  }
  RC_ASSERT(!holder.empty());
  const json& done = history.back();
  RC_ASSERT(done["event"] == "phase");
  RC_ASSERT(done["name"] == "done");
  if (done["converged"] != true) RC_FAIL("no single controller within the settle bound:\n" + yaml);
}

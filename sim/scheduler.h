// The nemesis: fires the scenario's events (time triggers and history-event triggers with
// since/after/times), resolves dynamic targets when an action fires, applies the action, records it
// as a `fault`, and undoes it after `for:`. Models never call it and never see it.
#pragma once

#include <vector>

#include "scenario/scenario.h"
#include "sim/cluster_model.h"
#include "sim/history.h"

namespace kafkasim::sim {

class World;

// Whether a recorded event is the one `trigger` names (its name, its field values, not before `since`):
// what fires a `when:` event, and what a lesson's look-for items are found by.
bool trigger_matches(const Trigger& trigger, const HistoryEvent& e);

class Scheduler {
 public:
  Scheduler(World& world, ClusterModel& model);
  void start();

 private:
  struct Armed {
    const ScenarioEvent* event;
    int fired = 0;
  };
  void on_history(const HistoryEvent& e);
  void fire(const ScenarioEvent& event);
  bool matches(const Trigger& trigger, const HistoryEvent& e) const;
  // Resolves targets; nullopt if any resolves to nothing.
  std::optional<std::vector<int>> resolve(const std::vector<Target>& targets, std::string& unresolved);
  std::optional<int> resolve_one(const Target& target);

  World& world_;
  ClusterModel& model_;
  std::vector<Armed> armed_;  // when-triggers, in file order
};

}  // namespace kafkasim::sim

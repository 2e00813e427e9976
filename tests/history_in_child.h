// Test helper: run one scenario with a given cluster model in a forked child and read back its history.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.h"
#include "sim/cluster_model.h"

namespace kafkasim::testing_support {

struct ChildHistory {
  bool completed = false;
  std::string problem;                  // why the child did not complete
  std::string failure;                  // the run's own failure (a bound hit), if any
  std::uint64_t digest = 0;
  std::vector<nlohmann::json> events;  // history.jsonl, one object a line
};

ChildHistory history_in_child(const Scenario& scenario,
                              const std::function<std::unique_ptr<sim::ClusterModel>()>& make_model,
                              double wall_limit_s = 120);

}  // namespace kafkasim::testing_support

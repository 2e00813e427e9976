// Forks, runs the World, ships failure + digest + history back as one JSON object, parses the lines.
#include "history_in_child.h"

#include "sim/runner.h"
#include "sim/world.h"

namespace kafkasim::testing_support {

ChildHistory history_in_child(const Scenario& scenario,
                              const std::function<std::unique_ptr<sim::ClusterModel>()>& make_model,
                              double wall_limit_s) {
  auto child = sim::run_in_child(
      [&] {
        std::unique_ptr<sim::ClusterModel> model = make_model();
        sim::World world(scenario, *model);
        sim::RunOutcome out = world.run();
        nlohmann::json j;
        j["failure"] = out.failure;
        j["digest"] = world.history().digest();
        j["history"] = world.history().to_jsonl();
        return j.dump();
      },
      wall_limit_s);
  ChildHistory r;
  r.completed = child.completed;
  if (!child.completed) {
    r.problem = child.describe();
    return r;
  }
  nlohmann::json j = nlohmann::json::parse(child.payload);
  r.failure = j["failure"];
  r.digest = j["digest"];
  const std::string lines = j["history"];
  for (std::size_t pos = 0; pos < lines.size();) {
    std::size_t nl = lines.find('\n', pos);
    r.events.push_back(nlohmann::json::parse(lines.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return r;
}

}  // namespace kafkasim::testing_support

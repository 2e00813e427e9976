// Idle processes: they start, receive nothing, and send nothing.
#include "models/idle_models.h"

#include <fmt/format.h>

#include "sim/world.h"

namespace kafkasim::models {

std::unique_ptr<sim::Node> IdleCluster::start_process(sim::World& world, int node) {
  return std::make_unique<IdleProcess>(world, node);
}

std::unique_ptr<sim::DurableState> IdleCluster::create_durable(sim::World&, int) { return nullptr; }

std::optional<int> IdleCluster::resolve(sim::World&, const Target&) {
  return std::nullopt;  // no controller, no leaders: dynamic targets resolve to nothing
}

std::string IdleCluster::expire_session(sim::World&, int) { return "no ZooKeeper session model yet"; }

std::string IdleCluster::shutdown(sim::World& world, int broker_node) {
  return world.stop(broker_node);  // no leadership to move away first
}

std::string IdleCluster::elect_preferred_leader(sim::World&, const std::string&) { return "no controller model yet"; }

std::string IdleCluster::produce(sim::World&, const ProduceSpec&) { return "no producer model yet"; }

void IdleCluster::stop_producers(sim::World&) {}

std::string IdleCluster::convergence_gap(sim::World& world) {
  for (int n = 0; n < world.node_count(); ++n)
    if (world.node_kind(n) == NodeKind::Broker && !world.up(n)) return fmt::format("{} is not running", world.node_name(n));
  return "";
}

}  // namespace kafkasim::models

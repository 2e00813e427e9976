// The interface between the World and the models: how a node's process is built, how dynamic targets
// resolve, the admin actions that are the models' business, and whether the cluster has converged.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::sim {

class World;

class ClusterModel {
 public:
  virtual ~ClusterModel() = default;
  // A fresh process for `node` (first start or restart); it reads its durable state from the World.
  virtual std::unique_ptr<Node> start_process(World& world, int node) = 0;
  // The durable state of `node`, made once per run (nullptr: nothing survives a crash).
  virtual std::unique_ptr<DurableState> create_durable(World& world, int node) = 0;
  // `controller`, `leader:P`, `follower:P` -> a node, now; nullopt when it resolves to nothing.
  virtual std::optional<int> resolve(World& world, const Target& target) = 0;

  // Admin actions. Each returns "" when done, or why it was a no-op.
  virtual std::string expire_session(World& world, int broker_node) = 0;
  virtual std::string shutdown(World& world, int broker_node) = 0;
  virtual std::string elect_preferred_leader(World& world, const std::string& partition) = 0;
  virtual std::string produce(World& world, const ProduceSpec& produce) = 0;
  // fail-processing: the next attempts of a consumer at processing a record fail (spec/consumer-groups.md).
  virtual std::string fail_processing(World&, const ProcessingFailureSpec&) { return "no consumer group model"; }

  // The settle phase begins: producers stop sending new records.
  virtual void stop_producers(World& world) = 0;
  // Every partition led, ISRs full and caught up, consumers at the HW (spec/properties.md): "" when
  // converged, else the first thing that is not, in words ("t-1: broker-3's LEO 66 is behind ...").
  virtual std::string convergence_gap(World& world) = 0;
};

}  // namespace kafkasim::sim

// The foundation's cluster: brokers, ZooKeeper and clients are processes that start and idle.
// The ZooKeeper/controller and replication issues replace it with the real models; until then every
// model-level action is a recorded no-op that says why.
#pragma once

#include "sim/cluster_model.h"

namespace kafkasim::models {

// A process that starts and handles nothing: clients until the producer and consumer models exist.
class IdleProcess : public sim::Node {
 public:
  using sim::Node::Node;
  void on_message(const sim::Envelope&) override {}
};

class IdleCluster : public sim::ClusterModel {
 public:
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override;
  std::unique_ptr<sim::DurableState> create_durable(sim::World& world, int node) override;
  std::optional<int> resolve(sim::World& world, const Target& target) override;
  std::string expire_session(sim::World& world, int broker_node) override;
  std::string shutdown(sim::World& world, int broker_node) override;
  std::string elect_preferred_leader(sim::World& world, const std::string& partition) override;
  std::string produce(sim::World& world, const ProduceSpec& produce) override;
  void stop_producers(sim::World& world) override;
  std::string convergence_gap(sim::World& world) override;
};

}  // namespace kafkasim::models

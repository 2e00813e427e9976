// The Kafka cluster model: which process runs on which node (ZooKeeper server, brokers, producers,
// consumers), the brokers' durable storage, dynamic targets, the admin actions, and convergence.
#pragma once

#include <optional>

#include "models/groups/processing_faults.h"
#include "models/partition_state.h"
#include "sim/cluster_model.h"

namespace kafkasim::models {

class KafkaCluster : public sim::ClusterModel {
 public:
  // The run's partitions (built on first use: a model object serves one run).
  const PartitionCatalog& catalog(const sim::World& world);
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override;
  std::unique_ptr<sim::DurableState> create_durable(sim::World& world, int node) override;
  std::optional<int> resolve(sim::World& world, const Target& target) override;
  std::string expire_session(sim::World& world, int broker_node) override;
  std::string shutdown(sim::World& world, int broker_node) override;
  std::string elect_preferred_leader(sim::World& world, const std::string& partition) override;
  std::string produce(sim::World& world, const ProduceSpec& produce) override;
  std::string fail_processing(sim::World& world, const ProcessingFailureSpec& failure) override;
  void stop_producers(sim::World& world) override;
  std::string convergence_gap(sim::World& world) override;

 private:
  std::string kraft_convergence_gap(sim::World& world);
  std::optional<PartitionCatalog> catalog_;
  groups::ProcessingFaults processing_faults_;  // fail-processing: kept across the consumers' restarts
  std::int64_t kraft_recorded_ = 0;  // KRaft: committed records whose consequences the history has told
};

}  // namespace kafkasim::models

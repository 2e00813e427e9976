// A Kafka broker process. In ZooKeeper mode: its ZooKeeper session and registration under /brokers/ids,
// the controller role it may hold, fencing of control requests. In KRaft mode: its lifecycle with the
// controller quorum (kraft::BrokerLifecycle). In both: its replicas (ReplicaManager, the one data plane)
// and controlled shutdown, and the group coordinator of the groups whose offsets partition it leads.
#pragma once

#include <memory>
#include <set>

#include "models/controller.h"
#include "models/groups/group_coordinator.h"
#include "models/kraft/broker_lifecycle.h"
#include "models/log.h"
#include "models/replica_manager.h"
#include "models/zookeeper/client.h"
#include "sim/node.h"

namespace kafkasim::models {

class Broker : public sim::Node {
 public:
  Broker(sim::World& world, int node, int zookeeper_node, BrokerStorage& storage, const PartitionCatalog& catalog);
  void on_start() override;
  // KAFKA-5473 (1.1, `requests-after-registration`): SocketServer's processors start after the broker
  // registered; before, the request handlers ran first.
  bool serves_requests_at_start() const override;
  void on_message(const sim::Envelope& envelope) override;
  void on_connection_reset(int peer, std::uint32_t channel) override {
    if (peer == zk_.server_node()) zk_.connection_closed(channel);
  }

  int broker_id() const { return node() + 1; }
  // The broker epoch (KIP-380): the czxid of this broker's registration; -1 until registered.
  std::int64_t broker_epoch() const { return broker_epoch_; }
  const Controller& controller() const { return controller_; }
  Controller& controller() { return controller_; }
  const ReplicaManager& replica_manager() const { return replicas_; }
  ReplicaManager& replica_manager() { return replicas_; }
  zk::Client& zk() { return zk_; }
  const PartitionCatalog& catalog() const { return catalog_; }
  bool registered() const { return registered_in_ != 0 && registered_in_ == zk_.session(); }
  // The controller as the last applied control request named it (-1: none yet).
  int known_controller() const { return known_controller_; }
  // The node to send AlterPartition to: the controller broker (ZooKeeper mode) or the active controller
  // node (KRaft); -1 when none is known.
  int controller_node() const;
  // KRaft mode: the lifecycle (nullptr in ZooKeeper mode).
  const kraft::BrokerLifecycle* kraft() const { return kraft_.get(); }
  // The highest controller epoch this process has seen in a control request (in memory: a restarted
  // broker starts from 0, as ReplicaManager does).
  std::int64_t controller_epoch_seen() const { return controller_epoch_seen_; }
  const std::set<int>& metadata_live_brokers() const { return metadata_live_brokers_; }

  // Controlled shutdown: ask the controller to move leaderships away, close the session, stop.
  void controlled_shutdown();
  // The process ends on a fatal error of its own (`reason`, as broker-exited records it) after Kafka's
  // shutdown hook ran.
  void fatal_exit(const std::string& reason);
  // The end of a shutdown: checkpoint and flush, then the process stops (or exits on a fatal error).
  void finish_shutdown();

 private:
  friend class kraft::BrokerLifecycle;
  void on_zk_state(zk::Client::State state, zk::SessionId session);
  void registered(zk::SessionId session, std::int64_t czxid);
  void maybe_register();
  void registration_failed();
  void create_top_level_paths(std::size_t next);
  void register_broker();
  void on_control_request(const sim::Envelope& envelope, const struct ControlRequest& request);
  void shutdown_attempt(int attempt);
  void end_process();

  const PartitionCatalog& catalog_;
  BrokerStorage& storage_;
  zk::Client zk_;
  Controller controller_{*this, zk_};
  ReplicaManager replicas_;
  groups::GroupCoordinator coordinator_{*this, replicas_};
  zk::SessionId registered_in_ = 0;  // the session this broker's registration belongs to
  bool registering_ = false;
  bool ever_registered_ = false;
  std::int64_t producer_ids_ = 0;  // handed out by this process  // this process registered once: a later NodeExists is not start-up's
  bool shutting_down_ = false;
  std::string exit_reason_;  // set by fatal_exit: the shutdown ends in an exit, not a stop
  bool awaiting_expire_ = false;  // a new session exists, but the controller has not handled Expire yet
  std::int64_t broker_epoch_ = -1;
  std::int64_t controller_epoch_seen_ = 0;
  int known_controller_ = -1;
  std::set<int> metadata_live_brokers_;  // the metadata cache, as UpdateMetadata last set it
  std::unique_ptr<kraft::BrokerLifecycle> kraft_;
};

}  // namespace kafkasim::models

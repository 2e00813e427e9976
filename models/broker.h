// A Kafka broker process (ZooKeeper mode): its ZooKeeper session and registration under /brokers/ids.
// The controller and the replication data plane build on this in the issues that follow.
#pragma once

#include <memory>

#include "models/controller.h"
#include "models/zookeeper/client.h"
#include "sim/node.h"

namespace kafkasim::models {

class Broker : public sim::Node {
 public:
  Broker(sim::World& world, int node, int zookeeper_node);
  void on_start() override;
  void on_message(const sim::Envelope& envelope) override;

  int broker_id() const { return node() + 1; }
  // The broker epoch (KIP-380): the czxid of this broker's registration; -1 until registered.
  std::int64_t broker_epoch() const { return broker_epoch_; }
  const Controller& controller() const { return controller_; }

 private:
  void on_zk_state(zk::Client::State state, zk::SessionId session);
  void create_top_level_paths(std::size_t next);
  void register_broker();

  zk::Client zk_;
  Controller controller_{*this, zk_};
  zk::SessionId registered_in_ = 0;  // the session this broker's registration belongs to
  bool registering_ = false;
  std::int64_t broker_epoch_ = -1;
};

}  // namespace kafkasim::models

// A broker's side of KRaft (KIP-631): BrokerLifecycleManager (registration with the active controller,
// heartbeats every broker.heartbeat.interval.ms, controlled shutdown through the heartbeat) and the
// metadata path (the broker's raft client, an observer of the quorum, and BrokerMetadataPublisher:
// once caught up with the log it publishes the image to the ReplicaManager, then every committed change).
#pragma once

#include <cstdint>
#include <string>

#include "models/kraft/metadata.h"
#include "models/kraft/raft_client.h"
#include "sim/node.h"

namespace kafkasim::models {
class Broker;
}

namespace kafkasim::models::kraft {

class BrokerLifecycle : private RaftClient::Listener {
 public:
  BrokerLifecycle(Broker& broker, MetadataStorage& storage);
  void start();
  bool on_message(const sim::Envelope& envelope) { return raft_.on_message(envelope); }
  // The active controller as this broker knows it (its raft client's leader), -1 when none is known.
  int controller_node() const;
  void begin_controlled_shutdown();
  const MetadataImage& image() const { return image_; }
  const RaftClient& raft() const { return raft_; }
  bool registered() const { return broker_epoch_ >= 0; }
  bool fenced() const { return fenced_; }
  std::int64_t broker_epoch() const { return broker_epoch_; }

 private:
  void on_commit(std::int64_t offset, const MetadataRecord& record) override;
  void on_quorum_change() override;
  void publish_partition(const std::string& name, const PartitionImage& p, std::int64_t epoch);
  void publish_brokers();
  void maybe_open();
  void send_registration();
  void send_heartbeat();
  void every(Micros interval, void (BrokerLifecycle::*task)());

  Broker& broker_;
  MetadataStorage& storage_;
  RaftClient raft_;
  MetadataImage image_;
  std::string incarnation_;
  std::int64_t previous_broker_epoch_ = -1;
  std::int64_t broker_epoch_ = -1;
  bool registering_ = false, heartbeat_in_flight_ = false, want_shutdown_ = false, fenced_ = true;
  bool caught_up_ = false, opened_ = false, shutdown_done_ = false;
  Micros heartbeat_interval_;
};

}  // namespace kafkasim::models::kraft

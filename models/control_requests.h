// The controller's requests to brokers (LeaderAndIsr, UpdateMetadata, StopReplica) with what every one
// carries for fencing (controller id and epoch; KIP-380: the recipient's broker epoch as the controller
// knows it), and the brokers' requests to the controller (ControlledShutdown, AlterPartition).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/partition_state.h"
#include "sim/node.h"

namespace kafkasim::models {

struct ControlRequest : sim::Message {
  // ControllerChannelManager: one connection per broker, its own RequestSendThread.
  std::uint32_t channel() const override { return sim::channel::kControl; }
  int controller_id = -1;
  std::int64_t controller_epoch = 0;
  std::int64_t broker_epoch = -1;  // -1: unknown to the controller (not checked)
  Micros sent_at = 0;
};

// One partition's state as the controller sends it.
struct PartitionStateData {
  std::string partition;
  LeaderIsr state;
  std::int32_t partition_epoch = 0;  // the state znode's version
  std::vector<int> replicas;
};

struct UpdateMetadata : ControlRequest {
  std::set<int> live_brokers;
  std::vector<PartitionStateData> partitions;
  std::string_view type() const override { return "UpdateMetadata"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 96 + live_brokers.size() * 32 + partitions.size() * 48; }
};

struct LeaderAndIsr : ControlRequest {
  std::vector<PartitionStateData> partitions;
  std::string_view type() const override { return "LeaderAndIsr"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 96 + partitions.size() * 48; }
};

struct StopReplica : ControlRequest {
  std::vector<std::string> partitions;
  std::string_view type() const override { return "StopReplica"; }
  std::string describe() const override;
};

// The answer to any of them; `error` is Kafka's error name, "" for none.
struct ControlResponse : sim::Message {
  std::string request;
  std::string error;
  std::string_view type() const override { return request; }
  std::string describe() const override;
};

// A broker asks the controller to move its leaderships away before it stops.
struct ControlledShutdownRequest : sim::Message {
  int broker = -1;
  std::int64_t broker_epoch = -1;
  std::string_view type() const override { return "ControlledShutdown"; }
  std::uint32_t channel() const override { return sim::channel::kToController; }
};
struct ControlledShutdownResponse : sim::Message {
  std::string error;
  std::vector<std::string> partitions_remaining;  // still led by the broker
  std::string_view type() const override { return "ControlledShutdown"; }
  std::string describe() const override;
};

// KIP-497: a leader asks the controller to change the ISR.
struct AlterPartitionRequest : sim::Message {
  int broker = -1;
  std::int64_t broker_epoch = -1;
  std::string partition;
  std::int64_t leader_epoch = 0;
  std::int32_t partition_epoch = 0;
  std::vector<int> new_isr;
  // KIP-903 (3.5): the broker epoch of each new_isr member as its fetches told the leader (-1: unknown).
  std::vector<std::int64_t> broker_epochs;
  std::string_view type() const override { return "AlterPartition"; }
  std::string describe() const override;
  // BrokerToControllerChannelManager: the broker's own connection to the controller.
  std::uint32_t channel() const override { return sim::channel::kToController; }
};
struct AlterPartitionResponse : sim::Message {
  std::string error;  // "", FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, NOT_CONTROLLER, STALE_BROKER_EPOCH
  std::string partition;
  LeaderIsr state;
  std::int32_t partition_epoch = 0;
  std::string_view type() const override { return "AlterPartition"; }
  std::string describe() const override;
};

}  // namespace kafkasim::models

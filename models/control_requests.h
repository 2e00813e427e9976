// The controller's requests to brokers (LeaderAndIsr, UpdateMetadata, StopReplica), with what every one
// carries for fencing: the controller id and epoch, and (KIP-380) the recipient's broker epoch as the
// controller knows it. The partition state LeaderAndIsr carries comes with the replication models.
#pragma once

#include <set>
#include <string>

#include "sim/node.h"

namespace kafkasim::models {

struct ControlRequest : sim::Message {
  int controller_id = -1;
  std::int64_t controller_epoch = 0;
  std::int64_t broker_epoch = -1;  // -1: unknown to the controller (not checked)
  Micros sent_at = 0;
};

struct UpdateMetadata : ControlRequest {
  std::set<int> live_brokers;
  std::string_view type() const override { return "UpdateMetadata"; }
  std::size_t bytes() const override { return 96 + live_brokers.size() * 32; }
};

struct LeaderAndIsr : ControlRequest {
  std::string_view type() const override { return "LeaderAndIsr"; }
};

struct StopReplica : ControlRequest {
  std::string_view type() const override { return "StopReplica"; }
};

// The answer to any of them; `error` is Kafka's error name, "" for none.
struct ControlResponse : sim::Message {
  std::string request;
  std::string error;
  std::string_view type() const override { return request; }
};

}  // namespace kafkasim::models

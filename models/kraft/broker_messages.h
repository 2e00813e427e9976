// The requests a KRaft broker sends the active controller (KIP-631): BrokerRegistration (with the
// previous broker epoch of KIP-966, so that the controller can tell a clean restart from an unclean
// one) and BrokerHeartbeat (its metadata offset, whether it wants to shut down). AlterPartition is the
// data plane's, shared with ZooKeeper mode (control_requests.h).
#pragma once

#include <cstdint>
#include <string>

#include "sim/node.h"

namespace kafkasim::models::kraft {

struct BrokerRegistrationRequest : sim::Message {
  int broker = -1;
  std::string incarnation;
  std::int64_t previous_broker_epoch = -1;  // -1: the last stop was not clean (or none)
  std::string_view type() const override { return "BrokerRegistration"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return sim::channel::kToController; }
};
struct BrokerRegistrationResponse : sim::Message {
  std::string error;  // "", NOT_CONTROLLER, DUPLICATE_BROKER_REGISTRATION
  std::int64_t broker_epoch = -1;
  std::string_view type() const override { return "BrokerRegistration"; }
  std::string describe() const override;
};

struct BrokerHeartbeatRequest : sim::Message {
  int broker = -1;
  std::int64_t broker_epoch = -1;
  std::int64_t metadata_offset = 0;  // the next metadata offset it has not applied
  bool want_shutdown = false;
  std::string_view type() const override { return "BrokerHeartbeat"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return sim::channel::kToController; }
};
struct BrokerHeartbeatResponse : sim::Message {
  std::string error;  // "", NOT_CONTROLLER, STALE_BROKER_EPOCH
  bool is_fenced = true;
  bool is_caught_up = false;
  bool should_shutdown = false;
  std::string_view type() const override { return "BrokerHeartbeat"; }
  std::string describe() const override;
};

}  // namespace kafkasim::models::kraft

// The controller role a broker may hold (ZooKeeper mode): election through ZooKeeper, the
// live-broker set from /brokers/ids, resignation. Its requests and partition work build on this.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/zookeeper/client.h"

namespace kafkasim::models {

class Broker;

class Controller {
 public:
  Controller(Broker& broker, zk::Client& zk);

  // After the broker registered in a session: watch /controller and try to become controller.
  void startup();
  // The broker's session is gone: whatever it was doing as controller stops (onControllerResignation).
  void session_expired();

  bool active() const { return active_; }
  std::int64_t epoch() const { return epoch_; }
  const std::set<int>& live_brokers() const { return live_brokers_; }

 private:
  void elect();
  void try_elect(std::int64_t epoch, std::int32_t epoch_version);
  void read_epoch_then_elect();
  void on_controller_change();
  void check_controller_and_epoch();
  void retry_later();
  void become_controller(std::int64_t epoch, std::int32_t epoch_version);
  void resign();
  void watch_brokers();
  void read_broker_epochs(const std::vector<std::string>& ids);
  void send_update_metadata();

  Broker& broker_;
  zk::Client& zk_;
  bool active_ = false;
  std::int64_t epoch_ = 0;
  std::int32_t epoch_zk_version_ = -1;
  std::uint64_t generation_ = 0;  // bumped on resign: callbacks of an older tenure do nothing
  std::set<int> live_brokers_;
  std::map<int, std::int64_t> broker_epochs_;  // live broker -> czxid of its registration
};

}  // namespace kafkasim::models

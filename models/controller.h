// The controller role a broker may hold (ZooKeeper mode), as KafkaController does it: election through
// ZooKeeper; an event queue processed one event at a time (a paused controller drains it when it
// resumes, so a zombie acts on stale events, KAFKA-6082); the live-broker set from /brokers/ids;
// partition state in ZooKeeper (creation, leader election, ISR removal, preferred election, controlled
// shutdown, AlterPartition); LeaderAndIsr and UpdateMetadata to the brokers; resignation.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/control_requests.h"
#include "models/partition_state.h"
#include "models/zookeeper/client.h"

namespace kafkasim::models {

class Broker;

class Controller {
 public:
  Controller(Broker& broker, zk::Client& zk);

  // After the broker registered in a session: watch /controller and try to become controller.
  void startup();
  // The broker's ZooKeeper session expired. Since the 1.1 controller (`expire-clears-controller-queue`) the queue
  // is cleared and the controller resigns at once (clearAndPut(Expire)); before it, Expire waits behind
  // the queued events, which run on the new session. `then` runs once Expire has been handled: the broker
  // registers again only then (RegisterBrokerAndReelect follows Expire in the controller's queue).
  void session_expired(std::function<void()> then);

  // Requests for the controller (answered NOT_CONTROLLER when this broker is not it).
  void on_controlled_shutdown(const sim::Envelope& e, const ControlledShutdownRequest& r);
  void on_alter_partition(const sim::Envelope& e, const AlterPartitionRequest& r);
  // Admin: preferred leader election for one partition or "all".
  void elect_preferred(const std::string& partition);

  bool active() const { return active_; }
  std::int64_t epoch() const { return epoch_; }
  const std::set<int>& live_brokers() const { return live_brokers_; }

  struct CachedState {
    LeaderIsr state;
    std::int32_t version = -1;
  };

 private:
  using Done = std::function<void()>;
  struct Event {
    std::string name;
    std::function<void(Done)> run;
  };
  // The event queue (ControllerEventManager).
  void put(std::string name, std::function<void(Done)> run);
  void process_next();

  // Election (outside the queue, as the ZooKeeper watcher thread starts it).
  void elect();
  void try_elect(std::int64_t epoch, std::int32_t epoch_version);
  void read_epoch_then_elect();
  void on_controller_change();
  void check_controller_and_epoch();
  void retry_later();
  void become_controller(std::int64_t epoch, std::int32_t epoch_version, std::int64_t zxid);
  void resign();

  // Events.
  void on_failover(Done done);
  void on_broker_change(Done done);
  void read_live_brokers(std::function<void(std::map<int, std::int64_t>)> then);
  void create_topics(std::size_t next, Done done);
  void read_states(Done done);
  void on_brokers_dead(const std::set<int>& dead, Done done);
  void on_brokers_new(const std::set<int>& fresh, Done done);
  void elect_offline(std::vector<std::string> partitions, Done done);

  // One partition's state change: read the state from ZooKeeper, decide, write it conditionally.
  using Decide = std::function<std::optional<LeaderIsr>(const LeaderIsr& current)>;
  using Written = std::function<void(const std::string& partition, const LeaderIsr& state)>;
  void change_state(const std::string& partition, Decide decide, Written written, Done done, int attempt = 0);
  void for_each(std::vector<std::string> partitions, std::function<void(const std::string&, Done)> fn, Done done);
  // A controller write: with `controller-epoch-check`, multi{check(/controller_epoch, version), op}.
  void write(std::vector<zk::Op> ops, std::function<void(zk::Error, const zk::ZkResponse*)> done);
  // A ZooKeeper call retried while the connection is lost (KafkaZkClient.retryRequestsUntilConnected).
  void zk_retry(std::function<void(std::function<void(zk::Error, const zk::ZkResponse*)>)> call,
                std::function<void(zk::Error, const zk::ZkResponse*)> done, int attempt = 0);

  void record_leader_elected(const std::string& partition, const LeaderIsr& state, bool clean);
  void record_isr_changed(const std::string& partition, const LeaderIsr& state, const char* by);
  std::function<bool()> channel_open(int broker);
  void send_leader_and_isr(const std::set<int>& brokers, const std::vector<std::string>& partitions);
  void send_update_metadata(const std::set<int>& brokers);
  void send_stop_replica(int broker, const std::vector<std::string>& partitions);
  PartitionStateData state_data(const std::string& partition) const;
  const PartitionInfo* info(const std::string& partition) const;
  bool unclean_enabled() const;

  Broker& broker_;
  zk::Client& zk_;
  const std::vector<PartitionInfo>& partitions_;  // the run's catalog, in file order
  bool active_ = false;
  std::int64_t epoch_ = 0;
  std::int32_t epoch_zk_version_ = -1;
  std::uint64_t generation_ = 0;  // bumped on resign: callbacks of an older tenure do nothing
  std::deque<Event> queue_;
  bool processing_ = false;
  std::uint64_t event_seq_ = 0;  // the event being processed; an abandoned one's `done` does nothing
  std::set<int> live_brokers_;
  std::map<int, std::int64_t> broker_epochs_;  // live broker -> czxid of its registration
  // ControllerChannelManager.removeBroker: bumped when a broker is handled as dead (or, with broker
  // epochs, as bounced); a request queued for it is sent again only while its channel stands, and to
  // whichever process now answers at its address (before KIP-380, a fast restart's new incarnation).
  std::map<int, std::uint64_t> channel_generation_;
  std::set<int> shutting_down_;
  std::map<std::string, CachedState> states_;  // the controller context's partition states
};

}  // namespace kafkasim::models

// A partition's leader-and-ISR state as the controller keeps it in ZooKeeper
// (/brokers/topics/<t>/partitions/<p>/state = {leader, leader_epoch, controller_epoch, isr}; the znode's
// version is the partition epoch), its JSON encoding, and the scenario's partitions in a fixed order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace kafkasim::models {

constexpr int kNoLeader = -1;  // LeaderAndIsr.NoLeader

struct LeaderIsr {
  int leader = kNoLeader;
  std::int64_t leader_epoch = 0;
  std::vector<int> isr;
  std::int64_t controller_epoch = 0;
  bool operator==(const LeaderIsr&) const = default;
};

// Kafka's format: {"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,1]}.
std::string encode_leader_isr(const LeaderIsr& state);
// False when `data` is not such a document.
bool decode_leader_isr(const std::string& data, LeaderIsr& state);

// One partition of the scenario: "t-0", its topic, index and assigned replicas (preferred first).
struct PartitionInfo {
  std::string name;
  std::string topic;
  int index = 0;
  std::vector<int> replicas;
};
// Every partition of every topic, in file order (topic, then index): the order the controller works in.
std::vector<PartitionInfo> scenario_partitions(const Scenario& scenario);

// The scenario's partitions, made once per run and shared by every broker, with lookup by name (the
// controller, the ISR path and the convergence check look partitions up on every change).
class PartitionCatalog {
 public:
  explicit PartitionCatalog(const Scenario& scenario);
  const std::vector<PartitionInfo>& all() const { return all_; }
  const PartitionInfo* find(const std::string& name) const;

 private:
  std::vector<PartitionInfo> all_;
  std::map<std::string, std::size_t> index_;
};
std::string partition_state_path(const PartitionInfo& p);
std::string partition_name(const std::string& topic, int index);

bool contains(const std::vector<int>& v, int x);
std::vector<std::int64_t> to_int64s(const std::vector<int>& v);

}  // namespace kafkasim::models

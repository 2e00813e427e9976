// Encoding of the partition state znode, and the scenario's partitions.
#include "models/partition_state.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kafkasim::models {

std::string encode_leader_isr(const LeaderIsr& s) {
  nlohmann::ordered_json j = {{"controller_epoch", s.controller_epoch},
                              {"leader", s.leader},
                              {"version", 1},
                              {"leader_epoch", s.leader_epoch},
                              {"isr", s.isr}};
  return j.dump();
}

bool decode_leader_isr(const std::string& data, LeaderIsr& s) {
  auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("leader") || !j.contains("isr")) return false;
  s.leader = j.value("leader", kNoLeader);
  s.leader_epoch = j.value("leader_epoch", std::int64_t{0});
  s.controller_epoch = j.value("controller_epoch", std::int64_t{0});
  s.isr = j["isr"].get<std::vector<int>>();
  return true;
}

std::vector<PartitionInfo> scenario_partitions(const Scenario& scenario) {
  std::vector<PartitionInfo> out;
  for (const auto& t : scenario.topics)
    for (int i = 0; i < t.partitions; ++i) out.push_back({partition_name(t.name, i), t.name, i, t.assignment.at(i)});
  return out;
}

PartitionCatalog::PartitionCatalog(const Scenario& scenario) : all_(scenario_partitions(scenario)) {
  for (std::size_t i = 0; i < all_.size(); ++i) index_.emplace(all_[i].name, i);
}

const PartitionInfo* PartitionCatalog::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &all_[it->second];
}

std::string partition_state_path(const PartitionInfo& p) {
  return fmt::format("/brokers/topics/{}/partitions/{}/state", p.topic, p.index);
}

std::string partition_name(const std::string& topic, int index) { return fmt::format("{}-{}", topic, index); }

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::vector<std::int64_t> to_int64s(const std::vector<int>& v) { return {v.begin(), v.end()}; }

}  // namespace kafkasim::models

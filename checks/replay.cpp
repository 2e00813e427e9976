// Rebuilding logs and leaderships from the history.
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
const std::vector<LoggedRecord> kEmpty;
std::vector<std::int64_t> ints(const sim::HistoryEvent& e, std::string_view key) {
  const sim::Value* v = e.get(key);
  if (v == nullptr) return {};
  if (const auto* list = std::get_if<std::vector<std::int64_t>>(v)) return *list;
  return {};
}
}  // namespace

void Replay::apply(const sim::HistoryEvent& e) {
  const int broker = static_cast<int>(e.int_or("broker", -1));
  const std::string partition = e.str_or("partition", "");
  if (e.name == "appended") {
    auto& log = log_of(broker, partition);
    const auto offset = static_cast<std::size_t>(e.int_or("offset", 0));
    if (log.size() > offset) log.resize(offset);
    while (log.size() < offset) log.push_back(LoggedRecord{"?", -1});  // cannot happen: appends are contiguous
    log.push_back(LoggedRecord{e.str_or("value", ""), e.int_or("leader_epoch", 0)});
  } else if (e.name == "truncated") {
    auto& log = log_of(broker, partition);
    const auto to = static_cast<std::size_t>(std::max<std::int64_t>(0, e.int_or("to_offset", 0)));
    if (log.size() > to) log.resize(to);
  } else if (e.name == "became-leader") {
    // A broker applying a delayed LeaderAndIsr of an older epoch (after a pause) is a deposed leader for
    // a moment, not the partition's leader: the leader is the one of the highest epoch yet.
    const std::int64_t epoch = e.int_or("leader_epoch", 0);
    auto [seen, fresh] = highest_epoch_.try_emplace(partition, epoch);
    if (fresh || epoch >= seen->second) {
      seen->second = epoch;
      leaders_[partition] = Leadership{broker, epoch, ints(e, "isr"), e.int_or("hw", 0)};
      last_leader_[partition] = {broker, e.t};
    }
    log_of(broker, partition);
  } else if (e.name == "became-follower") {
    auto it = leaders_.find(partition);
    if (it != leaders_.end() && it->second.broker == broker) leaders_.erase(it);
    log_of(broker, partition);
  } else if (e.name == "isr-changed") {
    auto it = leaders_.find(partition);
    if (it != leaders_.end() && e.int_or("leader", -1) == it->second.broker && e.str_or("by", "") == "leader" &&
        e.int_or("leader_epoch", -1) == it->second.epoch)
      it->second.isr = ints(e, "isr");
  } else if (e.name == "hw-advanced") {
    auto it = leaders_.find(partition);
    if (it != leaders_.end() && it->second.broker == broker) it->second.hw = e.int_or("hw", 0);
  } else if (e.name == "broker-crashed" || e.name == "broker-shutdown" || e.name == "broker-exited") {
    running_.erase(broker);
    for (auto it = leaders_.begin(); it != leaders_.end();)
      it = it->second.broker == broker ? leaders_.erase(it) : std::next(it);
  } else if (e.name == "broker-started") {
    running_.insert(broker);
  } else if (e.name == "phase" && e.str_or("name", "") == "done") {
    const sim::Value* c = e.get("converged");
    converged_ = c != nullptr && std::get_if<bool>(c) != nullptr && std::get<bool>(*c);
  }
}

const std::vector<LoggedRecord>& Replay::log(int broker, const std::string& partition) const {
  auto it = logs_.find({broker, partition});
  return it == logs_.end() ? kEmpty : it->second;
}

std::optional<Replay::Leadership> Replay::leader(const std::string& partition) const {
  auto it = leaders_.find(partition);
  if (it == leaders_.end()) return std::nullopt;
  return it->second;
}

int Replay::last_leader(const std::string& partition) const {
  auto it = last_leader_.find(partition);
  return it == last_leader_.end() ? -1 : it->second.first;
}

Micros Replay::became_leader_at(const std::string& partition) const {
  auto it = last_leader_.find(partition);
  return it == last_leader_.end() ? 0 : it->second.second;
}

std::vector<LoggedRecord>& Replay::log_of(int broker, const std::string& partition) {
  auto [it, fresh] = logs_.try_emplace({broker, partition});
  if (fresh) replicas_[partition].insert(broker);
  return it->second;
}

std::vector<std::string> Replay::partitions() const {
  std::vector<std::string> names;
  for (const auto& [name, brokers] : replicas_) names.push_back(name);
  return names;
}

std::vector<int> Replay::replicas_of(const std::string& partition) const {
  auto it = replicas_.find(partition);
  return it == replicas_.end() ? std::vector<int>{} : std::vector<int>(it->second.begin(), it->second.end());
}

}  // namespace kafkasim::checks

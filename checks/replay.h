// What several checkers rebuild from the history: every replica's log (from `appended` and `truncated`),
// who acts as leader of which partition at which epoch, and the final log of each partition.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/history.h"

namespace kafkasim::checks {

struct LoggedRecord {
  std::string value;
  std::int64_t leader_epoch = 0;
  bool operator==(const LoggedRecord&) const = default;
};

using ReplicaKey = std::pair<int, std::string>;  // (broker, partition)

class Replay {
 public:
  // Feeds one event; call for every event in order.
  void apply(const sim::HistoryEvent& e);

  const std::vector<LoggedRecord>& log(int broker, const std::string& partition) const;
  // The broker acting as leader of `partition` now (it became leader and has not since become follower,
  // crashed or stopped), with its epoch, ISR and HW.
  struct Leadership {
    int broker = -1;
    std::int64_t epoch = -1;
    std::vector<std::int64_t> isr;
    std::int64_t hw = 0;
  };
  std::optional<Leadership> leader(const std::string& partition) const;
  // The broker that most recently became leader of `partition` (even if since gone): whose log is final.
  int last_leader(const std::string& partition) const;
  std::vector<std::string> partitions() const;
  std::vector<int> replicas_of(const std::string& partition) const;  // brokers with a log of it
  bool running(int broker) const { return running_.count(broker) > 0; }
  bool converged() const { return converged_; }
  Micros became_leader_at(const std::string& partition) const;

 private:
  std::vector<LoggedRecord>& log_of(int broker, const std::string& partition);
  std::map<ReplicaKey, std::vector<LoggedRecord>> logs_;
  std::map<std::string, std::set<int>> replicas_;  // partition -> brokers with a log of it (an index of logs_)
  std::map<std::string, Leadership> leaders_;
  std::map<std::string, std::int64_t> highest_epoch_;  // partition -> highest leader epoch a broker took up
  std::map<std::string, std::pair<int, Micros>> last_leader_;
  std::set<int> running_;
  bool converged_ = false;
};

}  // namespace kafkasim::checks

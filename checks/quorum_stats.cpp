// KRaft figures of a run, read from the history (the result's stats.quorum_leader_changes and
// stats.stale_metadata_s, and the narrative's closing lines).
#include <map>
#include <set>

#include "checks/checkers.h"

namespace kafkasim::checks {

QuorumStats quorum_stats(const sim::History& history) {
  QuorumStats out;
  std::int64_t committed = 0;              // records the quorum has committed (any voter's view)
  std::map<std::string, std::int64_t> applied;  // broker node -> records it has applied
  std::set<std::string> running;           // broker nodes running now
  std::set<std::int64_t> leader_epochs;
  Micros last = 0;
  for (const auto& e : history.events()) {
    // Broker-seconds behind the committed metadata, up to this event.
    if (e.t > last) {
      std::int64_t behind = 0;
      for (const auto& b : running) {
        auto it = applied.find(b);
        if ((it == applied.end() ? 0 : it->second) < committed) ++behind;
      }
      out.stale_metadata_s += to_seconds(e.t - last) * static_cast<double>(behind);
      last = e.t;
    }
    if (e.name == "quorum-state") {
      out.kraft = true;
      if (e.str_or("state", "") == "leader" && leader_epochs.insert(e.int_or("epoch", -1)).second) ++out.leader_elections;
    } else if (e.name == "metadata-committed") {
      const std::string node = e.str_or("node", "");
      const std::int64_t next = e.int_or("offset", -1) + 1;
      if (node.rfind("controller-", 0) == 0) committed = std::max(committed, next);
      else applied[node] = next;
    } else if (e.name == "broker-started") {
      const std::string node = "broker-" + std::to_string(e.int_or("broker", -1));
      running.insert(node);
      applied[node] = 0;
    } else if (e.name == "broker-crashed" || e.name == "broker-shutdown" || e.name == "broker-exited") {
      running.erase("broker-" + std::to_string(e.int_or("broker", -1)));
    } else if (e.name == "phase" && e.str_or("name", "") == "done") {
      break;
    }
  }
  out.leader_changes = out.leader_elections > 0 ? out.leader_elections - 1 : 0;
  return out;
}

}  // namespace kafkasim::checks

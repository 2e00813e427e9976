// The network rules of the spec (partition, isolate, cut, drop, delay, heal) over endpoints 0..N-1,
// and who can reach whom under them, computed with Boost.Graph. No SimGrid here: the transport asks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenario/units.h"
#include "sim/random.h"

namespace kafkasim::sim {

using RuleId = std::uint64_t;
inline constexpr int kAnyEndpoint = -1;

struct MessageFilter {
  int from = kAnyEndpoint;
  int to = kAnyEndpoint;
  std::string type;  // "" = any message type
  double probability = 1.0;
};

class NetworkRules {
 public:
  explicit NetworkRules(int endpoint_count);
  ~NetworkRules();

  RuleId add_partition(const std::vector<std::vector<int>>& groups);
  RuleId add_isolation(int endpoint);
  RuleId add_cut(int from, int to);
  RuleId add_drop(const MessageFilter& filter);
  RuleId add_delay(const MessageFilter& filter, Micros by);
  bool remove(RuleId id);  // false if it was already gone (healed)
  void clear();
  bool empty() const { return rules_.empty(); }

  // Whether a message from `from` can travel to `to` directly (TCP has no detours).
  bool reachable(int from, int to) const;
  // Applies the drop rules (drawing from `rng` for probabilistic ones).
  bool dropped(int from, int to, const std::string& type, Rng& rng) const;
  Micros extra_delay(int from, int to, const std::string& type) const;
  // Groups of endpoints that can all reach each other both ways (connected components), for narration.
  std::vector<std::vector<int>> components() const;

 private:
  struct Rule;
  RuleId add(Rule rule, bool changes_reachability);
  void rebuild();
  int n_;
  RuleId next_id_ = 1;
  std::map<RuleId, std::unique_ptr<Rule>> rules_;  // ordered: drop draws happen in rule order
  std::vector<char> blocked_;                      // n*n, rebuilt on every change
  struct Graph;
  std::unique_ptr<Graph> graph_;
};

}  // namespace kafkasim::sim

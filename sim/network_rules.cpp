// Reachability as a directed Boost.Graph adjacency matrix of allowed links, rebuilt when a rule changes.
#include "sim/network_rules.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/adjacency_matrix.hpp>
#include <boost/graph/connected_components.hpp>

namespace kafkasim::sim {

struct NetworkRules::Rule {
  enum class Kind { Partition, Isolation, Cut, Drop, Delay } kind = Kind::Cut;
  std::vector<std::vector<int>> groups;
  int a = kAnyEndpoint, b = kAnyEndpoint;
  MessageFilter filter;
  Micros by = 0;
};

struct NetworkRules::Graph {
  explicit Graph(int n) : allowed(static_cast<std::size_t>(n)) {}
  boost::adjacency_matrix<boost::directedS> allowed;
};

NetworkRules::NetworkRules(int endpoint_count) : n_(endpoint_count) { rebuild(); }
NetworkRules::~NetworkRules() = default;

RuleId NetworkRules::add(Rule rule, bool changes_reachability) {
  RuleId id = next_id_++;
  rules_[id] = std::make_unique<Rule>(std::move(rule));
  if (changes_reachability) rebuild();
  return id;
}

RuleId NetworkRules::add_partition(const std::vector<std::vector<int>>& groups) {
  Rule r;
  r.kind = Rule::Kind::Partition;
  r.groups = groups;
  return add(std::move(r), true);
}

RuleId NetworkRules::add_isolation(int endpoint) {
  Rule r;
  r.kind = Rule::Kind::Isolation;
  r.a = endpoint;
  return add(std::move(r), true);
}

RuleId NetworkRules::add_cut(int from, int to) {
  Rule r;
  r.kind = Rule::Kind::Cut;
  r.a = from;
  r.b = to;
  return add(std::move(r), true);
}

RuleId NetworkRules::add_drop(const MessageFilter& filter) {
  Rule r;
  r.kind = Rule::Kind::Drop;
  r.filter = filter;
  return add(std::move(r), false);
}

RuleId NetworkRules::add_delay(const MessageFilter& filter, Micros by) {
  Rule r;
  r.kind = Rule::Kind::Delay;
  r.filter = filter;
  r.by = by;
  return add(std::move(r), false);
}

bool NetworkRules::remove(RuleId id) {
  if (rules_.erase(id) == 0) return false;
  rebuild();
  return true;
}

void NetworkRules::clear() {
  rules_.clear();
  rebuild();
}

void NetworkRules::rebuild() {
  blocked_.assign(static_cast<std::size_t>(n_) * n_, 0);
  auto block = [&](int from, int to) {
    if (from != to) blocked_[static_cast<std::size_t>(from) * n_ + to] = 1;
  };
  for (const auto& [id, r] : rules_) {
    switch (r->kind) {
      case Rule::Kind::Partition: {
        std::vector<int> group_of(n_, -1);
        for (std::size_t g = 0; g < r->groups.size(); ++g)
          for (int e : r->groups[g]) group_of[e] = static_cast<int>(g);
        for (int i = 0; i < n_; ++i)
          for (int j = 0; j < n_; ++j)
            if (group_of[i] >= 0 && group_of[j] >= 0 && group_of[i] != group_of[j]) block(i, j);
        break;
      }
      case Rule::Kind::Isolation:
        for (int j = 0; j < n_; ++j) {
          block(r->a, j);
          block(j, r->a);
        }
        break;
      case Rule::Kind::Cut: block(r->a, r->b); break;
      case Rule::Kind::Drop:
      case Rule::Kind::Delay: break;
    }
  }
  graph_ = std::make_unique<Graph>(n_);
  for (int i = 0; i < n_; ++i)
    for (int j = 0; j < n_; ++j)
      if (i != j && !blocked_[static_cast<std::size_t>(i) * n_ + j]) boost::add_edge(i, j, graph_->allowed);
}

bool NetworkRules::reachable(int from, int to) const {
  if (from == to) return true;
  return boost::edge(from, to, graph_->allowed).second;
}

namespace {
bool matches(const MessageFilter& f, int from, int to, const std::string& type) {
  return (f.from == kAnyEndpoint || f.from == from) && (f.to == kAnyEndpoint || f.to == to) &&
         (f.type.empty() || f.type == type);
}
}  // namespace

bool NetworkRules::dropped(int from, int to, const std::string& type, Rng& rng) const {
  for (const auto& [id, r] : rules_)
    if (r->kind == Rule::Kind::Drop && matches(r->filter, from, to, type) && rng.chance(r->filter.probability))
      return true;
  return false;
}

Micros NetworkRules::extra_delay(int from, int to, const std::string& type) const {
  Micros total = 0;
  for (const auto& [id, r] : rules_)
    if (r->kind == Rule::Kind::Delay && matches(r->filter, from, to, type)) total += r->by;
  return total;
}

std::vector<std::vector<int>> NetworkRules::components() const {
  boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> both_ways(static_cast<std::size_t>(n_));
  for (int i = 0; i < n_; ++i)
    for (int j = i + 1; j < n_; ++j)
      if (reachable(i, j) && reachable(j, i)) boost::add_edge(i, j, both_ways);
  std::vector<int> component(static_cast<std::size_t>(n_));
  int count = boost::connected_components(both_ways, component.data());
  std::vector<std::vector<int>> out(static_cast<std::size_t>(count));
  for (int i = 0; i < n_; ++i) out[component[i]].push_back(i);
  return out;
}

}  // namespace kafkasim::sim

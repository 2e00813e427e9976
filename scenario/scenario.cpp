// The Scenario's own lookups (nodes, topics, partitions, the expected verdict by design), applying a
// --design, and Kafka's replica assignment.
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "scenario/scenario.h"

namespace kafkasim {

std::string Target::text() const {
  switch (kind) {
    case Kind::Node: return node;
    case Kind::Controller: return "controller";
    case Kind::Leader: return "leader:" + partition;
    case Kind::Follower: return "follower:" + partition;
    case Kind::Lagging: return "lagging:" + partition;
    case Kind::Any: return "*";
  }
  return "?";
}

std::vector<std::string> Scenario::node_names() const {
  std::vector<std::string> out;
  for (int b = 1; b <= brokers; ++b) out.push_back(fmt::format("broker-{}", b));
  for (int z = 1; z <= zookeepers; ++z) out.push_back(fmt::format("zk-{}", z));
  for (int c = 1; c <= controllers; ++c) out.push_back(fmt::format("controller-{}", c));
  for (const auto& p : producers) out.push_back(p.id);
  for (const auto& c : consumers) out.push_back(c.id);
  for (const auto& k : sinks) out.push_back(k.id);
  return out;
}

const SinkSpec* Scenario::find_sink(std::string_view id) const {
  for (const auto& k : sinks)
    if (k.id == id) return &k;
  return nullptr;
}

bool Scenario::has_groups() const {
  for (const auto& c : consumers)
    if (!c.group.empty()) return true;
  return false;
}

const TopicSpec* Scenario::find_topic(std::string_view topic) const {
  for (const auto& t : topics)
    if (t.name == topic) return &t;
  return nullptr;
}

const ProducerSpec* Scenario::find_producer(std::string_view id) const {
  for (const auto& p : producers)
    if (p.id == id) return &p;
  return nullptr;
}

std::optional<std::pair<const TopicSpec*, int>> Scenario::find_partition(std::string_view text) const {
  auto dash = text.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= text.size()) return std::nullopt;
  int index = -1;
  auto digits = text.substr(dash + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  const TopicSpec* t = find_topic(text.substr(0, dash));
  if (t == nullptr || index < 0 || index >= t->partitions) return std::nullopt;
  return std::make_pair(t, index);
}

void Scenario::apply_design(const Design& d) {
  design = d;
  if (d.kraft()) {
    zookeepers = 0;
    if (controllers == 0) controllers = 3;
  } else {
    controllers = 0;
    zookeepers = 1;
  }
  Config fresh = Config::defaults_for(d);
  for (const auto& [k, v] : config.explicit_values) fresh.set(k, v);
  fresh.explicit_values = config.explicit_values;
  config = fresh;
  for (auto& p : producers) {
    Config pc = config;
    for (const auto& [k, v] : p.config.explicit_values) pc.set(k, v);
    pc.explicit_values = p.config.explicit_values;
    p.config = pc;
    if (p.config.explicit_values.count("acks") == 0) p.acks = pc.str("acks");
  }
  for (auto& c : consumers) {
    Config cc = config;
    for (const auto& [k, v] : c.config.explicit_values) cc.set(k, v);
    cc.explicit_values = c.config.explicit_values;
    c.config = cc;
  }
}

std::string control_plane_mismatch(const Scenario& s) {
  const bool kraft = s.design.kraft();
  auto wrong = [&](const Target& t) {
    return t.kind == Target::Kind::Node &&
           (kraft ? t.node.rfind("zk-", 0) == 0 : t.node.rfind("controller-", 0) == 0);
  };
  for (const auto& e : s.events) {
    const Action& a = e.action;
    bool bad = kraft && a.kind == ActionKind::ExpireSession;
    for (const auto& t : a.targets) bad |= wrong(t);
    for (const auto& g : a.groups)
      for (const auto& t : g) bad |= wrong(t);
    bad |= wrong(a.filter.from) || wrong(a.filter.to);
    if (bad)
      return kraft ? fmt::format("{} needs ZooKeeper (line {}: {}); {} is a KRaft design", s.name, e.pos.line,
                                 a.kind == ActionKind::ExpireSession ? "expire-session" : "a zk- node", s.design.label())
                   : fmt::format("{} needs KRaft (line {} names a controller node); {} is a ZooKeeper-mode design",
                                 s.name, e.pos.line, s.design.label());
  }
  return "";
}

std::vector<std::vector<int>> round_robin_assignment(int brokers, int partitions, int replication_factor) {
  // AdminUtils.assignReplicasToBrokersRackUnaware with startIndex = 0 and nextReplicaShift = 0.
  std::vector<std::vector<int>> out;
  int shift = 0;
  for (int p = 0; p < partitions; ++p) {
    if (p > 0 && p % brokers == 0) ++shift;
    int first = p % brokers;
    std::vector<int> replicas{first + 1};
    for (int j = 0; j < replication_factor - 1; ++j) {
      int index = brokers > 1 ? (first + 1 + (shift + j) % (brokers - 1)) % brokers : first;
      replicas.push_back(index + 1);
    }
    out.push_back(replicas);
  }
  return out;
}

const std::vector<std::string>& Scenario::expected_for(const Design& d) const {
  for (const auto& e : expected_by_design)
    if (e.design.same_as(d)) return e.violations;
  return expected_violations;
}

}  // namespace kafkasim

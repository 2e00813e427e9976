// Reads a scenario file with yaml-cpp into a validated Scenario; every error names FILE:LINE:COL.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "scenario/scenario.h"
#include "scenario/suggest.h"

namespace kafkasim {

std::string Target::text() const {
  switch (kind) {
    case Kind::Node: return node;
    case Kind::Controller: return "controller";
    case Kind::Leader: return "leader:" + partition;
    case Kind::Follower: return "follower:" + partition;
    case Kind::Any: return "*";
  }
  return "?";
}

std::vector<std::string> Scenario::node_names() const {
  std::vector<std::string> out;
  for (int b = 1; b <= brokers; ++b) out.push_back(fmt::format("broker-{}", b));
  for (int z = 1; z <= zookeepers; ++z) out.push_back(fmt::format("zk-{}", z));
  for (const auto& p : producers) out.push_back(p.id);
  for (const auto& c : consumers) out.push_back(c.id);
  return out;
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

namespace {

const std::vector<std::string_view> kTopKeys = {"name",   "summary",   "description", "seed",
                                                "duration", "settle",  "design",      "cluster",
                                                "config", "topics",    "producers",   "consumers",
                                                "events", "expect"};

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Scenario parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      fail(e.mark, fmt::format("malformed YAML: {}", e.msg));
    }
    if (!root || root.IsNull()) fail(YAML::Mark(), "empty scenario file: expected a mapping with name, summary, "
                                                   "duration, cluster, ...");
    if (!root.IsMap()) fail(root, "a scenario is a mapping of keys (name:, summary:, duration:, ...)");
    check_keys(root, "scenario", kTopKeys);

    Scenario s;
    s.file = file_;
    s.source_text = text;
    s.name = scalar(require(root, "name", "scenario"), "name");
    if (!std::regex_match(s.name, std::regex("[a-z0-9-]+")))
      fail(root["name"], fmt::format("name '{}' may only use a-z, 0-9 and '-'", s.name));
    s.summary = scalar(require(root, "summary", "scenario"), "summary");
    if (root["description"]) s.description = scalar(root["description"], "description");
    if (root["seed"]) s.seed = static_cast<std::uint64_t>(integer(root["seed"], "seed", 0, INT64_MAX));
    s.duration = duration(require(root, "duration", "scenario"), "duration");
    if (s.duration <= 0) fail(root["duration"], "duration must be longer than 0s");
    if (root["settle"]) s.settle = duration(root["settle"], "settle");

    parse_design(root, s);
    s.config = Config::defaults_for(s.design);
    parse_cluster(require(root, "cluster", "scenario"), s);
    if (root["config"]) parse_config(root["config"], s.config, "config", std::nullopt);
    if (root["topics"]) parse_topics(root["topics"], s);
    if (root["producers"]) parse_producers(root["producers"], s);
    if (root["consumers"]) parse_consumers(root["consumers"], s);
    if (root["events"]) parse_events(root["events"], s);
    if (root["expect"]) parse_expect(root["expect"], s);
    return s;
  }

 private:
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    int line = mark.line >= 0 ? mark.line + 1 : 1;
    int column = mark.column >= 0 ? mark.column + 1 : 1;
    throw InputError(fmt::format("{}:{}:{}: {}", file_, line, column, message));
  }
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const { fail(at.Mark(), message); }

  void check_keys(const YAML::Node& map, std::string_view what, const std::vector<std::string_view>& known) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second) fail(it->first, fmt::format("'{}' appears twice in {}", key, what));
      if (std::find(known.begin(), known.end(), key) == known.end())
        fail(it->first, fmt::format("unknown key '{}' in {}{}", key, what, did_you_mean(key, known)));
    }
  }

  YAML::Node require(const YAML::Node& map, std::string_view key, std::string_view what) {
    YAML::Node n = map[std::string(key)];
    if (!n) fail(map, fmt::format("{} is missing the required key '{}'", what, key));
    return n;
  }

  std::string scalar(const YAML::Node& n, std::string_view what) {
    if (!n.IsScalar()) fail(n, fmt::format("{} must be a single value", what));
    return n.Scalar();
  }

  std::int64_t integer(const YAML::Node& n, std::string_view what, std::int64_t lo, std::int64_t hi) {
    std::string s = scalar(n, what);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size())
      fail(n, fmt::format("{} must be a whole number, not '{}'", what, s));
    if (v < lo || v > hi) {
      if (hi == INT64_MAX) fail(n, fmt::format("{} must be at least {}, not {}", what, lo, v));
      fail(n, fmt::format("{} must be between {} and {}, not {}", what, lo, hi, v));
    }
    return v;
  }

  Micros duration(const YAML::Node& n, std::string_view what) {
    std::string s = scalar(n, what), error;
    auto d = parse_duration(s, error);
    if (!d) fail(n, fmt::format("{}: {}", what, error));
    return *d;
  }

  void parse_design(const YAML::Node& root, Scenario& s) {
    std::string error;
    std::optional<Design> d;
    YAML::Node n = root["design"];
    if (!n) {
      d = resolve_design(kDefaultPreset, {}, error);
    } else if (n.IsScalar()) {
      d = resolve_design(n.Scalar(), {}, error);
      s.design_text = n.Scalar();
    } else if (n.IsMap()) {
      std::vector<std::string_view> known{"base"};
      for (const auto& sw : all_switches()) known.push_back(sw.name);
      check_keys(n, "design", known);
      std::string base = scalar(require(n, "base", "design"), "design base");
      std::map<std::string, std::string> overrides;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (it->first.Scalar() == "base") continue;
        overrides[it->first.Scalar()] = scalar(it->second, it->first.Scalar());
        // Point at the value if this override is the bad one.
        std::string one_error;
        if (!resolve_design(base, {{it->first.Scalar(), it->second.Scalar()}}, one_error) &&
            find_preset(base) != nullptr)
          fail(it->second, one_error);
      }
      d = resolve_design(base, overrides, error);
      if (!d) fail(n["base"], error);
      s.design_text = d->label();
    } else {
      fail(n, "design is a preset name or {base: preset, switch: value, ...}");
    }
    if (!d) fail(n, error);
    s.design = *d;
  }

  void parse_cluster(const YAML::Node& n, Scenario& s) {
    if (!n.IsMap()) fail(n, "cluster is a mapping: {brokers: 3, zookeeper: 1, network: {latency: 1ms}}");
    check_keys(n, "cluster", {"brokers", "zookeeper", "network"});
    s.brokers = static_cast<int>(integer(require(n, "brokers", "cluster"), "cluster.brokers", 1, 1000));
    if (n["zookeeper"]) {
      s.zookeepers = static_cast<int>(integer(n["zookeeper"], "cluster.zookeeper", 1, 1000));
      if (s.zookeepers != 1)
        fail(n["zookeeper"], "version 1 models one ZooKeeper server: cluster.zookeeper must be 1");
    }
    if (YAML::Node net = n["network"]) {
      if (!net.IsMap()) fail(net, "cluster.network is a mapping: {latency: 1ms}");
      check_keys(net, "cluster.network", {"latency"});
      if (net["latency"]) s.latency = duration(net["latency"], "network latency");
    }
  }

  // Reads Kafka configs into `config`; `only` limits the allowed scope (producer/consumer blocks).
  void parse_config(const YAML::Node& n, Config& config, std::string_view what,
                    std::optional<std::vector<std::string_view>> only) {
    if (!n.IsMap()) fail(n, fmt::format("{} is a mapping of Kafka config names to values", what));
    std::vector<std::string_view> known = only ? *only : all_config_names();
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second) fail(it->first, fmt::format("'{}' appears twice in {}", key, what));
      const ConfigInfo* info = find_config(key);
      if (info == nullptr || std::find(known.begin(), known.end(), key) == known.end()) {
        std::string where = info ? fmt::format(" ('{}' is not a setting of {})", key, what) : "";
        fail(it->first, fmt::format("unknown config '{}' in {}{}{}", key, what, where,
                                    info ? "" : did_you_mean(key, known)));
      }
      std::string value = scalar(it->second, key);
      std::string problem = validate_config_value(*info, value);
      if (!problem.empty()) {
        if (info->type == ConfigType::Int && key.size() > 3 && key.substr(key.size() - 3) == ".ms")
          problem += " (Kafka's own unit: milliseconds)";
        fail(it->second, problem);
      }
      config.set(key, value);
      config.explicit_values[key] = value;
    }
  }

  void parse_topics(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "topics is a list: - {name: t, partitions: 1, replication.factor: 3}");
    std::vector<std::string_view> known{"name", "partitions", "replication.factor", "assignment"};
    for (auto c : config_names(ConfigScope::Topic)) known.push_back(c);
    for (const auto& t : n) {
      if (!t.IsMap()) fail(t, "a topic is a mapping: {name: t, partitions: 1, replication.factor: 3}");
      check_keys(t, "topic", known);
      TopicSpec topic;
      topic.name = scalar(require(t, "name", "topic"), "topic name");
      if (!std::regex_match(topic.name, std::regex("[A-Za-z0-9._]+(-[A-Za-z0-9._]+)*")))
        fail(t["name"], fmt::format("topic name '{}' may use letters, digits, '.', '_' and '-'", topic.name));
      if (s.find_topic(topic.name)) fail(t["name"], fmt::format("topic '{}' is defined twice", topic.name));
      if (t["partitions"]) topic.partitions = static_cast<int>(integer(t["partitions"], "partitions", 1, 100000));
      if (t["replication.factor"]) {
        topic.replication_factor =
            static_cast<int>(integer(t["replication.factor"], "replication.factor", 1, 1000));
        if (topic.replication_factor > s.brokers)
          fail(t["replication.factor"],
               fmt::format("replication.factor {} is more than the {} broker{} of the cluster",
                           topic.replication_factor, s.brokers, s.brokers == 1 ? "" : "s"));
      }
      topic.assignment = round_robin_assignment(s.brokers, topic.partitions, topic.replication_factor);
      if (YAML::Node a = t["assignment"]) parse_assignment(a, s, topic);
      for (auto c : config_names(ConfigScope::Topic)) {
        if (YAML::Node v = t[std::string(c)]) {
          std::string value = scalar(v, c);
          std::string problem = validate_config_value(*find_config(c), value);
          if (!problem.empty()) fail(v, problem);
          topic.configs[std::string(c)] = value;
        }
      }
      s.topics.push_back(std::move(topic));
    }
  }

  void parse_assignment(const YAML::Node& a, const Scenario& s, TopicSpec& topic) {
    if (!a.IsMap()) fail(a, "assignment maps partition index to broker ids: {0: [1, 2, 3]}");
    for (auto it = a.begin(); it != a.end(); ++it) {
      int p = static_cast<int>(integer(it->first, "partition index", 0, topic.partitions - 1));
      YAML::Node list = it->second;  // a copy: the iterator yields a temporary
      if (!list.IsSequence()) fail(list, "a partition's assignment is a list of broker ids: [1, 2, 3]");
      if (static_cast<int>(list.size()) != topic.replication_factor)
        fail(list, fmt::format("partition {} lists {} replicas but replication.factor is {}", p, list.size(),
                               topic.replication_factor));
      std::vector<int> replicas;
      for (const auto& b : list) {
        int id = static_cast<int>(integer(b, "broker id", 1, INT32_MAX));
        if (id > s.brokers)
          fail(b, fmt::format("unknown broker {}: the cluster has brokers 1..{}", id, s.brokers));
        if (std::find(replicas.begin(), replicas.end(), id) != replicas.end())
          fail(b, fmt::format("broker {} is listed twice for partition {}", id, p));
        replicas.push_back(id);
      }
      topic.assignment[p] = replicas;
    }
  }

  void check_client_id(const YAML::Node& n, const std::string& id, const Scenario& s) {
    if (!std::regex_match(id, std::regex("[A-Za-z0-9_.-]+")))
      fail(n, fmt::format("client id '{}' may use letters, digits, '.', '_' and '-'", id));
    if (id == "controller" || id == "all" || id.rfind("broker-", 0) == 0 || id.rfind("zk-", 0) == 0)
      fail(n, fmt::format("client id '{}' is reserved for nodes or targets", id));
    for (const auto& p : s.producers)
      if (p.id == id) fail(n, fmt::format("client id '{}' is used twice", id));
    for (const auto& c : s.consumers)
      if (c.id == id) fail(n, fmt::format("client id '{}' is used twice", id));
  }

  const TopicSpec& topic_ref(const YAML::Node& n, const Scenario& s) {
    std::string name = scalar(n, "topic");
    if (const TopicSpec* t = s.find_topic(name)) return *t;
    std::vector<std::string_view> names;
    for (const auto& t : s.topics) names.push_back(t.name);
    fail(n, fmt::format("unknown topic '{}'{}", name,
                        names.empty() ? " (the scenario defines no topics)" : did_you_mean(name, names)));
  }

  void parse_producers(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "producers is a list: - {id: p1, topic: t, acks: all, rate: 10/s}");
    std::vector<std::string_view> known{"id", "topic", "acks", "rate", "from", "until", "partition"};
    std::vector<std::string_view> producer_configs = config_names(ConfigScope::Producer);
    for (auto c : producer_configs)
      if (std::find(known.begin(), known.end(), c) == known.end()) known.push_back(c);
    for (const auto& pn : n) {
      if (!pn.IsMap()) fail(pn, "a producer is a mapping: {id: p1, topic: t, acks: all}");
      check_keys(pn, "producer", known);
      ProducerSpec p;
      p.id = scalar(require(pn, "id", "producer"), "producer id");
      check_client_id(pn["id"], p.id, s);
      const TopicSpec& topic = topic_ref(require(pn, "topic", "producer"), s);
      p.topic = topic.name;
      p.config = s.config;
      for (auto it = pn.begin(); it != pn.end(); ++it)
        if (find_config(it->first.Scalar()) != nullptr)
          parse_config_entry(it->first, it->second, p.config, producer_configs);
      p.acks = p.config.str("acks");
      if (pn["rate"]) {
        std::string error;
        auto r = parse_rate(scalar(pn["rate"], "rate"), error);
        if (!r) fail(pn["rate"], error);
        p.rate_per_s = *r;
      }
      p.from = pn["from"] ? duration(pn["from"], "from") : 0;
      p.until = pn["until"] ? duration(pn["until"], "until") : s.duration;
      if (p.until < p.from) fail(pn["until"], "until is before from");
      if (pn["partition"])
        p.partition = static_cast<int>(integer(pn["partition"], "partition", 0, topic.partitions - 1));
      s.producers.push_back(std::move(p));
    }
  }

  void parse_config_entry(const YAML::Node& key_node, const YAML::Node& value_node, Config& config,
                          const std::vector<std::string_view>& allowed) {
    std::string key = key_node.Scalar();
    const ConfigInfo* info = find_config(key);
    if (info == nullptr || std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(key_node, fmt::format("'{}' is not a client setting here", key));
    std::string value = scalar(value_node, key);
    std::string problem = validate_config_value(*info, value);
    if (!problem.empty()) fail(value_node, problem);
    config.set(key, value);
    config.explicit_values[key] = value;
  }

  void parse_consumers(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "consumers is a list: - {id: c1, topic: t}");
    std::vector<std::string_view> known{"id", "topic", "from"};
    std::vector<std::string_view> consumer_configs = config_names(ConfigScope::Consumer);
    for (auto c : consumer_configs) known.push_back(c);
    for (const auto& cn : n) {
      if (!cn.IsMap()) fail(cn, "a consumer is a mapping: {id: c1, topic: t}");
      check_keys(cn, "consumer", known);
      ConsumerSpec c;
      c.id = scalar(require(cn, "id", "consumer"), "consumer id");
      check_client_id(cn["id"], c.id, s);
      c.topic = topic_ref(require(cn, "topic", "consumer"), s).name;
      c.from = cn["from"] ? duration(cn["from"], "from") : 0;
      c.config = s.config;
      for (auto it = cn.begin(); it != cn.end(); ++it)
        if (find_config(it->first.Scalar()) != nullptr)
          parse_config_entry(it->first, it->second, c.config, consumer_configs);
      s.consumers.push_back(std::move(c));
    }
  }

  // What a target may name, per action.
  enum class Allow { Brokers, Nodes, NodesAndClients };

  Target target(const YAML::Node& n, const Scenario& s, Allow allow, bool star_ok) {
    std::string text = scalar(n, "target");
    Target t;
    if (text == "*" && star_ok) return Target{Target::Kind::Any, "", ""};
    if (text == "controller") return Target{Target::Kind::Controller, "", ""};
    for (auto [prefix, kind] : {std::pair{"leader:", Target::Kind::Leader},
                                std::pair{"follower:", Target::Kind::Follower}}) {
      std::string_view p(prefix);
      if (text.rfind(p, 0) == 0) {
        std::string partition = text.substr(p.size());
        check_partition(n, partition, s);
        return Target{kind, "", partition};
      }
    }
    std::vector<std::string> names = s.node_names();
    bool is_node = std::find(names.begin(), names.end(), text) != names.end();
    bool is_broker = text.rfind("broker-", 0) == 0 && is_node;
    bool is_zk = text.rfind("zk-", 0) == 0 && is_node;
    if (!is_node) {
      std::vector<std::string_view> known;
      for (const auto& name : names) known.push_back(name);
      known.push_back("controller");
      std::string hint = text.rfind("broker-", 0) == 0
                             ? fmt::format(" (the cluster has broker-1..broker-{})", s.brokers)
                             : did_you_mean(text, known);
      fail(n, fmt::format("unknown node '{}'{}", text, hint));
    }
    if (allow == Allow::Brokers && !is_broker)
      fail(n, fmt::format("'{}' is not a broker: this action targets brokers (or controller, leader:P, "
                          "follower:P) in version 1",
                          text));
    if (allow == Allow::Nodes && !is_broker && !is_zk)
      fail(n, fmt::format("'{}' is a client: clients are not fault targets in version 1", text));
    t.node = text;
    return t;
  }

  std::vector<Target> targets(const YAML::Node& n, const Scenario& s, Allow allow) {
    std::vector<Target> out;
    if (n.IsSequence()) {
      if (n.size() == 0) fail(n, "the target list is empty");
      for (const auto& item : n) out.push_back(target(item, s, allow, false));
    } else {
      out.push_back(target(n, s, allow, false));
    }
    return out;
  }

  void check_partition(const YAML::Node& n, const std::string& partition, const Scenario& s) {
    if (s.find_partition(partition)) return;
    std::vector<std::string> all;
    for (const auto& t : s.topics)
      for (int p = 0; p < t.partitions; ++p) all.push_back(fmt::format("{}-{}", t.name, p));
    std::vector<std::string_view> known(all.begin(), all.end());
    fail(n, fmt::format("unknown partition '{}'{}", partition,
                        all.empty() ? " (the scenario defines no topics)" : did_you_mean(partition, known)));
  }

  FieldValue field_value(const YAML::Node& n, std::string_view field, const Scenario& s) {
    if (!n.IsScalar()) fail(n, fmt::format("the value of '{}' must be a single value", field));
    std::string v = n.Scalar();
    if (field == "broker" || field == "leader" || field == "from") {
      if (v.rfind("broker-", 0) == 0) v = v.substr(7);
      std::int64_t id = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
      if (ec == std::errc() && ptr == v.data() + v.size()) {
        if (id < (field == "leader" ? -1 : 1) || id > s.brokers)
          fail(n, fmt::format("unknown broker {}: the cluster has brokers 1..{}", id, s.brokers));
        return id;
      }
      if (field != "from") fail(n, fmt::format("'{}' names a broker id (1..{})", field, s.brokers));
      return n.Scalar();
    }
    if (field == "partition") {
      check_partition(n, v, s);
      return v;
    }
    if (field == "producer" && !s.find_producer(v)) fail(n, fmt::format("unknown producer '{}'", v));
    if (field == "consumer") {
      bool found = std::any_of(s.consumers.begin(), s.consumers.end(), [&](auto& c) { return c.id == v; });
      if (!found) fail(n, fmt::format("unknown consumer '{}'", v));
    }
    if (v == "true") return true;
    if (v == "false") return false;
    std::int64_t i = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
    if (ec == std::errc() && ptr == v.data() + v.size() && n.Tag() != "!") return i;
    return v;
  }

  Trigger parse_when(const YAML::Node& e, const Scenario& s) {
    Trigger t;
    t.at_time = false;
    const YAML::Node& w = e["when"];
    if (!w.IsMap()) fail(w, "when: is a mapping: {event: produce-acked, producer: p1, value: m2}");
    std::string name = scalar(require(w, "event", "when"), "event");
    const HistoryEventInfo* info = find_history_event(name);
    if (info == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& h : all_history_events()) names.push_back(h.name);
      fail(w["event"], fmt::format("unknown history event '{}'{}", name, did_you_mean(name, names)));
    }
    t.event = name;
    for (auto it = w.begin(); it != w.end(); ++it) {
      std::string field = it->first.Scalar();
      if (field == "event") continue;
      if (std::find(info->fields.begin(), info->fields.end(), field) == info->fields.end())
        fail(it->first, fmt::format("history event '{}' has no field '{}' (it has: {}){}", name, field,
                                    join_names(info->fields), did_you_mean(field, info->fields)));
      t.fields.emplace_back(field, field_value(it->second, field, s));
    }
    if (e["since"]) t.since = duration(e["since"], "since");
    if (e["after"]) t.after = duration(e["after"], "after");
    if (e["times"]) t.times = static_cast<int>(integer(e["times"], "times", 1, 1000000));
    return t;
  }

  NetworkFilter filter(const YAML::Node& n, const Scenario& s, ActionKind kind) {
    std::string_view what = action_info(kind).name;
    if (!n.IsMap()) fail(n, fmt::format("{} takes a mapping: {{from: A, to: B{}}}", what,
                                        kind == ActionKind::Delay ? ", by: 200ms" : ""));
    std::vector<std::string_view> known{"from", "to"};
    if (kind != ActionKind::Cut) known.insert(known.end(), {"type", "probability"});
    if (kind == ActionKind::Delay) known.push_back("by");
    check_keys(n, what, known);
    NetworkFilter f;
    if (kind == ActionKind::Cut) {
      require(n, "from", "cut");
      require(n, "to", "cut");
    }
    if (n["from"]) f.from = target(n["from"], s, Allow::NodesAndClients, kind != ActionKind::Cut);
    if (n["to"]) f.to = target(n["to"], s, Allow::NodesAndClients, kind != ActionKind::Cut);
    if (YAML::Node type = n["type"]) {
      f.type = scalar(type, "type");
      if (f.type == "*") f.type.clear();
      else if (!is_message_type(f.type))
        fail(type, fmt::format("unknown message type '{}'{}", f.type, did_you_mean(f.type, all_message_types())));
    }
    if (YAML::Node p = n["probability"]) {
      std::string text = scalar(p, "probability");
      char* end = nullptr;
      f.probability = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() || !(f.probability >= 0.0 && f.probability <= 1.0))
        fail(p, fmt::format("probability must be a number from 0 to 1, not '{}'", text));
    }
    if (kind == ActionKind::Delay) {
      f.by = duration(require(n, "by", "delay"), "by");
      if (f.by <= 0) fail(n["by"], "a delay must add more than 0ms");
    }
    return f;
  }

  Action parse_action(ActionKind kind, const YAML::Node& n, const Scenario& s) {
    Action a;
    a.kind = kind;
    switch (kind) {
      case ActionKind::Crash:
      case ActionKind::PowerLoss:
      case ActionKind::Restart:
      case ActionKind::Pause:
      case ActionKind::Resume:
      case ActionKind::ExpireSession:
      case ActionKind::Shutdown:
        a.targets = targets(n, s, Allow::Brokers);
        break;
      case ActionKind::Isolate:
        a.targets = targets(n, s, Allow::NodesAndClients);
        break;
      case ActionKind::Partition: {
        if (!n.IsSequence() || n.size() < 2)
          fail(n, "partition takes two or more groups of nodes: [[broker-1, broker-2], [broker-3, zk-1]]");
        std::set<std::string> seen;
        for (const auto& g : n) {
          if (!g.IsSequence()) fail(g, "each partition group is a list of nodes: [broker-1, zk-1]");
          a.groups.push_back(targets(g, s, Allow::NodesAndClients));
          for (std::size_t i = 0; i < g.size(); ++i)
            if (!seen.insert(a.groups.back()[i].text()).second)
              fail(g[i], fmt::format("'{}' is in two groups of the partition", a.groups.back()[i].text()));
        }
        break;
      }
      case ActionKind::Cut:
      case ActionKind::Drop:
      case ActionKind::Delay:
        a.filter = filter(n, s, kind);
        break;
      case ActionKind::Heal:
        if (scalar(n, "heal") != "all") fail(n, "heal takes 'all' (it removes every network rule)");
        break;
      case ActionKind::ElectPreferredLeader:
        a.partition = scalar(n, "elect-preferred-leader");
        if (a.partition != "all") check_partition(n, a.partition, s);
        break;
      case ActionKind::Produce: {
        if (!n.IsMap()) fail(n, "produce takes a mapping: {producer: p1, partition: 0, value: m1}");
        check_keys(n, "produce", {"producer", "partition", "value", "count"});
        YAML::Node pn = require(n, "producer", "produce");
        std::string id = scalar(pn, "producer");
        const ProducerSpec* p = s.find_producer(id);
        if (p == nullptr) {
          std::vector<std::string_view> ids;
          for (const auto& q : s.producers) ids.push_back(q.id);
          fail(pn, fmt::format("unknown producer '{}'{}", id,
                               ids.empty() ? " (the scenario defines no producers)" : did_you_mean(id, ids)));
        }
        a.produce.producer = id;
        const TopicSpec* t = s.find_topic(p->topic);
        a.produce.partition = p->partition.value_or(0);
        if (n["partition"])
          a.produce.partition = static_cast<int>(integer(n["partition"], "partition", 0, t->partitions - 1));
        if (n["value"]) a.produce.value = scalar(n["value"], "value");
        if (n["count"]) a.produce.count = static_cast<int>(integer(n["count"], "count", 1, 1000000));
        break;
      }
    }
    return a;
  }

  void parse_events(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "events is a list: - {at: 5s, crash: broker-1, for: 10s}");
    std::vector<std::string_view> known{"at", "when", "since", "after", "times", "for"};
    std::vector<std::string_view> action_names;
    for (const auto& a : all_actions()) action_names.push_back(a.name);
    known.insert(known.end(), action_names.begin(), action_names.end());
    int index = 0;
    for (const auto& e : n) {
      if (!e.IsMap()) fail(e, "an event is a mapping: {at: 5s, crash: broker-1}");
      check_keys(e, "event", known);
      ScenarioEvent ev;
      ev.index = index++;
      ev.pos = {e.Mark().line + 1, e.Mark().column + 1};
      bool has_at = static_cast<bool>(e["at"]), has_when = static_cast<bool>(e["when"]);
      if (has_at == has_when)
        fail(e, has_at ? "an event has one trigger: at: or when:, not both"
                       : "an event needs a trigger: at: 5s or when: {event: ...}");
      if (has_at) {
        for (const char* k : {"since", "after", "times"})
          if (e[k]) fail(e[k], fmt::format("'{}' goes with when:, not at:", k));
        ev.trigger.at = duration(e["at"], "at");
        if (ev.trigger.at >= s.duration)
          fail(e["at"], fmt::format("at: {} is not inside the fault phase (duration: {}); the settle phase that "
                                    "follows heals every fault",
                                    e["at"].Scalar(), format_duration(s.duration)));
      } else {
        ev.trigger = parse_when(e, s);
      }
      std::vector<std::string> found;
      YAML::Node action_node;
      for (auto it = e.begin(); it != e.end(); ++it)
        if (find_action(it->first.Scalar())) {
          found.push_back(it->first.Scalar());
          if (found.size() == 1) action_node = it->second;
        }
      if (found.empty())
        fail(e, fmt::format("an event needs one action: {}", join_names(action_names, " or ")));
      if (found.size() > 1)
        fail(e, fmt::format("an event has exactly one action; this one has {} and {}", found[0], found[1]));
      ActionKind kind = *find_action(found[0]);
      ev.action = parse_action(kind, action_node, s);
      if (YAML::Node f = e["for"]) {
        if (!action_info(kind).takes_for)
          fail(f, fmt::format("for: cannot undo {} (it applies to crash, power-loss, shutdown, pause and network "
                              "rules)",
                              found[0]));
        ev.undo_after = duration(f, "for");
        if (*ev.undo_after <= 0) fail(f, "for: must be longer than 0s");
      }
      s.events.push_back(std::move(ev));
    }
  }

  void parse_expect(const YAML::Node& n, Scenario& s) {
    if (!n.IsMap()) fail(n, "expect is a mapping: {violations: [acked-write-lost]}");
    check_keys(n, "expect", {"violations"});
    YAML::Node v = n["violations"];
    if (!v) return;
    if (!v.IsSequence()) fail(v, "expect.violations is a list of property names ([] for none)");
    std::vector<std::string_view> names;
    for (const auto& p : all_properties()) names.push_back(p.name);
    for (const auto& item : v) {
      std::string name = scalar(item, "property");
      if (!is_property(name))
        fail(item, fmt::format("unknown property '{}'{}", name, did_you_mean(name, names)));
      if (std::find(s.expected_violations.begin(), s.expected_violations.end(), name) ==
          s.expected_violations.end())
        s.expected_violations.push_back(name);
    }
    std::sort(s.expected_violations.begin(), s.expected_violations.end());
  }

  std::string file_;
};

}  // namespace

Scenario parse_scenario_text(const std::string& text, const std::string& file_label) {
  return Parser(file_label).parse(text);
}

Scenario parse_scenario_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(fmt::format("{}:1:1: is a directory, not a scenario file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}:1:1: cannot read the file: {}", path, std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_scenario_text(buffer.str(), path);
}

}  // namespace kafkasim

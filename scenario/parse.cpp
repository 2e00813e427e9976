// Reads a scenario file with yaml-cpp into a validated Scenario. Every mistake names FILE:LINE:COL, and
// all of a file's mistakes are reported at once (up to limits::kMaxErrorsReported): a mistake unwinds to
// the nearest recovery point (a top-level key, a list item, a config entry) and parsing goes on, with
// later checks that depend on a broken part skipped rather than reported as mistakes of their own.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "scenario/limits.h"
#include "scenario/scenario.h"
#include "scenario/source_text.h"
#include "scenario/suggest.h"

namespace kafkasim {

namespace {

const std::vector<std::string_view> kTopKeys = {"name",   "summary",   "description", "seed",
                                                "duration", "settle",  "design",      "cluster",
                                                "config", "topics",    "producers",   "consumers",
                                                "events", "expect",    "sinks",       "lesson"};
const std::vector<std::string_view> kClusterKeys = {"brokers", "zookeeper", "controllers", "network", "racks"};
const std::vector<std::string_view> kTopicKeys = {"name", "partitions", "replication.factor", "assignment"};
const std::vector<std::string_view> kProducerKeys = {"id", "topic", "acks", "rate", "from", "until", "partition"};
const std::vector<std::string_view> kConsumerKeys = {"id",   "topic", "from",     "group", "processing", "commit",
                                                     "sink", "key",   "delivery", "retry", "workers",    "config"};
const std::vector<std::string_view> kSinkKeys = {"id", "kind"};
// Kafka's internal topic of committed offsets: made by the parser for a scenario with groups, never by the file.
constexpr std::string_view kOffsetsTopic = "__consumer_offsets";
const std::vector<std::string_view> kEventKeys = {"at", "when", "since", "after", "times", "for"};
const std::vector<std::string_view> kExpectKeys = {"violations", "designs"};

// Where a key that is unknown in one place belongs instead: a hint for an indentation mistake.
std::string belongs_elsewhere(std::string_view key, std::string_view here) {
  auto in = [&](const std::vector<std::string_view>& keys) { return std::find(keys.begin(), keys.end(), key) != keys.end(); };
  std::string_view where;
  if (in(kEventKeys) || find_action(key)) where = "an event (a list item under events:)";
  else if (in(kClusterKeys)) where = "cluster:";
  else if (key == "partitions" || key == "replication.factor" || key == "assignment") where = "a topic (under topics:)";
  else if (key == "acks" || key == "rate" || key == "until") where = "a producer (under producers:)";
  else if (in(kExpectKeys)) where = "expect:";
  else if (key == "latency") where = "cluster.network:";
  else if (key == "base") where = "design:";
  else if (in(kTopKeys)) where = "the top level of the file";
  if (where.empty() || where.find(here) != std::string_view::npos) return "";
  return fmt::format(": '{}' is a key of {}; is it indented {}?", key, where,
                     where == "the top level of the file" ? "too much" : "wrongly");
}

// Where a second YAML document with content starts, if there is one. Not YAML::LoadAll: in yaml-cpp 0.7 it
// loops forever (allocating) on some malformed input (yaml-cpp PR #1319); here at most two documents are
// read, and a document of nothing but a null (what that loop yields) does not count.
class DocumentCounter : public YAML::EventHandler {
 public:
  int with_content = 0;
  std::optional<YAML::Mark> second;
  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark, content_ = false; }
  void OnDocumentEnd() override {
    if (content_ && ++with_content == 2) second = start_;
  }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content_ = true; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override { content_ = true; }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content_ = true;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content_ = true;
  }
  void OnMapEnd() override {}

 private:
  YAML::Mark start_;
  bool content_ = false;
};

std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int round = 0; round < 3 && !counter.second && parser.HandleNextDocument(counter); ++round) {
  }
  return counter.second;
}

struct Abort {};    // a mistake was recorded: unwind to the nearest recovery point
struct TooMany {};  // the report bound was reached: stop

class Parser {
 public:
  Parser(std::string file, const std::string& text) : file_(std::move(file)), text_(text) {}

  Scenario parse() {
    Scenario s;
    s.file = file_;
    s.source_text = text_;
    try {
      parse_into(s);
    } catch (const Abort&) {
    } catch (const TooMany&) {
    }
    if (!errors_.empty()) throw InputError(report());
    return s;
  }

 private:
  struct Error {
    int line, column;
    std::string text;  // the whole "FILE:L:C: message" plus any following context lines
  };

  std::string report() const {
    std::vector<Error> sorted = errors_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Error& a, const Error& b) { return std::pair(a.line, a.column) < std::pair(b.line, b.column); });
    std::string out;
    for (const auto& e : sorted) out += (out.empty() ? "" : "\n") + e.text;
    if (stopped_)
      out += fmt::format("\n{}: stopped after {} mistakes; fix these and check again", file_, limits::kMaxErrorsReported);
    return out;
  }

  // ---- recording mistakes

  void note(int line, int column, const std::string& message, const std::string& context = "") {
    if (errors_.size() >= limits::kMaxErrorsReported) {
      stopped_ = true;
      throw TooMany{};
    }
    std::string text = fmt::format("{}:{}:{}: {}", file_, line, column, message);
    if (!context.empty()) text += "\n" + context;
    errors_.push_back(Error{line, column, std::move(text)});
  }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) {
    note(mark.line >= 0 ? mark.line + 1 : 1, mark.column >= 0 ? mark.column + 1 : 1, message);
    throw Abort{};
  }
  YAML::Mark mark_of(const YAML::Node& n) const {
    if (n.IsDefined()) return n.Mark();
    return fallback_;
  }
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) { fail(mark_of(at), message); }

  // Runs one part; a mistake in it is recorded and parsing goes on with the next part.
  template <class F>
  bool part(F&& body) {
    try {
      body();
      return true;
    } catch (const Abort&) {
      return false;
    } catch (const YAML::Exception& e) {
      // A yaml-cpp accessor refused (a bad conversion, say): still the user's file, still a position.
      note(e.mark.line >= 0 ? e.mark.line + 1 : 1, e.mark.column >= 0 ? e.mark.column + 1 : 1,
           fmt::format("cannot read this value: {}", e.msg));
      return false;
    }
  }

  // ---- reading nodes

  // The value of `key` in a mapping, without ever inserting it; an undefined node when absent.
  static YAML::Node get(const YAML::Node& map, std::string_view key) {
    if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    for (auto it = map.begin(); it != map.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
    return YAML::Node(YAML::NodeType::Undefined);
  }
  static bool has(const YAML::Node& map, std::string_view key) { return get(map, key).IsDefined(); }

  void check_keys(const YAML::Node& map, std::string_view what, const std::vector<std::string_view>& known) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        const std::string elsewhere = belongs_elsewhere(key, what);
        part([&] {
          fail(it->first, fmt::format("unknown key '{}' in {}{}", key, what,
                                      elsewhere.empty() ? did_you_mean(key, known) : elsewhere));
        });
      }
    }
  }

  YAML::Node require(const YAML::Node& map, std::string_view key, std::string_view what) {
    YAML::Node n = get(map, key);
    if (!n.IsDefined()) {
      // A line that looks like the key but was not read as one: an indentation mistake or an unclosed quote.
      std::string hint;
      std::size_t line_start = 0;
      int line = 1;
      while (line_start < text_.size()) {
        const std::size_t end = text_.find('\n', line_start);
        std::string_view l = std::string_view(text_).substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
        const std::size_t first = l.find_first_not_of(' ');
        if (first != std::string_view::npos && l.substr(first).rfind(std::string(key) + ":", 0) == 0 &&
            mark_of(map).line + 1 != line) {
          hint = fmt::format(" (line {} has '{}:' but it is not read as a key here: check its indentation, and for an "
                             "unclosed quote or bracket above it)",
                             line, key);
          break;
        }
        if (end == std::string::npos) break;
        line_start = end + 1;
        ++line;
      }
      fail(map, fmt::format("{} is missing the required key '{}'{}", what, key, hint));
    }
    return n;
  }

  std::string scalar(const YAML::Node& n, std::string_view what, std::size_t max_chars = limits::kMaxValueChars) {
    if (n.IsNull()) fail(n, fmt::format("{} has no value", what));
    if (!n.IsScalar())
      fail(n, fmt::format("{} must be a single value, not a {}", what, n.IsMap() ? "mapping" : "list"));
    if (n.Scalar().size() > max_chars)
      fail(n, fmt::format("{} is {} characters long; the most the simulator accepts is {}", what, n.Scalar().size(),
                          max_chars));
    return n.Scalar();
  }

  std::int64_t integer(const YAML::Node& n, std::string_view what, std::int64_t lo, std::int64_t hi) {
    const std::string s = scalar(n, what);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::invalid_argument || ptr != s.data() + s.size())
      fail(n, fmt::format("{} must be a whole number, not '{}'", what, s));
    if (ec == std::errc::result_out_of_range || v > hi) fail(n, fmt::format("{} must be at most {}, not {}", what, hi, s));
    if (v < lo) fail(n, fmt::format("{} must be at least {}, not {}", what, lo, v));
    return v;
  }

  Micros duration(const YAML::Node& n, std::string_view what) {
    const std::string s = scalar(n, what);
    std::string error;
    auto d = parse_duration(s, error);
    if (!d) fail(n, fmt::format("{}: {}", what, error));
    if (*d > limits::kMaxDuration)
      fail(n, fmt::format("{}: {} is longer than 24h, the longest time a scenario may name (spec: Limits)", what, s));
    return *d;
  }

  // ---- the file as a whole

  void parse_into(Scenario& s) {
    std::string utf8_problem;
    if (auto bad = first_invalid_utf8(text_, utf8_problem)) {
      note(bad->line, bad->column, fmt::format("{}: a scenario file is UTF-8 text", utf8_problem));
      throw Abort{};
    }
    YAML::Node root;
    std::optional<YAML::Mark> second;
    try {
      root = YAML::Load(text_);
      second = second_document(text_);
    } catch (const YAML::ParserException& e) {
      const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1, column = e.mark.column >= 0 ? e.mark.column + 1 : 1;
      std::string context = show_line(text_, line, column);
      const std::string hint = syntax_hint(text_, e.msg, line, column);
      if (!hint.empty()) context += (context.empty() ? "" : "\n") + std::string("  hint: ") + hint;
      note(line, column, fmt::format("malformed YAML: {}", e.msg), context);
      throw Abort{};
    }
    if (second)
      note(second->line + 1, 1, "a second YAML document ('---'): a scenario file holds one scenario; put the other in a "
                                "file of its own");
    if (!root.IsDefined() || root.IsNull())
      fail(YAML::Mark(), "empty scenario file: expected a mapping with name, summary, duration, cluster, ...");
    if (!root.IsMap()) fail(root, "a scenario is a mapping of keys (name:, summary:, duration:, ...)");
    fallback_ = root.Mark();
    std::size_t visited = 0;
    walk(root, 0, visited);  // a duplicate key is reported there; the rest reads its first value
    check_keys(root, "scenario", kTopKeys);

    part([&] {
      s.name = scalar(require(root, "name", "scenario"), "name", limits::kMaxNameChars);
      const bool ok = !s.name.empty() && std::all_of(s.name.begin(), s.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
      if (!ok) fail(get(root, "name"), fmt::format("name '{}' may only use a-z, 0-9 and '-'", s.name));
    });
    part([&] { s.summary = scalar(require(root, "summary", "scenario"), "summary", limits::kMaxSummaryChars); });
    if (has(root, "description"))
      part([&] { s.description = scalar(get(root, "description"), "description", limits::kMaxDescriptionChars); });
    if (has(root, "seed"))
      part([&] {
        s.seed = static_cast<std::uint64_t>(integer(get(root, "seed"), "seed", 0, static_cast<std::int64_t>(limits::kMaxSeed)));
      });
    duration_ok_ = part([&] {
      s.duration = duration(require(root, "duration", "scenario"), "duration");
      if (s.duration <= 0) fail(get(root, "duration"), "duration must be longer than 0s");
    });
    if (has(root, "settle")) part([&] { s.settle = duration(get(root, "settle"), "settle"); });

    if (!part([&] { parse_design(root, s); })) s.design = *resolve_design(kDefaultPreset, {}, scratch_);
    s.config = Config::defaults_for(s.design);
    cluster_ok_ = part([&] { parse_cluster(require(root, "cluster", "scenario"), s); });
    if (!cluster_ok_) s.brokers = limits::kMaxBrokers;  // references to brokers are not checked against a broken cluster
    if (has(root, "config")) part([&] { parse_config(get(root, "config"), s.config, "config", std::nullopt); });
    if (has(root, "topics")) part([&] { parse_topics(get(root, "topics"), s); });
    if (has(root, "producers")) part([&] { parse_producers(get(root, "producers"), s); });
    if (has(root, "sinks")) part([&] { parse_sinks(get(root, "sinks"), s); });
    if (has(root, "consumers")) part([&] { parse_consumers(get(root, "consumers"), s); });
    if (has(root, "consumers")) part([&] { add_retry_consumers(get(root, "consumers"), s); });
    if (s.has_groups()) part([&] { add_offsets_topic(get(root, "consumers"), s); });
    if (has(root, "events")) part([&] { parse_events(get(root, "events"), s); });
    if (has(root, "expect")) part([&] { parse_expect(get(root, "expect"), s); });
    if (has(root, "lesson")) part([&] { parse_lesson(get(root, "lesson"), s); });
  }

  // Every node once (aliases each time they are used, so a "billion laughs" file is bounded): keys are
  // short scalars and unique within their mapping, nesting and sizes are bounded.
  void walk(const YAML::Node& n, std::size_t depth, std::size_t& visited) {
    if (++visited > limits::kMaxYamlNodes)
      fail(n, fmt::format("the file has more than {} YAML nodes (counting each use of an alias): more than a "
                          "scenario may hold",
                          limits::kMaxYamlNodes));
    if (depth > limits::kMaxYamlDepth)
      fail(n, fmt::format("mappings and lists nested more than {} deep: more than a scenario may hold",
                          limits::kMaxYamlDepth));
    if (n.IsScalar() && n.Scalar().size() > limits::kMaxDescriptionChars)
      part([&] {
        fail(n, fmt::format("a value of {} characters; the longest the simulator accepts is {}", n.Scalar().size(),
                            limits::kMaxDescriptionChars));
      });
    if (n.IsSequence()) {
      for (const auto& item : n) walk(item, depth + 1, visited);
    } else if (n.IsMap()) {
      std::set<std::string> seen;
      for (auto it = n.begin(); it != n.end(); ++it) {
        part([&] {
          if (!it->first.IsScalar()) fail(it->first, "a key must be a plain name, not a mapping or list");
          const std::string& key = it->first.Scalar();
          if (key.size() > limits::kMaxKeyChars)
            fail(it->first, fmt::format("a key of {} characters; no key of the format is longer than {}", key.size(),
                                        limits::kMaxKeyChars));
          if (!seen.insert(key).second)
            fail(it->first, fmt::format("'{}' appears twice in this mapping; a key may be given once", key));
        });
        walk(it->second, depth + 1, visited);
      }
    }
  }

  // ---- sections

  void parse_design(const YAML::Node& root, Scenario& s) {
    std::string error;
    std::optional<Design> d;
    YAML::Node n = get(root, "design");
    if (!n.IsDefined()) {
      d = resolve_design(kDefaultPreset, {}, error);
    } else if (n.IsScalar()) {
      d = parse_design_flag(scalar(n, "design"), error);
      s.design_text = n.Scalar();
    } else if (n.IsMap()) {
      std::vector<std::string_view> known{"base"};
      for (const auto& sw : all_switches()) known.push_back(sw.name);
      check_keys(n, "design", known);
      const std::string base = scalar(require(n, "base", "design"), "design base");
      if (find_preset(base) == nullptr) {
        resolve_design(base, {}, error);
        fail(get(n, "base"), error);
      }
      std::map<std::string, std::string> overrides;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key == "base" || find_switch(key) == nullptr) continue;
        part([&] {
          const std::string value = scalar(it->second, key);
          std::string one_error;
          if (!resolve_design(base, {{key, value}}, one_error)) fail(it->second, one_error);  // point at the bad value
          overrides[key] = value;
        });
      }
      d = resolve_design(base, overrides, error);
      if (d) s.design_text = d->label();
    } else {
      fail(n, "design is a preset name or {base: preset, switch: value, ...}");
    }
    if (!d) fail(n, error);
    s.design = *d;
  }

  void parse_cluster(const YAML::Node& n, Scenario& s) {
    if (!n.IsMap()) fail(n, "cluster is a mapping: {brokers: 3, zookeeper: 1, network: {latency: 1ms}}");
    check_keys(n, "cluster", kClusterKeys);
    s.brokers = static_cast<int>(integer(require(n, "brokers", "cluster"), "cluster.brokers", 1, limits::kMaxBrokers));
    const bool kraft = s.design.kraft();
    if (has(n, "zookeeper"))
      part([&] {
        s.zookeeper_written = true;
        if (kraft)
          fail(get(n, "zookeeper"), fmt::format("{} is a KRaft design: it has no ZooKeeper; write cluster.controllers "
                                                "(the controller quorum, e.g. controllers: 3) instead",
                                                s.design.preset));
        s.zookeepers = static_cast<int>(integer(get(n, "zookeeper"), "cluster.zookeeper", 1, 1000));
        if (s.zookeepers != 1) fail(get(n, "zookeeper"), "version 1 models one ZooKeeper server: cluster.zookeeper must be 1");
      });
    if (kraft) s.zookeepers = 0;
    if (has(n, "controllers"))
      part([&] {
        s.controllers_written = true;
        if (!kraft)
          fail(get(n, "controllers"), fmt::format("{} is a ZooKeeper-mode design: its controller is a broker elected "
                                                  "through ZooKeeper; remove cluster.controllers, or name a KRaft "
                                                  "design (kafka-3.3-kraft, kafka-3.7-kraft, kafka-4.0, kafka-4.1)",
                                                  s.design.preset));
        const auto m = integer(get(n, "controllers"), "cluster.controllers", 0, 7);
        if (m == 0)
          fail(get(n, "controllers"), "a KRaft cluster needs at least one controller node: write controllers: 3 (a "
                                      "quorum that survives one failure) or controllers: 1");
        if (m % 2 == 0)
          fail(get(n, "controllers"), fmt::format("cluster.controllers is {}: a Raft quorum needs an odd number of voters "
                                                  "(1, 3, 5 or 7); {} tolerates no more failures than {}",
                                                  m, m, m - 1));
        s.controllers = static_cast<int>(m);
      });
    else if (kraft)
      fail(n, fmt::format("{} is a KRaft design: cluster.controllers says how many controller nodes form the quorum "
                          "(e.g. cluster: {{brokers: {}, controllers: 3}})",
                          s.design.preset, s.brokers));
    if (YAML::Node racks = get(n, "racks"); racks.IsDefined())
      part([&] {
        // Kafka's broker.rack, one per broker in order (KIP-36; what KIP-392's RackAwareReplicaSelector reads).
        if (!racks.IsSequence()) fail(racks, "cluster.racks is a list with the rack of each broker: [a, b, c]");
        for (const auto& r : racks) s.racks.push_back(scalar(r, "a rack name", limits::kMaxNameChars));
        if (static_cast<int>(s.racks.size()) != s.brokers)
          fail(racks, fmt::format("cluster.racks names {} racks for {} brokers: give one per broker", s.racks.size(), s.brokers));
      });
    if (YAML::Node net = get(n, "network"); net.IsDefined())
      part([&] {
        if (!net.IsMap()) fail(net, "cluster.network is a mapping: {latency: 1ms}");
        check_keys(net, "cluster.network", {"latency"});
        if (has(net, "latency")) {
          s.latency = duration(get(net, "latency"), "network latency");
          if (s.latency > limits::kMaxLatency)
            fail(get(net, "latency"), "network latency must be at most 10s (the simulator's limit)");
        }
      });
  }

  // Reads Kafka configs into `config`; `only` limits the allowed scope (producer/consumer blocks).
  void parse_config(const YAML::Node& n, Config& config, std::string_view what,
                    std::optional<std::vector<std::string_view>> only) {
    if (!n.IsMap()) fail(n, fmt::format("{} is a mapping of Kafka config names to values", what));
    std::vector<std::string_view> known = only ? *only : all_config_names();
    for (auto it = n.begin(); it != n.end(); ++it) {
      part([&] {
        const std::string key = it->first.Scalar();
        const ConfigInfo* info = find_config(key);
        if (info == nullptr || std::find(known.begin(), known.end(), key) == known.end()) {
          const std::string where = info ? fmt::format(" ('{}' is not a setting of {})", key, what) : "";
          const std::string elsewhere = info ? "" : belongs_elsewhere(key, what);
          fail(it->first, fmt::format("unknown config '{}' in {}{}{}", key, what, where,
                                      info ? "" : (elsewhere.empty() ? did_you_mean(key, known) : elsewhere)));
        }
        config_value(it->first, it->second, *info, config);
      });
    }
  }

  void config_value(const YAML::Node& key_node, const YAML::Node& value_node, const ConfigInfo& info, Config& config) {
    std::string value = scalar(value_node, key_node.Scalar());
    std::string problem = validate_config_value(info, value);
    if (!problem.empty()) {
      const std::string_view key = info.name;
      if (info.type == ConfigType::Int && key.size() > 3 && key.substr(key.size() - 3) == ".ms" &&
          value.find_first_not_of("0123456789") != std::string::npos && value.find_first_of("0123456789") == 0)
        problem += " (Kafka's own unit: milliseconds)";
      fail(value_node, problem);
    }
    config.set(info.name, value);
    config.explicit_values[std::string(info.name)] = value;
  }

  static bool topic_name_ok(const std::string& name) {
    // Kafka's legal characters ([a-zA-Z0-9._-]); here '-' may not start or end it or repeat, so t-0 parses back.
    if (name.empty() || name.front() == '-' || name.back() == '-') return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      if (!ok || (c == '-' && name[i + 1] == '-')) return false;
    }
    return true;
  }

  void parse_topics(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "topics is a list: - {name: t, partitions: 1, replication.factor: 3}");
    if (n.size() > static_cast<std::size_t>(limits::kMaxTopics))
      fail(n, fmt::format("{} topics; the most the simulator accepts is {}", n.size(), limits::kMaxTopics));
    std::vector<std::string_view> known = kTopicKeys;
    for (auto c : config_names(ConfigScope::Topic)) known.push_back(c);
    std::int64_t replicas = 0;
    for (const auto& t : n) {
      part([&] {
        if (!t.IsMap()) fail(t, "a topic is a mapping: {name: t, partitions: 1, replication.factor: 3}");
        check_keys(t, "topic", known);
        TopicSpec topic;
        topic.name = scalar(require(t, "name", "topic"), "topic name", limits::kMaxTopicNameChars);
        if (!topic_name_ok(topic.name))
          fail(get(t, "name"), fmt::format("topic name '{}' may use letters, digits, '.', '_' and single '-' inside it",
                                           topic.name));
        if (topic.name == kOffsetsTopic)
          fail(get(t, "name"), "__consumer_offsets is Kafka's internal topic of the groups' committed offsets: the "
                               "simulator creates it when a consumer has a group (offsets.topic.num.partitions and "
                               "offsets.topic.replication.factor in config shape it); name your topic differently");
        if (s.find_topic(topic.name)) fail(get(t, "name"), fmt::format("topic '{}' is defined twice", topic.name));
        // Registered at once, so a later mistake in this topic does not make every reference to it a mistake too.
        s.topics.push_back(topic);
        TopicSpec& placed = s.topics.back();
        broken_topics_.insert(topic.name);
        if (has(t, "partitions"))
          placed.partitions = static_cast<int>(integer(get(t, "partitions"), "partitions", 1, limits::kMaxPartitionsPerTopic));
        if (has(t, "replication.factor")) {
          placed.replication_factor =
              static_cast<int>(integer(get(t, "replication.factor"), "replication.factor", 1, limits::kMaxBrokers));
          if (cluster_ok_ && placed.replication_factor > s.brokers)
            fail(get(t, "replication.factor"),
                 fmt::format("replication.factor {} is more than the {} broker{} of the cluster", placed.replication_factor,
                             s.brokers, s.brokers == 1 ? "" : "s"));
        }
        replicas += static_cast<std::int64_t>(placed.partitions) * placed.replication_factor;
        if (replicas > limits::kMaxPartitionReplicas)
          fail(t, fmt::format("the topics have {} partition replicas (partitions x replication.factor) so far; the most "
                              "the simulator accepts is {}",
                              replicas, limits::kMaxPartitionReplicas));
        placed.assignment =
            round_robin_assignment(std::min(s.brokers, cluster_ok_ ? s.brokers : placed.replication_factor),
                                   placed.partitions, placed.replication_factor);
        if (YAML::Node a = get(t, "assignment"); a.IsDefined()) parse_assignment(a, s, placed);
        for (auto c : config_names(ConfigScope::Topic)) {
          if (YAML::Node v = get(t, c); v.IsDefined()) {
            part([&] {
              std::string value = scalar(v, c);
              std::string problem = validate_config_value(*find_config(c), value);
              if (!problem.empty()) fail(v, problem);
              placed.configs[std::string(c)] = value;
            });
          }
        }
        broken_topics_.erase(topic.name);
      });
    }
  }

  void parse_assignment(const YAML::Node& a, const Scenario& s, TopicSpec& topic) {
    if (!a.IsMap()) fail(a, "assignment maps partition index to broker ids: {0: [1, 2, 3]}");
    for (auto it = a.begin(); it != a.end(); ++it) {
      part([&] {
        const int p = static_cast<int>(integer(it->first, "partition index", 0, topic.partitions - 1));
        YAML::Node list = it->second;  // a copy: the iterator yields a temporary
        if (!list.IsSequence()) fail(list, "a partition's assignment is a list of broker ids: [1, 2, 3]");
        if (static_cast<int>(list.size()) != topic.replication_factor)
          fail(list, fmt::format("partition {} lists {} replicas but replication.factor is {}", p, list.size(),
                                 topic.replication_factor));
        std::vector<int> replicas;
        for (const auto& b : list) {
          const int id = static_cast<int>(integer(b, "broker id", 1, limits::kMaxBrokers));
          if (cluster_ok_ && id > s.brokers)
            fail(b, fmt::format("unknown broker {}: the cluster has brokers 1..{}", id, s.brokers));
          if (std::find(replicas.begin(), replicas.end(), id) != replicas.end())
            fail(b, fmt::format("broker {} is listed twice for partition {}", id, p));
          replicas.push_back(id);
        }
        topic.assignment[static_cast<std::size_t>(p)] = replicas;
      });
    }
  }

  // A producer's, consumer's or sink's id: a node name of its own (spec/consumer-groups.md), unique among them all.
  void check_client_id(const YAML::Node& n, const std::string& id, const Scenario& s, std::string_view what = "client id") {
    const bool chars_ok = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
    if (!chars_ok) fail(n, fmt::format("{} '{}' may use letters, digits, '.', '_' and '-'", what, id));
    if (id == "controller" || id == "all" || id.rfind("broker-", 0) == 0 || id.rfind("zk-", 0) == 0 ||
        id.rfind("controller-", 0) == 0 || id.rfind("leader:", 0) == 0 || id.rfind("follower:", 0) == 0 ||
        id.rfind("lagging:", 0) == 0)
      fail(n, fmt::format("{} '{}' is reserved for nodes or targets", what, id));
    for (const auto& p : s.producers)
      if (p.id == id) fail(n, fmt::format("{} '{}' is used twice (producer {} has it)", what, id, id));
    for (const auto& c : s.consumers)
      if (c.id == id) fail(n, fmt::format("{} '{}' is used twice (consumer {} has it)", what, id, id));
    for (const auto& k : s.sinks)
      if (k.id == id) fail(n, fmt::format("{} '{}' is used twice (sink {} has it)", what, id, id));
  }

  const TopicSpec& topic_ref(const YAML::Node& n, const Scenario& s) {
    const std::string name = scalar(n, "topic", limits::kMaxTopicNameChars);
    if (name == kOffsetsTopic)
      fail(n, "__consumer_offsets is Kafka's internal topic of the groups' committed offsets: a producer or consumer of "
              "the scenario cannot use it; name a topic of topics:");
    if (const TopicSpec* t = s.find_topic(name)) return *t;
    std::vector<std::string_view> names;
    for (const auto& t : s.topics) names.push_back(t.name);
    fail(n, fmt::format("unknown topic '{}'{}", name,
                        names.empty() ? " (the scenario defines no topics)" : did_you_mean(name, names)));
  }

  void parse_producers(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "producers is a list: - {id: p1, topic: t, acks: all, rate: 10/s}");
    if (n.size() > static_cast<std::size_t>(limits::kMaxProducers))
      fail(n, fmt::format("{} producers; the most the simulator accepts is {}", n.size(), limits::kMaxProducers));
    std::vector<std::string_view> known = kProducerKeys;
    std::vector<std::string_view> producer_configs = config_names(ConfigScope::Producer);
    for (auto c : producer_configs)
      if (std::find(known.begin(), known.end(), c) == known.end()) known.push_back(c);
    for (const auto& pn : n) {
      part([&] {
        if (!pn.IsMap()) fail(pn, "a producer is a mapping: {id: p1, topic: t, acks: all}");
        check_keys(pn, "producer", known);
        ProducerSpec p;
        p.id = scalar(require(pn, "id", "producer"), "producer id", limits::kMaxClientIdChars);
        check_client_id(get(pn, "id"), p.id, s);
        p.config = s.config;
        s.producers.push_back(p);  // registered at once, as topics are
        broken_clients_.insert(p.id);
        ProducerSpec& placed = s.producers.back();
        const TopicSpec* topic = nullptr;
        part([&] { topic = &topic_ref(require(pn, "topic", "producer"), s); });
        if (topic) placed.topic = topic->name;
        for (auto it = pn.begin(); it != pn.end(); ++it)
          if (const ConfigInfo* info = find_config(it->first.Scalar());
              info && std::find(producer_configs.begin(), producer_configs.end(), info->name) != producer_configs.end())
            part([&] { config_value(it->first, it->second, *info, placed.config); });
        placed.acks = placed.config.str("acks");
        if (placed.config.explicit_values.count("enable.idempotence") && placed.config.boolean("enable.idempotence")) {
          if (placed.config.integer("max.in.flight.requests.per.connection") > 5)
            fail(get(pn, "enable.idempotence"), "enable.idempotence needs max.in.flight.requests.per.connection at most 5 "
                                                 "(Kafka refuses such a producer with a ConfigException)");
          if (placed.acks != "all")
            fail(get(pn, "enable.idempotence"), "enable.idempotence needs acks: all (Kafka refuses such a producer with a "
                                                 "ConfigException)");
        }
        if (YAML::Node r = get(pn, "rate"); r.IsDefined()) {
          std::string error;
          auto rate = parse_rate_exact(scalar(r, "rate"), error);
          if (!rate) fail(r, error);
          if (rate->per_second() > static_cast<double>(limits::kMaxRatePerSecond))
            fail(r, fmt::format("rate {} is more than {}/s, the most the simulator sends for one producer", r.Scalar(),
                                limits::kMaxRatePerSecond));
          placed.rate = *rate;
          placed.rate_per_s = rate->per_second();
        }
        placed.from = has(pn, "from") ? duration(get(pn, "from"), "from") : 0;
        if (duration_ok_ && placed.from >= s.duration)
          fail(get(pn, "from"), fmt::format("from: {} is not inside the fault phase (duration: {}); producers send only "
                                            "during the fault phase",
                                            format_duration(placed.from), format_duration(s.duration)));
        placed.until = has(pn, "until") ? duration(get(pn, "until"), "until") : s.duration;
        if (placed.until < placed.from)
          fail(has(pn, "until") ? get(pn, "until") : get(pn, "from"),
               fmt::format("until ({}) is before from ({})", format_duration(placed.until), format_duration(placed.from)));
        if (has(pn, "partition") && topic)
          placed.partition = static_cast<int>(integer(get(pn, "partition"), "partition", 0, topic->partitions - 1));
        if (topic) broken_clients_.erase(p.id);
      });
    }
  }

  void parse_consumers(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "consumers is a list: - {id: c1, topic: t}");
    if (n.size() > static_cast<std::size_t>(limits::kMaxConsumers))
      fail(n, fmt::format("{} consumers; the most the simulator accepts is {}", n.size(), limits::kMaxConsumers));
    std::vector<std::string_view> known = kConsumerKeys;
    std::vector<std::string_view> consumer_configs = config_names(ConfigScope::Consumer);
    for (auto c : consumer_configs) known.push_back(c);
    for (const auto& cn : n) {
      part([&] {
        if (!cn.IsMap()) fail(cn, "a consumer is a mapping: {id: c1, topic: t}");
        check_keys(cn, "consumer", known);
        ConsumerSpec c;
        c.id = scalar(require(cn, "id", "consumer"), "consumer id", limits::kMaxClientIdChars);
        check_client_id(get(cn, "id"), c.id, s);
        c.config = s.config;
        s.consumers.push_back(c);
        ConsumerSpec& placed = s.consumers.back();
        placed.pos = {cn.Mark().line + 1, cn.Mark().column + 1};
        part([&] {
          if (const YAML::Node g = get(cn, "group");
              !has(cn, "topic") && g.IsScalar() && g.Scalar().size() <= limits::kMaxClientIdChars)
            fail(cn, fmt::format("a consumer in group {} needs a topic: the group's members share its partitions "
                                 "(topic: orders)",
                                 g.Scalar()));
          placed.topic = topic_ref(require(cn, "topic", "consumer"), s).name;
        });
        placed.from = has(cn, "from") ? duration(get(cn, "from"), "from") : 0;
        for (auto it = cn.begin(); it != cn.end(); ++it)
          if (const ConfigInfo* info = find_config(it->first.Scalar());
              info && std::find(consumer_configs.begin(), consumer_configs.end(), info->name) != consumer_configs.end())
            part([&] { config_value(it->first, it->second, *info, placed.config); });
        // spec/consumer-groups.md: the consumer's configs may also sit under config: (Kafka's consumer configs only).
        if (YAML::Node cc = get(cn, "config"); cc.IsDefined())
          part([&] {
            if (!cc.IsMap()) fail(cc, "a consumer's config is a mapping: {session.timeout.ms: 10000}");
            for (auto it = cc.begin(); it != cc.end(); ++it)
              part([&] {
                const ConfigInfo* info = find_config(it->first.Scalar());
                if (info == nullptr || std::find(consumer_configs.begin(), consumer_configs.end(), info->name) == consumer_configs.end())
                  fail(it->first, fmt::format("'{}' is not a consumer config{}", it->first.Scalar(),
                                              did_you_mean(it->first.Scalar(), consumer_configs)));
                config_value(it->first, it->second, *info, placed.config);
              });
          });
        part([&] { parse_group_keys(cn, s, placed); });
      });
    }
  }

  // spec/consumer-groups.md: a consumer's group, processing, commit policy, sink and delivery claim.
  void parse_group_keys(const YAML::Node& cn, const Scenario& s, ConsumerSpec& c) {
    if (!has(cn, "group")) {
      for (const char* k : {"processing", "commit", "sink", "key", "delivery", "retry", "workers"})
        if (has(cn, k))
          part([&] { fail(get(cn, k), fmt::format("{} needs a group: add group: <name> to consumer {}", k, c.id)); });
      return;
    }
    const YAML::Node g = get(cn, "group");
    c.group = scalar(g, "group", limits::kMaxClientIdChars);
    if (c.group.empty() || !std::all_of(c.group.begin(), c.group.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
        }))
      fail(g, fmt::format("group '{}' may use letters, digits, '.', '_' and '-'", c.group));
    if (YAML::Node p = get(cn, "processing"); p.IsDefined())
      part([&] {
        const std::string text = p.IsScalar() ? p.Scalar() : "";
        if (!text.empty() && text.size() <= 20 && std::all_of(text.begin(), text.end(), [](char ch) {
              return std::isdigit(static_cast<unsigned char>(ch)) || ch == '.';
            }))
          fail(p, fmt::format("processing is a duration: {}ms (or {}s), the time to process one record; a bare number "
                              "has no unit",
                              text, text));
        c.processing = duration(p, "processing");
      });
    // The policy, and enable.auto.commit made to agree with it (Kafka's consumer commits on its own only with it).
    part([&] {
      const bool auto_explicit = c.config.explicit_values.count("enable.auto.commit") > 0;
      const bool auto_on = c.config.boolean("enable.auto.commit");
      if (YAML::Node cm = get(cn, "commit"); cm.IsDefined()) {
        const std::string policy = scalar(cm, "commit");
        const std::vector<std::string_view> policies = {"auto", "after-process", "before-process"};
        if (std::find(policies.begin(), policies.end(), policy) == policies.end())
          fail(cm, fmt::format("commit is auto, after-process or before-process, not '{}'{}", policy,
                               did_you_mean(policy, policies)));
        if (policy == "auto" && auto_explicit && !auto_on)
          fail(cm, "commit: auto is the consumer committing on its own, but enable.auto.commit is false for this "
                   "consumer: remove one of them");
        if (policy != "auto" && auto_explicit && auto_on)
          fail(cm, fmt::format("commit: {} commits by hand, but enable.auto.commit is true for this consumer and would "
                               "commit on its own too: remove one of them",
                               policy));
        c.commit = policy;
      } else {
        c.commit = auto_on ? "auto" : "after-process";
      }
      if (c.commit != "auto") {
        // Kept through --design (apply_design rebuilds a consumer's config from its explicit values).
        c.config.set("enable.auto.commit", "false");
        c.config.explicit_values["enable.auto.commit"] = "false";
      }
    });
    const SinkSpec* sink = nullptr;
    bool sink_ok = true;  // false: no usable sink to check key and delivery against (its mistake is reported)
    if (YAML::Node sn = get(cn, "sink"); sn.IsDefined())
      sink_ok = part([&] {
        c.sink = scalar(sn, "sink", limits::kMaxClientIdChars);
        sink = s.find_sink(c.sink);
        if (sink == nullptr) {
          std::vector<std::string_view> names;
          for (const auto& k : s.sinks) names.push_back(k.id);
          fail(sn, fmt::format("unknown sink '{}'{}", c.sink,
                               names.empty() ? " (the scenario declares no sinks: add sinks: [{id: db, kind: keyed}])"
                                             : did_you_mean(c.sink, names)));
        }
        if (broken_sinks_.count(sink->id)) throw Abort{};  // its own mistake is reported already
      });
    const auto no_sink = [&](std::string_view key) {
      return fmt::format("{}: applies to a keyed sink, and consumer {} has none: add sink: <id> (sinks: [{{id: db, "
                         "kind: keyed}}])",
                         key, c.id);
    };
    if (YAML::Node kn = get(cn, "key"); kn.IsDefined())
      part([&] {
        const std::string key = scalar(kn, "key");
        const std::vector<std::string_view> keys = {"record", "topic-partition-offset"};
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
          fail(kn, fmt::format("key is record (the record's key) or topic-partition-offset, not '{}'{}", key,
                               did_you_mean(key, keys)));
        c.key = key;
        if (!sink_ok) return;
        if (sink == nullptr) fail(kn, no_sink("key"));
        if (sink->kind != "keyed")
          fail(kn, fmt::format("key: applies to a keyed sink; sink {} is an {} sink, which keeps every write", sink->id,
                               sink->kind));
      });
    if (YAML::Node rn = get(cn, "retry"); rn.IsDefined()) part([&] { parse_retry(rn, s, c); });
    if (YAML::Node wn = get(cn, "workers"); wn.IsDefined())
      part([&] { c.workers = static_cast<int>(integer(wn, "workers", 1, limits::kMaxWorkers)); });
    if (YAML::Node dn = get(cn, "delivery"); dn.IsDefined())
      part([&] {
        c.delivery = scalar(dn, "delivery");
        if (c.delivery != "exactly-once")
          fail(dn, fmt::format("delivery is exactly-once (the one claim the checkers test), not '{}'{}", c.delivery,
                               did_you_mean(c.delivery, {"exactly-once"})));
        if (!sink_ok) return;
        if (sink == nullptr)
          fail(dn, fmt::format("delivery: exactly-once is a claim about what a sink holds, and consumer {} has no sink: "
                               "add sink: <id> (a keyed sink, keyed by topic-partition-offset)",
                               c.id));
        if (sink->kind == "append")
          fail(dn, fmt::format("sink {} is an append sink: an append sink keeps every write, so delivery: exactly-once "
                               "cannot hold; use a keyed sink keyed by topic-partition-offset",
                               sink->id));
      });
  }

  // retry: {on-error: pause-resume | retry-topic, topic: T, attempts: N, backoff: 1s}.
  void parse_retry(const YAML::Node& rn, const Scenario& s, ConsumerSpec& c) {
    if (!rn.IsMap()) fail(rn, "retry is a mapping: {on-error: pause-resume} or {on-error: retry-topic, topic: orders-retry}");
    check_keys(rn, "retry", {"on-error", "topic", "attempts", "backoff"});
    const YAML::Node on = require(rn, "on-error", "retry");
    const std::string pattern = scalar(on, "on-error");
    const std::vector<std::string_view> patterns = {"pause-resume", "retry-topic", "in-place"};
    if (std::find(patterns.begin(), patterns.end(), pattern) == patterns.end())
      fail(on, fmt::format("on-error is pause-resume (pause the partition, poll on, retry it later), retry-topic "
                           "(produce the record to a retry topic a second group consumes) or in-place (wait the "
                           "backoff and retry it inside the poll loop, as with no retry:), not '{}'{}",
                           pattern, did_you_mean(pattern, patterns)));
    c.retry.on_error = pattern;
    if (YAML::Node a = get(rn, "attempts"); a.IsDefined())
      part([&] { c.retry.attempts = static_cast<int>(integer(a, "attempts", 1, limits::kMaxTimes)); });
    if (YAML::Node b = get(rn, "backoff"); b.IsDefined())
      part([&] {
        c.retry.backoff = duration(b, "backoff");
        if (c.retry.backoff <= 0) fail(b, "backoff must be longer than 0ms");
      });
    if (pattern != "retry-topic") {
      if (has(rn, "topic"))
        fail(get(rn, "topic"), fmt::format("topic: goes with on-error: retry-topic; {} retries the record where it is", pattern));
      if (pattern == "in-place") c.retry.on_error.clear();  // the same as no retry:, with its own attempts and backoff
      return;
    }
    const YAML::Node tn = require(rn, "topic", "retry (on-error: retry-topic)");
    c.retry.topic = scalar(tn, "topic", limits::kMaxClientIdChars);
    if (c.retry.topic == c.topic)
      fail(tn, fmt::format("the retry topic is the topic {} consumes: a failed record would come straight back to it; "
                           "name another topic (e.g. {}-retry)",
                           c.id, c.topic));
    if (c.retry.topic == kOffsetsTopic) fail(tn, "__consumer_offsets is Kafka's internal topic, not a retry topic");
    if (!topic_name_ok(c.retry.topic))
      fail(tn, fmt::format("topic name '{}' may use letters, digits, '.', '_' and single '-' inside it", c.retry.topic));
    (void)s;
  }

  // A retry topic not declared under topics: is made like its consumer's topic (partitions, replication
  // factor, placement, overrides), and unless the file declares a consumer of it, each consumer that
  // retries through it gets one: `<id>-retry` in group `<group>-retry`, processing as its consumer does
  // and retrying by pause-resume with its attempts and backoff.
  void add_retry_consumers(const YAML::Node& consumers, Scenario& s) {
    const std::size_t declared = s.consumers.size();
    for (std::size_t i = 0; i < declared; ++i) {
      const ConsumerSpec c = s.consumers[i];
      if (c.retry.on_error != "retry-topic") continue;
      // A mark, not a YAML::Node: assigning one Node to another overwrites the node it refers to (yaml-cpp),
      // here the file's consumers: list while it is being walked.
      YAML::Mark at = mark_of(consumers);
      for (const auto& cn : consumers)
        if (cn.IsMap() && has(cn, "id") && get(cn, "id").IsScalar() && get(cn, "id").Scalar() == c.id && has(cn, "retry"))
          at = mark_of(get(get(cn, "retry"), "topic"));
      part([&] {
        if (s.find_topic(c.retry.topic) == nullptr) {
          const TopicSpec* source = s.find_topic(c.topic);
          if (source == nullptr) throw Abort{};
          TopicSpec t = *source;
          t.name = c.retry.topic;
          s.topics.push_back(std::move(t));
        }
        // Each instance of the application runs its retry consumer too, unless the file declares its own.
        bool declared_reader = false;
        for (const auto& other : s.consumers)
          declared_reader = declared_reader || (other.topic == c.retry.topic && other.retry_for.empty() && !other.group.empty());
        if (declared_reader) return;
        ConsumerSpec r = c;
        r.id = c.id + "-retry";
        r.topic = c.retry.topic;
        r.group = c.group + "-retry";
        r.retry = ConsumerSpec::Retry{};
        r.retry.on_error = "pause-resume";
        r.retry.attempts = c.retry.attempts;
        r.retry.backoff = c.retry.backoff;
        r.retry_for = c.id;
        for (const auto& name : s.node_names())
          if (name == r.id)
            fail(at, fmt::format("retry topic {} needs a consumer, and the one the simulator would add, {}, has the name "
                                 "of another node: declare the retry topic's consumer yourself (topic: {})",
                                 c.retry.topic, r.id, c.retry.topic));
        if (r.id.size() > limits::kMaxClientIdChars)
          fail(at, fmt::format("retry topic {} needs a consumer, and the one the simulator would add, {}, has a name longer "
                               "than {} characters: give {} a shorter id, or declare the retry topic's consumer yourself",
                               c.retry.topic, r.id, limits::kMaxClientIdChars, c.id));
        for (const auto& other : s.consumers)
          if (other.group == r.group && other.retry_for.empty())
            fail(at, fmt::format("the retry consumers the simulator adds for {} would be in group {}, which consumer {} "
                                 "already uses (for topic {}): rename that group, or declare the retry topic's consumer "
                                 "yourself",
                                 c.id, r.group, other.id, other.topic));
        if (s.consumers.size() >= static_cast<std::size_t>(limits::kMaxConsumers))
          fail(at, fmt::format("the retry topic's consumer {} would be one client more than the simulator accepts ({})", r.id,
                               limits::kMaxConsumers));
        s.consumers.push_back(std::move(r));
      });
    }
  }

  void parse_sinks(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "sinks is a list: - {id: db, kind: keyed}");
    if (n.size() > static_cast<std::size_t>(limits::kMaxSinks))
      fail(n, fmt::format("{} sinks; the most the simulator accepts is {}", n.size(), limits::kMaxSinks));
    const std::vector<std::string_view> kinds = {"keyed", "append", "transactional"};
    for (const auto& sn : n) {
      part([&] {
        if (!sn.IsMap()) fail(sn, "a sink is a mapping: {id: db, kind: keyed}");
        check_keys(sn, "sink", kSinkKeys);
        SinkSpec k;
        k.id = scalar(require(sn, "id", "sink"), "sink id", limits::kMaxClientIdChars);
        check_client_id(get(sn, "id"), k.id, s, "sink id");
        k.pos = {sn.Mark().line + 1, sn.Mark().column + 1};
        k.kind.clear();
        // Registered at once, as topics are: a consumer naming a broken sink is not a mistake of its own.
        s.sinks.push_back(k);
        broken_sinks_.insert(k.id);
        SinkSpec& placed = s.sinks.back();
        if (!has(sn, "kind"))
          fail(sn, fmt::format("sink {} needs a kind: keyed (a write for an existing key overwrites it), append (every "
                               "write is kept) or transactional (records and offsets in one transaction)",
                               k.id));
        const YAML::Node kind = get(sn, "kind");
        const std::string text = scalar(kind, "kind");
        if (std::find(kinds.begin(), kinds.end(), text) == kinds.end())
          fail(kind, fmt::format("a sink's kind is keyed, append or transactional, not '{}'{}", text,
                                 did_you_mean(text, kinds)));
        placed.kind = text;
        broken_sinks_.erase(k.id);
      });
    }
  }

  // __consumer_offsets, which Kafka creates at the first FindCoordinator of a group (the scenario's groups exist
  // from the start, so here it exists from the start). `consumers` is the file's consumers: list.
  void add_offsets_topic(const YAML::Node& consumers, Scenario& s) {
    TopicSpec t;
    t.name = std::string(kOffsetsTopic);
    t.partitions = static_cast<int>(s.config.explicit_values.count("offsets.topic.num.partitions")
                                        ? s.config.integer("offsets.topic.num.partitions")
                                        : s.config.integer("sim.offsets.topic.partitions"));
    t.replication_factor = static_cast<int>(s.config.integer("offsets.topic.replication.factor"));
    // A mistake here is reported at the first group: of the file.
    YAML::Mark at = mark_of(consumers);  // a mark: assigning a YAML::Node would overwrite the consumers: node
    for (const auto& cn : consumers)
      if (cn.IsMap() && has(cn, "group")) {
        at = mark_of(get(cn, "group"));
        break;
      }
    // The topic is only registered when it is well formed; a reference to its partitions is then not a mistake.
    broken_topics_.insert(t.name);
    if (cluster_ok_ && t.replication_factor > s.brokers)
      fail(at, fmt::format("offsets.topic.replication.factor is {} but the cluster has {} broker{}: Kafka does not create "
                           "__consumer_offsets (and no group gets a coordinator); set offsets.topic.replication.factor: {} "
                           "in config",
                           t.replication_factor, s.brokers, s.brokers == 1 ? "" : "s", s.brokers));
    std::int64_t replicas = static_cast<std::int64_t>(t.partitions) * t.replication_factor;
    for (const auto& other : s.topics) replicas += static_cast<std::int64_t>(other.partitions) * other.replication_factor;
    if (replicas > limits::kMaxPartitionReplicas)
      fail(at, fmt::format("the topics, with __consumer_offsets ({} partitions x {} replicas), have {} partition replicas; "
                           "the most the simulator accepts is {}",
                           t.partitions, t.replication_factor, replicas, limits::kMaxPartitionReplicas));
    t.assignment = round_robin_assignment(std::min(s.brokers, cluster_ok_ ? s.brokers : t.replication_factor), t.partitions,
                                          t.replication_factor);
    s.topics.push_back(t);
    broken_topics_.erase(t.name);
  }

  // What a target may name, per action.
  // Servers: brokers, and in KRaft mode the controller nodes too.
  // ServersAndClients: also consumers, producers and sinks (spec/consumer-groups.md: crash: c1, pause: c1).
  enum class Allow { Brokers, Servers, ServersAndClients, Nodes, NodesAndClients };

  Target target(const YAML::Node& n, const Scenario& s, Allow allow, bool star_ok) {
    const std::string text = scalar(n, "target");
    Target t;
    if (text == "*" && star_ok) return Target{Target::Kind::Any, "", ""};
    if (text == "controller") return Target{Target::Kind::Controller, "", ""};
    for (auto [prefix, kind] : {std::pair{"leader:", Target::Kind::Leader}, std::pair{"follower:", Target::Kind::Follower},
                                std::pair{"lagging:", Target::Kind::Lagging}}) {
      std::string_view p(prefix);
      if (text.rfind(p, 0) == 0) {
        std::string partition = text.substr(p.size());
        check_partition(n, partition, s);
        return Target{kind, "", partition};
      }
    }
    const std::vector<std::string> names = s.node_names();
    const bool is_node = std::find(names.begin(), names.end(), text) != names.end() || broken_clients_.count(text) > 0;
    const bool is_broker = text.rfind("broker-", 0) == 0 && is_node;
    const bool is_zk = text.rfind("zk-", 0) == 0 && is_node;
    const bool is_controller_node = text.rfind("controller-", 0) == 0 && is_node;
    if (!is_node && s.design.kraft() && text.rfind("zk-", 0) == 0)
      fail(n, fmt::format("'{}': {} is a KRaft design and has no ZooKeeper; its control plane is controller-1..{} "
                          "(or the dynamic target controller, the quorum leader)",
                          text, s.design.preset, std::max(1, s.controllers)));
    if (!is_node && !s.design.kraft() && text.rfind("controller-", 0) == 0)
      fail(n, fmt::format("'{}': {} is a ZooKeeper-mode design and has no controller nodes; its controller is a "
                          "broker (the dynamic target controller)",
                          text, s.design.preset));
    if (!is_node) {
      std::vector<std::string_view> known;
      if (names.size() < 2000)
        for (const auto& name : names) known.push_back(name);
      known.push_back("controller");
      const std::string hint = text.rfind("broker-", 0) == 0
                                   ? fmt::format(" (the cluster has broker-1..broker-{})", s.brokers)
                                   : did_you_mean(text, known);
      fail(n, fmt::format("unknown node '{}'{}", text, hint));
    }
    if (allow == Allow::ServersAndClients && is_zk)
      fail(n, fmt::format("'{}' is not a broker{}, a client or a sink: this action targets brokers{}, producers, "
                          "consumers and sinks (or controller, leader:P, follower:P, lagging:P)",
                          text, s.design.kraft() ? ", a controller node" : "",
                          s.design.kraft() ? ", controller nodes" : ""));
    if (allow == Allow::Servers && !is_broker && !is_controller_node)
      fail(n, fmt::format("'{}' is not a broker{}: this action targets brokers{} (or controller, leader:P, "
                          "follower:P, lagging:P)",
                          text, s.design.kraft() ? " or a controller node" : "",
                          s.design.kraft() ? " and controller nodes" : ""));
    if (allow == Allow::Brokers && !is_broker)
      fail(n, fmt::format("'{}' is not a broker: this action targets brokers (or controller, leader:P, follower:P, lagging:P) in "
                          "version 1",
                          text));
    if (allow == Allow::Nodes && !is_broker && !is_zk && !is_controller_node)
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
    const auto dash = partition.rfind('-');
    if (dash != std::string::npos && broken_topics_.count(partition.substr(0, dash))) return;
    std::vector<std::string> all;
    for (const auto& t : s.topics)
      for (int p = 0; p < t.partitions && all.size() < 2000; ++p) all.push_back(fmt::format("{}-{}", t.name, p));
    std::vector<std::string_view> known(all.begin(), all.end());
    fail(n, fmt::format("unknown partition '{}'{}", partition,
                        all.empty() ? " (the scenario defines no topics)" : did_you_mean(partition, known)));
  }

  std::int64_t broker_id(const YAML::Node& n, std::string_view field, std::string v, const Scenario& s, bool leader) {
    if (v.rfind("broker-", 0) == 0) v = v.substr(7);
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
    if (ec != std::errc() || ptr != v.data() + v.size())
      fail(n, fmt::format("'{}' names a broker: write its id (1..{}) or broker-N", field, s.brokers));
    if (leader && id == -1) return id;
    if (id < 1 || (cluster_ok_ && id > s.brokers))
      fail(n, fmt::format("unknown broker {}: the cluster has brokers 1..{}{}", id, s.brokers, leader ? " (or -1: none)" : ""));
    return id;
  }

  // A `when:` field's value, checked against what that field of that event can hold: a trigger that can
  // never match is refused here.
  FieldValue field_value(const YAML::Node& n, std::string_view event, std::string_view field, const Scenario& s) {
    const FieldRule rule = field_rule(event, field);
    if (rule.kind == FieldKind::BrokerIds) {
      if (!n.IsSequence()) fail(n, fmt::format("'{}' is a list of broker ids, e.g. [1, 2, 3]", field));
      std::string text = "[";
      for (const auto& b : n) {
        text += (text.size() > 1 ? "," : "") + std::to_string(broker_id(b, field, scalar(b, field), s, false));
      }
      return text + "]";
    }
    const std::string v = scalar(n, fmt::format("the value of '{}'", field));
    switch (rule.kind) {
      case FieldKind::BrokerId:
      case FieldKind::LeaderId: return broker_id(n, field, v, s, rule.kind == FieldKind::LeaderId);
      case FieldKind::Node: {
        if (v == "*") return v;
        const auto names = s.node_names();
        if (std::find(names.begin(), names.end(), v) == names.end() && !broken_clients_.count(v))
          fail(n, fmt::format("unknown node '{}'", v));
        return v;
      }
      case FieldKind::Partition: check_partition(n, v, s); return v;
      case FieldKind::Producer:
        if (!s.find_producer(v) && !broken_clients_.count(v)) fail(n, fmt::format("unknown producer '{}'", v));
        return v;
      case FieldKind::Consumer: {
        const bool found = std::any_of(s.consumers.begin(), s.consumers.end(), [&](auto& c) { return c.id == v; });
        if (!found && !broken_clients_.count(v)) fail(n, fmt::format("unknown consumer '{}'", v));
        return v;
      }
      case FieldKind::Count: {
        std::int64_t i = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
        if (ec != std::errc() || ptr != v.data() + v.size())
          fail(n, fmt::format("'{}' takes a whole number, not '{}'", field, v));
        if (i < rule.min)
          fail(n, fmt::format("'{}' is never {} in a recorded {} event (it is at least {}): this trigger could never fire",
                              field, i, event, rule.min));
        return i;
      }
      case FieldKind::Bool:
        if (v == "true") return true;
        if (v == "false") return false;
        fail(n, fmt::format("'{}' takes true or false, not '{}'", field, v));
      case FieldKind::OneOf:
        if (std::find(rule.values.begin(), rule.values.end(), v) == rule.values.end())
          fail(n, fmt::format("'{}' of a {} event is one of {}, not '{}'{}", field, event, join_names(rule.values, " or "), v,
                              did_you_mean(v, rule.values)));
        if (event == "phase" && field == "name" && v != "fault")
          fail(n, fmt::format("the {} phase begins after the fault phase, and triggers fire only in the fault phase: this "
                              "trigger could never fire",
                              v));
        return v;
      case FieldKind::Seconds: {
        std::string error;
        auto d = parse_duration(v, error);
        if (!d) fail(n, fmt::format("'{}': {}", field, error));
        return to_seconds(*d);
      }
      case FieldKind::Probability: {
        char* end = nullptr;
        const double p = std::strtod(v.c_str(), &end);
        if (end != v.c_str() + v.size() || !(p >= 0.0 && p <= 1.0))
          fail(n, fmt::format("'{}' is a number from 0 to 1, not '{}'", field, v));
        return p;
      }
      case FieldKind::Text:
      case FieldKind::BrokerIds: break;
    }
    return v;
  }

  Trigger parse_when(const YAML::Node& e, const Scenario& s) {
    Trigger t;
    t.at_time = false;
    const YAML::Node w = get(e, "when");
    if (!w.IsMap()) fail(w, "when: is a mapping: {event: produce-acked, producer: p1, value: m2}");
    parse_match(w, s, t, "when", true);
    if (has(e, "since")) part([&] { t.since = duration(get(e, "since"), "since"); });
    if (has(e, "after")) part([&] { t.after = duration(get(e, "after"), "after"); });
    if (has(e, "times")) part([&] { t.times = static_cast<int>(integer(get(e, "times"), "times", 1, limits::kMaxTimes)); });
    if (duration_ok_ && t.since >= s.duration)
      fail(get(e, "since"), fmt::format("since: {} is not inside the fault phase (duration: {}): this trigger could never "
                                        "fire",
                                        format_duration(t.since), format_duration(s.duration)));
    return t;
  }

  // {event: NAME, field: value, ...}: a history event and the values its fields must have (a `when:`
  // trigger, a lesson's `look-for`); `in_run` refuses events recorded only after the run.
  void parse_match(const YAML::Node& w, const Scenario& s, Trigger& t, std::string_view what, bool in_run) {
    const std::string name = scalar(require(w, "event", what), "event");
    const HistoryEventInfo* info = find_history_event(name);
    if (info == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& h : all_history_events()) names.push_back(h.name);
      fail(get(w, "event"), fmt::format("unknown history event '{}'{}", name, did_you_mean(name, names)));
    }
    if (const std::string why = never_fires(name); in_run && !why.empty())
      fail(get(w, "event"), fmt::format("a trigger on '{}' could never fire: {}", name, why));
    t.event = name;
    for (auto it = w.begin(); it != w.end(); ++it) {
      const std::string field = it->first.Scalar();
      if (field == "event") continue;
      part([&] {
        if (std::find(info->fields.begin(), info->fields.end(), field) == info->fields.end())
          fail(it->first, fmt::format("history event '{}' has no field '{}' (it has: {}){}", name, field,
                                      join_names(info->fields), did_you_mean(field, info->fields)));
        t.fields.emplace_back(field, field_value(it->second, name, field, s));
      });
    }
  }

  // lesson: {step: N, look-for: [{event: ...}, ...], questions: [{ask: ..., answer: ..., try: {design: D} | {config: {...}}}]}
  void parse_lesson(const YAML::Node& n, Scenario& s) {
    if (!n.IsMap()) fail(n, "lesson is a mapping: {step: 3, look-for: [{event: truncated}], questions: [{ask: ...}]}");
    check_keys(n, "lesson", {"step", "look-for", "questions"});
    LessonSpec lesson;
    part([&] { lesson.step = static_cast<int>(integer(require(n, "step", "lesson"), "lesson.step", 1, 1000)); });
    if (YAML::Node lf = get(n, "look-for"); lf.IsDefined()) {
      if (!lf.IsSequence()) fail(lf, "lesson.look-for is a list of history events: [{event: truncated, broker: 1}]");
      for (const auto& w : lf)
        part([&] {
          if (!w.IsMap()) fail(w, "a look-for item is a history event and field values: {event: leader-elected, leader_epoch: 1}");
          LessonLook look;
          look.match.at_time = false;
          parse_match(w, s, look.match, "look-for", false);
          look.text = look.match.event;
          std::vector<std::string> parts;
          for (auto it = w.begin(); it != w.end(); ++it)
            if (it->first.Scalar() != "event")
              parts.push_back(it->first.Scalar() + " " + (it->second.IsScalar() ? it->second.Scalar() : std::string("[...]")));
          if (!parts.empty()) look.text += fmt::format(" ({})", fmt::join(parts, ", "));
          lesson.look_for.push_back(std::move(look));
        });
    }
    if (YAML::Node qs = get(n, "questions"); qs.IsDefined()) {
      if (!qs.IsSequence()) fail(qs, "lesson.questions is a list: [{ask: Why is m2 lost?, answer: ..., try: {design: kafka-0.11}}]");
      for (const auto& q : qs)
        part([&] {
          if (!q.IsMap()) fail(q, "a question is a mapping: {ask: ..., answer: ..., try: {design: kafka-0.11}}");
          check_keys(q, "question", {"ask", "answer", "try"});
          LessonQuestion question;
          question.ask = scalar(require(q, "ask", "question"), "ask", limits::kMaxSummaryChars);
          if (has(q, "answer")) question.answer = scalar(get(q, "answer"), "answer", limits::kMaxDescriptionChars);
          if (YAML::Node t = get(q, "try"); t.IsDefined()) {
            if (!t.IsMap()) fail(t, "try: is {design: kafka-0.11} or {config: {min.insync.replicas: 2}}");
            check_keys(t, "try", {"design", "config"});
            if (YAML::Node d = get(t, "design"); d.IsDefined()) {
              const std::string text = scalar(d, "try.design");
              std::string error;
              if (!parse_design_flag(text, error)) fail(d, fmt::format("try.design: {}", error));
              question.try_design = text;
            }
            if (YAML::Node c = get(t, "config"); c.IsDefined()) {
              Config scratch = s.config;
              parse_config(c, scratch, "try.config", std::nullopt);
              if (c.IsMap())
                for (auto it = c.begin(); it != c.end(); ++it)
                  question.try_config.emplace_back(it->first.Scalar(), it->second.IsScalar() ? it->second.Scalar() : "");
            }
          }
          lesson.questions.push_back(std::move(question));
        });
    }
    s.lesson = std::move(lesson);
  }

  NetworkFilter filter(const YAML::Node& n, const Scenario& s, ActionKind kind) {
    const std::string_view what = action_info(kind).name;
    if (!n.IsMap())
      fail(n, fmt::format("{} takes a mapping: {{from: A, to: B{}}}", what, kind == ActionKind::Delay ? ", by: 200ms" : ""));
    std::vector<std::string_view> known{"from", "to"};
    if (kind != ActionKind::Cut) known.insert(known.end(), {"type", "probability"});
    if (kind == ActionKind::Delay) known.push_back("by");
    check_keys(n, what, known);
    NetworkFilter f;
    if (kind == ActionKind::Cut) {
      require(n, "from", "cut");
      require(n, "to", "cut");
    }
    if (has(n, "from")) f.from = target(get(n, "from"), s, Allow::NodesAndClients, kind != ActionKind::Cut);
    if (has(n, "to")) f.to = target(get(n, "to"), s, Allow::NodesAndClients, kind != ActionKind::Cut);
    if (YAML::Node type = get(n, "type"); type.IsDefined()) {
      f.type = scalar(type, "type");
      if (f.type == "*") f.type.clear();
      else if (!is_message_type(f.type))
        fail(type, fmt::format("unknown message type '{}'{}", f.type, did_you_mean(f.type, all_message_types())));
    }
    if (YAML::Node p = get(n, "probability"); p.IsDefined()) {
      const std::string text = scalar(p, "probability");
      char* end = nullptr;
      f.probability = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() || !(f.probability >= 0.0 && f.probability <= 1.0))
        fail(p, fmt::format("probability must be a number from 0 to 1, not '{}'", text));
    }
    if (kind == ActionKind::Delay) {
      f.by = duration(require(n, "by", "delay"), "by");
      if (f.by <= 0) fail(get(n, "by"), "a delay must add more than 0ms");
    }
    return f;
  }

  Action parse_action(ActionKind kind, const YAML::Node& n, const Scenario& s) {
    Action a;
    a.kind = kind;
    switch (kind) {
      case ActionKind::PowerLoss:
        a.targets = targets(n, s, Allow::Servers);
        break;
      case ActionKind::Crash:
      case ActionKind::Restart:
      case ActionKind::Pause:
      case ActionKind::Resume:
        a.targets = targets(n, s, Allow::ServersAndClients);
        break;
      case ActionKind::ExpireSession:
        if (s.design.kraft())
          fail(n, fmt::format("expire-session expires a ZooKeeper session; {} is a KRaft design, with no ZooKeeper. "
                              "A KRaft broker's session is its heartbeats: pause it or cut it from the controllers "
                              "for longer than broker.session.timeout.ms to have it fenced",
                              s.design.preset));
        [[fallthrough]];
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
      case ActionKind::FailProcessing: {
        if (!n.IsMap()) fail(n, "fail-processing takes a mapping: {consumer: c1, value: m7, times: 2}");
        check_keys(n, "fail-processing", {"consumer", "value", "times"});
        const YAML::Node cn = require(n, "consumer", "fail-processing");
        const std::string id = scalar(cn, "consumer", limits::kMaxClientIdChars);
        const ConsumerSpec* c = nullptr;
        for (const auto& x : s.consumers)
          if (x.id == id) c = &x;
        if (c == nullptr) {
          if (broken_clients_.count(id)) throw Abort{};
          std::vector<std::string_view> ids;
          for (const auto& x : s.consumers)
            if (!x.group.empty() && x.retry_for.empty()) ids.push_back(x.id);
          fail(cn, fmt::format("unknown consumer '{}'{}", id,
                               ids.empty() ? " (the scenario has no group consumers)" : did_you_mean(id, ids)));
        }
        if (!c->retry_for.empty())
          fail(cn, fmt::format("{} is the consumer the simulator added to retry {}'s records: a fail-processing for {} "
                               "fails them here too, as the records' own errors",
                               id, c->retry_for, c->retry_for));
        if (c->group.empty())
          fail(cn, fmt::format("consumer {} has no group: fail-processing fails a group member's processing of a "
                               "record (add group:, processing: and a sink: to it)",
                               id));
        a.failure.consumer = id;
        a.failure.value = scalar(require(n, "value", "fail-processing"), "value", limits::kMaxValueChars);
        if (has(n, "times"))
          a.failure.times = static_cast<int>(integer(get(n, "times"), "times", 1, limits::kMaxTimes));
        break;
      }
      case ActionKind::Produce: {
        if (!n.IsMap()) fail(n, "produce takes a mapping: {producer: p1, partition: 0, value: m1}");
        check_keys(n, "produce", {"producer", "partition", "value", "count"});
        const YAML::Node pn = require(n, "producer", "produce");
        const std::string id = scalar(pn, "producer", limits::kMaxClientIdChars);
        const ProducerSpec* p = s.find_producer(id);
        if (p == nullptr || p->topic.empty()) {
          if (broken_clients_.count(id)) throw Abort{};  // its own mistake is reported already
          std::vector<std::string_view> ids;
          for (const auto& q : s.producers) ids.push_back(q.id);
          fail(pn, fmt::format("unknown producer '{}'{}", id,
                               ids.empty() ? " (the scenario defines no producers)" : did_you_mean(id, ids)));
        }
        a.produce.producer = id;
        const TopicSpec* t = s.find_topic(p->topic);
        a.produce.partition = p->partition.value_or(0);
        if (has(n, "partition"))
          a.produce.partition = static_cast<int>(integer(get(n, "partition"), "partition", 0, t->partitions - 1));
        if (has(n, "value")) a.produce.value = scalar(get(n, "value"), "value");
        if (has(n, "count"))
          a.produce.count = static_cast<int>(integer(get(n, "count"), "count", 1, limits::kMaxProduceCount));
        scripted_records_ += a.produce.count;
        if (scripted_records_ > limits::kMaxScriptedRecords)
          fail(n, fmt::format("the scripted produces send {} records in all; the most the simulator accepts is {}",
                              scripted_records_, limits::kMaxScriptedRecords));
        break;
      }
    }
    return a;
  }

  void parse_events(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "events is a list: - {at: 5s, crash: broker-1, for: 10s}");
    if (n.size() > static_cast<std::size_t>(limits::kMaxEvents))
      fail(n, fmt::format("{} events; the most a scenario may hold is {}", n.size(), limits::kMaxEvents));
    std::vector<std::string_view> known = kEventKeys;
    std::vector<std::string_view> action_names;
    for (const auto& a : all_actions()) action_names.push_back(a.name);
    known.insert(known.end(), action_names.begin(), action_names.end());
    int index = 0;
    for (const auto& e : n) {
      const int this_index = index++;
      part([&] {
        if (!e.IsMap()) fail(e, "an event is a mapping: {at: 5s, crash: broker-1}");
        check_keys(e, "event", known);
        ScenarioEvent ev;
        ev.index = this_index;
        ev.pos = {e.Mark().line + 1, e.Mark().column + 1};
        const bool has_at = has(e, "at"), has_when = has(e, "when");
        if (has_at == has_when)
          fail(e, has_at ? "an event has one trigger: at: or when:, not both"
                         : "an event needs a trigger: at: 5s or when: {event: ...}");
        bool trigger_ok = true;
        if (has_at) {
          for (const char* k : {"since", "after", "times"})
            if (has(e, k)) part([&] { fail(get(e, k), fmt::format("'{}' goes with when:, not at:", k)); });
          trigger_ok = part([&] {
            ev.trigger.at = duration(get(e, "at"), "at");
            if (duration_ok_ && ev.trigger.at >= s.duration)
              fail(get(e, "at"), fmt::format("at: {} is not inside the fault phase (duration: {}); the settle phase that "
                                             "follows heals every fault",
                                             get(e, "at").Scalar(), format_duration(s.duration)));
          });
        } else {
          trigger_ok = part([&] { ev.trigger = parse_when(e, s); });
        }
        std::vector<std::string> found;
        YAML::Node action_node;
        for (auto it = e.begin(); it != e.end(); ++it)
          if (find_action(it->first.Scalar())) {
            found.push_back(it->first.Scalar());
            if (found.size() == 1) action_node = it->second;
          }
        if (found.empty()) fail(e, fmt::format("an event needs one action: {}", join_names(action_names, " or ")));
        if (found.size() > 1)
          fail(e, fmt::format("an event has exactly one action; this one has {} and {}", found[0], found[1]));
        const ActionKind kind = *find_action(found[0]);
        const bool action_ok = part([&] { ev.action = parse_action(kind, action_node, s); });
        if (YAML::Node f = get(e, "for"); f.IsDefined()) {
          part([&] {
            if (!action_info(kind).takes_for)
              fail(f, fmt::format("for: cannot undo {} (it applies to crash, power-loss, shutdown, pause and network "
                                  "rules)",
                                  found[0]));
            ev.undo_after = duration(f, "for");
            if (*ev.undo_after <= 0) fail(f, "for: must be longer than 0s");
          });
        }
        if (trigger_ok && action_ok) s.events.push_back(std::move(ev));
      });
    }
  }

  std::vector<std::string> property_list(const YAML::Node& v, std::string_view what) {
    if (!v.IsSequence()) fail(v, fmt::format("{} is a list of property names ([] for none)", what));
    std::vector<std::string_view> names;
    for (const auto& p : all_properties()) names.push_back(p.name);
    std::vector<std::string> out;
    for (const auto& item : v) {
      part([&] {
        const std::string name = scalar(item, "property");
        if (!is_property(name)) fail(item, fmt::format("unknown property '{}'{}", name, did_you_mean(name, names)));
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
      });
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void parse_expect(const YAML::Node& n, Scenario& s) {
    if (!n.IsMap()) fail(n, "expect is a mapping: {violations: [acked-write-lost]}");
    check_keys(n, "expect", kExpectKeys);
    if (YAML::Node v = get(n, "violations"); v.IsDefined())
      part([&] { s.expected_violations = property_list(v, "expect.violations"); });
    if (YAML::Node d = get(n, "designs"); d.IsDefined()) {
      if (!d.IsMap()) fail(d, "expect.designs maps a design to its expected violations: {kafka-0.11: [], latest: []}");
      for (auto it = d.begin(); it != d.end(); ++it) {
        part([&] {
          DesignExpectation e;
          e.label = it->first.Scalar();
          std::string error;
          auto design = parse_design_flag(e.label, error);
          if (!design) fail(it->first, fmt::format("expect.designs: {}", error));
          e.design = *design;
          for (const auto& other : s.expected_by_design)
            if (other.design.same_as(e.design))
              fail(it->first, fmt::format("expect.designs names one design twice: '{}' and '{}' are the same design",
                                          other.label, e.label));
          e.violations = property_list(it->second, fmt::format("expect.designs.{}", e.label));
          s.expected_by_design.push_back(std::move(e));
        });
      }
    }
  }

  std::string file_;
  const std::string& text_;
  std::vector<Error> errors_;
  bool stopped_ = false;
  YAML::Mark fallback_;
  bool duration_ok_ = false;
  bool cluster_ok_ = false;
  std::set<std::string> broken_topics_;   // defined, with a mistake of their own: references to them are not mistakes
  std::set<std::string> broken_clients_;  // the same for producers and consumers
  std::set<std::string> broken_sinks_;    // and for sinks
  std::int64_t scripted_records_ = 0;
  std::string scratch_;
};

}  // namespace

Scenario parse_scenario_text(const std::string& text, const std::string& file_label) {
  if (text.size() > limits::kMaxFileBytes)
    throw InputError(fmt::format("{}:1:1: the text is larger than {} MiB, the most a scenario file may hold (spec: Limits)",
                                 file_label, limits::kMaxFileBytes >> 20));
  return Parser(file_label, text).parse();
}

Scenario parse_scenario_file(const std::string& path) {
  std::string error;
  auto text = read_bounded(path, limits::kMaxFileBytes, error);
  if (!text) throw InputError(error);
  return parse_scenario_text(*text, path);
}

}  // namespace kafkasim

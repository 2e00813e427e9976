// A scenario file parsed and validated: every key of ../shared/spec/scenario-format.md, typed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "scenario/configs.h"
#include "scenario/contract.h"
#include "scenario/designs.h"
#include "scenario/units.h"

namespace kafkasim {

struct SourcePos {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
};

// Bad input: the message already reads "FILE:LINE:COL: message"; a file with several mistakes gives one
// such line each (up to limits::kMaxErrorsReported), a syntax error the offending line and a hint after it.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class NodeKind { Broker, ZooKeeper, Controller, Client };

// A fault or network-rule target as written; dynamic ones are resolved when the action fires.
struct Target {
  // Lagging: the first assigned replica of the partition outside its ISR (a lagging or returning replica).
  enum class Kind { Node, Controller, Leader, Follower, Lagging, Any };
  Kind kind = Kind::Node;
  std::string node;       // Kind::Node: "broker-2", "zk-1", or a client id
  std::string partition;  // Leader/Follower: "orders-0"
  std::string text() const;
};

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::vector<int>> assignment;  // per partition, broker ids; first = preferred leader
  std::map<std::string, std::string> configs;  // topic-level overrides (e.g. min.insync.replicas)
};

struct ProducerSpec {
  std::string id;
  std::string topic;
  std::string acks;  // "0", "1", "all"
  double rate_per_s = 0;
  Rate rate;  // exactly as written: the k-th send is due at from + rate.offset_of(k)
  Micros from = 0;
  Micros until = 0;
  std::optional<int> partition;
  Config config;  // the scenario's config with this producer's overrides
  // Whether it is an idempotent producer: enable.idempotence with acks=all and at most 5 requests in
  // flight (Kafka 3.2+ turns a default idempotence off otherwise; set explicitly, the parser refuses it).
  bool idempotent() const {
    return acks == "all" && config.boolean("enable.idempotence") && config.integer("max.in.flight.requests.per.connection") <= 5;
  }
};

// A sink (spec/consumer-groups.md): a node of its own that group consumers write what they process to.
struct SinkSpec {
  std::string id;
  std::string kind = "append";  // keyed | transactional | append
  SourcePos pos;                // where it is declared (for errors about it)
};

struct ConsumerSpec {
  std::string id;
  std::string topic;
  Micros from = 0;
  Config config;
  // Consumer groups (spec/consumer-groups.md); group empty: the standalone consumer reading every partition.
  std::string group;
  Micros processing = 0;               // time to process one record
  std::string commit = "auto";         // auto | after-process | before-process
  std::string sink;                    // "" = none
  std::string key = "topic-partition-offset";  // keyed sinks: record | topic-partition-offset
  std::string delivery;                // "" or exactly-once (what the scenario claims)
  // retry: what a retriable processing error (a fail-processing event) does. on_error "" (no retry:, or
  // on-error: in-place): the application waits the backoff and retries the record inside its poll loop.
  struct Retry {
    std::string on_error;       // "" (in place) | pause-resume | retry-topic
    std::string topic;          // retry-topic: where a failed record is produced
    int attempts = 0;           // failed attempts before the pattern gives the record up; 0 = no limit
    Micros backoff = 1000 * kMicrosPerMs;  // before a retry in place; how long pause-resume pauses (`backoff:`)
  } retry;
  int workers = 0;              // > 0: a pool of that many threads processes each batch, the consumer polls on
  std::string retry_for;        // the implicit consumer of a retry topic: the consumer whose records it retries
  SourcePos pos;
};

using FieldValue = std::variant<std::int64_t, double, bool, std::string>;

struct Trigger {
  bool at_time = true;
  Micros at = 0;
  // when:
  std::string event;
  std::vector<std::pair<std::string, FieldValue>> fields;
  Micros since = 0;
  Micros after = 0;
  int times = 1;
};

struct NetworkFilter {
  Target from{Target::Kind::Any, "", ""};
  Target to{Target::Kind::Any, "", ""};
  std::string type;  // "" = any
  double probability = 1.0;
  Micros by = 0;  // delay only
};

struct ProduceSpec {
  std::string producer;
  int partition = 0;
  std::string value;
  int count = 1;
};

// fail-processing (spec/consumer-groups.md): the next `times` attempts of `consumer` (and of the consumer
// retrying its records from a retry topic) to process the record `value` fail with a retriable error.
struct ProcessingFailureSpec {
  std::string consumer;
  std::string value;
  int times = 1;
};

struct Action {
  ActionKind kind = ActionKind::Crash;
  std::vector<Target> targets;              // crash, power-loss, restart, pause, resume, isolate, expire-session,
                                            // shutdown
  std::vector<std::vector<Target>> groups;  // partition
  NetworkFilter filter;                     // cut (from, to), drop, delay
  std::string partition;                    // elect-preferred-leader: "orders-0" or "all"
  ProduceSpec produce;
  ProcessingFailureSpec failure;            // fail-processing
};

struct ScenarioEvent {
  Trigger trigger;
  Action action;
  std::optional<Micros> undo_after;  // for:
  SourcePos pos;
  int index = 0;  // position in the file, for "same time fires in file order"
};

// `expect.designs`: the violations expected under one design (a preset, or a preset with switches).
struct DesignExpectation {
  std::string label;  // as written: "kafka-0.11" or "kafka-2.2,isr-join-requires-epoch-start=false"
  Design design;
  std::vector<std::string> violations;  // sorted
};

// lesson: a scenario on the classroom's guided path. What its run shows (each item a history event that
// must occur in it, checked after every run and reported), and the questions to ask with the variant that
// answers each (the same scenario under another design or configs).
struct LessonLook {
  Trigger match;
  std::string text;  // as written: "truncated (broker 1, reason high-watermark)"
};
struct LessonQuestion {
  std::string ask, answer;
  std::optional<std::string> try_design;
  std::vector<std::pair<std::string, std::string>> try_config;
};
struct LessonSpec {
  int step = 0;
  std::vector<LessonLook> look_for;
  std::vector<LessonQuestion> questions;
};

struct Scenario {
  std::string file;
  std::string source_text;
  std::string name;
  std::string summary;
  std::string description;
  std::uint64_t seed = 1;
  Micros duration = 0;
  Micros settle = 60 * kMicrosPerSecond;
  Design design;
  std::optional<std::string> design_text;  // design as written in the file
  int brokers = 0;
  std::vector<std::string> racks;  // cluster.racks: broker.rack of broker-1.. (empty: no racks)
  int zookeepers = 1;  // ZooKeeper-mode designs; 0 on KRaft designs
  int controllers = 0;  // KRaft designs: dedicated controller nodes controller-1..M (the quorum's voters)
  bool zookeeper_written = false, controllers_written = false;  // given in the file (not defaulted)
  Micros latency = kMicrosPerMs;
  Config config;
  std::vector<TopicSpec> topics;
  std::vector<ProducerSpec> producers;
  std::vector<ConsumerSpec> consumers;
  std::vector<SinkSpec> sinks;
  std::vector<ScenarioEvent> events;
  std::vector<std::string> expected_violations;  // expect.violations: for every design not listed below
  std::vector<DesignExpectation> expected_by_design;
  std::optional<LessonSpec> lesson;

  // The violations expected under `d` (the run's design): its expect.designs entry, else expect.violations.
  const std::vector<std::string>& expected_for(const Design& d) const;
  const std::vector<std::string>& expected() const { return expected_for(design); }

  // Node names in a fixed order: broker-1..N, zk-1..Z, controller-1..M, then producers, consumers and sinks.
  std::vector<std::string> node_names() const;
  const TopicSpec* find_topic(std::string_view name) const;
  const ProducerSpec* find_producer(std::string_view id) const;
  const SinkSpec* find_sink(std::string_view id) const;
  // Whether any consumer belongs to a group (then the cluster has __consumer_offsets).
  bool has_groups() const;
  // "orders-0" -> (topic, index) if both exist.
  std::optional<std::pair<const TopicSpec*, int>> find_partition(std::string_view name) const;
  // Applies --design: presets' config defaults change, the scenario's explicit configs stay; the control
  // plane follows the design (a KRaft design gets 3 controllers when the file names none, a ZooKeeper one
  // its ZooKeeper server).
  void apply_design(const Design& d);
};

// Why the scenario cannot run on its design's control plane ("" when it can): run under a KRaft design
// (--design, matrix) a scenario that expires ZooKeeper sessions or names zk-1 needs ZooKeeper; one that
// names controller-N needs KRaft.
std::string control_plane_mismatch(const Scenario& s);

// Parses a file; throws InputError("FILE:LINE:COL: message").
Scenario parse_scenario_file(const std::string& path);
// Parses text as if it came from `file_label`.
Scenario parse_scenario_text(const std::string& text, const std::string& file_label);

// Kafka's replica assignment (AdminUtils.assignReplicasToBrokers without racks), with a fixed start index
// and shift of 0 instead of random ones, so assignments are stable and teachable.
std::vector<std::vector<int>> round_robin_assignment(int brokers, int partitions, int replication_factor);

}  // namespace kafkasim

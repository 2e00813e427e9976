// The config table: names and defaults from Kafka's docs and ../shared/reference/kafka-replication.md section 6.
#include "scenario/configs.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "scenario/designs.h"

namespace kafkasim {

const std::vector<ConfigInfo>& all_configs() {
  using T = ConfigType;
  using S = ConfigScope;
  constexpr std::int64_t kMs = kMaxConfigMs;
  constexpr std::int64_t kInt = 2147483647;  // Kafka's int configs
  constexpr std::int64_t kLong = INT64_MAX;  // Kafka's "never" (Long.MAX_VALUE)
  static const std::vector<ConfigInfo> table = {
      // Broker
      {"zookeeper.session.timeout.ms", T::Int, "18000", S::Broker, "ZooKeeper session timeout (6000 before 2.5)", 1, kMs},
      {"zookeeper.connection.timeout.ms", T::Int, "18000", S::Broker, "max wait to connect to ZooKeeper", 1, kMs},
      {"replica.lag.time.max.ms", T::Int, "30000", S::Broker,
       "a follower not caught up for this long leaves the ISR (10000 before 2.5)", 1, kMs},
      {"replica.fetch.wait.max.ms", T::Int, "500", S::Broker, "long-poll wait of a follower's fetch", 0, kMs},
      {"replica.fetch.backoff.ms", T::Int, "1000", S::Broker, "follower backoff after a fetch error", 0, kMs},
      {"replica.fetch.min.bytes", T::Int, "1", S::Broker, "bytes a fetch waits for before answering", 0, kInt},
      {"replica.fetch.max.bytes", T::Int, "1048576", S::Broker, "max bytes per partition in a fetch", 1, kInt},
      {"replica.socket.timeout.ms", T::Int, "30000", S::Broker, "follower fetch request timeout", 1, kMs},
      {"controller.socket.timeout.ms", T::Int, "30000", S::Broker, "controller-to-broker request timeout", 1, kMs},
      {"replica.high.watermark.checkpoint.interval.ms", T::Int, "5000", S::Broker,
       "how often the HW checkpoint file is written", 1, kMs},
      {"min.insync.replicas", T::Int, "1", S::Topic, "ISR size an acks=all write needs", 1, 1000},
      {"unclean.leader.election.enable", T::Bool, "false", S::Topic,
       "elect an out-of-sync replica when no ISR member is live (true before 0.11)"},
      {"auto.leader.rebalance.enable", T::Bool, "true", S::Broker, "periodic preferred-leader election"},
      {"leader.imbalance.check.interval.seconds", T::Int, "300", S::Broker, "how often the rebalance runs", 1, 86400},
      {"leader.imbalance.per.broker.percentage", T::Int, "10", S::Broker, "imbalance that triggers a rebalance", 0, 100},
      {"controlled.shutdown.enable", T::Bool, "true", S::Broker, "move leadership away before stopping"},
      {"replica.selector.class", T::String, "", S::Broker,
       "KIP-392 (2.4): which replica a consumer should read from; org.apache.kafka.common.replica."
       "RackAwareReplicaSelector picks one in the consumer's client.rack (cluster.racks); empty (null): the leader"},
      {"controlled.shutdown.max.retries", T::Int, "3", S::Broker, "controlled shutdown attempts", 0, kInt},
      {"controlled.shutdown.retry.backoff.ms", T::Int, "5000", S::Broker, "wait between attempts", 0, kMs},
      {"log.flush.interval.messages", T::Int, "9223372036854775807", S::Topic, "fsync after this many records", 1, kLong},
      {"log.flush.interval.ms", T::Int, "9223372036854775807", S::Topic,
       "fsync a log whose oldest unflushed record is this old, when the flusher looks (log.flush.scheduler.interval.ms)", 0,
       kLong},
      {"log.flush.scheduler.interval.ms", T::Int, "9223372036854775807", S::Broker,
       "how often the log flusher looks at log.flush.interval.ms (Kafka's default: never)", 1, kLong},
      {"broker.heartbeat.interval.ms", T::Int, "2000", S::Broker, "KRaft broker heartbeat", 1, kMs},
      {"broker.session.timeout.ms", T::Int, "9000", S::Broker, "KRaft broker session", 1, kMs},
      {"controller.quorum.election.timeout.ms", T::Int, "1000", S::Broker,
       "KRaft: a candidate's election lasts a random time in [this, 2x this)", 1, kMs},
      {"controller.quorum.fetch.timeout.ms", T::Int, "2000", S::Broker,
       "KRaft: a follower that has not fetched from its leader for this long starts an election", 1, kMs},
      {"controller.quorum.election.backoff.max.ms", T::Int, "1000", S::Broker,
       "KRaft: the longest exponential backoff before a lost election is retried", 1, kMs},
      {"controller.quorum.request.timeout.ms", T::Int, "2000", S::Broker,
       "KRaft: how long a quorum request (Vote, BeginQuorumEpoch, Fetch) waits for its answer", 1, kMs},
      {"controller.quorum.retry.backoff.ms", T::Int, "20", S::Broker,
       "KRaft: the wait before a failed quorum request is sent again", 0, kMs},

      // Producer (request.timeout.ms is the client's; brokers use the socket timeouts above)
      {"acks", T::Acks, "all", S::Producer, "0, 1 or all (1 in older clients)"},
      {"request.timeout.ms", T::Int, "30000", S::Producer, "how long a client waits for a response", 1, kMs},
      {"retries", T::Int, "2147483647", S::Producer, "resends of a failed batch (0 before 2.1)", 0, kInt},
      {"retry.backoff.ms", T::Int, "100", S::Producer, "wait before a retry", 0, kMs},
      {"delivery.timeout.ms", T::Int, "120000", S::Producer, "upper bound on reporting success or failure", 1, kMs},
      {"max.in.flight.requests.per.connection", T::Int, "5", S::Producer, "unacknowledged requests per broker", 1, kInt},
      {"enable.idempotence", T::Bool, "true", S::Producer,
       "producer id and sequence numbers: retries neither duplicate nor reorder (since 0.11; on by default since 3.0)"},
      {"linger.ms", T::Int, "0", S::Producer, "wait to batch records", 0, kMs},
      {"batch.size", T::Int, "16384", S::Producer, "bytes of records one batch of a partition holds", 1, kInt},
      {"metadata.max.age.ms", T::Int, "300000", S::Producer, "refresh metadata at least this often", 0, kMs},
      // Consumer
      {"fetch.max.wait.ms", T::Int, "500", S::Consumer, "long-poll wait of a consumer's fetch", 0, kMs},
      {"fetch.min.bytes", T::Int, "1", S::Consumer, "bytes a consumer fetch waits for", 0, kInt},
      {"client.rack", T::String, "", S::Consumer, "the consumer's rack, for KIP-392's rack-aware replica selector"},
      {"max.poll.records", T::Int, "500", S::Consumer, "records returned per poll", 1, kInt},
      {"auto.offset.reset", T::String, "earliest", S::Consumer,
       "where a new consumer starts (Kafka's default is latest; the simulator reads from the start so every "
       "record can be checked)"},
      // Consumer groups (ConsumerConfig; the coordinator's in GroupCoordinatorConfig / KafkaConfig)
      {"session.timeout.ms", T::Int, "45000", S::Consumer,
       "a member not heard from (heartbeats) for this long is removed from its group (10000 before 3.0, KIP-735)", 1, kMs},
      {"heartbeat.interval.ms", T::Int, "3000", S::Consumer, "how often a member heartbeats to its coordinator", 1, kMs},
      {"max.poll.interval.ms", T::Int, "300000", S::Consumer,
       "a member that does not poll for this long leaves its group (the poll timeout of KIP-62)", 1, kMs},
      {"enable.auto.commit", T::Bool, "true", S::Consumer,
       "commit the positions poll() returned, every auto.commit.interval.ms (commit: auto)"},
      {"auto.commit.interval.ms", T::Int, "5000", S::Consumer, "how often an auto-committing consumer commits", 0, kMs},
      {"default.api.timeout.ms", T::Int, "60000", S::Consumer, "how long commitSync retries a retriable error", 1, kMs},
      {"partition.assignment.strategy", T::String, "range", S::Consumer,
       "range | cooperative-sticky: the assignor the group's leader runs; cooperative-sticky is KIP-429's incremental protocol"},
      {"offsets.topic.replication.factor", T::Int, "3", S::Broker,
       "replicas of each __consumer_offsets partition (the topic is not created with fewer brokers)", 1, 32767},
      {"offsets.topic.num.partitions", T::Int, "50", S::Broker,
       "partitions of __consumer_offsets; the simulator creates sim.offsets.topic.partitions of them unless this is "
       "set in the file", 1, 1000},
      {"offsets.commit.timeout.ms", T::Int, "5000", S::Broker,
       "how long an offset commit (an acks=all append to __consumer_offsets) waits for the ISR", 1, kMs},
      {"group.initial.rebalance.delay.ms", T::Int, "3000", S::Broker,
       "how long the first rebalance of an empty group waits for more members to join", 0, kMs},
      {"group.min.session.timeout.ms", T::Int, "6000", S::Broker, "the shortest session.timeout.ms a member may ask", 0, kMs},
      {"group.max.session.timeout.ms", T::Int, "1800000", S::Broker, "the longest session.timeout.ms a member may ask", 0, kMs},
      {"sim.offsets.topic.partitions", T::Int, "3", S::Simulator,
       "partitions of __consumer_offsets the simulator creates when offsets.topic.num.partitions is not set (Kafka's 50 "
       "scaled down)", 1, 1000},
      // Simulator knobs
      {"sim.os.flush.interval.ms", T::Int, "5000", S::Simulator,
       "records appended longer ago than this have been written back by the OS and survive power loss", 0, kMs},
      {"sim.quorum.fetch.max.wait.ms", T::Int, "500", S::Simulator,
       "KRaft: how long the quorum leader holds a Fetch with nothing new (KafkaRaftClient's fetchMaxWaitMs, a constant "
       "in Kafka)", 0, kMs},
      {"sim.record.bytes", T::Int, "100", S::Simulator, "simulated size of one record", 1, 1048576},
      {"sim.operator.restart.ms", T::Int, "1000", S::Simulator,
       "a broker that exits on its own (NodeExists at start-up) is started again this long after, as a supervisor "
       "would; 0: only the scenario's restarts in the fault phase (the settle phase restarts it anyway)", 0, kMs},
      {"sim.max.events", T::Int, "20000000", S::Simulator, "a run that handles more events than this is a failure", 1, 10000000000},
      {"sim.max.wall.ms", T::Int, "600000", S::Simulator, "a run that takes longer than this is a failure", 1, kMs},
      {"sim.max.memory.mb", T::Int, "4096", S::Simulator,
       "a run whose process grows past this many MiB is a failure (the scenario is saved for replay)", 16, 1048576},
  };
  return table;
}

const ConfigInfo* find_config(std::string_view name) {
  for (const auto& c : all_configs())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<std::string_view> config_names(ConfigScope scope) {
  std::vector<std::string_view> out;
  for (const auto& c : all_configs())
    if (c.scope == scope) out.push_back(c.name);
  if (scope == ConfigScope::Producer || scope == ConfigScope::Consumer) out.push_back("request.timeout.ms");
  return out;
}

std::vector<std::string_view> all_config_names() {
  std::vector<std::string_view> out;
  for (const auto& c : all_configs()) out.push_back(c.name);
  return out;
}

std::string validate_config_value(const ConfigInfo& info, std::string& value) {
  switch (info.type) {
    case ConfigType::Int: {
      std::int64_t v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec == std::errc::invalid_argument || ptr != value.data() + value.size())
        return fmt::format("{} takes a whole number, not '{}'", info.name, value);
      if (ec == std::errc::result_out_of_range || v > info.max)
        return fmt::format("{} must be at most {}{}, not {} (the simulator's limit)", info.name, info.max,
                           info.max == kMaxConfigMs ? " (24 h)" : "", value);
      if (v < info.min) return fmt::format("{} must be at least {}, not {}", info.name, info.min, v);
      return "";
    }
    case ConfigType::Bool:
      if (value == "true" || value == "false") return "";
      return fmt::format("{} takes true or false, not '{}'", info.name, value);
    case ConfigType::Acks:
      if (value == "-1") value = "all";
      if (value == "0" || value == "1" || value == "all") return "";
      return fmt::format("acks takes 0, 1 or all, not '{}'", value);
    case ConfigType::String:
      if (info.name == "auto.offset.reset" && value != "earliest" && value != "latest")
        return fmt::format("auto.offset.reset takes earliest or latest, not '{}'", value);
      if (info.name == "partition.assignment.strategy" && value != "range" && value != "cooperative-sticky")
        return fmt::format("partition.assignment.strategy takes range (RangeAssignor) or cooperative-sticky "
                           "(CooperativeStickyAssignor), not '{}': the simulator models those two",
                           value);
      if (info.name == "replica.selector.class" && !value.empty() && value != kRackAwareReplicaSelector &&
          value != kLeaderSelector)
        return fmt::format("replica.selector.class takes {} or {} (or nothing: the leader), not '{}'",
                           kRackAwareReplicaSelector, kLeaderSelector, value);
      return "";
  }
  return "";
}

Config Config::defaults_for(const Design& design) {
  Config c;
  for (const auto& info : all_configs()) c.set(info.name, std::string(info.kafka_default));
  if (const PresetInfo* p = find_preset(design.preset))
    for (const auto& [k, v] : p->config_defaults) c.set(k, std::string(v));
  return c;
}

const std::string& Config::str(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) throw std::logic_error(fmt::format("unknown config '{}'", name));
  return it->second;
}

std::int64_t Config::integer(std::string_view name) const {
  const std::string& s = str(name);
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool Config::boolean(std::string_view name) const { return str(name) == "true"; }

}  // namespace kafkasim

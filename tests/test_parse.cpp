// Scenario parsing: every key of the spec read into a typed Scenario, and every kind of bad input
// rejected with FILE:LINE:COL and a useful message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "scenario/scenario.h"

using namespace kafkasim;

namespace {

const char* kFull = R"(name: orders-failover
summary: one line
description: |
  teaching text
seed: 7
duration: 30s
settle: 45s
design: {base: kafka-3.7, hw-requires-min-isr: false}
cluster:
  brokers: 3
  zookeeper: 1
  network: {latency: 2ms}
config:
  min.insync.replicas: 2
  unclean.leader.election.enable: false
  replica.lag.time.max.ms: 20000
  sim.os.flush.interval.ms: 1000
topics:
  - name: orders
    partitions: 3
    replication.factor: 3
    assignment: {0: [2, 1, 3]}
producers:
  - id: p1
    topic: orders
    acks: all
    rate: 100/s
    from: 1s
    until: 25s
    partition: 0
    retries: 3
consumers:
  - {id: c1, topic: orders, from: 0s}
events:
  - {at: 12s, crash: broker-1, for: 5s}
  - {at: 1s, partition: [[broker-1, broker-2], [broker-3, zk-1]], for: 2s}
  - {at: 2s, isolate: controller}
  - {at: 3s, cut: {from: broker-1, to: broker-2}}
  - {at: 4s, drop: {from: '*', to: broker-2, type: LeaderAndIsr, probability: 0.5}}
  - {at: 5s, delay: {from: p1, to: leader:orders-0, type: Fetch, by: 200ms}}
  - {at: 6s, heal: all}
  - {at: 7s, expire-session: follower:orders-1}
  - {at: 8s, shutdown: [broker-2, broker-3]}
  - {at: 9s, elect-preferred-leader: orders-0}
  - {at: 10s, produce: {producer: p1, partition: 1, value: m2, count: 3}}
  - {at: 11s, power-loss: broker-3}
  - {at: 13s, restart: broker-3}
  - {at: 14s, pause: broker-2, for: 1s}
  - {at: 15s, resume: broker-2}
  - when: {event: produce-acked, producer: p1, value: m2}
    since: 3s
    after: 5ms
    times: 2
    crash: broker-1
    for: 1ms
  - when: {event: became-follower, broker: broker-1, partition: orders-0}
    crash: broker-2
expect:
  violations: [acked-write-lost, log-divergence]
)";

// Parses `text`; returns the error message, or "" when it parsed.
std::string error_of(const std::string& text) {
  try {
    parse_scenario_text(text, "s.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const std::string kHead = "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 3}\n";
const std::string kTopics = "topics:\n  - {name: t, partitions: 2, replication.factor: 3}\n";
const std::string kProducers = "producers:\n  - {id: p1, topic: t, acks: all}\n";

}  // namespace

TEST(Parse, ReadsEveryKeyOfTheSpec) {
  Scenario s = parse_scenario_text(kFull, "full.yaml");
  EXPECT_EQ(s.name, "orders-failover");
  EXPECT_EQ(s.summary, "one line");
  EXPECT_EQ(s.description, "teaching text\n");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.duration, 30 * kMicrosPerSecond);
  EXPECT_EQ(s.settle, 45 * kMicrosPerSecond);
  EXPECT_EQ(s.design.preset, "kafka-3.7");
  EXPECT_EQ(s.design.get("hw-requires-min-isr"), "false");
  EXPECT_EQ(s.design.get("truncation"), "diverging-epoch");
  EXPECT_EQ(s.brokers, 3);
  EXPECT_EQ(s.latency, 2 * kMicrosPerMs);
  EXPECT_EQ(s.config.integer("min.insync.replicas"), 2);
  EXPECT_EQ(s.config.integer("replica.lag.time.max.ms"), 20000);
  EXPECT_EQ(s.config.integer("sim.os.flush.interval.ms"), 1000);
  // Kafka's real defaults where the file says nothing.
  EXPECT_EQ(s.config.integer("zookeeper.session.timeout.ms"), 18000);
  EXPECT_EQ(s.config.integer("replica.fetch.wait.max.ms"), 500);
  EXPECT_EQ(s.config.integer("replica.high.watermark.checkpoint.interval.ms"), 5000);
  EXPECT_EQ(s.config.integer("sim.record.bytes"), 100);
  ASSERT_EQ(s.topics.size(), 1u);
  EXPECT_EQ(s.topics[0].assignment[0], (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(s.topics[0].assignment[1], (std::vector<int>{2, 3, 1}));  // round-robin for the rest
  ASSERT_EQ(s.producers.size(), 1u);
  const ProducerSpec& p = s.producers[0];
  EXPECT_EQ(p.acks, "all");
  EXPECT_DOUBLE_EQ(p.rate_per_s, 100);
  EXPECT_EQ(p.from, kMicrosPerSecond);
  EXPECT_EQ(p.until, 25 * kMicrosPerSecond);
  EXPECT_EQ(p.partition, 0);
  EXPECT_EQ(p.config.integer("retries"), 3);
  EXPECT_EQ(s.config.integer("retries"), 2147483647);  // the producer's override stays its own
  ASSERT_EQ(s.consumers.size(), 1u);
  ASSERT_EQ(s.events.size(), 17u);
  EXPECT_EQ(s.events[0].action.kind, ActionKind::Crash);
  EXPECT_EQ(*s.events[0].undo_after, 5 * kMicrosPerSecond);
  EXPECT_EQ(s.events[1].action.groups.size(), 2u);
  EXPECT_EQ(s.events[2].action.targets[0].kind, Target::Kind::Controller);
  EXPECT_EQ(s.events[4].action.filter.from.kind, Target::Kind::Any);
  EXPECT_DOUBLE_EQ(s.events[4].action.filter.probability, 0.5);
  EXPECT_EQ(s.events[5].action.filter.to.kind, Target::Kind::Leader);
  EXPECT_EQ(s.events[5].action.filter.to.partition, "orders-0");
  EXPECT_EQ(s.events[5].action.filter.by, 200 * kMicrosPerMs);
  EXPECT_EQ(s.events[7].action.targets[0].kind, Target::Kind::Follower);
  EXPECT_EQ(s.events[8].action.targets.size(), 2u);
  EXPECT_EQ(s.events[10].action.produce.count, 3);
  EXPECT_EQ(s.events[10].action.produce.partition, 1);
  const Trigger& w = s.events[15].trigger;
  EXPECT_FALSE(w.at_time);
  EXPECT_EQ(w.event, "produce-acked");
  EXPECT_EQ(w.since, 3 * kMicrosPerSecond);
  EXPECT_EQ(w.after, 5 * kMicrosPerMs);
  EXPECT_EQ(w.times, 2);
  EXPECT_EQ(std::get<std::int64_t>(s.events[16].trigger.fields[0].second), 1);  // broker-1 -> 1
  EXPECT_EQ(s.expected_violations, (std::vector<std::string>{"acked-write-lost", "log-divergence"}));
}

TEST(Parse, PresetDefaultsAndScenarioOverrides) {
  Scenario s = parse_scenario_text(kHead + "design: kafka-0.10\n", "s.yaml");
  EXPECT_EQ(s.config.str("unclean.leader.election.enable"), "true");
  EXPECT_EQ(s.config.integer("zookeeper.session.timeout.ms"), 6000);
  EXPECT_EQ(s.config.integer("replica.lag.time.max.ms"), 10000);
  EXPECT_EQ(s.config.str("acks"), "1");
  Scenario t = parse_scenario_text(kHead + "design: kafka-0.10\nconfig: {zookeeper.session.timeout.ms: 9000}\n", "s.yaml");
  EXPECT_EQ(t.config.integer("zookeeper.session.timeout.ms"), 9000);
  // --design later: the preset's defaults change, the file's own settings stay.
  std::string error;
  t.apply_design(*parse_design_flag("latest", error));
  EXPECT_EQ(t.config.integer("zookeeper.session.timeout.ms"), 9000);
  EXPECT_EQ(t.config.str("unclean.leader.election.enable"), "false");
  EXPECT_EQ(t.config.str("acks"), "all");
}

TEST(Parse, TheSpecExampleIsValid) {
  Scenario s = parse_scenario_file(std::string(KAFKASIM_SOURCE_DIR) + "/tests/data/kip101-example.yaml");
  EXPECT_EQ(s.design.preset, "kafka-0.10");
  EXPECT_EQ(s.events.size(), 4u);
  EXPECT_EQ(s.topics[0].assignment[0], (std::vector<int>{2, 1}));
}

struct BadCase {
  const char* what;
  std::string text;
  std::string expected;  // the whole "s.yaml:L:C: message" prefix or a part of the message
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.what; }

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, IsRejectedWithFileLineColumn) {
  const BadCase& c = GetParam();
  std::string e = error_of(c.text);
  ASSERT_FALSE(e.empty()) << c.what << ": was accepted";
  EXPECT_EQ(e.rfind("s.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(c.expected), std::string::npos) << c.what << "\n got: " << e << "\n want: " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInput,
    ::testing::Values(
        BadCase{"misspelt config", kHead + "config:\n  min.insync.replica: 2\n",
                "s.yaml:6:3: unknown config 'min.insync.replica' in config, did you mean 'min.insync.replicas'?"},
        BadCase{"misspelt top-level key", kHead + "duraton: 5s\n", "s.yaml:5:1: unknown key 'duraton' in scenario, did you mean 'duration'?"},
        BadCase{"missing required key", "name: x\nsummary: y\ncluster: {brokers: 1}\n",
                "s.yaml:1:1: scenario is missing the required key 'duration'"},
        BadCase{"bare number for a duration", "name: x\nsummary: y\nduration: 30\ncluster: {brokers: 1}\n",
                "s.yaml:3:11: duration: '30' needs a unit"},
        BadCase{"bare number in an event", kHead + "events:\n  - {at: 5, crash: broker-1}\n", "s.yaml:6:10: at: '5' needs a unit"},
        BadCase{"unknown node", kHead + "events:\n  - {at: 5s, crash: broker-4}\n",
                "s.yaml:6:21: unknown node 'broker-4' (the cluster has broker-1..broker-3)"},
        BadCase{"unknown topic", kHead + kTopics + "producers:\n  - {id: p1, topic: orders}\n",
                "s.yaml:8:21: unknown topic 'orders'"},
        BadCase{"unknown producer", kHead + kTopics + kProducers + "events:\n  - {at: 1s, produce: {producer: p2}}\n",
                "unknown producer 'p2', did you mean 'p1'?"},
        BadCase{"unknown partition", kHead + kTopics + "events:\n  - {at: 1s, crash: leader:t-5}\n",
                "unknown partition 't-5'"},
        BadCase{"unknown partition in when", kHead + kTopics + "events:\n  - {when: {event: truncated, partition: u-0}, crash: broker-1}\n",
                "unknown partition 'u-0'"},
        BadCase{"replication factor above brokers", kHead + "topics:\n  - {name: t, replication.factor: 4}\n",
                "s.yaml:6:35: replication.factor 4 is more than the 3 brokers"},
        BadCase{"event without action", kHead + "events:\n  - {at: 1s}\n", "s.yaml:6:5: an event needs one action"},
        BadCase{"event with two actions", kHead + "events:\n  - {at: 1s, crash: broker-1, pause: broker-2}\n",
                "an event has exactly one action; this one has crash and pause"},
        BadCase{"event without trigger", kHead + "events:\n  - {crash: broker-1}\n", "an event needs a trigger"},
        BadCase{"event with two triggers", kHead + "events:\n  - {at: 1s, when: {event: phase}, crash: broker-1}\n",
                "an event has one trigger"},
        BadCase{"unknown property", kHead + "expect:\n  violations: [acked-write-los]\n",
                "s.yaml:6:16: unknown property 'acked-write-los', did you mean 'acked-write-lost'?"},
        BadCase{"malformed YAML", kHead + "events: [\n", "malformed YAML"},
        BadCase{"empty file", "", "s.yaml:1:1: empty scenario file"},
        BadCase{"only a comment", "# nothing\n", "empty scenario file"},
        BadCase{"not a mapping", "- a\n- b\n", "a scenario is a mapping"},
        BadCase{"unknown preset", kHead + "design: kafka-0.9\n", "unknown design preset 'kafka-0.9'"},
        BadCase{"unknown switch", kHead + "design: {base: latest, truncaton: high-watermark}\n",
                "unknown key 'truncaton' in design, did you mean 'truncation'?"},
        BadCase{"bad switch value", kHead + "design: {base: latest, truncation: sometimes}\n",
                "switch 'truncation' takes high-watermark, leader-epoch, leader-epoch-kip279 or diverging-epoch"},
        BadCase{"bad config value", kHead + "config: {unclean.leader.election.enable: maybe}\n", "takes true or false"},
        BadCase{"duration in a Kafka ms config", kHead + "config: {replica.lag.time.max.ms: 30s}\n",
                "Kafka's own unit: milliseconds"},
        BadCase{"unknown history event", kHead + "events:\n  - {when: {event: leader-elect}, crash: broker-1}\n",
                "unknown history event 'leader-elect', did you mean 'leader-elected'?"},
        BadCase{"unknown field of a history event", kHead + "events:\n  - {when: {event: broker-started, brokr: 1}, crash: broker-1}\n",
                "has no field 'brokr'"},
        BadCase{"event after the fault phase", kHead + "events:\n  - {at: 10s, crash: broker-1}\n",
                "s.yaml:6:10: at: 10s is not inside the fault phase (duration: 10s)"},
        BadCase{"since without when", kHead + "events:\n  - {at: 1s, since: 2s, crash: broker-1}\n", "'since' goes with when:"},
        BadCase{"for on restart", kHead + "events:\n  - {at: 1s, restart: broker-1, for: 2s}\n", "for: cannot undo restart"},
        BadCase{"crash of ZooKeeper", kHead + "events:\n  - {at: 1s, crash: zk-1}\n", "'zk-1' is not a broker"},
        BadCase{"unknown message type", kHead + "events:\n  - {at: 1s, drop: {type: Fetchh}}\n",
                "unknown message type 'Fetchh', did you mean 'Fetch'?"},
        BadCase{"probability out of range", kHead + "events:\n  - {at: 1s, drop: {probability: 1.5}}\n",
                "probability must be a number from 0 to 1"},
        BadCase{"delay without by", kHead + "events:\n  - {at: 1s, delay: {to: broker-1}}\n", "missing the required key 'by'"},
        BadCase{"partition with one group", kHead + "events:\n  - {at: 1s, partition: [[broker-1]]}\n", "two or more groups"},
        BadCase{"node in two groups", kHead + "events:\n  - {at: 1s, partition: [[broker-1], [broker-1, broker-2]]}\n",
                "in two groups"},
        BadCase{"heal something else", kHead + "events:\n  - {at: 1s, heal: broker-1}\n", "heal takes 'all'"},
        BadCase{"assignment too short", kHead + "topics:\n  - {name: t, replication.factor: 2, assignment: {0: [1]}}\n",
                "lists 1 replicas but replication.factor is 2"},
        BadCase{"assignment unknown broker", kHead + "topics:\n  - {name: t, replication.factor: 2, assignment: {0: [1, 7]}}\n",
                "unknown broker 7"},
        BadCase{"two zookeepers", "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 3, zookeeper: 3}\n",
                "cluster.zookeeper must be 1"},
        BadCase{"bad name", "name: X_1\nsummary: y\nduration: 10s\ncluster: {brokers: 1}\n", "may only use a-z"},
        BadCase{"duplicate key", kHead + "seed: 1\nseed: 2\n", "'seed' appears twice"},
        BadCase{"rate without unit", kHead + kTopics + "producers:\n  - {id: p1, topic: t, rate: 100}\n", "is not a rate"},
        BadCase{"bad acks", kHead + kTopics + "producers:\n  - {id: p1, topic: t, acks: 2}\n", "acks takes 0, 1 or all"},
        BadCase{"client as fault target", kHead + kTopics + kProducers + "events:\n  - {at: 1s, isolate: p9}\n",
                "unknown node 'p9'"},
        BadCase{"duplicate client id", kHead + kTopics + kProducers + "consumers:\n  - {id: p1, topic: t}\n",
                "client id 'p1' is used twice"},
        BadCase{"unknown producer config", kHead + kTopics + "producers:\n  - {id: p1, topic: t, retires: 3}\n",
                "unknown key 'retires' in producer, did you mean 'retries'?"},
        BadCase{"racks not one per broker",
                "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 3, racks: [a, b]}\n" + kTopics,
                "cluster.racks names 2 racks for 3 brokers: give one per broker"},
        BadCase{"unknown replica selector", kHead + "config: {replica.selector.class: Nearest}\n" + kTopics,
                "replica.selector.class takes org.apache.kafka.common.replica.RackAwareReplicaSelector"},
        // KRaft: the control plane the design has, and nothing of the other one.
        BadCase{"controllers on a ZooKeeper design",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-3.7\ncluster: {brokers: 3, controllers: 3}\n",
                "s.yaml:5:36: kafka-3.7 is a ZooKeeper-mode design: its controller is a broker elected through "
                "ZooKeeper; remove cluster.controllers, or name a KRaft design"},
        BadCase{"ZooKeeper on a KRaft design",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.1\ncluster: {brokers: 3, zookeeper: 1, controllers: 3}\n",
                "s.yaml:5:34: kafka-4.1 is a KRaft design: it has no ZooKeeper; write cluster.controllers"},
        BadCase{"a KRaft design without controllers",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.0\ncluster: {brokers: 3}\n",
                "s.yaml:5:10: kafka-4.0 is a KRaft design: cluster.controllers says how many controller nodes form "
                "the quorum (e.g. cluster: {brokers: 3, controllers: 3})"},
        BadCase{"no controllers",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.1\ncluster: {brokers: 3, controllers: 0}\n",
                "s.yaml:5:36: a KRaft cluster needs at least one controller node: write controllers: 3"},
        BadCase{"an even number of controllers",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.1\ncluster: {brokers: 3, controllers: 2}\n",
                "s.yaml:5:36: cluster.controllers is 2: a Raft quorum needs an odd number of voters (1, 3, 5 or 7)"},
        BadCase{"expire-session on KRaft",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.1\ncluster: {brokers: 3, controllers: 3}\n"
                "events:\n  - {at: 1s, expire-session: broker-1}\n",
                "expire-session expires a ZooKeeper session; kafka-4.1 is a KRaft design, with no ZooKeeper. A KRaft "
                "broker's session is its heartbeats"},
        BadCase{"zk-1 on KRaft",
                "name: x\nsummary: y\nduration: 10s\ndesign: kafka-4.1\ncluster: {brokers: 3, controllers: 3}\n"
                "events:\n  - {at: 1s, crash: zk-1}\n",
                "s.yaml:7:21: 'zk-1': kafka-4.1 is a KRaft design and has no ZooKeeper; its control plane is "
                "controller-1..3"},
        BadCase{"controller-1 on ZooKeeper",
                kHead + "events:\n  - {at: 1s, crash: controller-1}\n",
                "s.yaml:6:21: 'controller-1': latest is a ZooKeeper-mode design and has no controller nodes"},
        BadCase{"a ZooKeeper ISR path on a KRaft design",
                "name: x\nsummary: y\nduration: 10s\ndesign: {base: kafka-4.1, isr-change-path: zookeeper-direct}\n"
                "cluster: {brokers: 3, controllers: 3}\n",
                "switch 'isr-change-path' cannot be zookeeper-direct on kafka-4.1: a KRaft design has no ZooKeeper"},
        BadCase{"a KRaft-only switch on a ZooKeeper design",
                "name: x\nsummary: y\nduration: 10s\ndesign: {base: kafka-3.7, quorum-pre-vote: true}\ncluster: {brokers: 3}\n",
                "switch 'quorum-pre-vote' is KRaft-only: kafka-3.7 is a ZooKeeper-mode design (use a KRaft preset"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string n = info.param.what;
      for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(Parse, DirectoryAndMissingFileAreInputErrors) {
  std::string dir = testing::TempDir() + "/kafkasim-a-directory";
  std::filesystem::create_directories(dir);
  try {
    parse_scenario_file(dir);
    FAIL() << "a directory was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir + ":1:1: is a directory, not a scenario file");
  }
  EXPECT_THROW(parse_scenario_file(dir + "/nope.yaml"), InputError);
}

TEST(Parse, RoundRobinAssignmentFollowsKafka) {
  // AdminUtils.assignReplicasToBrokersRackUnaware(startIndex 0, shift 0) on 3 brokers, RF 3.
  auto a = round_robin_assignment(3, 4, 3);
  EXPECT_EQ(a[0], (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(a[1], (std::vector<int>{2, 3, 1}));
  EXPECT_EQ(a[2], (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(a[3], (std::vector<int>{1, 3, 2}));  // the shift grows after each round
  auto single = round_robin_assignment(1, 2, 1);
  EXPECT_EQ(single[1], (std::vector<int>{1}));
}

// ---- robustness: hostile and careless input (issue: no input crashes it, every limit is bounded)

namespace {
// Every "FILE:LINE:COL:" line of an error report.
std::vector<std::string> error_lines(const std::string& report) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < report.size()) {
    const std::size_t end = report.find('\n', start);
    std::string line = report.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("s.yaml:", 0) == 0 && line.size() > 7 && std::isdigit(static_cast<unsigned char>(line[7])))
      out.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}
}  // namespace

TEST(ParseLimits, VeryLongNamesAreRefusedNamingTheLimitNotACrash) {
  const std::string long_name(30000, 'a');
  EXPECT_NE(error_of("name: " + long_name + "\nsummary: y\nduration: 10s\ncluster: {brokers: 3}\n")
                .find("name is 30000 characters long; the most the simulator accepts is 100"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "topics:\n  - {name: " + long_name + "}\n").find("topic name is 30000 characters long"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + kTopics + "producers:\n  - {id: " + long_name + ", topic: t}\n")
                .find("producer id is 30000 characters long"),
            std::string::npos);
}

TEST(ParseLimits, AProducerStartingAfterTheFaultPhaseIsAMistakeAtItsFrom) {
  const std::string e = error_of(kHead + kTopics + "producers:\n  - {id: p1, topic: t, rate: 1/s, from: 12s}\n");
  EXPECT_EQ(e, "s.yaml:8:41: from: 12s is not inside the fault phase (duration: 10s); producers send only during the "
               "fault phase");
  EXPECT_NE(error_of(kHead + kTopics + "producers:\n  - {id: p1, topic: t, from: 5s, until: 2s}\n")
                .find("until (2s) is before from (5s)"),
            std::string::npos);
}

TEST(ParseLimits, KafkaConfigsAndDurationsAreRangeCheckedBeforeAnyArithmetic) {
  EXPECT_NE(error_of(kHead + "config: {zookeeper.session.timeout.ms: 9223372036854775807}\n")
                .find("zookeeper.session.timeout.ms must be at most 86400000 (24 h), not 9223372036854775807"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "config: {replica.lag.time.max.ms: 99999999999999999999999}\n").find("must be at most"),
            std::string::npos);
  // Kafka's own "never" stays accepted where Kafka has it.
  EXPECT_EQ(error_of(kHead + "config: {log.flush.interval.ms: 9223372036854775807}\n"), "");
  EXPECT_NE(error_of(kHead + "events:\n  - {at: 1178541982487h, crash: broker-1}\n").find("too long a duration"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "events:\n  - {at: 1s, pause: broker-1, for: 6061805066444h}\n").find("too long a duration"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "events:\n  - {at: 1s, pause: broker-1, for: 25h}\n").find("longer than 24h"),
            std::string::npos);
  EXPECT_NE(error_of("name: x\nsummary: y\nduration: 10s\nsettle: 100h\ncluster: {brokers: 1}\n").find("longer than 24h"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + kTopics + "producers:\n  - {id: p1, topic: t, rate: 400000/s}\n")
                .find("more than 100000/s"),
            std::string::npos);
  EXPECT_NE(error_of("name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 1001}\n").find("at most 1000"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "seed: 9223372036854775808\n").find("seed must be at most"), std::string::npos);
}

TEST(ParseLimits, WhenTriggersThatCouldNeverMatchAreRefused) {
  const std::string head = kHead + kTopics + kProducers + "events:\n";
  // A key given twice: the second would be silently ignored.
  EXPECT_NE(error_of(head + "  - {when: {event: broker-started, event: broker-crashed}, crash: broker-1}\n")
                .find("'event' appears twice in this mapping"),
            std::string::npos);
  const std::string e =
      error_of(head + "  - {when: {event: leader-elected, leader_epoch: -5, clean: maybe}, crash: broker-1}\n" +
               "  - {when: {event: hw-advanced, hw: high}, crash: broker-2}\n" +
               "  - {when: {event: truncated, reason: sometimes}, crash: broker-2}\n" +
               "  - {when: {event: produce-failed, error: TIME_OUT}, crash: broker-2}\n" +
               "  - {when: {event: isr-changed, isr: [1, 9]}, crash: broker-2}\n" +
               "  - {when: {event: violation}, crash: broker-2}\n" +
               "  - {when: {event: phase, name: settle}, crash: broker-2}\n");
  const auto lines = error_lines(e);
  ASSERT_EQ(lines.size(), 8u) << e;  // every mistake at once, in file order
  EXPECT_NE(lines[0].find("'leader_epoch' is never -5"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("'clean' takes true or false, not 'maybe'"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("'hw' takes a whole number, not 'high'"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("'reason' of a truncated event is one of"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("did you mean 'TIMEOUT'"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("unknown broker 9"), std::string::npos) << lines[5];
  EXPECT_NE(lines[6].find("could never fire"), std::string::npos) << lines[6];
  EXPECT_NE(lines[7].find("could never fire"), std::string::npos) << lines[7];
  // A well-typed trigger still parses, with an ISR written as a list.
  Scenario s = parse_scenario_text(head + "  - {when: {event: leader-elected, isr: [1, 2], clean: true}, crash: broker-2}\n"
                                              "  - {when: {event: fault, action: pause, for: 2s}, crash: broker-2}\n",
                                   "s.yaml");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(std::get<std::string>(s.events[0].trigger.fields[0].second), "[1,2]");
  EXPECT_DOUBLE_EQ(std::get<double>(s.events[1].trigger.fields[1].second), 2.0);
}

TEST(ParseLimits, ASecondYamlDocumentIsRefused) {
  EXPECT_NE(error_of(kHead + "---\nname: y\n").find("s.yaml:5:1: a second YAML document"), std::string::npos);
}

TEST(ParseLimits, EveryMistakeOfAFileIsReportedAtOnceInFileOrder) {
  const std::string e = error_of("name: x\nsummary: y\nduration: 10\ncluster: {brokers: 3}\n" + kTopics +
                                 "producers:\n  - {id: p1, topic: tt, acks: 2}\nevents:\n"
                                 "  - {at: 1s, crash: broker-7}\n  - {at: 2s, pause: broker-1, for: 1}\n");
  const auto lines = error_lines(e);
  ASSERT_EQ(lines.size(), 5u) << e;
  EXPECT_NE(lines[0].find("s.yaml:3:11: duration: '10' needs a unit"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("unknown topic 'tt'"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("acks takes 0, 1 or all"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("unknown node 'broker-7'"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("for: '1' needs a unit"), std::string::npos) << lines[4];
  // A broken topic does not make every reference to it a mistake of its own.
  const std::string one = error_of(kHead + "topics:\n  - {name: t, partitions: many}\nproducers:\n  - {id: p1, topic: t}\n"
                                           "events:\n  - {at: 1s, crash: leader:t-0}\n");
  EXPECT_EQ(error_lines(one).size(), 1u) << one;
  // The report is bounded.
  std::string many = kHead + "events:\n";
  for (int i = 0; i < 50; ++i) many += "  - {at: 1s, crash: broker-9}\n";
  const std::string bounded = error_of(many);
  EXPECT_EQ(error_lines(bounded).size(), 20u);
  EXPECT_NE(bounded.find("stopped after 20 mistakes"), std::string::npos);
}

TEST(ParseLimits, YamlSyntaxErrorsShowTheLineWithACaretAndAHintInTheUsersTerms) {
  const std::string tab = error_of("name: x\nsummary: y\n\tduration: 5s\n");
  EXPECT_NE(tab.find("s.yaml:3:"), std::string::npos) << tab;
  EXPECT_NE(tab.find("hint: line 3 indents with a tab"), std::string::npos) << tab;
  EXPECT_NE(tab.find(" | "), std::string::npos) << tab;
  const std::string colon = error_of("name: x\nsummary y\nduration: 5s\n");
  EXPECT_NE(colon.find("hint: line 2 ('summary y') has no ':' after its key"), std::string::npos) << colon;
  const std::string brace = error_of("name: x\nsummary: y\nduration: 5s\ncluster: {brokers: 3\n");
  EXPECT_NE(brace.find("the '{' at line 4, column 10 is never closed"), std::string::npos) << brace;
  const std::string indent = error_of("name: x\nsummary: y\nduration: 5s\ncluster: {brokers: 3}\nevents:\n"
                                      "  - at: 1s\n    crash: broker-1\n  for: 1s\n");
  EXPECT_NE(indent.find("s.yaml:8:3: malformed YAML"), std::string::npos) << indent;
  EXPECT_NE(indent.find("  8 |   for: 1s\n    |   ^"), std::string::npos) << indent;
  EXPECT_NE(indent.find("lines up with the '-' of the list item at line 6"), std::string::npos) << indent;
  EXPECT_NE(indent.find("indent it to column 5"), std::string::npos) << indent;
  const std::string deeper = error_of("name: x\nsummary: y\nduration: 5s\ncluster:\n  brokers: 3\n   zookeeper: 1\n");
  EXPECT_NE(deeper.find("line 6 is indented more (column 4) than line 5 (column 3)"), std::string::npos) << deeper;
}

TEST(ParseLimits, AKeyAtTheWrongIndentationSaysWhereItBelongs) {
  const std::string e = error_of(kHead + "events:\n  - {at: 1s, crash: broker-1}\nfor: 1s\n");
  EXPECT_NE(e.find("unknown key 'for' in scenario: 'for' is a key of an event (a list item under events:)"),
            std::string::npos)
      << e;
  const std::string b = error_of("name: x\nsummary: y\nduration: 10s\nbrokers: 3\ncluster: {brokers: 3}\n");
  EXPECT_NE(b.find("'brokers' is a key of cluster:"), std::string::npos) << b;
}

TEST(ParseLimits, HostileYamlIsBoundedAndTextMustBeUtf8) {
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 30; ++i) {
    laughs += fmt::format("a{}: &a{} [", i, i);
    for (int j = 0; j < 10; ++j) laughs += fmt::format("{}*a{}", j ? ", " : "", i - 1);
    laughs += "]\n";
  }
  EXPECT_NE(error_of(laughs).find("more than 200000 YAML nodes"), std::string::npos);
  std::string deep = "name: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  EXPECT_NE(error_of(deep + "\n").find("nested more than 64 deep"), std::string::npos);
  const std::string bad = error_of(kHead + kTopics + kProducers + "events:\n  - {at: 1s, produce: {producer: p1, value: \"m\xff\"}}\n");
  EXPECT_NE(bad.find("s.yaml:10:47: byte 0xff, which is not valid UTF-8"), std::string::npos) << bad;
  EXPECT_NE(error_of(std::string("name: x\0y\n", 10)).find("a NUL byte"), std::string::npos);
}

TEST(ParseLimits, FilesAreReadWithABound) {
  try {
    parse_scenario_file("/dev/zero");
    FAIL() << "/dev/zero was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero:1:1: the file is larger than 4 MiB"), std::string::npos) << e.what();
  }
}

TEST(Parse, ExpectationsPerDesign) {
  Scenario s = parse_scenario_text(kHead + "design: kafka-0.10\nexpect:\n  violations: [acked-write-lost]\n  designs:\n"
                                           "    kafka-0.11: []\n    kafka-2.2,isr-join-requires-epoch-start=false: [log-divergence]\n",
                                   "s.yaml");
  EXPECT_EQ(s.expected(), (std::vector<std::string>{"acked-write-lost"}));
  std::string error;
  EXPECT_TRUE(s.expected_for(*parse_design_flag("kafka-0.11", error)).empty());
  EXPECT_EQ(s.expected_for(*parse_design_flag("kafka-2.2,isr-join-requires-epoch-start=false", error)),
            (std::vector<std::string>{"log-divergence"}));
  EXPECT_EQ(s.expected_for(*parse_design_flag("kafka-2.2", error)), (std::vector<std::string>{"acked-write-lost"}));
  EXPECT_NE(error_of(kHead + "expect:\n  designs: {kafka-0.9: []}\n").find("unknown design preset 'kafka-0.9'"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "expect:\n  designs: {latest: [acked-write-los]}\n").find("unknown property"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "expect:\n  designs: {latest: [], 'latest,truncation=diverging-epoch': []}\n")
                .find("names one design twice"),
            std::string::npos);
}

// ---- consumer groups and sinks (../shared/spec/consumer-groups.md)

namespace {
// Lines 1-6: kHead and kTopics; 7-9: two sinks; 10: consumers:, so the first consumer is on line 11.
const std::string kGroupHead =
    kHead + kTopics + "sinks:\n  - {id: db, kind: keyed}\n  - {id: log, kind: append}\nconsumers:\n";
}  // namespace

TEST(ParseGroups, ReadsSinksGroupConsumersAndMakesTheOffsetsTopic) {
  // Sinks after the consumers that name them: the order of top-level keys does not matter.
  const std::string text = kHead + kTopics +
                           "consumers:\n"
                           "  - id: c1\n"
                           "    topic: t\n"
                           "    group: g1\n"
                           "    processing: 5ms\n"
                           "    commit: after-process\n"
                           "    sink: db\n"
                           "    key: topic-partition-offset\n"
                           "    delivery: exactly-once\n"
                           "    config: {session.timeout.ms: 10000, max.poll.interval.ms: 20000}\n"
                           "  - {id: c2, topic: t, group: g1, sink: db, key: record, delivery: exactly-once}\n"
                           "  - {id: c3, topic: t, group: g2, enable.auto.commit: false, sink: log}\n"
                           "  - {id: c4, topic: t, group: g.2_x-y, commit: before-process, heartbeat.interval.ms: 1000}\n"
                           "  - {id: c5, topic: t}\n"
                           "sinks:\n"
                           "  - {id: db, kind: keyed}\n"
                           "  - {id: log, kind: append}\n"
                           "events:\n"
                           "  - {at: 1s, crash: c1, for: 2s}\n"
                           "  - {at: 2s, pause: db, for: 1s}\n"
                           "  - {at: 3s, isolate: db, for: 1s}\n"
                           "  - {at: 4s, partition: [[db, c2], [broker-1]], for: 1s}\n"
                           "  - {at: 5s, drop: {from: c3, to: db, type: SinkWrite}}\n"
                           "  - {at: 6s, crash: leader:__consumer_offsets-2}\n"
                           "  - {at: 7s, restart: [c1, db]}\n";
  Scenario s = parse_scenario_text(text, "s.yaml");
  ASSERT_EQ(s.sinks.size(), 2u);
  EXPECT_EQ(s.sinks[0].id, "db");
  EXPECT_EQ(s.sinks[0].kind, "keyed");
  EXPECT_EQ(s.sinks[0].pos.line, 22);
  EXPECT_EQ(s.sinks[0].pos.column, 5);
  EXPECT_EQ(s.sinks[1].kind, "append");
  ASSERT_NE(s.find_sink("log"), nullptr);
  EXPECT_TRUE(s.has_groups());

  ASSERT_EQ(s.consumers.size(), 5u);
  const ConsumerSpec& c1 = s.consumers[0];
  EXPECT_EQ(c1.group, "g1");
  EXPECT_EQ(c1.topic, "t");
  EXPECT_EQ(c1.processing, 5 * kMicrosPerMs);
  EXPECT_EQ(c1.commit, "after-process");
  EXPECT_EQ(c1.sink, "db");
  EXPECT_EQ(c1.key, "topic-partition-offset");
  EXPECT_EQ(c1.delivery, "exactly-once");
  EXPECT_EQ(c1.pos.line, 8);
  EXPECT_EQ(c1.pos.column, 5);
  EXPECT_EQ(c1.config.integer("session.timeout.ms"), 10000);
  EXPECT_EQ(c1.config.integer("max.poll.interval.ms"), 20000);
  EXPECT_FALSE(c1.config.boolean("enable.auto.commit"));  // committing by hand turns the consumer's own commits off
  const ConsumerSpec& c2 = s.consumers[1];
  EXPECT_EQ(c2.commit, "auto");  // enable.auto.commit's default is true
  EXPECT_TRUE(c2.config.boolean("enable.auto.commit"));
  EXPECT_EQ(c2.key, "record");
  EXPECT_EQ(c2.processing, 0);
  EXPECT_EQ(c2.pos.line, 17);
  EXPECT_EQ(c2.pos.column, 5);
  EXPECT_EQ(c2.config.integer("session.timeout.ms"), 45000);
  const ConsumerSpec& c3 = s.consumers[2];
  EXPECT_EQ(c3.commit, "after-process");  // enable.auto.commit: false, and no commit: given
  EXPECT_EQ(c3.sink, "log");
  EXPECT_EQ(c3.delivery, "");
  const ConsumerSpec& c4 = s.consumers[3];
  EXPECT_EQ(c4.group, "g.2_x-y");
  EXPECT_EQ(c4.commit, "before-process");
  EXPECT_FALSE(c4.config.boolean("enable.auto.commit"));
  EXPECT_EQ(c4.config.integer("heartbeat.interval.ms"), 1000);
  EXPECT_EQ(c4.sink, "");
  EXPECT_EQ(s.consumers[4].group, "");  // a standalone consumer

  // __consumer_offsets: sim.offsets.topic.partitions (3) partitions, offsets.topic.replication.factor (3) replicas.
  ASSERT_EQ(s.topics.size(), 2u);
  const TopicSpec& offsets = s.topics[1];
  EXPECT_EQ(offsets.name, "__consumer_offsets");
  EXPECT_EQ(offsets.partitions, 3);
  EXPECT_EQ(offsets.replication_factor, 3);
  ASSERT_EQ(offsets.assignment.size(), 3u);
  EXPECT_EQ(offsets.assignment[0], (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(offsets.assignment[2], (std::vector<int>{3, 1, 2}));

  // Clients and sinks are fault targets and network-rule endpoints.
  ASSERT_EQ(s.events.size(), 7u);
  EXPECT_EQ(s.events[0].action.targets[0].node, "c1");
  EXPECT_EQ(s.events[1].action.targets[0].node, "db");
  EXPECT_EQ(s.events[2].action.targets[0].node, "db");
  EXPECT_EQ(s.events[3].action.groups[0][0].node, "db");
  EXPECT_EQ(s.events[4].action.filter.from.node, "c3");
  EXPECT_EQ(s.events[4].action.filter.to.node, "db");
  EXPECT_EQ(s.events[5].action.targets[0].partition, "__consumer_offsets-2");
  EXPECT_EQ(s.events[6].action.targets.size(), 2u);

  // --design rebuilds the configs: the file's own values, and commit's enable.auto.commit, stay.
  std::string error;
  s.apply_design(*parse_design_flag("kafka-0.10", error));
  EXPECT_EQ(s.consumers[0].config.integer("session.timeout.ms"), 10000);
  EXPECT_EQ(s.consumers[1].config.integer("session.timeout.ms"), 10000);  // kafka-0.10's default (before KIP-735)
  EXPECT_FALSE(s.consumers[0].config.boolean("enable.auto.commit"));
  EXPECT_FALSE(s.consumers[3].config.boolean("enable.auto.commit"));
  EXPECT_TRUE(s.consumers[1].config.boolean("enable.auto.commit"));
  EXPECT_EQ(s.consumers[3].config.integer("heartbeat.interval.ms"), 1000);
}

TEST(ParseGroups, TheOffsetsTopicFollowsTheFilesConfigAndExistsOnlyWithGroups) {
  Scenario s = parse_scenario_text("name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 2}\n"
                                   "config: {offsets.topic.num.partitions: 5, offsets.topic.replication.factor: 2}\n" +
                                       kTopics.substr(0, kTopics.find("3}")) + "2}\n" +
                                       "consumers:\n  - {id: c1, topic: t, group: g1}\n",
                                   "s.yaml");
  ASSERT_EQ(s.topics.size(), 2u);
  EXPECT_EQ(s.topics[1].name, "__consumer_offsets");
  EXPECT_EQ(s.topics[1].partitions, 5);  // offsets.topic.num.partitions, set in the file, wins over sim.*
  EXPECT_EQ(s.topics[1].replication_factor, 2);
  EXPECT_EQ(s.topics[1].assignment[4], (std::vector<int>{1, 2}));
  Scenario knob = parse_scenario_text(kHead + "config: {sim.offsets.topic.partitions: 1}\n" + kTopics +
                                          "consumers:\n  - {id: c1, topic: t, group: g1}\n",
                                      "s.yaml");
  ASSERT_EQ(knob.topics.size(), 2u);
  EXPECT_EQ(knob.topics[1].partitions, 1);
  // Without a group there is no __consumer_offsets: standalone consumers commit nothing.
  Scenario standalone = parse_scenario_text(kHead + kTopics + "consumers:\n  - {id: c1, topic: t}\n", "s.yaml");
  EXPECT_FALSE(standalone.has_groups());
  EXPECT_EQ(standalone.topics.size(), 1u);
  EXPECT_EQ(standalone.consumers[0].pos.line, 8);
}

struct GroupBadCase {
  const char* what;
  std::string text;
  std::string expected;  // "s.yaml:L:C: the start of the message"
};
void PrintTo(const GroupBadCase& c, std::ostream* os) { *os << c.what; }

class ParseGroupsBadInput : public ::testing::TestWithParam<GroupBadCase> {};

TEST_P(ParseGroupsBadInput, IsOneMistakeAtItsLineAndColumn) {
  const GroupBadCase& c = GetParam();
  const std::string e = error_of(c.text);
  ASSERT_FALSE(e.empty()) << c.what << ": was accepted";
  const auto lines = error_lines(e);
  EXPECT_EQ(lines.size(), 1u) << c.what << ": one mistake, no follow-on mistakes\n" << e;
  EXPECT_EQ(e.rfind(c.expected, 0), 0u) << c.what << "\n got: " << e << "\n want: " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseGroupsBadInput,
    ::testing::Values(
        // sinks:
        GroupBadCase{"sinks not a list", kHead + "sinks: {id: db}\n", "s.yaml:5:8: sinks is a list: - {id: db, kind: keyed}"},
        GroupBadCase{"sink without kind", kHead + "sinks:\n  - {id: db}\n",
                     "s.yaml:6:5: sink db needs a kind: keyed (a write for an existing key overwrites it), append "
                     "(every write is kept) or transactional (records and offsets in one transaction)"},
        GroupBadCase{"misspelt sink kind", kHead + "sinks:\n  - {id: db, kind: keyd}\n",
                     "s.yaml:6:20: a sink's kind is keyed, append or transactional, not 'keyd', did you mean 'keyed'?"},
        GroupBadCase{"unknown sink key", kHead + "sinks:\n  - {id: db, kind: keyed, knd: x}\n",
                     "s.yaml:6:27: unknown key 'knd' in sink, did you mean 'kind'?"},
        GroupBadCase{"sink id of a producer", kHead + kTopics + kProducers + "sinks:\n  - {id: p1, kind: keyed}\n",
                     "s.yaml:10:10: sink id 'p1' is used twice (producer p1 has it)"},
        GroupBadCase{"sink id of a broker", kHead + "sinks:\n  - {id: broker-1, kind: keyed}\n",
                     "s.yaml:6:10: sink id 'broker-1' is reserved for nodes or targets"},
        GroupBadCase{"two sinks with one id", kHead + "sinks:\n  - {id: db, kind: keyed}\n  - {id: db, kind: append}\n",
                     "s.yaml:7:10: sink id 'db' is used twice (sink db has it)"},
        GroupBadCase{"consumer id of a sink", kGroupHead + "  - {id: db, topic: t}\n",
                     "s.yaml:11:10: client id 'db' is used twice (sink db has it)"},
        GroupBadCase{"too many sinks",
                     [] {
                       std::string t = kHead + "sinks:\n";
                       for (int i = 0; i < 21; ++i) t += fmt::format("  - {{id: s{}, kind: keyed}}\n", i);
                       return t;
                     }(),
                     "s.yaml:6:3: 21 sinks; the most the simulator accepts is 20"},
        // a consumer's group keys
        GroupBadCase{"unknown sink", kGroupHead + "  - {id: c1, topic: t, group: g1, sink: dbb}\n",
                     "s.yaml:11:41: unknown sink 'dbb', did you mean 'db'?"},
        GroupBadCase{"a sink when there are none", kHead + kTopics + "consumers:\n  - {id: c1, topic: t, group: g1, sink: db}\n",
                     "s.yaml:8:41: unknown sink 'db' (the scenario declares no sinks: add sinks: [{id: db, kind: keyed}])"},
        GroupBadCase{"key with an append sink", kGroupHead + "  - {id: c1, topic: t, group: g1, sink: log, key: record}\n",
                     "s.yaml:11:51: key: applies to a keyed sink; sink log is an append sink, which keeps every write"},
        GroupBadCase{"key without a sink", kGroupHead + "  - {id: c1, topic: t, group: g1, key: record}\n",
                     "s.yaml:11:40: key: applies to a keyed sink, and consumer c1 has none: add sink: <id>"},
        GroupBadCase{"unknown key kind", kGroupHead + "  - {id: c1, topic: t, group: g1, sink: db, key: offset}\n",
                     "s.yaml:11:50: key is record (the record's key) or topic-partition-offset, not 'offset'"},
        GroupBadCase{"exactly-once into an append sink",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, sink: log, delivery: exactly-once}\n",
                     "s.yaml:11:56: sink log is an append sink: an append sink keeps every write, so delivery: "
                     "exactly-once cannot hold; use a keyed sink keyed by topic-partition-offset"},
        GroupBadCase{"exactly-once without a sink", kGroupHead + "  - {id: c1, topic: t, group: g1, delivery: exactly-once}\n",
                     "s.yaml:11:45: delivery: exactly-once is a claim about what a sink holds, and consumer c1 has no "
                     "sink"},
        GroupBadCase{"another delivery claim",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, sink: db, delivery: at-least-once}\n",
                     "s.yaml:11:55: delivery is exactly-once (the one claim the checkers test), not 'at-least-once'"},
        GroupBadCase{"processing as a bare number", kGroupHead + "  - {id: c1, topic: t, group: g1, processing: 5}\n",
                     "s.yaml:11:47: processing is a duration: 5ms (or 5s)"},
        GroupBadCase{"processing with an unknown unit", kGroupHead + "  - {id: c1, topic: t, group: g1, processing: 5y}\n",
                     "s.yaml:11:47: processing: unknown time unit 'y'"},
        GroupBadCase{"processing without a group", kGroupHead + "  - {id: c1, topic: t, processing: 5ms}\n",
                     "s.yaml:11:36: processing needs a group: add group: <name> to consumer c1"},
        GroupBadCase{"a sink without a group", kGroupHead + "  - {id: c1, topic: t, sink: db}\n",
                     "s.yaml:11:30: sink needs a group: add group: <name> to consumer c1"},
        GroupBadCase{"commit without a group", kGroupHead + "  - {id: c1, topic: t, commit: auto}\n",
                     "s.yaml:11:32: commit needs a group: add group: <name> to consumer c1"},
        GroupBadCase{"misspelt commit", kGroupHead + "  - {id: c1, topic: t, group: g1, commit: after-proces}\n",
                     "s.yaml:11:43: commit is auto, after-process or before-process, not 'after-proces', did you mean "
                     "'after-process'?"},
        GroupBadCase{"commit: auto with auto-commit off",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, commit: auto, enable.auto.commit: false}\n",
                     "s.yaml:11:43: commit: auto is the consumer committing on its own, but enable.auto.commit is false "
                     "for this consumer"},
        GroupBadCase{"commit by hand with auto-commit on",
                     kHead + "config: {enable.auto.commit: true}\n" + kTopics +
                         "consumers:\n  - {id: c1, topic: t, group: g1, commit: after-process}\n",
                     "s.yaml:9:43: commit: after-process commits by hand, but enable.auto.commit is true for this "
                     "consumer"},
        GroupBadCase{"retry not a mapping", kGroupHead + "  - {id: c1, topic: t, group: g1, retry: pause-resume}\n",
                     "s.yaml:11:42: retry is a mapping: {on-error: pause-resume} or {on-error: retry-topic, topic: orders-retry}"},
        GroupBadCase{"retry without on-error", kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {attempts: 3}}\n",
                     "s.yaml:11:42: retry is missing the required key 'on-error'"},
        GroupBadCase{"misspelt on-error", kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: pause-resum}}\n",
                     "s.yaml:11:53: on-error is pause-resume (pause the partition, poll on, retry it later), retry-topic (produce"},
        GroupBadCase{"retry-topic without a topic", kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic}}\n",
                     "s.yaml:11:42: retry (on-error: retry-topic) is missing the required key 'topic'"},
        GroupBadCase{"a topic with pause-resume",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: pause-resume, topic: t2}}\n", "s.yaml:11:74: topic: goes with on-error: retry-topic; pause-resume retries the record where it is"},
        GroupBadCase{"the retry topic is the consumer's own",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic, topic: t}}\n", "s.yaml:11:73: the retry topic is the topic c1 consumes: a failed record would come straight back to it; name"},
        GroupBadCase{"no attempts", kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: pause-resume, attempts: 0}}\n",
                     "s.yaml:11:77: attempts must be at least 1, not 0"},
        GroupBadCase{"a zero backoff",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: pause-resume, backoff: 0ms}}\n", "s.yaml:11:76: backoff must be longer than 0ms"},
        GroupBadCase{"unknown retry key",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: pause-resume, atempts: 3}}\n", "s.yaml:11:67: unknown key 'atempts' in retry, did you mean 'attempts'?"},
        GroupBadCase{"retry without a group", kGroupHead + "  - {id: c1, topic: t, retry: {on-error: pause-resume}}\n", "s.yaml:11:31: retry needs a group: add group: <name> to consumer c1"},
        GroupBadCase{"no workers", kGroupHead + "  - {id: c1, topic: t, group: g1, workers: 0}\n", "s.yaml:11:44: workers must be at least 1, not 0"},
        GroupBadCase{"workers as a word", kGroupHead + "  - {id: c1, topic: t, group: g1, workers: many}\n", "s.yaml:11:44: workers must be a whole number, not 'many'"},
        GroupBadCase{"the retry consumer's name is taken",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic, topic: t-retry}}\n"
                                  "  - {id: c1-retry, topic: t}\n",
                     "s.yaml:11:73: retry topic t-retry needs a consumer, and the one the simulator would add, c1-retry, has the"},
        GroupBadCase{"bad group name", kGroupHead + "  - {id: c1, topic: t, group: 'g 1'}\n",
                     "s.yaml:11:31: group 'g 1' may use letters, digits, '.', '_' and '-'"},
        GroupBadCase{"a group consumer without a topic", kGroupHead + "  - {id: c1, group: g1}\n",
                     "s.yaml:11:5: a consumer in group g1 needs a topic"},
        GroupBadCase{"a consumer's config that is not a consumer's",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, config: {sesion.timeout.ms: 10000}}\n",
                     "s.yaml:11:44: 'sesion.timeout.ms' is not a consumer config, did you mean 'session.timeout.ms'?"},
        // events
        GroupBadCase{"fail-processing of an unknown consumer",
                     kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c2, value: m1, times: 2}}\n",
                     "s.yaml:13:42: unknown consumer 'c2', did you mean 'c1'?"},
        GroupBadCase{"fail-processing of a retry consumer the simulator added",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic, topic: t-retry}}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c1-retry, value: m1}}\n",
                     "s.yaml:13:42: c1-retry is the consumer the simulator added to retry c1's records"},
        GroupBadCase{"the retry group is another consumer's group",
                     kGroupHead + "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic, topic: t-retry}}\n"
                                  "  - {id: c2, topic: t, group: g1-retry}\n",
                     "s.yaml:11:73: the retry consumers the simulator adds for c1 would be in group g1-retry, which consumer c2"},
        GroupBadCase{"fail-processing of a standalone consumer",
                     kGroupHead + "  - {id: c1, topic: t}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c1, value: m1}}\n",
                     "s.yaml:13:42: consumer c1 has no group: fail-processing fails a group member's processing of a record (add"},
        GroupBadCase{"fail-processing without a value",
                     kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c1, times: 2}}\n",
                     "s.yaml:13:31: fail-processing is missing the required key 'value'"},
        GroupBadCase{"fail-processing with for",
                     kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c1, value: m1}, for: 2s}\n",
                     "s.yaml:13:63: for: cannot undo fail-processing (it applies to crash, power-loss, shutdown, pause and network"},
        GroupBadCase{"fail-processing zero times",
                     kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n"
                                  "  - {at: 1s, fail-processing: {consumer: c1, value: m1, times: 0}}\n",
                     "s.yaml:13:64: times must be at least 1, not 0"},
        GroupBadCase{"crash of ZooKeeper", kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n  - {at: 1s, crash: zk-1}\n",
                     "s.yaml:13:21: 'zk-1' is not a broker, a client or a sink"},
        GroupBadCase{"unknown sink as a target", kGroupHead + "  - {id: c1, topic: t, group: g1}\nevents:\n  - {at: 1s, pause: dv}\n",
                     "s.yaml:13:21: unknown node 'dv', did you mean 'db'?"},
        // __consumer_offsets
        GroupBadCase{"offsets replication factor above brokers",
                     "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 2}\n"
                     "topics:\n  - {name: t, partitions: 2, replication.factor: 2}\n"
                     "consumers:\n  - {id: c1, topic: t}\n  - {id: c2, topic: t, group: g1}\n",
                     "s.yaml:9:31: offsets.topic.replication.factor is 3 but the cluster has 2 brokers: Kafka does not "
                     "create __consumer_offsets (and no group gets a coordinator); set "
                     "offsets.topic.replication.factor: 2 in config"},
        GroupBadCase{"a fault on __consumer_offsets it could not create is not a second mistake",
                     "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 1}\n"
                     "topics:\n  - {name: t}\nconsumers:\n  - {id: c1, topic: t, group: g1}\n"
                     "events:\n  - {at: 1s, crash: leader:__consumer_offsets-0}\n",
                     "s.yaml:8:31: offsets.topic.replication.factor is 3 but the cluster has 1 broker:"},
        GroupBadCase{"too many partition replicas with __consumer_offsets",
                     kHead + "config: {offsets.topic.num.partitions: 1000}\n"
                             "topics:\n  - {name: t, partitions: 99500, replication.factor: 3}\n"
                             "consumers:\n  - {id: c1, topic: t, group: g1}\n",
                     "s.yaml:9:31: the topics, with __consumer_offsets (1000 partitions x 3 replicas), have 301500 "
                     "partition replicas; the most the simulator accepts is 300000"},
        GroupBadCase{"a topic named __consumer_offsets", kHead + "topics:\n  - {name: __consumer_offsets}\n",
                     "s.yaml:6:12: __consumer_offsets is Kafka's internal topic of the groups' committed offsets: the "
                     "simulator creates it"},
        GroupBadCase{"a producer of __consumer_offsets",
                     kHead + kTopics + "producers:\n  - {id: p1, topic: __consumer_offsets}\n",
                     "s.yaml:8:21: __consumer_offsets is Kafka's internal topic of the groups' committed offsets: a "
                     "producer or consumer of the scenario cannot use it"},
        GroupBadCase{"a group consuming __consumer_offsets",
                     kGroupHead + "  - {id: c1, topic: __consumer_offsets, group: g1}\n",
                     "s.yaml:11:21: __consumer_offsets is Kafka's internal topic"}),
    [](const ::testing::TestParamInfo<GroupBadCase>& info) {
      std::string n = info.param.what;
      for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(ParseGroups, RetryPatternsWorkersAndTheRetryTopicsConsumers) {
  const Scenario s = parse_scenario_text(
      "name: s\nsummary: x\nduration: 10s\ncluster: {brokers: 3}\n"
      "topics: [{name: t, partitions: 2, replication.factor: 3, min.insync.replicas: 2}]\n"
      "sinks:\n  - {id: db, kind: keyed}\n"
      "consumers:\n"
      "  - {id: c1, topic: t, group: g1, sink: db, retry: {on-error: retry-topic, topic: t-retry, attempts: 4}}\n"
      "  - {id: c2, topic: t, group: g1, sink: db, retry: {on-error: pause-resume, backoff: 250ms}, workers: 3}\n"
      "  - {id: c3, topic: t, group: g2, sink: db, retry: {on-error: in-place, backoff: 2s}}\n"
      "events:\n  - {at: 1s, fail-processing: {consumer: c1, value: m7, times: 2}}\n",
      "s.yaml");
  ASSERT_EQ(s.consumers.size(), 4u);
  EXPECT_EQ(s.consumers[0].retry.on_error, "retry-topic");
  EXPECT_EQ(s.consumers[0].retry.attempts, 4);
  EXPECT_EQ(s.consumers[1].retry.backoff, 250 * kMicrosPerMs);
  EXPECT_EQ(s.consumers[1].workers, 3);
  EXPECT_EQ(s.consumers[2].retry.on_error, "");  // in place, as with no retry:
  EXPECT_EQ(s.consumers[2].retry.backoff, 2 * kMicrosPerSecond);
  // The retry topic, made like t, and its consumer, made like c1.
  const TopicSpec* retry = s.find_topic("t-retry");
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->partitions, 2);
  EXPECT_EQ(retry->replication_factor, 3);
  EXPECT_EQ(retry->configs.at("min.insync.replicas"), "2");
  const ConsumerSpec& r = s.consumers[3];
  EXPECT_EQ(r.id, "c1-retry");
  EXPECT_EQ(r.topic, "t-retry");
  EXPECT_EQ(r.group, "g1-retry");
  EXPECT_EQ(r.retry_for, "c1");
  EXPECT_EQ(r.retry.on_error, "pause-resume");
  EXPECT_EQ(r.retry.attempts, 4);
  EXPECT_EQ(r.sink, "db");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].action.kind, ActionKind::FailProcessing);
  EXPECT_EQ(s.events[0].action.failure.value, "m7");
  EXPECT_EQ(s.events[0].action.failure.times, 2);
  // A consumer of the retry topic in the file replaces the simulator's.
  const Scenario own = parse_scenario_text(
      "name: s\nsummary: x\nduration: 10s\ncluster: {brokers: 3}\n"
      "topics: [{name: t, partitions: 2, replication.factor: 3}, {name: t-retry, partitions: 1, replication.factor: 3}]\n"
      "consumers:\n"
      "  - {id: c1, topic: t, group: g1, retry: {on-error: retry-topic, topic: t-retry}}\n"
      "  - {id: r1, topic: t-retry, group: retries}\n",
      "s.yaml");
  EXPECT_EQ(own.consumers.size(), 2u);
  EXPECT_EQ(own.find_topic("t-retry")->partitions, 1);
}

TEST(ParseGroups, ATransactionalSinkCanClaimExactlyOnce) {
  const Scenario s = parse_scenario_text(
      "name: s\nsummary: x\nduration: 10s\ncluster: {brokers: 3}\ntopics: [{name: t, partitions: 2, replication.factor: 3}]\n"
      "sinks:\n  - {id: tx, kind: transactional}\n"
      "consumers:\n  - {id: c1, topic: t, group: g1, sink: tx, delivery: exactly-once}\n",
      "s.yaml");
  ASSERT_EQ(s.sinks.size(), 1u);
  EXPECT_EQ(s.sinks[0].kind, "transactional");
  EXPECT_EQ(s.consumers[0].delivery, "exactly-once");
  EXPECT_THROW(parse_scenario_text("name: s\nsummary: x\nduration: 10s\ncluster: {brokers: 3}\n"
                                   "topics: [{name: t, partitions: 2, replication.factor: 3}]\n"
                                   "sinks:\n  - {id: tx, kind: transactional}\n"
                                   "consumers:\n  - {id: c1, topic: t, group: g1, sink: tx, key: record}\n",
                                   "s.yaml"),
               InputError);  // key: is a keyed sink's
}

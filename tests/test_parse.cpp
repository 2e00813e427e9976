// Scenario parsing: every key of the spec read into a typed Scenario, and every kind of bad input
// rejected with FILE:LINE:COL and a useful message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
                "unknown key 'retires' in producer, did you mean 'retries'?"}),
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

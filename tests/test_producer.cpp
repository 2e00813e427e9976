// The producer as Kafka's: batches per partition, idempotence by producer id and sequence numbers (the
// broker's producer state lives in the log, so it moves with truncation), the producer-order property,
// per-preset client defaults, and what each producer got in the result.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "checks/checkers.h"
#include "cli/commands.h"
#include "models/log.h"
#include "scenario/scenario.h"

using namespace kafkasim;
using json = nlohmann::json;

namespace {

const std::string kFailover = R"(name: failover-under-load
summary: the leader crashes while a producer sends 500 records a second
duration: 6s
cluster: {brokers: 3}
topics: [{name: t, partitions: 1, replication.factor: 3, assignment: {0: [1, 2, 3]}}]
producers: [{id: p1, topic: t, acks: all, rate: 500/s, until: 4s, PRODUCER_CONFIG}]
events:
  - {at: 2s, crash: broker-1, for: 1s}
)";

struct Outcome {
  json result;
  std::vector<json> history;
  std::vector<std::string> final_log;  // of t-0, its last leader's
};

int runs_in_this_test = 0;

Outcome run(std::string text, const std::string& producer_config) {
  text.replace(text.find("PRODUCER_CONFIG"), 15, producer_config);
  Scenario s = parse_scenario_text(text, "producer.yaml");
  cli::RunOptions options;
  // Per test: ctest runs the tests of this file in parallel processes.
  const std::string test_name = testing::UnitTest::GetInstance()->current_test_info()->name();
  options.history_path = testing::TempDir() + "/producer-" + test_name + "-" + std::to_string(++runs_in_this_test) + ".jsonl";
  options.failures_dir = testing::TempDir() + "/producer-failures-" + test_name;
  std::remove(options.history_path.c_str());
  const auto r = cli::run_scenario(s, options);
  EXPECT_TRUE(r.failure.empty()) << r.failure;
  Outcome o;
  o.result = r.result;
  std::ifstream in(options.history_path);
  for (std::string line; std::getline(in, line);) o.history.push_back(json::parse(line));
  int last = -1;
  std::map<int, std::vector<std::string>> logs;
  for (const auto& e : o.history) {
    if (e.value("partition", "") != "t-0") continue;
    if (e["event"] == "became-leader") last = e["broker"];
    if (e["event"] == "appended") {
      auto& l = logs[e["broker"]];
      l.resize(e["offset"].get<std::size_t>());
      l.push_back(e["value"]);
    }
    if (e["event"] == "truncated") logs[e["broker"]].resize(e["to_offset"].get<std::size_t>());
  }
  o.final_log = logs[last];
  return o;
}

// The start of a hand-written history: broker 1 leads t-0 (epoch 0, ISR {1}) from 0.1 s.
void broker_1_leads_t0(sim::History& h) {
  h.record(100'000, "became-leader", {{"broker", std::int64_t{1}}, {"partition", std::string("t-0")}, {"leader", std::int64_t{1}},
                                      {"leader_epoch", std::int64_t{0}}, {"isr", std::vector<std::int64_t>{1}},
                                      {"leo", std::int64_t{0}}, {"hw", std::int64_t{0}}});
}

int duplicates(const std::vector<std::string>& log) {
  return static_cast<int>(log.size() - std::set<std::string>(log.begin(), log.end()).size());
}

}  // namespace

TEST(Producer, AnIdempotentProducerNeitherDuplicatesNorReordersAcrossAFailover) {
  const Outcome o = run(kFailover, "enable.idempotence: true");
  EXPECT_EQ(o.final_log.size(), 2000u);
  EXPECT_EQ(duplicates(o.final_log), 0);
  for (std::size_t i = 1; i < o.final_log.size(); ++i)
    ASSERT_LT(std::stoi(o.final_log[i - 1].substr(3)), std::stoi(o.final_log[i].substr(3))) << "at offset " << i;
  EXPECT_TRUE(o.result["violations"].empty()) << o.result["violations"].dump();
  // Without idempotence a retry of a batch whose answer was lost is appended again (at this seed, once).
  const Outcome plain = run(kFailover, "enable.idempotence: false");
  EXPECT_GT(duplicates(plain.final_log), 0);
}

TEST(Producer, RecordsAreBatchedPerPartition) {
  // linger.ms 50 at 500 records a second: the leader appends them in batches of about 25.
  const Outcome o = run(kFailover, "linger.ms: 50");
  std::map<double, int> per_instant;
  for (const auto& e : o.history)
    if (e["event"] == "appended" && e["broker"] == 1 && e["t"].get<double>() < 2.0) ++per_instant[e["t"].get<double>()];
  ASSERT_FALSE(per_instant.empty());
  int batched = 0;
  for (const auto& [t, n] : per_instant) batched += n >= 10;
  EXPECT_GT(batched, static_cast<int>(per_instant.size()) / 2);
  EXPECT_EQ(duplicates(o.final_log), 0);
}

TEST(Producer, WhatEachProducerGotIsInTheResultAndTheSettlePhaseWaitsForIt) {
  const Outcome o = run(kFailover, "retries: 3");
  const json& p1 = o.result["stats"]["producers"]["p1"];
  EXPECT_EQ(p1["sent"], 2000);
  EXPECT_EQ(p1["sent"].get<int>(), p1["acked"].get<int>() + p1["failed"].get<int>());
  EXPECT_EQ(p1["pending"], 0);  // the run converged only once every send was answered
  EXPECT_TRUE(p1["failed_by_error"].is_object());
}

TEST(Producer, ClientDefaultsFollowTheRelease) {
  auto config = [](const char* design) {
    return parse_scenario_text(std::string("name: x\nsummary: s\nduration: 5s\ncluster: {brokers: 1}\ndesign: ") + design + "\n",
                               "d.yaml")
        .config;
  };
  EXPECT_EQ(config("kafka-0.10").integer("retries"), 0);  // before 2.1 (KIP-91)
  EXPECT_EQ(config("kafka-2.0").integer("retries"), 0);
  EXPECT_EQ(config("kafka-2.2").integer("retries"), 2147483647);
  EXPECT_FALSE(config("kafka-0.11").boolean("enable.idempotence"));  // off before 3.0
  EXPECT_FALSE(config("kafka-2.8").boolean("enable.idempotence"));
  EXPECT_TRUE(config("latest").boolean("enable.idempotence"));
}

TEST(ProducerOrder, FiresWhenAnIdempotentProducersAcknowledgedRecordsAreOutOfOrder) {
  auto history = [](bool swapped) {
    sim::History h;
    auto at = [](double t) { return static_cast<Micros>(t * kMicrosPerSecond); };
    broker_1_leads_t0(h);
    for (const char* v : {"a", "b"})
      h.record(at(1.0), "produce-sent", {{"producer", std::string("p1")}, {"partition", std::string("t-0")},
                                         {"value", std::string(v)}, {"acks", std::string("all")}});
    const std::vector<std::string> order = swapped ? std::vector<std::string>{"b", "a"} : std::vector<std::string>{"a", "b"};
    for (std::int64_t o = 0; o < 2; ++o) {
      h.record(at(1.1), "appended", {{"broker", std::int64_t{1}}, {"partition", std::string("t-0")}, {"offset", o},
                                     {"leader_epoch", std::int64_t{0}}, {"value", order[static_cast<std::size_t>(o)]}});
      h.record(at(1.2), "produce-acked", {{"producer", std::string("p1")}, {"partition", std::string("t-0")},
                                          {"value", order[static_cast<std::size_t>(o)]}, {"offset", o}, {"acks", std::string("all")}});
    }
    return h;
  };
  auto scenario = [](const char* idempotence) {
    return parse_scenario_text(std::string("name: x\nsummary: s\nduration: 5s\ncluster: {brokers: 1}\n"
                                           "topics: [{name: t, replication.factor: 1}]\n"
                                           "producers: [{id: p1, topic: t, acks: all, enable.idempotence: ") +
                                   idempotence + "}]\n",
                               "p.yaml");
  };
  auto found = [](const Scenario& s, const sim::History& h) {
    int n = 0;
    for (const auto& v : checks::check_history(s, h)) n += v.property == "producer-order";
    return n;
  };
  EXPECT_EQ(found(scenario("true"), history(true)), 1);
  EXPECT_EQ(found(scenario("true"), history(false)), 0);
  EXPECT_EQ(found(scenario("false"), history(true)), 0);  // no promise without idempotence
}

TEST(ProducerState, TheBrokerFindsARetriedBatchBySequenceAndForgetsWhatTruncationRemoves) {
  models::PartitionLog log;
  for (int i = 0; i < 4; ++i) {
    models::Record r{i, 0, "v" + std::to_string(i), "p1"};
    r.producer_id = 7;
    r.producer_epoch = 0;
    r.sequence = i;
    log.append(r, 0);
  }
  EXPECT_EQ(log.offset_of(7, 0, 2), 2);
  EXPECT_EQ(log.offset_of(7, 1, 2), -1);  // another epoch
  EXPECT_EQ(log.last_of(7)->sequence, 3);
  log.truncate_to(2);
  EXPECT_EQ(log.offset_of(7, 0, 2), -1);
  EXPECT_EQ(log.last_of(7)->sequence, 1);
  EXPECT_EQ(log.last_of(8), nullptr);
}

TEST(ProducerOrder, FiresWhenAnIdempotentProducersRecordIsInTheLogTwice) {
  auto history = [](bool twice) {
    sim::History h;
    auto at = [](double t) { return static_cast<Micros>(t * kMicrosPerSecond); };
    broker_1_leads_t0(h);
    h.record(at(1.0), "produce-sent", {{"producer", std::string("p1")}, {"partition", std::string("t-0")},
                                       {"value", std::string("a")}, {"acks", std::string("all")}});
    const std::int64_t copies = twice ? 2 : 1;
    for (std::int64_t o = 0; o < copies; ++o)
      h.record(at(1.1 + 0.1 * static_cast<double>(o)), "appended",
               {{"broker", std::int64_t{1}}, {"partition", std::string("t-0")}, {"offset", o},
                {"leader_epoch", std::int64_t{0}}, {"value", std::string("a")}});
    h.record(at(1.3), "produce-acked", {{"producer", std::string("p1")}, {"partition", std::string("t-0")},
                                        {"value", std::string("a")}, {"offset", std::int64_t{0}}, {"acks", std::string("all")}});
    return h;
  };
  const Scenario s = parse_scenario_text("name: x\nsummary: s\nduration: 5s\ncluster: {brokers: 1}\n"
                                         "topics: [{name: t, replication.factor: 1}]\n"
                                         "producers: [{id: p1, topic: t, acks: all, enable.idempotence: true}]\n",
                                         "p.yaml");
  auto found = [&](const sim::History& h) {
    std::vector<std::string> details;
    for (const auto& v : checks::check_history(s, h))
      if (v.property == "producer-order") details.push_back(v.detail);
    return details;
  };
  const auto twice = found(history(true));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].find("offsets 0 and 1"), std::string::npos) << twice[0];
  EXPECT_TRUE(found(history(false)).empty());
}

// The simulation layer end to end, each run in a forked child: transport latency and network rules,
// crash vs power loss vs pause as the sender sees them, triggers, dynamic targets, settle, bounds and
// determinism. A probe model (broker-1 pings broker-2 every 100 ms) makes the transport observable.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "checks/checkers.h"
#include "models/idle_models.h"
#include "models/control_requests.h"
#include "models/kafka_cluster.h"
#include "scenario/scenario.h"
#include "history_in_child.h"
#include "sim/runner.h"
#include "sim/world.h"

using namespace kafkasim;
using json = nlohmann::json;

namespace {

struct Ping : sim::Message {
  std::string_view type() const override { return "Metadata"; }
};
struct Pong : sim::Message {
  std::string_view type() const override { return "Metadata"; }
};

// broker-1 sends a request to broker-2 every 100 ms (timeout 50 ms) and records how it ended.
class Probe : public sim::Node {
 public:
  using sim::Node::Node;
  void on_start() override {
    if (node() == 0) tick();
  }
  void on_message(const sim::Envelope& e) override {
    record("probe-served", {{"broker", std::int64_t{node() + 1}}});
    reply(e, std::make_unique<Pong>());
  }

 private:
  void tick() {
    const Micros sent = now();
    request(1, std::make_unique<Ping>(), 50 * kMicrosPerMs, [this, sent](sim::Failure f, const sim::Message*) {
      if (f == sim::Failure::None)
        record("probe-reply", {{"rtt_us", now() - sent}});
      else
        record("probe-failed", {{"failure", std::string(sim::failure_name(f))}});
    });
    after(100 * kMicrosPerMs, [this] { tick(); });
  }
};

class ProbeCluster : public models::IdleCluster {
 public:
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override {
    return std::make_unique<Probe>(world, node);
  }
};

// At 1 s broker-1 sends a 1 MB message and then a tiny one to broker-2, which records the order.
struct Sized : sim::Message {
  Sized(std::size_t b, std::string v) : bytes_(b), value(std::move(v)) {}
  std::string_view type() const override { return "Produce"; }
  std::size_t bytes() const override { return bytes_; }
  std::size_t bytes_;
  std::string value;
};
class Burst : public sim::Node {
 public:
  using sim::Node::Node;
  void on_start() override {
    if (node() == 0 && world().incarnation(0) == 1)
      after(kMicrosPerSecond - now(), [this] {
        send(1, std::make_unique<Sized>(1000000, "big"));
        send(1, std::make_unique<Sized>(10, "small"));
      });
  }
  void on_message(const sim::Envelope& e) override {
    record("got", {{"value", static_cast<const Sized&>(*e.body).value}});
  }
};
class BurstCluster : public models::IdleCluster {
 public:
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override {
    return std::make_unique<Burst>(world, node);
  }
};

// At 1 s broker-1 sends broker-2 a request (Metadata, 5 s timeout) and then a one-way Produce on the same
// connection, and a one-way Produce on another channel; broker-2 records what it got, and broker-1 how
// its request ended. What TCP does is observable: a held segment delays what follows it on its
// connection only, and a request to a machine that lost power is reset when the machine is back.
struct OnChannel : sim::Message {
  OnChannel(std::string t, std::uint32_t c, std::string v) : type_(std::move(t)), channel_(c), value(std::move(v)) {}
  std::string_view type() const override { return type_; }
  std::uint32_t channel() const override { return channel_; }
  std::string type_;
  std::uint32_t channel_;
  std::string value;
};
class Streams : public sim::Node {
 public:
  using sim::Node::Node;
  void on_start() override {
    if (node() != 0 || world().incarnation(0) != 1) return;
    after(kMicrosPerSecond - now(), [this] {
      const Micros sent = now();
      request(1, std::make_unique<OnChannel>("Metadata", sim::channel::kDefault, "request"), 5 * kMicrosPerSecond,
              [this, sent](sim::Failure f, const sim::Message*) {
                record("request-ended", {{"failure", std::string(sim::failure_name(f))}, {"after_us", now() - sent}});
              });
      send(1, std::make_unique<OnChannel>("Produce", sim::channel::kDefault, "behind"));
      send(1, std::make_unique<OnChannel>("Produce", sim::channel::kControl, "other-connection"));
    });
  }
  void on_message(const sim::Envelope& e) override {
    const auto& m = static_cast<const OnChannel&>(*e.body);
    record("got", {{"value", m.value}});
    if (e.expects_reply) reply(e, std::make_unique<OnChannel>("Metadata", 0, "answer"));
  }
};
class StreamsCluster : public models::IdleCluster {
 public:
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override {
    return std::make_unique<Streams>(world, node);
  }
};

struct Simulated {
  std::vector<json> history;
  std::string failure;
  std::uint64_t digest = 0;
  std::vector<json> of(const std::string& event) const {
    std::vector<json> out;
    for (const auto& e : history)
      if (e["event"] == event) out.push_back(e);
    return out;
  }
};

enum class Model { Idle, Probe, Burst, Kafka, Streams };

Simulated simulate(const std::string& yaml, Model kind = Model::Probe) {
  Scenario s = parse_scenario_text(yaml, "test.yaml");
  auto child = testing_support::history_in_child(s, [kind]() -> std::unique_ptr<sim::ClusterModel> {
    switch (kind) {
      case Model::Probe: return std::make_unique<ProbeCluster>();
      case Model::Burst: return std::make_unique<BurstCluster>();
      case Model::Streams: return std::make_unique<StreamsCluster>();
      case Model::Kafka: return std::make_unique<models::KafkaCluster>();
      case Model::Idle: break;
    }
    return std::make_unique<models::IdleCluster>();
  });
  EXPECT_TRUE(child.completed) << child.problem;
  return Simulated{child.events, child.failure, child.digest};
}

std::string scenario(const std::string& events, const std::string& extra = "", const std::string& latency = "5ms") {
  return "name: t\nsummary: t\nduration: 3s\nsettle: 2s\ncluster: {brokers: 3, network: {latency: " + latency +
         "}}\n" + extra + (events.empty() ? "events: []\n" : "events:\n" + events);
}

// Failures of probes sent in [from_s, to_s).
std::vector<std::string> failures_between(const Simulated& r, double from_s, double to_s) {
  std::vector<std::string> out;
  for (const auto& e : r.of("probe-failed")) {
    // A failure is recorded when detected; the probe was sent at most 100 ms before.
    double t = e["t"];
    if (t >= from_s && t < to_s) out.push_back(e["failure"]);
  }
  return out;
}

}  // namespace

TEST(Simulation, OneWayLatencyIsTheScenarios) {
  auto r = simulate(scenario(""));
  auto replies = r.of("probe-reply");
  ASSERT_GT(replies.size(), 20u);
  for (const auto& e : replies) {
    std::int64_t rtt = e["rtt_us"];
    EXPECT_GE(rtt, 10000);  // two one-way trips of 5 ms, not 13x that (LV08's latency factor)
    EXPECT_LE(rtt, 10002);
  }
  EXPECT_TRUE(r.of("probe-failed").empty());
}

TEST(Simulation, EachConnectionIsFifoLikeTcp) {
  auto r = simulate(scenario(""), Model::Burst);
  auto got = r.of("got");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["value"], "big");
  EXPECT_EQ(got[1]["value"], "small");  // it arrived first, and waited for the big one
  EXPECT_GT(got[0]["t"].get<double>(), 1.0058);  // 5 ms + 1 MB at 10 Gbit/s
  EXPECT_EQ(got[0]["t"], got[1]["t"]);
}

TEST(Simulation, ARestartedSenderAndReceiverTalkOnNewConnections) {
  auto r = simulate(scenario("  - {at: 1s, crash: broker-1, for: 200ms}\n  - {at: 2s, crash: broker-2, for: 200ms}\n"));
  EXPECT_GT(r.of("probe-reply").size(), 20u);
  EXPECT_TRUE(failures_between(r, 1.3, 2.0).empty());
  EXPECT_TRUE(failures_between(r, 2.3, 10).empty());
  bool replies_after_both = false;
  for (const auto& e : r.of("probe-reply")) replies_after_both |= e["t"].get<double>() > 2.5;
  EXPECT_TRUE(replies_after_both);
}

TEST(Simulation, PartitionTimesRequestsOutAndHeals) {
  auto r = simulate(scenario("  - {at: 1s, partition: [[broker-1], [broker-2, broker-3]], for: 500ms}\n"));
  auto during = failures_between(r, 1.0, 1.56);
  EXPECT_GE(during.size(), 5u);
  for (const auto& f : during) EXPECT_EQ(f, "timeout");
  EXPECT_TRUE(failures_between(r, 0, 1.0).empty());
  EXPECT_TRUE(failures_between(r, 1.6, 10).empty());
}

TEST(Simulation, CrashRefusesConnectionsButPowerLossIsSilent) {
  auto crash = simulate(scenario("  - {at: 1s, crash: broker-2, for: 500ms}\n"));
  auto f1 = failures_between(crash, 1.0, 1.5);
  ASSERT_GE(f1.size(), 4u);
  for (const auto& f : f1) EXPECT_EQ(f, "disconnected");
  EXPECT_TRUE(failures_between(crash, 1.6, 10).empty());
  auto restarted = crash.of("broker-started");
  ASSERT_EQ(restarted.size(), 4u);
  EXPECT_EQ(restarted[3]["incarnation"], 2);
  EXPECT_DOUBLE_EQ(restarted[3]["t"].get<double>(), 1.5);

  auto power = simulate(scenario("  - {at: 1s, power-loss: broker-2, for: 500ms}\n"));
  auto f2 = failures_between(power, 1.0, 1.55);
  ASSERT_GE(f2.size(), 4u);
  for (const auto& f : f2) EXPECT_EQ(f, "timeout");
  auto crashed = power.of("broker-crashed");
  ASSERT_EQ(crashed.size(), 1u);
  EXPECT_EQ(crashed[0]["kind"], "power-loss");
  EXPECT_EQ(crashed[0]["lost_records"], 0);
}

TEST(Simulation, DropRulesMatchByType) {
  auto dropped = simulate(scenario("  - {at: 1s, drop: {from: broker-1, to: broker-2, type: Metadata}, for: 300ms}\n"));
  EXPECT_GE(failures_between(dropped, 1.0, 1.36).size(), 3u);
  auto other = simulate(scenario("  - {at: 1s, drop: {type: Fetch}, for: 300ms}\n"));
  EXPECT_TRUE(other.of("probe-failed").empty());
}

TEST(Transport, ADroppedSegmentIsSentAgainAndHoldsBackOnlyItsOwnConnection) {
  auto r = simulate(scenario("  - {at: 1s, drop: {from: broker-1, to: broker-2, type: Metadata}, for: 300ms}\n"), Model::Streams);
  auto got = r.of("got");
  ASSERT_EQ(got.size(), 3u);
  // The other connection is not held; on the request's own connection what follows waits behind it.
  EXPECT_EQ(got[0]["value"], "other-connection");
  EXPECT_LT(got[0]["t"].get<double>(), 1.01);
  EXPECT_EQ(got[1]["value"], "request");
  EXPECT_EQ(got[2]["value"], "behind");
  EXPECT_GE(got[1]["t"].get<double>(), 1.3);  // TCP sent it again once the rule was gone: nothing missing
  auto ended = r.of("request-ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["failure"], "none");
}

TEST(Transport, ARequestToAMachineThatLostPowerIsResetWhenItComesBack) {
  auto r = simulate(scenario("  - {at: 900ms, power-loss: broker-2, for: 1s}\n"), Model::Streams);
  auto ended = r.of("request-ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["failure"], "disconnected");  // TCP's RST on the first retransmission after 1.9 s
  EXPECT_LT(ended[0]["t"].get<double>(), 2.3);     // not the 5 s request timeout
  EXPECT_GT(ended[0]["t"].get<double>(), 1.9);
  EXPECT_TRUE(r.of("got").empty());  // nothing of the old connection reaches the new process
}

TEST(Transport, ARequestThatTimesOutResetsItsConnection) {
  // The request is held by a cut longer than its timeout: it fails, and the segment TCP still held is
  // never delivered (its connection is gone), nor is what followed it on that connection.
  std::string text = scenario("  - {at: 1s, cut: {from: broker-1, to: broker-2}, for: 6s}\n");
  text.replace(text.find("duration: 3s"), 12, "duration: 8s");
  auto r = simulate(text, Model::Streams);
  auto ended = r.of("request-ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["failure"], "timeout");
  for (const auto& g : r.of("got")) EXPECT_NE(g["value"], "behind") << g.dump();
}

TEST(Simulation, DelayAddsLatency) {
  auto r = simulate(scenario("  - {at: 1s, delay: {from: broker-2, to: broker-1, by: 20ms}, for: 500ms}\n"));
  int delayed = 0;
  for (const auto& e : r.of("probe-reply")) {
    double t = e["t"];
    std::int64_t rtt = e["rtt_us"];
    if (t > 1.05 && t < 1.5) {
      EXPECT_GE(rtt, 30000);
      EXPECT_LE(rtt, 30002);
      ++delayed;
    }
  }
  EXPECT_GE(delayed, 4);
}

TEST(Simulation, PausedProcessHandlesNothingUntilItResumes) {
  auto r = simulate(scenario("  - {at: 1s, pause: broker-2, for: 250ms}\n"));
  // Requests sent to the paused broker time out, then it serves them all at once when it resumes.
  auto during = failures_between(r, 1.0, 1.3);
  EXPECT_GE(during.size(), 2u);
  for (const auto& f : during) EXPECT_EQ(f, "timeout");
  int served_at_resume = 0;
  for (const auto& e : r.of("probe-served")) {
    double t = e["t"];
    EXPECT_FALSE(t > 1.001 && t < 1.25) << "served while paused at " << t;
    if (t == 1.25) ++served_at_resume;
  }
  EXPECT_GE(served_at_resume, 2);
  EXPECT_EQ(r.of("broker-paused").size(), 1u);
  EXPECT_EQ(r.of("broker-resumed").size(), 1u);
}

TEST(Simulation, WhenTriggersWithSinceAfterAndTimes) {
  auto r = simulate(scenario(
      "  - {at: 1s, crash: broker-2, for: 100ms}\n"
      "  - {at: 2s, crash: broker-2, for: 100ms}\n"
      "  - when: {event: broker-started, broker: broker-2}\n"
      "    since: 500ms\n"
      "    after: 10ms\n"
      "    times: 2\n"
      "    pause: broker-3\n"
      "    for: 1ms\n"));
  std::vector<double> pauses;
  for (const auto& e : r.of("fault"))
    if (e["action"] == "pause") pauses.push_back(e["t"]);
  EXPECT_EQ(pauses, (std::vector<double>{1.11, 2.11}));  // not at 0 (since), each 10 ms after the restart
}

TEST(Simulation, DynamicTargetThatResolvesToNothingIsARecordedNoop) {
  auto r = simulate(scenario("  - {at: 1s, crash: controller}\n"), Model::Idle);
  auto faults = r.of("fault");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]["noop"], true);
  EXPECT_EQ(faults[0]["target"], "controller");
  EXPECT_TRUE(r.of("broker-crashed").empty());
}

TEST(Simulation, SettleRestartsAndHealsThenConverges) {
  auto r = simulate(scenario("  - {at: 1s, crash: broker-3}\n  - {at: 2500ms, pause: broker-1}\n  - {at: 1s, isolate: broker-2}\n"));
  auto phases = r.of("phase");
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[1]["name"], "settle");
  EXPECT_EQ(phases[2]["name"], "done");
  EXPECT_EQ(phases[2]["converged"], true);
  EXPECT_EQ(r.of("broker-started").size(), 4u);  // broker-3 again
  EXPECT_EQ(r.of("broker-resumed").size(), 1u);
  EXPECT_FALSE(failures_between(r, 1.0, 2.5).empty());
  EXPECT_TRUE(failures_between(r, 3.1, 10).empty());  // healed
}

TEST(Simulation, SameTimeEventsFireInFileOrder) {
  auto r = simulate(scenario("  - {at: 1s, pause: broker-1}\n  - {at: 1s, resume: broker-1}\n  - {at: 1s, pause: broker-1}\n"), Model::Idle);
  auto faults = r.of("fault");
  ASSERT_EQ(faults.size(), 3u);
  EXPECT_EQ(faults[0]["action"], "pause");
  EXPECT_EQ(faults[1]["action"], "resume");
  EXPECT_EQ(faults[2]["action"], "pause");
  EXPECT_EQ(faults[2].count("noop"), 0u);
}

TEST(Simulation, EventBoundEndsTheRunAsAFailure) {
  auto r = simulate(scenario("", "config: {sim.max.events: 50}\n"));
  EXPECT_NE(r.failure.find("event limit"), std::string::npos) << r.failure;
}

TEST(Simulation, SameScenarioAndSeedGiveByteIdenticalHistories) {
  const std::vector<std::string> scenarios = {
      scenario("  - {at: 1s, drop: {to: broker-2, probability: 0.5}, for: 1s}\n  - {at: 2s, crash: broker-2, for: 300ms}\n"),
      scenario("  - {at: 500ms, pause: broker-2, for: 1s}\n  - {at: 1s, partition: [[broker-1], [broker-2]], for: 1s}\n"),
      scenario("  - {at: 1s, power-loss: broker-2, for: 10ms}\n", "seed: 99\n", "1ms"),
  };
  for (const auto& s : scenarios) {
    auto a = simulate(s), b = simulate(s);
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ(a.history, b.history);
    EXPECT_GT(a.history.size(), 20u);
  }
  // A different seed changes the probabilistic drops.
  auto one = simulate(scenarios[0]), other = simulate("seed: 2\n" + scenarios[0]);
  EXPECT_NE(one.digest, other.digest);
}

TEST(Checkers, UnavailableAfterHealFiresOnlyWhenTheSettleRanOut) {
  Scenario s = parse_scenario_text(scenario(""), "t.yaml");
  sim::History converged, stuck;
  for (sim::History* h : {&converged, &stuck}) {
    h->record(0, "phase", {{"name", std::string("fault")}});
    h->record(3 * kMicrosPerSecond, "phase", {{"name", std::string("settle")}});
  }
  converged.record(4 * kMicrosPerSecond, "phase", {{"name", std::string("done")}, {"converged", true}});
  stuck.record(5 * kMicrosPerSecond, "phase", {{"name", std::string("done")}, {"converged", false}});
  EXPECT_TRUE(checks::check_history(s, converged).empty());
  auto v = checks::check_history(s, stuck);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].property, "unavailable-after-heal");
  EXPECT_EQ(v[0].time, 5 * kMicrosPerSecond);
  EXPECT_FALSE(checks::verdict_pass(v, {}));
  EXPECT_TRUE(checks::verdict_pass(v, {"unavailable-after-heal"}));
}

// ---- ZooKeeper sessions and broker registration (KafkaCluster) -------------------------------------

namespace {
const std::string kShortSessions = "config: {zookeeper.session.timeout.ms: 3000}\n";

// 8 s of faults, 3 s ZooKeeper sessions.
std::string sessions_scenario(const std::string& events) {
  std::string s = scenario(events, kShortSessions);
  return s.replace(s.find("duration: 3s"), 12, "duration: 8s");
}

std::vector<double> times_of(const Simulated& r, const std::string& event, int broker) {
  std::vector<double> out;
  for (const auto& e : r.of(event))
    if (e["broker"] == broker) out.push_back(e["t"]);
  return out;
}
}  // namespace

TEST(ZooKeeperSessions, BrokersOpenSessionsAndRegisterWithDistinctEpochs) {
  auto r = simulate(sessions_scenario(""), Model::Kafka);
  EXPECT_EQ(r.of("zk-session-created").size(), 3u);
  auto reg = r.of("broker-registered");
  ASSERT_EQ(reg.size(), 3u);
  std::set<std::int64_t> epochs;
  for (const auto& e : reg) {
    epochs.insert(e["broker_epoch"].get<std::int64_t>());
    EXPECT_LT(e["t"].get<double>(), 0.1);
  }
  EXPECT_EQ(epochs.size(), 3u);
  EXPECT_TRUE(r.of("zk-session-expired").empty());
  EXPECT_EQ(r.of("phase").back()["converged"], true);
}

TEST(ZooKeeperSessions, AnIsolatedBrokersSessionExpiresAndItRegistersAgainWithANewEpoch) {
  auto r = simulate(sessions_scenario("  - {at: 1s, isolate: broker-2, for: 2500ms}\n"), Model::Kafka);
  auto expired = times_of(r, "zk-session-expired", 2);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_GT(expired[0], 2.9);  // last heard at its last ping before 1 s, plus the 3 s timeout
  EXPECT_LT(expired[0], 4.05);
  auto registered = r.of("broker-registered");
  std::vector<std::int64_t> epochs_of_2;
  for (const auto& e : registered)
    if (e["broker"] == 2) epochs_of_2.push_back(e["broker_epoch"]);
  ASSERT_EQ(epochs_of_2.size(), 2u);
  EXPECT_GT(epochs_of_2[1], epochs_of_2[0]);
  auto again = times_of(r, "broker-registered", 2);
  EXPECT_GT(again[1], 3.5);  // heal at 3.5 s: the broker learns it expired, opens a new session
  EXPECT_EQ(times_of(r, "zk-session-created", 2).size(), 2u);
}

TEST(ZooKeeperSessions, AShortIsolationDoesNotExpireTheSession) {
  auto r = simulate(sessions_scenario("  - {at: 1s, isolate: broker-2, for: 1500ms}\n"), Model::Kafka);
  EXPECT_TRUE(r.of("zk-session-expired").empty());
  EXPECT_EQ(r.of("broker-registered").size(), 3u);
}

TEST(ZooKeeperSessions, ACrashedBrokersSessionLivesOnAndItsFastRestartExitsUntilTheOperatorRestartsItAfterExpiry) {
  auto r = simulate(sessions_scenario("  - {at: 1s, crash: broker-1, for: 200ms}\n"), Model::Kafka);
  auto expired = times_of(r, "zk-session-expired", 1);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_GT(expired[0], 2.9);  // last heard at its last ping before 1 s, plus 3 s
  EXPECT_LT(expired[0], 4.05);
  // Restarted faster than the session timeout: /brokers/ids/1 is the old session's, so start-up fails
  // with NodeExists and the process exits (ZkUtils.registerBrokerInZk, checkedEphemeralCreate).
  auto exited = times_of(r, "broker-exited", 1);
  ASSERT_FALSE(exited.empty());
  EXPECT_LT(exited[0], expired[0]);
  for (const auto& e : r.of("broker-exited")) EXPECT_EQ(e["reason"], "NODE_EXISTS");
  // The operator starts it again every sim.operator.restart.ms (1 s): it registers once the old node went.
  auto registered = times_of(r, "broker-registered", 1);
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_GT(registered[1], expired[0]);
  EXPECT_LT(registered[1], expired[0] + 1.1);
  // The old session's expiry does not touch the new process's session (only its own connection closes).
  EXPECT_EQ(times_of(r, "zk-session-expired", 1).size(), 1u);
  // With no operator in the fault phase, it stays down until the settle phase restarts it.
  std::string text = scenario("  - {at: 1s, crash: broker-1, for: 200ms}\n",
                              "config: {zookeeper.session.timeout.ms: 3000, sim.operator.restart.ms: 0}\n");
  text.replace(text.find("duration: 3s"), 12, "duration: 8s");
  auto alone = simulate(text, Model::Kafka);
  EXPECT_EQ(times_of(alone, "broker-exited", 1).size(), 1u);
  auto again = times_of(alone, "broker-registered", 1);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_GE(again[1], 8.0);  // the settle phase's restart
}

TEST(ZooKeeperSessions, ExpireSessionActsAtOnce) {
  auto r = simulate(sessions_scenario("  - {at: 1s, expire-session: broker-3}\n"), Model::Kafka);
  auto expired = times_of(r, "zk-session-expired", 3);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_DOUBLE_EQ(expired[0], 1.0);
  auto registered = times_of(r, "broker-registered", 3);
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_LT(registered[1], 2.2);  // its next ping (every 1 s) learns of the expiry
}

TEST(ZooKeeperSessions, APausePastTheTimeoutExpiresTheSession) {
  auto r = simulate(sessions_scenario("  - {at: 1s, pause: broker-1, for: 4s}\n"), Model::Kafka);
  auto expired = times_of(r, "zk-session-expired", 1);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_LT(expired[0], 5.0);
  auto registered = times_of(r, "broker-registered", 1);
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_GT(registered[1], 5.0);
}

TEST(ZooKeeperSessions, ExpireSessionWithoutASessionIsARecordedNoop) {
  auto r = simulate(sessions_scenario("  - {at: 1s, crash: broker-1}\n  - {at: 1s, expire-session: broker-1}\n"),
                    Model::Kafka);
  // Crashed, but its session lives on: expiring it works.
  EXPECT_EQ(times_of(r, "zk-session-expired", 1), (std::vector<double>{1.0}));
  auto idle = simulate(scenario("  - {at: 1s, expire-session: broker-1}\n"), Model::Idle);
  auto f = idle.of("fault");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]["noop"], true);
}

// ---- controller election -------------------------------------------------------------------------

namespace {
// (broker, epoch) of each controller-elected / -resigned event.
std::vector<std::pair<int, int>> tenures(const Simulated& r, const std::string& event) {
  std::vector<std::pair<int, int>> out;
  for (const auto& e : r.of(event)) out.emplace_back(e["broker"].get<int>(), e["controller_epoch"].get<int>());
  return out;
}
}  // namespace

TEST(ControllerElection, ExactlyOneBrokerWinsTheFirstElection) {
  auto r = simulate(sessions_scenario(""), Model::Kafka);
  auto elected = tenures(r, "controller-elected");
  ASSERT_EQ(elected.size(), 1u);
  EXPECT_EQ(elected[0].second, 1);
  EXPECT_TRUE(r.of("controller-resigned").empty());
}

TEST(ControllerElection, AnIsolatedControllerIsReplacedWithAHigherEpochAndResignsWhenItLearns) {
  auto r = simulate(sessions_scenario("  - {at: 1s, isolate: controller, for: 4s}\n"), Model::Kafka);
  auto elected = tenures(r, "controller-elected");
  ASSERT_EQ(elected.size(), 2u);
  EXPECT_NE(elected[1].first, elected[0].first);
  EXPECT_EQ(elected[1].second, 2);
  auto resigned = tenures(r, "controller-resigned");
  ASSERT_EQ(resigned.size(), 1u);
  EXPECT_EQ(resigned[0], elected[0]);
  // The successor is elected only after ZooKeeper expired the old controller's session.
  auto expired = times_of(r, "zk-session-expired", elected[0].first);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_GT(r.of("controller-elected")[1]["t"].get<double>(), expired[0]);
  EXPECT_GT(r.of("controller-resigned")[0]["t"].get<double>(), 5.0);  // it only learns once healed
  EXPECT_EQ(r.of("phase").back()["converged"], true);
}

TEST(ControllerElection, CrashingTheControllerMovesTheRole) {
  auto r = simulate(sessions_scenario("  - {at: 1s, crash: controller}\n"), Model::Kafka);
  auto crashed = r.of("broker-crashed");
  ASSERT_EQ(crashed.size(), 1u);
  auto elected = tenures(r, "controller-elected");
  ASSERT_EQ(elected.size(), 2u);
  EXPECT_EQ(crashed[0]["broker"].get<int>(), elected[0].first);  // `controller` resolved to the controller
  EXPECT_NE(elected[1].first, elected[0].first);
  EXPECT_EQ(elected[1].second, 2);
}

TEST(ControllerElection, ExpiringTheControllersSessionHandsTheRoleOn) {
  auto r = simulate(sessions_scenario("  - {at: 1s, expire-session: controller}\n"), Model::Kafka);
  auto elected = tenures(r, "controller-elected");
  ASSERT_GE(elected.size(), 2u);
  EXPECT_EQ(elected[1].second, 2);
  auto resigned = tenures(r, "controller-resigned");
  ASSERT_EQ(resigned.size(), 1u);
  EXPECT_EQ(resigned[0], elected[0]);
  std::set<int> epochs;
  for (const auto& [broker, epoch] : elected) EXPECT_TRUE(epochs.insert(epoch).second) << "epoch " << epoch << " twice";
}

// ---- fencing of control requests -----------------------------------------------------------------

namespace {
// A client process that, at 6 s, sends broker-1 an UpdateMetadata claiming controller epoch 1 and
// broker-1's first broker epoch (read from the history, as a zombie controller would remember it).
class Rogue : public sim::Node {
 public:
  using sim::Node::Node;
  void on_start() override {
    after(6 * kMicrosPerSecond - now(), [this] {
      auto r = std::make_unique<models::UpdateMetadata>();
      r->controller_id = 3;
      r->controller_epoch = 1;
      for (const auto& e : world().history().events())
        if (e.name == "broker-registered" && e.int_or("broker", 0) == 1) {
          r->broker_epoch = e.int_or("broker_epoch", -1);
          break;
        }
      r->sent_at = now();
      request(0, std::move(r), kMicrosPerSecond, [](sim::Failure, const sim::Message*) {});
    });
  }
  void on_message(const sim::Envelope&) override {}
};
class RogueCluster : public models::KafkaCluster {
 public:
  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override {
    if (world.node_kind(node) == NodeKind::Client) return std::make_unique<Rogue>(world, node);
    return KafkaCluster::start_process(world, node);
  }
};

Simulated simulate_rogue(const std::string& yaml) {
  auto child = testing_support::history_in_child(parse_scenario_text(yaml, "rogue.yaml"),
                                                 [] { return std::make_unique<RogueCluster>(); });
  EXPECT_TRUE(child.completed) << child.problem;
  return Simulated{child.events, child.failure, child.digest};
}

std::string rogue_scenario(const std::string& design, const std::string& events) {
  return "name: rogue\nsummary: s\nduration: 8s\nsettle: 10s\ncluster: {brokers: 3}\ndesign: " + design +
         "\nconfig: {zookeeper.session.timeout.ms: 3000}\ntopics: [{name: t}]\nproducers: [{id: rogue, topic: t}]\n"
         "events:\n" + events;
}

std::vector<json> rejections_at_6s(const Simulated& r) {
  std::vector<json> out;
  for (const auto& e : r.of("request-rejected"))
    if (e["t"].get<double>() > 6.0 && e["t"].get<double>() < 6.1) out.push_back(e);
  return out;
}
// The rogue's request applied (it claims broker-3, controller epoch 1, and leaves at 6 s).
std::vector<json> applied_at_6s(const Simulated& r) {
  std::vector<json> out;
  for (const auto& e : r.of("control-applied"))
    if (e["sent"].get<double>() == 6.0 && e["controller_epoch"] == 1 && e["from"] == 3) out.push_back(e);
  return out;
}
}  // namespace

TEST(ControlFencing, ABrokerRejectsAnOlderControllerEpochThanItHasSeen) {
  auto r = simulate_rogue(rogue_scenario("kafka-2.0", "  - {at: 1s, isolate: controller, for: 4s}\n"));
  auto rejected = rejections_at_6s(r);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0]["broker"], 1);
  EXPECT_EQ(rejected[0]["request"], "UpdateMetadata");
  EXPECT_EQ(rejected[0]["reason"], "STALE_CONTROLLER_EPOCH");
  EXPECT_TRUE(applied_at_6s(r).empty());
}

TEST(ControlFencing, WithBrokerEpochsARequestForAnEarlierRegistrationIsRejected) {
  // broker-1's session is expired at 1 s; it registers again with a new broker epoch. The rogue's request
  // carries controller epoch 1 (still current) and broker-1's first broker epoch.
  const std::string events = "  - {at: 1s, expire-session: broker-1}\n";
  auto fenced = simulate_rogue(rogue_scenario("kafka-2.2", events));
  auto rejected = rejections_at_6s(fenced);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0]["reason"], "STALE_BROKER_EPOCH");
  auto open = simulate_rogue(rogue_scenario("kafka-2.0", events));  // before KIP-380: obeyed
  EXPECT_TRUE(rejections_at_6s(open).empty());
  ASSERT_EQ(applied_at_6s(open).size(), 1u);
}

// The ZooKeeper model checked against a real ZooKeeper server (Debian's 3.8, standalone, tickTime 200 ms):
// hand-written traces for the behaviours Kafka's controller and registration depend on, and generated
// traces (KAFKASIM_ZK_TRACES, default 25; KAFKASIM_ZK_SEED) shrunk to a minimal trace on a mismatch.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "zk_conformance/model_zookeeper.h"
#include "zk_conformance/real_zookeeper.h"
#include "zk_conformance/trace.h"

using namespace kafkasim::zkconf;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

std::unique_ptr<ZooKeeperServerProcess> start_server() {
  try {
    return ZooKeeperServerProcess::start();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "could not start the real ZooKeeper server: " << e.what();
    return nullptr;
  }
}

}  // namespace

TEST(ZooKeeperServerFixture, StartsOnAFreePortAnswersRuokAndStopsByItsPid) {
  auto server = start_server();
  ASSERT_TRUE(server);
  EXPECT_EQ(four_letter_word(server->port(), "ruok"), "imok");
  EXPECT_NE(four_letter_word(server->port(), "srvr").find("Mode: standalone"), std::string::npos);
  const pid_t pid = server->pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::kill(pid, 0), 0);
  std::cerr << fmt::format("[ zookeeper ] started in {:.1f} s on {}\n", server->start_seconds(), server->connect_string());
  const int port = server->port();
  server->stop();
  EXPECT_NE(::kill(pid, 0), 0) << "the server process is still there after stop()";
  EXPECT_EQ(four_letter_word(port, "ruok"), "");
}

TEST(ZkConformance, HandWrittenTracesSeeTheSameOnTheModelAsOnTheRealServer) {
  auto server = start_server();
  ASSERT_TRUE(server);
  int id = 0;
  for (const auto& [name, trace] : hand_written_traces()) {
    SCOPED_TRACE(name);
    const std::string real = run_on_real(trace, server->connect_string(), id++);
    const std::string model = run_on_model(trace);
    EXPECT_EQ(first_difference(real, model), "") << "trace:\n" << describe(trace) << "\nreal:\n" << real << "\nmodel:\n" << model;
    // The traces do what they are for (on the real server): nothing skipped.
    EXPECT_EQ(real.find("skipped (could not"), std::string::npos) << real;
    EXPECT_EQ(real.find("did not expire"), std::string::npos) << real;
  }
}

TEST(ZkConformance, TheHandWrittenTracesCoverWhatTheIssueLists) {
  // Checked on the model's logs, so that this runs without a server: the cases are really exercised.
  std::string all;
  for (const auto& [name, trace] : hand_written_traces()) all += run_on_model(trace);
  for (const char* seen : {"OK /a/s-0000000000", "ephemeral-sequential", "NODEEXISTS", "NONODE", "BADVERSION",
                           "NOTEMPTY", "NOCHILDRENFOREPHEMERALS", "BADARGUMENTS",
                           "ops [BADVERSION; RUNTIMEINCONSISTENCY; RUNTIMEINCONSISTENCY]", "watch: NodeCreated",
                           "watch: NodeDataChanged", "watch: NodeChildrenChanged", "watch: NodeDeleted", "OK /p/a0000000001",
                           "racers: [NODEEXISTS, OK]", "session: closed", "session: expired", "cversion=3"})
    EXPECT_NE(all.find(seen), std::string::npos) << "no hand-written trace shows " << seen;
}

TEST(ZkConformance, GeneratedTracesSeeTheSameOnTheModelAsOnTheRealServer) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const int count = env_int("KAFKASIM_ZK_TRACES", 25);
  const auto seed = static_cast<std::uint64_t>(env_int("KAFKASIM_ZK_SEED", 1));
  int id = 1000;
  auto mismatch = search_traces(seed, count, 400, [&](const Trace& trace) {
    const std::string real = run_on_real(trace, server->connect_string(), id++);
    const std::string model = run_on_model(trace);
    const std::string difference = first_difference(real, model);
    return difference.empty() ? difference : difference + "real ZooKeeper's log:\n" + real + "the model's log:\n" + model;
  });
  if (mismatch)
    ADD_FAILURE() << fmt::format(
        "the model and ZooKeeper differ on the trace drawn from seed {} ({} steps), shrunk in {} runs to:\n{}\n{}\n"
        "replay: KAFKASIM_ZK_SEED={} KAFKASIM_ZK_TRACES=1",
        mismatch->seed, mismatch->drawn_steps, mismatch->shrink_runs, describe(mismatch->trace), mismatch->difference,
        mismatch->seed);
  std::cerr << fmt::format("[ zookeeper ] {} generated traces from seed {}\n", count, seed);
}

TEST(ZkConformance, AMismatchIsShrunkToAMinimalTrace) {
  // A stand-in "difference": the log shows NOTEMPTY. The smallest trace that does: open, create a parent,
  // create a child, delete the parent; shrinking must get close to that from a long draw.
  auto mismatch = search_traces(7, 200, 2000, [](const Trace& trace) {
    const std::string log = run_on_model(trace);
    return log.find(": NOTEMPTY") != std::string::npos ? std::string("NOTEMPTY seen") : std::string();
  });
  ASSERT_TRUE(mismatch.has_value()) << "no drawn trace deleted a node with children";
  EXPECT_GT(mismatch->drawn_steps, mismatch->trace.size());
  EXPECT_LE(mismatch->trace.size(), 6u) << describe(mismatch->trace);
  EXPECT_NE(run_on_model(mismatch->trace).find(": NOTEMPTY"), std::string::npos);
}

TEST(ZkConformance, TheComparisonNamesTheFirstDifferingLine) {
  Observations a("/p"), b("/p");
  kafkasim::models::zk::Stat st{.czxid = 500, .mzxid = 700, .pzxid = 500};
  Step get{.kind = Step::Kind::GetData, .client = 0, .path = "/x"};
  a.step(get);
  b.step(get);
  a.result(get, Result{.data = "v", .stat = st});
  // Zxids compare by order: other values in the same order are the same observation.
  kafkasim::models::zk::Stat shifted{.czxid = 3, .mzxid = 9, .pzxid = 3};
  b.result(get, Result{.data = "v", .stat = shifted});
  EXPECT_EQ(first_difference(a.text(), b.text()), "");
  EXPECT_NE(a.text().find("czxid=z0 mzxid=z1 pzxid=z0"), std::string::npos) << a.text();
  // A different version is a difference, and the report points at it.
  Observations c("/p");
  c.step(get);
  kafkasim::models::zk::Stat other = st;
  other.version = 1;
  c.result(get, Result{.data = "v", .stat = other});
  const std::string d = first_difference(a.text(), c.text());
  EXPECT_NE(d.find("first difference at line 2"), std::string::npos) << d;
  EXPECT_NE(d.find("version=1"), std::string::npos) << d;
}

// Fork-per-run: results come back; aborts, exceptions and hung children are contained.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>
#include <thread>

#include "sim/runner.h"

using namespace kafkasim::sim;

TEST(Runner, ReturnsTheChildsResult) {
  auto r = run_in_child([] { return std::string(100000, 'x'); }, 30);
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.payload.size(), 100000u);
}

TEST(Runner, AnAbortIsContained) {
  auto r = run_in_child([]() -> std::string { std::abort(); }, 30);
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.signal, SIGABRT);
  EXPECT_NE(r.describe().find("signal"), std::string::npos);
}

TEST(Runner, AnExceptionBecomesAFailureWithItsMessage) {
  auto r = run_in_child([]() -> std::string { throw std::runtime_error("boom"); }, 30);
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.exit_code, 70);
  EXPECT_EQ(r.payload, "boom");
}

TEST(Runner, AHungChildIsKilledAtItsWallLimit) {
  auto r = run_in_child([]() -> std::string {
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return "late";
  }, 0.3);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(r.timed_out);
}

TEST(ChildPool, RunsSeveralAtOnceAndReturnsEachWithItsTag) {
  ChildPool pool;
  for (std::uint64_t tag = 0; tag < 4; ++tag)
    pool.start(tag, [tag] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * (4 - static_cast<int>(tag))));
      return std::to_string(tag * 10);
    }, 30);
  EXPECT_EQ(pool.running(), 4u);
  std::map<std::uint64_t, std::string> got;
  while (pool.running() > 0) {
    auto [tag, outcome] = pool.wait_one();
    ASSERT_TRUE(outcome.completed);
    got[tag] = outcome.payload;
  }
  EXPECT_EQ(got, (std::map<std::uint64_t, std::string>{{0, "0"}, {1, "10"}, {2, "20"}, {3, "30"}}));
}

TEST(ChildPool, OneHungChildIsKilledWhileTheOthersFinish) {
  ChildPool pool;
  pool.start(1, []() -> std::string {
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return "late";
  }, 0.3);
  pool.start(2, []() -> std::string { std::abort(); }, 30);
  pool.start(3, [] { return std::string("fine"); }, 30);
  std::map<std::uint64_t, ChildOutcome> got;
  while (pool.running() > 0) {
    auto [tag, outcome] = pool.wait_one();
    got[tag] = outcome;
  }
  EXPECT_TRUE(got[1].timed_out);
  EXPECT_EQ(got[2].signal, SIGABRT);
  EXPECT_TRUE(got[3].completed);
  EXPECT_EQ(got[3].payload, "fine");
}

TEST(Runner, AChildThatOutgrowsItsMemoryBoundIsKilledAndSaysHowLarge) {
  auto r = run_in_child(
      []() -> std::string {
        std::vector<std::unique_ptr<char[]>> blocks;
        for (int i = 0; i < 400; ++i) {  // up to 800 MiB, touched, unless killed first
          blocks.emplace_back(new char[2 << 20]);
          std::memset(blocks.back().get(), 1, 2 << 20);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return "grew without bound";
      },
      60, /*memory_limit_mib=*/100);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(r.memory_exceeded);
  EXPECT_GT(r.rss_mib, 100);
  EXPECT_NE(r.describe().find("memory limit"), std::string::npos) << r.describe();
}

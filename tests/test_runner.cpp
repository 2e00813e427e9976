// Fork-per-run: results come back; aborts, exceptions and hung children are contained.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
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

// Durations and rates as scenario files write them.
#include <gtest/gtest.h>

#include "scenario/units.h"

using namespace kafkasim;

TEST(Units, ParsesDurationsExactly) {
  std::string e;
  EXPECT_EQ(*parse_duration("250ms", e), 250 * kMicrosPerMs);
  EXPECT_EQ(*parse_duration("1.5s", e), 1500 * kMicrosPerMs);
  EXPECT_EQ(*parse_duration("0.1s", e), 100 * kMicrosPerMs);
  EXPECT_EQ(*parse_duration("2m", e), 120 * kMicrosPerSecond);
  EXPECT_EQ(*parse_duration("1h", e), 3600 * kMicrosPerSecond);
  EXPECT_EQ(*parse_duration("100us", e), 100);
  EXPECT_EQ(*parse_duration("0s", e), 0);
}

TEST(Units, RejectsBadDurations) {
  for (const char* bad : {"30", "", "s", "1.5", "-1s", "5 s", "5sec", "1.2.3s", "0.5us", "abc"}) {
    std::string e;
    EXPECT_FALSE(parse_duration(bad, e)) << bad;
    EXPECT_FALSE(e.empty()) << bad;
  }
  std::string e;
  parse_duration("30", e);
  EXPECT_NE(e.find("needs a unit"), std::string::npos) << e;
}

TEST(Units, ParsesRates) {
  std::string e;
  EXPECT_DOUBLE_EQ(*parse_rate("100/s", e), 100);
  EXPECT_DOUBLE_EQ(*parse_rate("0/s", e), 0);
  EXPECT_DOUBLE_EQ(*parse_rate("30/m", e), 0.5);
  EXPECT_FALSE(parse_rate("100", e));
  EXPECT_FALSE(parse_rate("100/h", e));
}

TEST(Units, FormatsTimes) {
  EXPECT_EQ(format_seconds(3001 * kMicrosPerMs), "3.001");
  EXPECT_EQ(format_seconds(1500), "0.001500");
  EXPECT_EQ(format_duration(1500 * kMicrosPerMs), "1500ms");
  EXPECT_EQ(format_duration(60 * kMicrosPerSecond), "60s");
}

// The log and its leader epoch cache: appends, truncation, the two end-offset answers (KIP-101, KIP-279)
// and what a power loss keeps.
#include <gtest/gtest.h>

#include "models/log.h"

using namespace kafkasim;
using namespace kafkasim::models;

namespace {
PartitionLog log_with(std::vector<std::int64_t> epochs) {
  PartitionLog log;
  for (std::size_t o = 0; o < epochs.size(); ++o)
    log.append(Record{static_cast<std::int64_t>(o), epochs[o], "v" + std::to_string(o), "p"}, static_cast<Micros>(o) * 1000);
  return log;
}
}  // namespace

TEST(PartitionLog, RecordsOfANewEpochStartItInTheCache) {
  auto log = log_with({0, 0, 2, 2, 5});
  ASSERT_EQ(log.epochs().size(), 3u);
  EXPECT_EQ(log.epochs()[1], std::make_pair(std::int64_t{2}, std::int64_t{2}));
  EXPECT_EQ(log.latest_epoch(), 5);
}

TEST(PartitionLog, TruncationDropsRecordsAndTheEpochsStartingThere) {
  auto log = log_with({0, 0, 2, 2, 5});
  log.truncate_to(2);
  EXPECT_EQ(log.leo(), 2);
  EXPECT_EQ(log.latest_epoch(), 0);
}

TEST(PartitionLog, Kip279AnswersTheLargestEpochAtOrBelowWithItsEnd) {
  auto log = log_with({0, 0, 2, 2, 5});
  EXPECT_EQ(log.end_offset_for(5), std::make_pair(std::int64_t{5}, std::int64_t{5}));  // latest: the LEO
  EXPECT_EQ(log.end_offset_for(2), std::make_pair(std::int64_t{2}, std::int64_t{4}));
  EXPECT_EQ(log.end_offset_for(3), std::make_pair(std::int64_t{2}, std::int64_t{4}));  // unknown epoch: the floor
  EXPECT_EQ(log.end_offset_for(9).second, kUndefinedOffset);
}

TEST(PartitionLog, Kip101AnswersTheStartOfTheNextEpoch) {
  auto log = log_with({0, 0, 2, 2, 5});
  EXPECT_EQ(log.end_offset_for_kip101(5), 5);
  EXPECT_EQ(log.end_offset_for_kip101(0), 2);
  EXPECT_EQ(log.end_offset_for_kip101(3), 4);
}

TEST(PartitionLog, ABecomingLeaderSupersedesAnEmptyEpochAtTheSameOffset) {
  PartitionLog log;
  log.assign_epoch(1, 0);
  log.assign_epoch(3, 0);
  ASSERT_EQ(log.epochs().size(), 1u);
  EXPECT_EQ(log.latest_epoch(), 3);
}

TEST(PartitionLog, PowerLossKeepsOnlyWhatTheOsWroteBack) {
  auto log = log_with({0, 0, 0, 0});  // appended at 0, 1, 2, 3 ms
  EXPECT_EQ(log.drop_unwritten(1000), 2);
  EXPECT_EQ(log.leo(), 2);
}

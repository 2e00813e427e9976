// The largest inputs the simulator accepts: part of the scenario-format contract
// (../shared/spec/scenario-format.md, "Limits"). Past any of them a file is bad input (exit 2) naming the limit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "scenario/units.h"

namespace kafkasim::limits {

// The file itself.
inline constexpr std::size_t kMaxFileBytes = 4u << 20;        // 4 MiB
inline constexpr std::size_t kMaxYamlNodes = 200000;          // nodes visited, aliases counted each time
inline constexpr std::size_t kMaxYamlDepth = 64;              // mappings and lists nested in each other
inline constexpr std::size_t kMaxKeyChars = 100;              // any mapping key
inline constexpr std::size_t kMaxErrorsReported = 20;         // mistakes reported at once

// Names and text.
inline constexpr std::size_t kMaxNameChars = 100;             // scenario name
inline constexpr std::size_t kMaxTopicNameChars = 249;        // Kafka's own limit (Topic.MAX_NAME_LENGTH)
inline constexpr std::size_t kMaxClientIdChars = 100;         // producer and consumer ids
inline constexpr std::size_t kMaxSummaryChars = 1000;
inline constexpr std::size_t kMaxDescriptionChars = 100000;
inline constexpr std::size_t kMaxValueChars = 1000;           // a produced value, any other text value

// Cluster and workload.
inline constexpr int kMaxBrokers = 1000;
inline constexpr int kMaxTopics = 1000;
inline constexpr int kMaxPartitionsPerTopic = 100000;
inline constexpr std::int64_t kMaxPartitionReplicas = 300000;  // partitions x replication factor, all topics
inline constexpr int kMaxProducers = 100;
inline constexpr int kMaxConsumers = 100;
inline constexpr int kMaxSinks = 20;
inline constexpr int kMaxWorkers = 64;                        // a consumer's processing pool (`workers:`)
inline constexpr std::int64_t kMaxRatePerSecond = 100000;     // one producer's steady rate
inline constexpr int kMaxEvents = 10000;
inline constexpr int kMaxTimes = 1000000;                     // `times:` of a when: trigger
inline constexpr int kMaxProduceCount = 1000000;              // `count:` of one scripted produce
inline constexpr std::int64_t kMaxScriptedRecords = 10000000;  // all scripted produces of a file together

// Time.
inline constexpr Micros kMaxDuration = 24LL * 3600 * kMicrosPerSecond;  // any duration or time in a file
inline constexpr Micros kMaxLatency = 10 * kMicrosPerSecond;            // cluster.network.latency

// Seeds: files and flags alike (a replay file must hold the seed it ran with).
inline constexpr std::uint64_t kMaxSeed = 9223372036854775807ULL;  // 2^63 - 1

}  // namespace kafkasim::limits

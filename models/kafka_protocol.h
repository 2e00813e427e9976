// The data plane's messages: Metadata, Produce, Fetch (followers and consumers) and
// OffsetsForLeaderEpoch, with the fields reference section 2 lists for each.
#pragma once

#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "models/log.h"
#include "sim/node.h"

namespace kafkasim::models {

struct MetadataRequest : sim::Message {
  std::string topic;
  std::string_view type() const override { return "Metadata"; }
  std::string describe() const override;
};
struct MetadataResponse : sim::Message {
  std::map<std::string, int> leaders;  // partition -> leader id (-1: none known)
  std::map<std::string, std::int64_t> leader_epochs;
  std::set<int> brokers;  // the live brokers in the answering broker's metadata cache
  std::string_view type() const override { return "Metadata"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 64 + leaders.size() * 32; }
};

// One record batch of a Produce request (a RecordBatch: the producer's header and its records).
struct ProduceBatch {
  std::string partition;
  std::vector<std::string> values;
  std::int64_t producer_id = -1;  // -1: not idempotent
  std::int32_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
};
// A Produce request carries one batch per partition the broker leads (the Sender drains one per
// partition for the node).
struct ProduceRequest : sim::Message {
  std::string producer;
  std::string acks;  // "0", "1", "all"
  Micros timeout = 0;
  std::vector<ProduceBatch> batches;
  std::size_t record_bytes = 100;
  std::string_view type() const override { return "Produce"; }
  std::string describe() const override;
  std::size_t bytes() const override {
    std::size_t n = 64;
    for (const auto& b : batches) n += 61 + b.values.size() * record_bytes;
    return n;
  }
};
struct ProducePartitionResponse {
  std::string partition;
  std::string error;  // "" = success
  std::int64_t base_offset = -1;
};
struct ProduceResponse : sim::Message {
  std::vector<ProducePartitionResponse> partitions;  // in the request's order
  std::string_view type() const override { return "Produce"; }
  std::string describe() const override;
};
// InitProducerId: an idempotent producer asks any broker for its producer id (KIP-98).
struct InitProducerIdRequest : sim::Message {
  std::string_view type() const override { return "InitProducerId"; }
  std::string describe() const override;
};
struct InitProducerIdResponse : sim::Message {
  std::int64_t producer_id = -1;
  std::int32_t producer_epoch = 0;
  std::string_view type() const override { return "InitProducerId"; }
  std::string describe() const override;
};

struct FetchPartition {
  std::string partition;
  std::int64_t fetch_offset = 0;
  std::int64_t current_leader_epoch = -1;  // KIP-320; -1 = not sent
  std::int64_t last_fetched_epoch = -1;    // 2.8+; -1 = not sent
};
struct FetchRequest : sim::Message {
  int replica_id = -1;  // -1: a consumer
  std::int64_t replica_broker_epoch = -1;  // KIP-903 (ReplicaState.ReplicaEpoch): the follower's broker epoch
  std::string consumer;
  Micros max_wait = 0;
  // KIP-392 (2.4+ consumers): the client's metadata, so that a follower may serve it and the leader may
  // name a preferred read replica in its rack.
  bool client_metadata = false;
  std::string client_rack;
  std::vector<FetchPartition> partitions;
  std::string_view type() const override { return "Fetch"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 64 + partitions.size() * 32; }
  // A follower's fetcher thread has its connection to the leader; a consumer's is its client connection.
  std::uint32_t channel() const override { return replica_id >= 0 ? sim::channel::kFetcher : sim::channel::kDefault; }
};
struct FetchedPartition {
  std::string partition;
  std::string error;
  std::int64_t hw = 0;
  std::int64_t leo = 0;
  std::vector<Record> records;
  std::optional<std::pair<std::int64_t, std::int64_t>> diverging;  // (epoch, end offset)
  int preferred_read_replica = -1;  // KIP-392: the leader asks the consumer to read from this broker
};
struct FetchResponse : sim::Message {
  std::vector<FetchedPartition> partitions;
  std::size_t record_bytes = 100;
  std::string_view type() const override { return "Fetch"; }
  std::string describe() const override;
  std::size_t bytes() const override {
    std::size_t n = 64;
    for (const auto& p : partitions) n += 32 + p.records.size() * record_bytes;
    return n;
  }
};

struct EpochQuery {
  std::string partition;
  std::int64_t leader_epoch = 0;           // the epoch whose end offset is asked
  std::int64_t current_leader_epoch = -1;  // KIP-320
};
struct OffsetsForLeaderEpochRequest : sim::Message {
  int replica_id = -1;
  std::vector<EpochQuery> partitions;
  std::string_view type() const override { return "OffsetsForLeaderEpoch"; }
  std::string describe() const override;
  // A follower's fetcher thread sends it on its connection; a consumer (KIP-320) on its client connection.
  std::uint32_t channel() const override { return replica_id >= 0 ? sim::channel::kFetcher : sim::channel::kDefault; }
};
struct EpochAnswer {
  std::string partition;
  std::string error;
  std::int64_t leader_epoch = -1;  // KIP-279: the epoch answered for (-1: undefined / not sent by KIP-101)
  std::int64_t end_offset = -1;    // -1: undefined
};
struct OffsetsForLeaderEpochResponse : sim::Message {
  std::vector<EpochAnswer> partitions;
  std::string_view type() const override { return "OffsetsForLeaderEpoch"; }
  std::string describe() const override;
};

}  // namespace kafkasim::models

// The classic consumer group protocol's messages (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit, OffsetFetch) and a sink's write, with the fields Kafka's requests carry.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/node.h"

namespace kafkasim::models::groups {

inline constexpr const char* kOffsetsTopic = "__consumer_offsets";

struct FindCoordinatorRequest : sim::Message {
  std::string group;
  std::string_view type() const override { return "FindCoordinator"; }
};
struct FindCoordinatorResponse : sim::Message {
  std::string error;  // COORDINATOR_NOT_AVAILABLE while the group's offsets partition has no leader
  int coordinator = -1;
  std::string_view type() const override { return "FindCoordinator"; }
};

struct JoinGroupRequest : sim::Message {
  std::string group, member_id, client_id;
  Micros session_timeout = 0, rebalance_timeout = 0;
  std::string topic;  // the subscription (the consumer protocol's metadata)
  // cooperative-sticky (ConsumerProtocolSubscription v1+): the partitions the member owns, and the
  // generation it owned them in (-1: none).
  std::vector<std::string> owned;
  std::int32_t owned_generation = -1;
  std::string_view type() const override { return "JoinGroup"; }
};
struct JoinGroupResponse : sim::Message {
  std::string error;
  std::int32_t generation = -1;
  std::string member_id, leader;
  std::map<std::string, std::string> members;  // the leader's answer only: member id -> its subscription
  // The leader's answer only: what each member owns, and since which generation.
  std::map<std::string, std::vector<std::string>> owned;
  std::map<std::string, std::int32_t> owned_generation;
  std::string_view type() const override { return "JoinGroup"; }
};

struct SyncGroupRequest : sim::Message {
  std::string group, member_id;
  std::int32_t generation = -1;
  std::map<std::string, std::vector<std::string>> assignments;  // the leader's: member id -> partitions
  std::string_view type() const override { return "SyncGroup"; }
};
struct SyncGroupResponse : sim::Message {
  std::string error;
  std::vector<std::string> partitions;
  std::string_view type() const override { return "SyncGroup"; }
};

struct HeartbeatRequest : sim::Message {
  std::string group, member_id;
  std::int32_t generation = -1;
  std::string_view type() const override { return "Heartbeat"; }
};
struct HeartbeatResponse : sim::Message {
  std::string error;
  std::string_view type() const override { return "Heartbeat"; }
};

struct LeaveGroupRequest : sim::Message {
  std::string group, member_id;
  std::string_view type() const override { return "LeaveGroup"; }
};
struct LeaveGroupResponse : sim::Message {
  std::string error;
  std::string_view type() const override { return "LeaveGroup"; }
};

struct OffsetCommitRequest : sim::Message {
  std::string group, member_id;
  std::int32_t generation = -1;
  std::map<std::string, std::int64_t> offsets;  // partition -> the next offset to read
  std::string_view type() const override { return "OffsetCommit"; }
};
struct OffsetCommitResponse : sim::Message {
  std::map<std::string, std::string> errors;  // partition -> "" or its error
  std::string_view type() const override { return "OffsetCommit"; }
};

struct OffsetFetchRequest : sim::Message {
  std::string group;
  std::vector<std::string> partitions;
  std::string_view type() const override { return "OffsetFetch"; }
};
struct OffsetFetchResponse : sim::Message {
  std::string error;
  std::map<std::string, std::int64_t> offsets;  // -1: no committed offset
  std::string_view type() const override { return "OffsetFetch"; }
};

// A consumer's write of one processed record to its sink (a database, a file: not Kafka).
struct SinkWriteRequest : sim::Message {
  std::string consumer, partition, value, key;
  std::int64_t offset = -1;
  std::int32_t generation = -1;  // a transactional sink fences writes of generations older than its owner's
  std::string_view type() const override { return "SinkWrite"; }
};
struct SinkWriteResponse : sim::Message {
  std::string error;  // "" or FENCED (a transactional sink: a newer generation owns the partition)
  std::string_view type() const override { return "SinkWrite"; }
};
// A transactional sink's stored offsets (the next offset of each partition, stored in the transaction
// of its last record), read by a member that was just assigned the partitions; the read fences every
// older generation's writes to them, as a transactional producer's initialisation fences its zombie.
struct SinkOffsetsRequest : sim::Message {
  std::vector<std::string> partitions;
  std::int32_t generation = -1;
  std::string_view type() const override { return "SinkOffsets"; }
};
struct SinkOffsetsResponse : sim::Message {
  std::map<std::string, std::int64_t> offsets;  // -1: nothing stored
  std::string_view type() const override { return "SinkOffsets"; }
};

}  // namespace kafkasim::models::groups

// The KRaft quorum's RPCs (KIP-595, KIP-996): Vote (with the PreVote flag), BeginQuorumEpoch,
// EndQuorumEpoch and the quorum's Fetch, with the fields KafkaRaftClient reads. Node ids are the
// simulator's node indices of the controller nodes (controller-1.. = controller.quorum.voters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/kraft/metadata.h"
#include "sim/node.h"

namespace kafkasim::models::kraft {

// Every quorum RPC travels on the raft client's own connection (KafkaNetworkChannel).
inline constexpr std::uint32_t kQuorumChannel = 5;

struct VoteRequest : sim::Message {
  std::int64_t candidate_epoch = 0;  // PreVote: the epoch the election would have (current + 1)
  int candidate = -1;
  std::int64_t last_epoch = 0;   // of the candidate's log
  std::int64_t end_offset = 0;   // of the candidate's log
  bool pre_vote = false;
  std::string_view type() const override { return "Vote"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return kQuorumChannel; }
};
struct VoteResponse : sim::Message {
  std::string error;  // "" or FENCED_LEADER_EPOCH
  std::int64_t epoch = 0;
  int leader = -1;
  bool granted = false;
  std::string_view type() const override { return "Vote"; }
  std::string describe() const override;
};

struct BeginQuorumEpochRequest : sim::Message {
  std::int64_t epoch = 0;
  int leader = -1;
  std::string_view type() const override { return "BeginQuorumEpoch"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return kQuorumChannel; }
};
struct EndQuorumEpochRequest : sim::Message {
  std::int64_t epoch = 0;
  int leader = -1;
  std::vector<int> preferred_successors;
  std::string_view type() const override { return "EndQuorumEpoch"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return kQuorumChannel; }
};
struct QuorumAck : sim::Message {  // BeginQuorumEpoch / EndQuorumEpoch responses
  std::string request;
  std::string error;
  std::int64_t epoch = 0;
  int leader = -1;
  std::string_view type() const override { return request; }
  std::string describe() const override;
};

struct QuorumFetchRequest : sim::Message {
  std::int64_t epoch = 0;  // the fetcher's current epoch
  int replica = -1;        // the fetcher's node
  bool voter = false;      // a voter (its fetch counts for the HW and check-quorum) or an observer
  std::int64_t fetch_offset = 0;
  std::int64_t last_fetched_epoch = 0;
  std::string_view type() const override { return "Fetch"; }
  std::string describe() const override;
  std::uint32_t channel() const override { return kQuorumChannel; }
  std::size_t bytes() const override { return 96; }
};
struct QuorumFetchResponse : sim::Message {
  std::string error;  // "", FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH
  std::int64_t epoch = 0;
  int leader = -1;
  std::int64_t high_watermark = -1;  // -1: unknown
  std::optional<std::pair<std::int64_t, std::int64_t>> diverging;  // (epoch, end offset)
  std::int64_t base_offset = 0;
  std::vector<MetadataRecord> records;
  std::string_view type() const override { return "Fetch"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 96 + records.size() * 64; }
};

}  // namespace kafkasim::models::kraft

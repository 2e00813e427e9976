// KafkaRaftClient: one replica of the KRaft metadata quorum (KIP-595), a voter (a controller node) or an
// observer (a broker). The quorum states of QuorumState (unattached, voted, prospective, candidate,
// leader, follower, resigned) with the persisted quorum-state file (epoch, voted-for); elections with
// Vote (and PreVote, KIP-996, where the design has it), randomised election timeouts and exponential
// backoff; BeginQuorumEpoch and EndQuorumEpoch; the pull-based Fetch with divergence by epoch and
// truncation; the leader's high watermark over a majority of voters (only past its own epoch's start);
// check-quorum (KAFKA-15489) where the design has it. Committed records are handed to the listener in
// log order, exactly once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "models/kraft/metadata.h"
#include "models/kraft/raft_messages.h"
#include "sim/node.h"

namespace kafkasim::models::kraft {

enum class QuorumRole { Unattached, Voted, Prospective, Candidate, Leader, Follower, Resigned };
const char* quorum_role_name(QuorumRole role);

class RaftClient {
 public:
  struct Listener {
    virtual ~Listener() = default;
    // The record at `offset` is committed (below the HW); called in log order from offset 0 on.
    virtual void on_commit(std::int64_t offset, const MetadataRecord& record) = 0;
    // The role, epoch or leader changed.
    virtual void on_quorum_change() = 0;
  };

  RaftClient(sim::Node& host, MetadataLog& log, QuorumStore& store, bool voter, Listener& listener);
  void start();
  // Handles a quorum RPC; false when `envelope` is not one.
  bool on_message(const sim::Envelope& envelope);

  // Leader only: appends records in this epoch (a RegisterBroker gets its offset as broker epoch).
  // Returns the offset of the last one, or -1 when this replica is not the leader.
  std::int64_t append(std::vector<MetadataRecord> records);

  QuorumRole role() const { return role_; }
  bool is_leader() const { return role_ == QuorumRole::Leader; }
  std::int64_t epoch() const { return store_.epoch; }
  int leader() const { return leader_; }  // node index, -1 when none is known
  std::int64_t high_watermark() const { return hw_; }
  std::int64_t end_offset() const { return log_.end_offset(); }
  std::int64_t epoch_start_offset() const { return epoch_start_; }
  std::int64_t delivered() const { return delivered_; }
  const MetadataLog& log() const { return log_; }
  const std::vector<int>& voters() const { return voters_; }

 private:
  void transition(QuorumRole role, std::int64_t epoch, int leader, int voted_for = -1);
  void schedule(Micros delay, std::function<void()> fn);  // cancelled by the next transition
  Micros election_timeout();
  Micros election_backoff();
  void start_election();  // candidate, or prospective first with pre-vote
  void become_candidate();
  void become_prospective();
  void become_leader();
  void count_election_attempt();
  Micros check_window() const;
  void arm_check_quorum();
  void send_votes(bool pre_vote);
  void send_vote(int voter, bool pre_vote);
  void acknowledge(const sim::Envelope& e, const char* request, bool fenced);
  void on_vote_response(int voter, std::int64_t epoch_sent, bool pre_vote, sim::Failure f, const sim::Message* m);
  void send_begin_epoch(int voter);
  void send_end_epoch();
  // A request or response names a newer epoch: follow its leader, or wait unattached in it.
  bool maybe_newer_epoch(std::int64_t epoch, int leader);

  void handle_vote(const sim::Envelope& e, const VoteRequest& r);
  void handle_begin_epoch(const sim::Envelope& e, const BeginQuorumEpochRequest& r);
  void handle_end_epoch(const sim::Envelope& e, const EndQuorumEpochRequest& r);
  void handle_fetch(const sim::Envelope& e, const QuorumFetchRequest& r);
  bool answer_fetch(const sim::Envelope& e, const QuorumFetchRequest& r, bool final);
  void wake_parked();

  void fetch();  // a follower or observer asks its leader (an observer without one: a random voter)
  void on_fetch_response(int from, std::uint64_t gen, sim::Failure f, const sim::Message* m);
  void reset_fetch_timer();
  void maybe_advance_hw();
  void set_hw(std::int64_t hw);
  void deliver();
  bool log_at_least(std::int64_t last_epoch, std::int64_t end_offset) const;
  void record_state();

  sim::Node& host_;
  MetadataLog& log_;
  QuorumStore& store_;
  const bool voter_;
  Listener& listener_;
  std::vector<int> voters_;
  bool pre_vote_, check_quorum_;
  Micros election_timeout_, fetch_timeout_, backoff_max_, request_timeout_, retry_backoff_, fetch_max_wait_;

  QuorumRole role_ = QuorumRole::Unattached;
  int leader_ = -1;
  std::uint64_t gen_ = 0;  // bumped by every transition: timers and replies of an earlier state are stale
  std::int64_t hw_ = -1;   // -1: unknown (a new process learns it from its leader)
  std::int64_t delivered_ = 0;
  int election_attempts_ = 0;
  Micros election_deadline_ = -1;  // when the running election timer fires (unattached, voted, candidate)
  Micros check_deadline_ = 0;      // leader with check-quorum: when it resigns unless a majority fetches
  bool has_fetched_ = false;       // a successful Fetch answer from the leader of the current state
  std::set<int> votes_;  // granted to this candidate / prospective
  std::set<int> rejections_;
  // Leader.
  std::int64_t epoch_start_ = 0;
  std::map<int, std::int64_t> voter_end_;  // voter -> its end offset as its last Fetch said
  std::set<int> fetched_since_check_;      // check-quorum: voters heard from in this window
  std::set<int> begun_;                    // voters that answered BeginQuorumEpoch or fetched
  struct Parked {
    sim::Envelope reply_to;
    QuorumFetchRequest request;
  };
  std::map<std::uint64_t, Parked> parked_;
  std::uint64_t next_parked_ = 0;
  // Follower / observer.
  Micros last_leader_contact_ = 0;  // the last successful Fetch answer from the leader
  bool fetch_in_flight_ = false;
  sim::TimerId fetch_timer_ = 0;
};

}  // namespace kafkasim::models::kraft

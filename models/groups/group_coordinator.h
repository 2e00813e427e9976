// The group coordinator inside a broker (GroupCoordinator and GroupMetadataManager of Kafka's classic
// protocol): a broker coordinates the groups whose __consumer_offsets partition it leads; it loads their
// offsets and metadata from that partition's log when it becomes its leader and forgets them when it
// stops; a rebalance collects every member's JoinGroup, the leader's SyncGroup assignment is stored in
// the log before anyone gets it, and an offset commit is an acks=all append answered once the HW passed it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/groups/group_protocol.h"
#include "models/replica_manager.h"
#include "sim/node.h"

namespace kafkasim::models::groups {

// Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions (GroupMetadataManager.partitionFor).
int partition_for(const std::string& group, int offsets_partitions);
// The log's record values: an offset commit and a group's metadata (what a new coordinator loads).
std::string offset_record(const std::string& group, const std::string& partition, std::int64_t offset);
std::string group_record(const std::string& group, std::int32_t generation, const std::string& leader,
                         const std::map<std::string, std::vector<std::string>>& assignment,
                         const std::map<std::string, std::pair<Micros, Micros>>& timeouts,
                         const std::map<std::string, std::string>& topics);

class GroupCoordinator {
 public:
  GroupCoordinator(sim::Node& broker, ReplicaManager& replicas);
  // Handles a group request; false when `e` is not one.
  bool on_message(const sim::Envelope& e);
  // The broker started or stopped leading `partition` (only __consumer_offsets partitions matter).
  void on_leadership(const std::string& partition, bool leader);

 private:
  enum class State { Empty, PreparingRebalance, CompletingRebalance, Stable };
  struct Member {
    std::string client_id, topic;
    std::vector<std::string> owned;  // its subscription's owned partitions (cooperative-sticky)
    std::int32_t owned_generation = -1;
    Micros session_timeout = 0, rebalance_timeout = 0;
    std::vector<std::string> assignment;
    std::optional<sim::Envelope> join_waiting, sync_waiting;
    sim::TimerId expiry = 0;
  };
  struct Group {
    std::string name, partition;
    State state = State::Empty;
    std::int32_t generation = 0;
    std::string leader;
    std::map<std::string, Member> members;
    std::map<std::string, std::int64_t> offsets;
    sim::TimerId join_timer = 0;
    bool join_timer_set = false;
    bool initial_delay = false;  // InitialDelayedJoin: no early completion
    std::string reason;
  };

  void find_coordinator(const sim::Envelope& e, const FindCoordinatorRequest& r);
  void join(const sim::Envelope& e, const JoinGroupRequest& r);
  void sync(const sim::Envelope& e, const SyncGroupRequest& r);
  void heartbeat(const sim::Envelope& e, const HeartbeatRequest& r);
  void leave(const sim::Envelope& e, const LeaveGroupRequest& r);
  void commit(const sim::Envelope& e, const OffsetCommitRequest& r);
  void fetch_offsets(const sim::Envelope& e, const OffsetFetchRequest& r);

  // The group if this broker coordinates it (nullptr: NOT_COORDINATOR); made on first use.
  Group* coordinated(const std::string& group);
  void prepare_rebalance(Group& g, const std::string& reason);
  void arm_join_timer(Group& g, Micros delay);
  // Every member has rejoined (or the rebalance timeout passed): a new generation, answered to all.
  void maybe_complete_join(Group& g, bool timed_out);
  void complete_sync(Group& g, const std::string& error);
  void schedule_expiry(Group& g, const std::string& member_id);
  void remove_member(Group& g, const std::string& member_id, const char* reason);
  void load(const std::string& partition);

  sim::Node& broker_;
  ReplicaManager& replicas_;
  int offsets_partitions_;
  Micros commit_timeout_, initial_delay_, min_session_, max_session_;
  std::map<std::string, Group> groups_;  // the groups of the partitions this broker leads and has loaded
  std::set<std::string> loaded_;         // __consumer_offsets partitions led and loaded
  std::int64_t next_member_ = 0;
};

}  // namespace kafkasim::models::groups

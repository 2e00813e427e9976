// A broker's replicas (ReplicaManager + Partition): becoming leader or follower from LeaderAndIsr, the
// leader's side (appends, follower fetch state, high watermark, ISR shrink and expansion, delayed
// produces and long-polled fetches), the follower's side (one fetcher per leader broker, truncation by
// the selected design), the HW checkpoint, and the metadata cache that UpdateMetadata fills.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <unordered_map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/control_requests.h"
#include "models/kafka_protocol.h"
#include "models/log.h"
#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::models {

class Broker;

// Kafka's lastCaughtUpTimeMs of 0 is decades before any run; simulated time starts at 0, so "never"
// must be far below it for `now - last_caught_up <= replica.lag.time.max.ms` to be false.
inline constexpr Micros kNeverCaughtUp = -(Micros{1} << 60);

struct FollowerState {
  std::int64_t leo = -1;  // unknown until it fetches
  Micros last_fetch = 0;
  Micros last_caught_up = kNeverCaughtUp;
  std::int64_t leader_leo_at_last_fetch = -1;
  std::int64_t broker_epoch = -1;  // KIP-903: the broker epoch its last fetch carried
};

enum class FetchState { None, Truncating, Fetching };

struct Replica {
  std::string name;
  std::vector<int> replicas;
  int leader = -1;
  std::int64_t leader_epoch = -1;  // -1: no LeaderAndIsr applied yet
  std::int32_t partition_epoch = -1;
  std::vector<int> isr;
  std::int64_t controller_epoch = 0;
  bool is_leader = false;
  std::int64_t hw = 0;
  // Leader only.
  std::int64_t epoch_start_offset = 0;
  std::map<int, FollowerState> followers;
  std::optional<std::vector<int>> pending_isr;  // an ISR change under way (the maximal ISR counts it)
  // Follower only.
  FetchState fetch_state = FetchState::None;
  Micros fetch_backoff_until = 0;
  PartitionLog* log = nullptr;  // this broker's log of it (in BrokerStorage), looked up once
  // The topic's flush policy (log.flush.interval.messages / .ms; Kafka's defaults: never) and when its
  // log was last fsynced.
  std::int64_t flush_messages = INT64_MAX, flush_ms = INT64_MAX;
  Micros last_flush = 0;
};

// The leader epoch each partition of a fetcher's request was sent in, in the request's order (a leader
// answers its partitions in that order): a reply for an epoch the replica has since left is ignored.
using SentEpochs = std::vector<std::pair<std::string, std::int64_t>>;

class ReplicaManager {
 public:
  ReplicaManager(Broker& broker, BrokerStorage& storage);
  void start();

  void apply_leader_and_isr(const LeaderAndIsr& request);
  void apply_update_metadata(const UpdateMetadata& request);
  // KRaft: a committed Partition/PartitionChange record, as the broker's metadata publisher applies it.
  void apply_partition_change(const PartitionStateData& state, std::int64_t quorum_epoch);
  // StopReplica (deletePartitions=false): these replicas stop fetching until a LeaderAndIsr names them again.
  void stop_replicas(const std::vector<std::string>& partitions);
  void checkpoint_hw();
  void flush_logs();  // fsync every log: its records survive a power loss from now on
  // After an append: fsync when the topic's log.flush.interval.messages is reached (Log.append).
  void maybe_flush(Replica& r);
  void flush_by_time();  // LogManager.flushDirtyLogs: logs unflushed for log.flush.interval.ms
  // FENCED_LEADER_EPOCH with `fenced-partition-waits`: the replica stops fetching (true), else false.
  bool fenced_wait(Replica& r, const std::string& error);
  void on_fetch(const sim::Envelope& e, const FetchRequest& r);
  void on_offsets_for_leader_epoch(const sim::Envelope& e, const OffsetsForLeaderEpochRequest& r);
  void on_produce(const sim::Envelope& e, const ProduceRequest& r);
  void on_metadata(const sim::Envelope& e, const MetadataRequest& r);
  // An append by the broker itself (the group coordinator's offset commits and group records): as an
  // acks=all Produce of `writer`, answered through `done` once the HW passed it or with its error
  // (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT after `timeout`).
  using AppendDone = std::function<void(const ProducePartitionResponse&)>;
  void append_internal(const std::string& partition, std::vector<std::string> values, Micros timeout,
                       const std::string& writer, AppendDone done);
  bool leads(const std::string& partition) const {
    const Replica* r = find_replica(partition);
    return r != nullptr && r->is_leader;
  }
  // The leader of a partition as this broker's metadata cache has it (-1: none known).
  int metadata_leader(const std::string& partition) const {
    auto it = metadata_.find(partition);
    return it == metadata_.end() ? -1 : it->second.state.leader;
  }
  // Called when this broker starts (true) or stops (false) leading a partition: the group coordinator
  // loads or unloads the groups of its __consumer_offsets partitions.
  void on_leadership(std::function<void(const std::string&, bool)> listener) { on_leadership_ = std::move(listener); }

  const std::map<std::string, Replica>& replicas() const { return replicas_; }
  const PartitionLog& log(const std::string& partition) { return storage_.log(partition); }
  std::int64_t leo(const std::string& partition) { return storage_.log(partition).leo(); }
  // Partitions this broker leads.
  std::vector<std::string> led() const;

 private:
  // DelayedProduce: an acks=all request waiting until every partition's HW passes its batch.
  struct DelayedProduce {
    sim::Envelope reply_to;
    std::function<void(std::vector<ProducePartitionResponse>&)> done;  // set: an internal append, no reply
    std::vector<ProducePartitionResponse> partitions;  // in the request's order
    std::vector<std::int64_t> waiting_for;              // per partition: its batch's last offset, -1 when done
    sim::TimerId timer = 0;
    std::uint64_t id = 0;
  };
  struct ParkedFetch {
    sim::Envelope reply_to;
    FetchRequest request;
    sim::TimerId timer;
    std::uint64_t id;
  };

  void make_leader(Replica& r, const PartitionStateData& s);
  void make_follower(Replica& r, const PartitionStateData& s);
  void stop_leading(Replica& r, const std::string& error);
  void truncate(Replica& r, std::int64_t to, const char* reason);
  void set_follower_hw(Replica& r, std::int64_t leader_hw, bool wake_consumers = true);
  // Truncates where a DivergingEpoch answer says the logs part (the fetch itself, 2.8+).
  void truncate_to_divergence(Replica& r, std::int64_t epoch, std::int64_t end);

  // Leader side.
  std::vector<int> maximal_isr(const Replica& r) const;
  void maybe_advance_hw(Replica& r);
  bool isr_eligible(int follower) const;
  void update_follower(Replica& r, int follower, std::int64_t fetch_offset);
  void maybe_expand_isr(Replica& r, int follower);
  void shrink_isrs();
  void change_isr(Replica& r, std::vector<int> new_isr);
  void send_alter_partition(const std::string& name, std::int64_t epoch, std::int64_t partition_epoch,
                            std::vector<int> new_isr);
  // Settles what waits on `partition` (its HW moved, or it stopped being led: `error`); answers the
  // requests that have nothing left to wait for.
  void produce(const ProduceRequest& request, DelayedProduce d);
  void complete_delayed_produces(const std::string& partition, const std::string& error = "");
  void answer_delayed(DelayedProduce& d);
  // One batch of a Produce: appended (its base offset), a duplicate of one the log has, or refused.
  ProducePartitionResponse produce_batch(const ProduceRequest& request, const ProduceBatch& batch, std::int64_t& last_offset);
  // What a fetch of `p` gets. With `count_only`, records are counted into it, not copied: how a fetch
  // is checked, and how a long poll decides whether it can be answered yet.
  FetchedPartition read(Replica* r, const FetchPartition& p, const FetchRequest& request, std::int64_t* count_only = nullptr);
  // KIP-392 ReplicaManager.findPreferredReadReplica with RackAwareReplicaSelector: an ISR follower in the
  // consumer's rack that holds the fetch offset (the highest LEO first), or -1 for the leader itself.
  int preferred_read_replica(Replica& r, const FetchRequest& request, std::int64_t fetch_offset);
  bool answer_fetch(const sim::Envelope& reply_to, const FetchRequest& request, bool final);
  // Answers a fetch now if it has something to say, else parks it in the purgatory until data or max_wait.
  void answer_or_park(sim::Envelope reply_to, const FetchRequest& request);
  // The fetch answers waiting for this leader's own ISR write of the partition to return (below).
  void release_isr_waiters(const std::string& partition);
  void wake_parked_fetches(const std::string& partition);
  PartitionLog& log_of(Replica& r) {
    if (r.log == nullptr) r.log = &storage_.log(r.name);
    return *r.log;
  }

  // Follower side: one fetcher per leader broker.
  void kick_fetcher(int leader);
  void run_fetcher(int leader);
  void fetcher_backoff(int leader);
  void send_epoch_queries(int leader, const std::vector<Replica*>& partitions);
  void send_fetch(int leader, const std::vector<Replica*>& partitions);
  void on_fetch_response(int leader, const FetchResponse& resp, const SentEpochs& epochs);
  Replica* still_fetching(int leader, const SentEpochs& epochs, std::size_t i, const std::string& partition,
                          FetchState state);
  void on_epoch_answers(int leader, const OffsetsForLeaderEpochResponse& resp,
                        const SentEpochs& epochs);
  // KIP-279's getOffsetTruncationState: where to truncate given the leader's (epoch, end offset);
  // returns (offset, completed).
  std::pair<std::int64_t, bool> truncation_point(Replica& r, std::int64_t leader_epoch, std::int64_t end_offset);

  void schedule_every(Micros interval, std::function<void()> task);
  std::int64_t fencing_epoch(const Replica& r) const;
  // The design switches and configs the hot paths read, looked up once (spec/designs.md names).
  struct Settings {
    explicit Settings(const Scenario& scenario);
    std::string truncation;
    bool leader_epoch_fencing, hw_requires_min_isr, isr_join_requires_epoch_start, truncate_on_every_epoch_change,
        truncate_before_hw, alter_partition, isr_keeps_caught_up_follower,
        epoch_cache_on_election, fenced_partition_waits, isr_requires_live_broker, fetch_from_follower;
    bool rack_aware_selector, out_of_range_never_fatal, unclean_election;
    int min_insync;
    std::size_t record_bytes;
    Micros fetch_wait, fetch_backoff, socket_timeout, replica_lag;
  };

  Broker& broker_;
  BrokerStorage& storage_;
  const Settings settings_;
  std::map<std::string, Replica> replicas_;
  std::map<int, bool> fetcher_busy_;  // leader broker -> a request is out or a backoff is pending
  // Leader broker -> the replicas following it (pointers into replicas_, whose nodes never move); reset
  // by every leadership change and rebuilt when a fetcher next runs.
  std::optional<std::map<int, std::vector<Replica*>>> following_;
  std::vector<DelayedProduce> delayed_produces_;
  // replicas_ by name for lookups (never iterated; a std::map's elements never move). Every request
  // looks its partitions up, thousands per Fetch in the wide benchmark.
  std::unordered_map<std::string, Replica*> by_name_;
  Replica* find_replica(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  std::map<std::uint64_t, ParkedFetch> parked_fetches_;              // by id: arrival order
  // ZooKeeper mode before KIP-497: a fetch that lets its follower join the ISR is answered only once the
  // leader's conditional write of the partition state returns (Partition.updateIsr runs in the request
  // handler thread, before the response is sent). Partition -> those answers.
  std::map<std::string, std::vector<std::function<void()>>> isr_write_waiters_;
  std::unordered_map<std::string, std::set<std::uint64_t>> parked_by_partition_;  // the purgatory's watch keys (looked up, never iterated)
  ParkedFetch unpark(std::map<std::uint64_t, ParkedFetch>::iterator it);
  std::uint64_t next_delayed_id_ = 0;
  // Metadata cache.
  std::map<std::string, PartitionStateData> metadata_;
  std::function<void(const std::string&, bool)> on_leadership_;
};

}  // namespace kafkasim::models

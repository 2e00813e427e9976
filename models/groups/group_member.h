// A consumer in a group, as KafkaConsumer with its ConsumerCoordinator and Fetcher runs: it finds its
// group's coordinator, joins (JoinGroup; the leader assigns with RangeAssignor and SyncGroup stores it),
// heartbeats from a thread of its own, starts each assigned partition at the group's committed offset,
// and runs the application's loop: poll() up to max.poll.records, process each record (its processing
// time, then a write to the sink), commit by its policy (auto, after-process, before-process). A poll
// loop slower than max.poll.interval.ms makes the heartbeat thread leave the group; the batch still
// finishes, and its commit is refused. A retriable processing error (fail-processing) is handled by the
// consumer's retry pattern: at once in place (blocking the loop), by pausing the partition and polling on
// (pause-resume), or by producing the record to a retry topic; `workers:` hands each batch to a pool while
// the consumer polls on with its partitions paused.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/clients.h"
#include "models/groups/assignors.h"
#include "models/groups/processing_faults.h"
#include "models/log.h"
#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::models::groups {

class GroupMember : public sim::Node {
 public:
  GroupMember(sim::World& world, int node, const ConsumerSpec& spec, ProcessingFaults& faults);
  void on_start() override;
  void on_message(const sim::Envelope&) override {}
  // The partitions it owns in its current generation, with the next offset poll() returns from each.
  const std::map<std::string, std::int64_t>& positions() const { return positions_; }
  // In a generation, every owned partition's position known, no batch being processed or committed.
  bool idle() const { return generation_ >= 0 && !rejoin_needed_ && !busy_ && positions_known_; }

 private:
  using Offsets = std::map<std::string, std::int64_t>;
  // The application thread.
  void poll();
  void wait_and_poll(Micros delay);
  using Item = std::pair<std::string, Record>;  // (partition, record)
  void process_batch(std::vector<Item> batch);
  // Starts records of the batch while a thread is free (one without workers:); ends the batch when all are done.
  void dispatch();
  void attempt(Item item);
  void write_to_sink(Item item);
  // A record's processing ended (done, handed on or given up): its thread takes the next.
  void finished();
  // A retriable processing error, handled by the retry pattern.
  void processing_failed(Item item);
  void pause_partition(const std::string& partition, std::int64_t offset);
  void produce_to_retry_topic(Item item);
  void batch_done();
  // commitSync (retried until default.api.timeout.ms) or commitAsync; `done(ok)` after the last answer.
  void commit(Offsets offsets, bool sync, std::function<void(bool)> done, Micros deadline = -1);
  // The coordinator: FindCoordinator to the least loaded broker.
  void find_coordinator();
  void coordinator_unknown();
  // A rebalance: onJoinPrepare (auto-commit, revoke everything), JoinGroup, SyncGroup.
  void join_group();
  void send_join();
  void sync_group(const std::string& leader, const std::map<std::string, Subscription>& members);
  void assigned(const std::vector<std::string>& partitions);
  void fetch_committed();
  // Each owned partition starts at its stored offset (committed in the group, or in a transactional sink).
  void start_at(const std::map<std::string, std::int64_t>& offsets, const char* reason);
  void reset_generation(bool forget_member);
  // The heartbeat thread: heartbeats, and the poll timeout (max.poll.interval.ms).
  void heartbeat_tick();
  // The Fetcher: one Fetch per leader for the owned partitions with nothing buffered.
  void send_fetches();

  const ConsumerSpec& spec_;
  ProcessingFaults& faults_;
  std::string pipeline_;  // whose fail-processing errors apply: this consumer, or the one it retries for
  MetadataView metadata_;
  const SinkSpec* sink_ = nullptr;
  int sink_node_ = -1;
  int partitions_ = 0;  // of its topic
  Micros session_timeout_, heartbeat_interval_, max_poll_interval_, auto_commit_interval_, request_timeout_,
      retry_backoff_, fetch_wait_, api_timeout_;
  std::size_t max_poll_records_;
  bool fencing_ = false, reset_latest_ = false;
  bool cooperative_ = false;  // partition.assignment.strategy = cooperative-sticky: the incremental protocol (KIP-429)
  std::optional<std::vector<std::string>> pending_assignment_;  // cooperative: received mid-batch, applied in poll()

  int coordinator_ = -1;  // broker id
  bool finding_ = false;
  std::string member_id_;
  std::int32_t generation_ = -1;
  bool rejoin_needed_ = true, joining_ = false;
  bool heartbeat_in_flight_ = false;
  Micros last_poll_ = 0, next_auto_commit_ = 0;

  std::map<std::string, std::int64_t> positions_;  // owned partitions: next offset poll() returns
  bool positions_known_ = false, fetching_committed_ = false;
  std::set<std::string> awaiting_latest_;             // auto.offset.reset=latest: the next Fetch's HW
  std::map<std::string, std::deque<Record>> buffer_;  // fetched, not yet returned by poll()
  std::set<int> fetch_in_flight_;                     // leader brokers
  std::map<std::string, std::int64_t> last_read_;     // partition -> the next offset after the last record read
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> attempts_;
  bool busy_ = false;          // a batch is being processed (or committed before processing)
  // The batch being processed.
  struct BatchRun {
    std::deque<Item> pending;          // not started yet
    int in_flight = 0;                 // records being processed (at most workers:, or 1)
    bool aborted = false;              // fenced by the sink: the rest is dropped
    std::set<std::string> seeked;      // partitions sent back by a pause: their later records are fetched again
    std::map<std::string, std::int64_t> ends;  // per partition, the offset after the batch's (or the failed) record
  } run_;
  std::map<std::pair<std::string, std::int64_t>, int> failures_;  // failed attempts per record
  std::map<std::string, Micros> paused_until_;                    // pause-resume: paused partitions
  std::unique_ptr<MetadataView> retry_metadata_;                  // retry-topic: the retry topic's leaders
  int retry_partitions_ = 0;
  std::int32_t batch_generation_ = -1;
  bool poll_scheduled_ = false;
  Micros poll_at_ = 0;
  sim::TimerId poll_timer_ = 0;
};

}  // namespace kafkasim::models::groups

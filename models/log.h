// A replica's durable log: records stamped with the leader epoch that appended them, the leader epoch
// cache (epoch -> start offset, KIP-101), and the broker's storage of every log plus the HW checkpoint.
// A process crash keeps all of it (the OS page cache survives); a power loss drops the records the OS
// had not written back (older than `sim.os.flush.interval.ms`). Checkpoint files are fsynced when
// written, as Kafka's CheckpointFile does, so they survive both.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/kraft/metadata.h"
#include "sim/node.h"

namespace kafkasim::sim {
class World;
}

namespace kafkasim::models {

struct Record {
  std::int64_t offset = 0;
  std::int64_t leader_epoch = 0;
  std::string value;
  std::string producer;
  // An idempotent producer's batch header: its producer id and epoch, and this record's sequence number
  // (the batch's base sequence plus its place in the batch); -1 for a producer without idempotence.
  std::int64_t producer_id = -1;
  std::int32_t producer_epoch = -1;
  std::int32_t sequence = -1;
};

// The broker's producer state for one producer id (ProducerStateManager), as the log holds it: what a
// retry is checked against. Rebuilt from the log itself, so it moves with truncation and replication.
struct ProducerEntry {
  std::int32_t epoch;
  std::int32_t sequence;
  std::int64_t offset;
};

constexpr std::int64_t kUndefinedEpoch = -1;
constexpr std::int64_t kUndefinedOffset = -1;

class PartitionLog {
 public:
  std::int64_t leo() const { return static_cast<std::int64_t>(records_.size()); }  // log start is always 0
  const std::vector<Record>& records() const { return records_; }
  const Record& at(std::int64_t offset) const { return records_.at(static_cast<std::size_t>(offset)); }
  // Appends at the LEO; a record of a newer epoch starts that epoch in the cache.
  void append(Record r, Micros now);
  // Removes every record at or above `offset` (and the cache's entries that start there).
  void truncate_to(std::int64_t offset);

  // The leader epoch cache.
  const std::vector<std::pair<std::int64_t, std::int64_t>>& epochs() const { return epochs_; }
  std::int64_t latest_epoch() const { return epochs_.empty() ? kUndefinedEpoch : epochs_.back().first; }
  void assign_epoch(std::int64_t epoch, std::int64_t start_offset);
  // KIP-279 (LeaderEpochFileCache.endOffsetFor): (largest epoch <= asked, its end offset), or undefined.
  // An epoch older than the cache's first entry: before KAFKA-7415 (2.1) undefined; since, (that epoch,
  // the first entry's start offset).
  std::pair<std::int64_t, std::int64_t> end_offset_for(std::int64_t epoch, bool below_head_undefined = false) const;
  // KIP-101 (0.11): the LEO when `epoch` is the latest, else the start of the first later epoch, and
  // undefined for an epoch older than the first entry.
  std::int64_t end_offset_for_kip101(std::int64_t epoch) const;

  // fsync: every record is on disk now, whatever the OS's write-back would have done.
  void flush() { flushed_ = leo(); }
  std::int64_t flushed() const { return flushed_; }
  // Power loss: keep only what the OS wrote back by `cutoff` (and what was flushed); returns how many
  // records were lost.
  std::int64_t drop_unwritten(Micros cutoff);

  // The offset of producer `pid`'s record (epoch, sequence), or -1: how a retried batch the log already
  // has is recognised (by its sequence numbers, as Kafka does, never by its values).
  std::int64_t offset_of(std::int64_t pid, std::int32_t epoch, std::int32_t sequence) const;
  // The last record of producer `pid` in the log, if any.
  const ProducerEntry* last_of(std::int64_t pid) const;

 private:
  std::vector<Record> records_;
  std::vector<Micros> appended_at_;  // local append time of each record: what OS write-back depends on
  std::int64_t flushed_ = 0;         // records below this offset were fsynced
  std::vector<std::pair<std::int64_t, std::int64_t>> epochs_;
  // producer id -> its records in offset order ((epoch, sequence) ascending too); looked up, never iterated.
  std::unordered_map<std::int64_t, std::vector<ProducerEntry>> producers_;
};

// Everything a broker keeps on disk.
class BrokerStorage : public sim::DurableState {
 public:
  BrokerStorage(sim::World& world, int broker_id, Micros os_flush_interval);
  PartitionLog& log(const std::string& partition) { return logs_[partition]; }
  const std::map<std::string, PartitionLog>& logs() const { return logs_; }
  std::map<std::string, std::int64_t> hw_checkpoint;  // replication-offset-checkpoint
  kraft::MetadataStorage metadata;                     // KRaft: the metadata log, quorum-state, clean shutdown
  std::int64_t lose_unwritten(Micros now) override;

 private:
  sim::World& world_;
  int broker_id_;
  Micros os_flush_interval_;
  std::map<std::string, PartitionLog> logs_;
};

}  // namespace kafkasim::models

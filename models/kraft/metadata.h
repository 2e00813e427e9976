// KRaft's metadata: the records of the __cluster_metadata log (KIP-631: RegisterBroker, broker fencing
// and unfencing, Topic, Partition, PartitionChange, and the quorum's LeaderChange control record), the
// log itself as a replica holds it, and the image a controller or broker builds by replaying committed
// records in order (Kafka's MetadataImage: brokers and their registrations, partitions with leader, ISR,
// ELR and epochs).
#pragma once

#include <cstdint>
#include <map>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace kafkasim::models::kraft {

enum class RecordType {
  LeaderChange,              // control record written by a new quorum leader (LeaderChangeMessage)
  RegisterBroker,            // RegisterBrokerRecord: broker id, broker epoch (= this record's offset), fenced
  FenceBroker,               // BrokerRegistrationChangeRecord fenced=1 (FenceBrokerRecord before 3.3)
  UnfenceBroker,             // BrokerRegistrationChangeRecord fenced=0
  BrokerControlledShutdown,  // BrokerRegistrationChangeRecord inControlledShutdown=1
  Topic,                     // TopicRecord
  Partition,                 // PartitionRecord: the partition's first state
  PartitionChange,           // PartitionChangeRecord: leader, ISR, ELR as they are after the change
};
const char* record_type_name(RecordType type);

// One record. Partition records carry the partition's whole state after the change (Kafka's
// PartitionChangeRecord carries only the fields that changed; replaying either gives the same image).
struct MetadataRecord {
  RecordType type = RecordType::LeaderChange;
  std::int64_t epoch = 0;  // the quorum epoch of the leader that appended it (the batch's epoch)
  int node = -1;           // LeaderChange: the new quorum leader's node index
  int broker = -1;
  std::int64_t broker_epoch = -1;       // RegisterBroker: set when appended, to the record's offset
  std::string incarnation;              // RegisterBroker: the process's incarnation id
  std::string partition;                // Topic: the topic; Partition/PartitionChange: "t-0"
  std::vector<int> replicas, isr, elr, last_known_elr;
  int leader = -1;
  std::int64_t leader_epoch = 0;
  std::int32_t partition_epoch = 0;
  bool clean = true;    // PartitionChange: the leader was elected from the ISR or ELR
  std::string reason;   // why the controller wrote it (for the history), not replayed

  // A canonical text of what the record says (the history's `detail`): two replicas agree on a record
  // when their texts are equal.
  std::string detail() const;
};

// A replica's copy of the metadata log. Voters flush it on every append (KafkaRaftClient flushes before
// a voter's next Fetch and before the leader counts its own end offset), so what a voter appended
// survives a power loss; an observer (a broker) does not flush (`appendAsFollower` flushes only on
// voters), so its unwritten tail is lost with the OS's page cache.
class MetadataLog {
 public:
  std::int64_t end_offset() const { return static_cast<std::int64_t>(records_.size()); }
  const MetadataRecord& at(std::int64_t offset) const { return records_.at(static_cast<std::size_t>(offset)); }
  const std::vector<MetadataRecord>& records() const { return records_; }
  std::int64_t last_epoch() const { return records_.empty() ? 0 : records_.back().epoch; }
  void append(MetadataRecord r, std::int64_t now_us) {
    records_.push_back(std::move(r));
    appended_at_us_.push_back(now_us);
  }
  void flush() { flushed_ = end_offset(); }
  void truncate_to(std::int64_t offset) {
    if (offset >= end_offset()) return;
    records_.resize(static_cast<std::size_t>(offset));
    appended_at_us_.resize(static_cast<std::size_t>(offset));
    flushed_ = std::min(flushed_, offset);
  }
  // Power loss: keep what was flushed and what the OS wrote back by `cutoff_us`; returns how many went.
  std::int64_t drop_unwritten(std::int64_t cutoff_us) {
    std::size_t keep = static_cast<std::size_t>(flushed_);
    while (keep < appended_at_us_.size() && appended_at_us_[keep] <= cutoff_us) ++keep;
    const auto lost = static_cast<std::int64_t>(records_.size() - keep);
    truncate_to(static_cast<std::int64_t>(keep));
    return lost;
  }
  // ReplicatedLog.endOffsetForEpoch: (the largest epoch <= `epoch` in the log, the offset where it ends).
  std::pair<std::int64_t, std::int64_t> end_offset_for_epoch(std::int64_t epoch) const;

 private:
  std::vector<MetadataRecord> records_;
  std::vector<std::int64_t> appended_at_us_;  // when each record was appended (what OS write-back depends on)
  std::int64_t flushed_ = 0;                   // records below this offset were fsynced
};

// The quorum-state file: durable, written (fsynced) on every change of epoch or vote.
struct QuorumStore {
  std::int64_t epoch = 0;
  int voted_for = -1;
};

// What a KRaft node keeps on disk for the control plane: its copy of the metadata log, the quorum-state
// file, and (a broker) the broker epoch its last clean shutdown wrote (KIP-966; -1: none, the last stop
// was not clean).
struct MetadataStorage {
  MetadataLog log;
  QuorumStore quorum;
  std::int64_t clean_shutdown_epoch = -1;
};

struct BrokerRegistration {
  std::int64_t broker_epoch = -1;
  std::string incarnation;
  bool fenced = true;
  bool in_controlled_shutdown = false;
};

struct PartitionImage {
  std::vector<int> replicas, isr, elr, last_known_elr;
  int leader = -1;
  std::int64_t leader_epoch = 0;
  std::int32_t partition_epoch = 0;
};

// The state that replaying records gives.
struct MetadataImage {
  std::map<int, BrokerRegistration> brokers;
  std::map<std::string, PartitionImage> partitions;
  std::vector<std::string> topics;
  std::int64_t applied = 0;  // records replayed: the next offset to apply

  void apply(const MetadataRecord& r);
  bool active(int broker) const;  // registered, unfenced, not shutting down (ClusterControlManager.isActive)
  bool unfenced(int broker) const;
};

}  // namespace kafkasim::models::kraft

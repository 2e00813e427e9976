// A KRaft controller node (process.roles=controller): a voter of the metadata quorum, and the active
// controller while it is the quorum leader (QuorumController). It replays committed records into its
// image; while active it also applies the records it writes at once and answers a request only once its
// records are committed. ClusterControlManager + BrokerHeartbeatManager: registrations, heartbeats,
// fencing after broker.session.timeout.ms, unfencing once caught up, controlled shutdown.
// ReplicationControlManager + PartitionChangeBuilder: topics, AlterPartition (partition and broker
// epochs, KIP-841 and KIP-903 eligibility), elections (ISR, then ELR, then unclean), ELR (KIP-966).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/control_requests.h"
#include "models/kraft/broker_messages.h"
#include "models/kraft/metadata.h"
#include "models/kraft/raft_client.h"
#include "models/partition_state.h"
#include "sim/node.h"

namespace kafkasim::models::kraft {

struct ControllerStorage : sim::DurableState {
  MetadataStorage metadata;
  // A voter flushed every record it appended and every quorum-state change: a power loss takes nothing.
  std::int64_t lose_unwritten(Micros now) override { return metadata.log.drop_unwritten(now); }
};

class QuorumController : public sim::Node, private RaftClient::Listener {
 public:
  // `recorded_through`: the run's count of committed records whose consequences the history has told
  // (harness state shared by every controller node, so that a new leader replaying old records does
  // not tell them again).
  QuorumController(sim::World& world, int node, ControllerStorage& storage, const PartitionCatalog& catalog,
                   std::int64_t& recorded_through);
  void on_start() override;
  void on_message(const sim::Envelope& envelope) override;

  const RaftClient& raft() const { return raft_; }
  bool active() const { return active_; }
  // The image of committed records (what a broker may know).
  const MetadataImage& committed() const { return committed_; }
  // Admin: elect the preferred replica of `partition` if it is in the ISR and active.
  void elect_preferred(const std::string& partition);

 private:
  void on_commit(std::int64_t offset, const MetadataRecord& record) override;
  void on_quorum_change() override;
  void activate();
  void renounce();
  // Appends records (applied to the live image at once) and calls `done` once they are committed, or
  // with false when this controller stops being active first.
  void write(std::vector<MetadataRecord> records, std::function<void(bool)> done);
  void wait_for_commit(std::int64_t offset, std::function<void(bool)> done);
  void record_committed(const MetadataRecord& record);

  void on_registration(const sim::Envelope& e, const BrokerRegistrationRequest& r);
  void on_heartbeat(const sim::Envelope& e, const BrokerHeartbeatRequest& r);
  void on_alter_partition(const sim::Envelope& e, const AlterPartitionRequest& r);
  void fence_stale_brokers();
  void schedule_fence_check(Micros at);
  bool topics_created() const;
  bool leads(int broker) const;
  std::vector<MetadataRecord> fence_records(int broker, const char* reason) const;
  void maybe_create_topics();

  // PartitionChangeBuilder: the partition after removing/adding a broker, with the leader elected and the
  // ELR kept; nullopt when nothing changes.
  struct Change {
    int remove = -1;          // fenced or shutting down: out of the ISR, not leader
    int unclean_restart = -1; // KIP-966: out of ISR and ELR
    bool elect = false;       // elect a leader if the current one is not acceptable
    std::optional<std::vector<int>> isr;  // AlterPartition's ISR
    int preferred = -1;       // a preferred-leader election
  };
  std::optional<MetadataRecord> partition_change(const std::string& name, const Change& change, const char* reason) const;
  int min_insync(const std::string& partition) const;
  std::vector<MetadataRecord> changes_for_broker(int broker, const Change& base, const char* reason) const;

  ControllerStorage& storage_;
  std::int64_t& recorded_through_;
  const PartitionCatalog& catalog_;
  RaftClient raft_;
  MetadataImage committed_;  // replayed through the HW
  MetadataImage live_;       // active: committed plus this controller's own uncommitted records
  bool active_ = false;
  std::int64_t active_epoch_ = 0;  // the quorum epoch this controller became active in
  std::uint64_t activation_ = 0;  // bumped by every activation and renouncement
  std::multimap<std::int64_t, std::function<void(bool)>> waiting_;  // offset -> completion
  std::map<int, Micros> last_contact_;  // BrokerHeartbeatManager: unfenced brokers' last heartbeat
  std::map<int, std::int64_t> shutdown_offset_;  // brokers in controlled shutdown -> offset of that record
  std::map<int, std::int64_t> metadata_offset_;  // broker -> the metadata offset its last heartbeat carried
  Micros activated_at_ = 0;
  Micros session_timeout_;
  bool elr_, broker_epoch_check_, unclean_;
};

}  // namespace kafkasim::models::kraft

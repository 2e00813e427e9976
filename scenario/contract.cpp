// The spec's vocabulary as tables: ../shared/spec/{properties,cli,scenario-format}.md.
#include "scenario/contract.h"

#include <algorithm>
#include <stdexcept>

namespace kafkasim {

const std::vector<PropertyInfo>& all_properties() {
  static const std::vector<PropertyInfo> table = {
      {"single-leader-per-epoch", PropertyKind::SafetyPerEvent,
       "no two brokers ever act as leader of the same partition with the same leader epoch"},
      {"leader-in-isr", PropertyKind::SafetyPerEvent,
       "a published partition state always lists its leader in its ISR (leader -1 excepted)"},
      {"hw-within-isr", PropertyKind::SafetyPerEvent,
       "a leader's HW is never above the LEO of any member of its (maximal) ISR"},
      {"hw-monotonic", PropertyKind::SafetyPerEvent, "one leader, during one leader epoch, never lowers its HW"},
      {"epoch-monotonic", PropertyKind::SafetyPerEvent,
       "no broker ever moves to a lower leader epoch for a partition, or a lower controller epoch"},
      {"stale-controller-obeyed", PropertyKind::SafetyPerEvent,
       "no broker applies a control request from a controller epoch ZooKeeper had already moved past"},
      {"quorum-single-leader-per-epoch", PropertyKind::SafetyPerEvent,
       "KRaft: no two controller nodes act as quorum leader in the same epoch"},
      {"metadata-committed-lost", PropertyKind::SafetyPerEvent,
       "KRaft: a committed metadata record is never removed or replaced, and brokers apply them in log order"},
      {"committed-record-changed", PropertyKind::SafetyPerEvent,
       "a record below a leader's HW is held, unchanged, by every later leader"},
      {"acked-write-lost", PropertyKind::SafetyEndOfRun,
       "every acks=all acknowledged record is in the final log at its acknowledged offset"},
      {"log-divergence", PropertyKind::SafetyEndOfRun,
       "all replicas hold identical records up to the smaller LEO; live replicas equal the leader"},
      {"phantom-read", PropertyKind::SafetyEndOfRun,
       "every record a consumer read is in the final log at that offset with that value"},
      {"consumer-order", PropertyKind::SafetyEndOfRun,
       "each consumer reads each partition's offsets in increasing order without gaps"},
      {"producer-order", PropertyKind::SafetyEndOfRun,
       "an idempotent producer's acknowledged records appear in its send order, per partition"},
      {"unavailable-after-heal", PropertyKind::Liveness,
       "the cluster converges within `settle` after the faults are healed"},
      // spec/consumer-groups.md
      {"record-not-processed", PropertyKind::SafetyEndOfRun,
       "every record in the final log of a partition the group consumes, below the HW, up to the group's committed "
       "offset at the end, was processed into the sink (or, without a sink, delivered to a member)"},
      {"duplicate-processing", PropertyKind::SafetyEndOfRun,
       "no record is applied to the sink twice; counted in `stats.duplicates` always, a violation only for consumers "
       "that declare `delivery: exactly-once`"},
      {"offset-commit-regressed", PropertyKind::SafetyPerEvent,
       "a group's committed offset for a partition never moves backwards, unless the scenario seeks"},
      {"commit-beyond-processed", PropertyKind::SafetyPerEvent,
       "a group never commits an offset past a record it has not processed (for `after-process`)"},
      {"zombie-sink-write", PropertyKind::SafetyPerEvent,
       "no consumer writes to a fencing sink (transactional) for a partition after a newer generation assigned it "
       "elsewhere"},
  };
  return table;
}

bool is_property(std::string_view name) {
  const auto& t = all_properties();
  return std::any_of(t.begin(), t.end(), [&](const PropertyInfo& p) { return p.name == name; });
}

const std::vector<HistoryEventInfo>& all_history_events() {
  static const std::vector<HistoryEventInfo> table = {
      {"broker-started", {"broker", "incarnation"}},
      {"broker-crashed", {"broker", "kind", "lost_records"}},
      {"broker-paused", {"broker"}},
      {"broker-resumed", {"broker"}},
      {"broker-shutdown", {"broker"}},  // added: a controlled shutdown finished and the process stopped
      {"broker-exited", {"broker", "reason"}},  // added: the process ended itself (NODE_EXISTS at start-up,
                                                 // LOG_TRUNCATION_NOT_ALLOWED before KAFKA-7414)
      {"zk-session-created", {"broker", "session"}},
      {"zk-session-expired", {"broker", "session"}},
      {"broker-registered", {"broker", "broker_epoch", "controller"}},
      {"controller-elected", {"broker", "node", "controller_epoch"}},
      {"controller-resigned", {"broker", "node", "controller_epoch"}},
      // KRaft (spec/cli.md), and added: a controller node's process events, the quorum's check-quorum.
      {"quorum-state", {"node", "state", "epoch", "leader"}},
      {"metadata-committed", {"node", "offset", "epoch", "record", "detail"}},
      {"metadata-truncated", {"node", "from_offset", "to_offset"}},
      {"broker-fenced", {"broker", "broker_epoch", "reason"}},
      {"broker-unfenced", {"broker", "broker_epoch"}},
      {"elr-changed", {"partition", "elr", "last_known_elr", "leader_epoch"}},
      {"quorum-check-failed", {"node", "epoch", "fetched"}},
      {"node-started", {"node", "incarnation"}},
      {"node-crashed", {"node", "kind", "lost_records"}},
      {"node-paused", {"node"}},
      {"node-resumed", {"node"}},
      {"node-stopped", {"node", "reason"}},
      {"leader-elected", {"partition", "leader", "leader_epoch", "isr", "clean", "controller_epoch"}},
      {"isr-changed", {"partition", "isr", "leader_epoch", "by", "leader"}},
      {"became-leader", {"broker", "partition", "leader", "leader_epoch", "isr", "leo", "hw"}},
      {"became-follower", {"broker", "partition", "leader", "leader_epoch", "leo", "hw"}},
      {"truncated", {"broker", "partition", "from_offset", "to_offset", "reason"}},
      {"appended", {"broker", "partition", "offset", "leader_epoch", "value"}},
      {"hw-advanced", {"broker", "partition", "hw"}},
      // added: a follower took a leader's HW lower than its own (a new leader that knew less)
      {"hw-lowered", {"broker", "partition", "hw"}},
      {"produce-sent", {"producer", "partition", "value", "acks"}},
      // added: a consumer moved its position other than by reading (truncation-detected: KIP-320's check
      // after a leader change; offset-out-of-range: auto.offset.reset)
      {"consumer-position-reset", {"consumer", "partition", "from_offset", "to_offset", "reason"}},
      {"produce-acked", {"producer", "partition", "value", "offset", "acks"}},
      {"produce-failed", {"producer", "partition", "value", "error", "acks"}},
      {"consumed", {"consumer", "partition", "offset", "value"}},
      // spec/consumer-groups.md (fields after the spec's own are additions: docs/spec-additions.md)
      {"group-rebalance", {"group", "generation", "members", "assignment", "reason", "coordinator"}},
      {"offset-committed", {"group", "consumer", "partition", "offset", "generation"}},
      {"offset-commit-failed", {"group", "consumer", "partition", "offset", "error"}},
      {"processed", {"consumer", "partition", "offset", "value", "attempt", "group"}},
      {"sink-write", {"sink", "consumer", "partition", "offset", "value", "key", "applied"}},
      {"consumer-evicted", {"group", "consumer", "reason"}},
      // added: a member sends JoinGroup (the partitions it still owns: cooperative-sticky only)
      {"group-joining", {"group", "consumer", "owned", "generation"}},
      {"sink-write-fenced", {"sink", "consumer", "partition", "offset", "generation", "owner_generation"}},
      // added: the retry patterns (a fail-processing error, what the consumer did with it)
      {"processing-failed", {"consumer", "group", "partition", "offset", "value", "attempt", "handling"}},
      {"retry-produced", {"consumer", "group", "partition", "offset", "value", "to_partition", "to_offset"}},
      {"partition-paused", {"consumer", "partition", "offset"}},
      {"partition-resumed", {"consumer", "partition"}},
      {"request-rejected", {"broker", "request", "from", "reason", "controller_epoch", "partition", "producer"}},
      // added: a broker applied a control request (what stale-controller-obeyed and epoch-monotonic read)
      // added: a controller's ZooKeeper write succeeded (the write half of stale-controller-obeyed)
      {"controller-zk-write", {"broker", "controller_epoch", "path"}},
      {"control-applied", {"broker", "request", "from", "controller_epoch", "sent"}},
      {"fault", {"action", "target", "noop", "undo", "for", "detail", "from", "to", "type", "probability", "by",
                 "groups", "partition", "producer", "value", "count", "consumer", "times"}},
      {"violation", {"property", "partition", "brokers", "detail"}},
      {"phase", {"name", "converged"}},
      // added: the transport's messages, recorded when messages are (run --report, or a trigger on one)
      {"message-sent", {"from", "to", "type", "msg", "reply_to", "summary"}},
      {"message-received", {"from", "to", "type", "msg"}},
      {"message-lost", {"from", "to", "type", "msg", "reason"}},
  };
  return table;
}

const HistoryEventInfo* find_history_event(std::string_view name) {
  for (const auto& e : all_history_events())
    if (e.name == name) return &e;
  return nullptr;
}

const std::vector<std::string_view>& all_error_names() {
  static const std::vector<std::string_view> table = {
      "FENCED_LEADER_EPOCH", "INVALID_UPDATE_VERSION", "NETWORK_EXCEPTION", "NOT_CONTROLLER",
      "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "NOT_LEADER_OR_FOLLOWER", "OFFSET_OUT_OF_RANGE",
      "REQUEST_TIMED_OUT", "STALE_BROKER_EPOCH", "STALE_CONTROLLER_EPOCH", "TIMEOUT", "UNKNOWN",
      "OUT_OF_ORDER_SEQUENCE_NUMBER", "DUPLICATE_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH",
      "UNKNOWN_LEADER_EPOCH", "UNKNOWN_TOPIC_OR_PARTITION", "INELIGIBLE_REPLICA", "DUPLICATE_BROKER_REGISTRATION",
      "INVALID_REQUEST", "INCONSISTENT_VOTER_SET",
      // Consumer groups (the coordinator's answers and the member's CommitFailedException causes).
      "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS", "ILLEGAL_GENERATION",
      "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS", "INVALID_SESSION_TIMEOUT"};
  return table;
}

FieldRule field_rule(std::string_view event, std::string_view field) {
  using K = FieldKind;
  auto one_of = [](std::vector<std::string_view> values) { return FieldRule{K::OneOf, std::move(values), 0}; };
  auto count = [](std::int64_t min) { return FieldRule{K::Count, {}, min}; };
  if (event == "fault") {
    if (field == "from" || field == "to") return {K::Node, {}, 0};
    if (field == "action") {
      std::vector<std::string_view> names;
      for (const auto& a : all_actions()) names.push_back(a.name);
      return one_of(names);
    }
    if (field == "for" || field == "by") return {K::Seconds, {}, 0};
    if (field == "probability") return {K::Probability, {}, 0};
    if (field == "type") return one_of(all_message_types());
    if (field == "count") return count(1);
  }
  if (event.starts_with("message-")) {
    if (field == "from" || field == "to") return {K::Node, {}, 0};
    if (field == "type") return one_of(all_message_types());
    if (field == "msg" || field == "reply_to") return count(1);
    if (field == "reason") return one_of({"refused", "no-power", "timed-out", "reset", "connection-reset", "queue-full"});
  }
  if (field == "broker") return {K::BrokerId, {}, 0};
  if (field == "from") return {K::BrokerId, {}, 0};  // request-rejected, control-applied: a broker id
  if (field == "leader") return {K::LeaderId, {}, 0};
  if (field == "partition") return {K::Partition, {}, 0};
  if (field == "producer") return {K::Producer, {}, 0};
  if (field == "consumer") return {K::Consumer, {}, 0};
  if (field == "isr") return {K::BrokerIds, {}, 0};
  if (field == "clean" || field == "noop" || field == "undo" || field == "converged") return {K::Bool, {}, 0};
  if (field == "incarnation") return count(1);
  if (field == "leader_epoch" || field == "controller_epoch" || field == "broker_epoch" || field == "session" ||
      field == "offset" || field == "from_offset" || field == "to_offset" || field == "hw" || field == "leo" ||
      field == "lost_records" || field == "count")
    return count(0);
  if (field == "kind") return one_of({"crash", "power-loss"});
  if (field == "acks") return one_of({"0", "1", "all"});
  if (field == "by") return one_of({"leader", "controller"});
  if (field == "request") return one_of(all_message_types());
  if (field == "name") return one_of({"fault", "settle", "done"});
  if (field == "property") {
    std::vector<std::string_view> names;
    for (const auto& p : all_properties()) names.push_back(p.name);
    return one_of(names);
  }
  if (field == "reason" && event == "consumer-evicted") return one_of({"session-timeout", "max-poll-interval", "rebalance-timeout"});
  if (field == "reason" && (event == "group-rebalance" || event == "consumer-position-reset")) return {K::Text, {}, 0};
  if (field == "applied") return one_of({"new", "duplicate", "overwrite"});
  if (field == "handling") return one_of({"retry-in-place", "pause", "retry-topic", "give-up"});
  if (field == "to_partition") return {K::Partition, {}, 0};
  if (field == "times") return count(1);
  if (field == "generation" || field == "attempt") return count(0);
  if (field == "reason" && event == "broker-fenced") return one_of({"heartbeat-timeout", "controlled-shutdown", "unclean-restart"});
  if (field == "reason" && event == "broker-exited") return one_of({"NODE_EXISTS", "LOG_TRUNCATION_NOT_ALLOWED"});
  if (field == "reason" && event == "truncated")
    return one_of({"high-watermark", "leader-epoch", "diverging-epoch", "out-of-range", "power-loss"});
  if (field == "reason" || field == "error") return one_of(all_error_names());
  if (field == "sent") return {K::Seconds, {}, 0};
  return {K::Text, {}, 0};
}

std::string never_fires(std::string_view event) {
  if (event == "violation") return "violations are recorded after the run, when every trigger is done";
  return "";
}

const std::vector<std::string_view>& all_message_types() {
  static const std::vector<std::string_view> table = {
      "LeaderAndIsr", "UpdateMetadata", "StopReplica", "Metadata", "Produce", "Fetch",
      "OffsetsForLeaderEpoch", "AlterPartition", "ControlledShutdown", "InitProducerId",
      "ZkRequest", "ZkResponse", "ZkWatch", "ZkPing",
      // KRaft: the quorum's RPCs (Fetch is the quorum's too) and the brokers' requests to the controller.
      "Vote", "BeginQuorumEpoch", "EndQuorumEpoch", "BrokerRegistration", "BrokerHeartbeat",
      // Consumer groups, and a consumer's write to its sink.
      "FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch", "SinkWrite", "SinkOffsets"};
  return table;
}

bool is_message_type(std::string_view name) {
  const auto& t = all_message_types();
  return std::find(t.begin(), t.end(), name) != t.end();
}

const std::vector<std::string_view>& all_fault_kinds() {
  static const std::vector<std::string_view> table = {
      "crash", "power-loss", "pause", "partition", "isolate", "cut", "drop", "delay",
      "expire-session", "shutdown", "elect-preferred-leader"};
  return table;
}

const std::vector<ActionInfo>& all_actions() {
  static const std::vector<ActionInfo> table = {
      {ActionKind::Crash, "crash", true},
      {ActionKind::PowerLoss, "power-loss", true},
      {ActionKind::Restart, "restart", false},
      {ActionKind::Pause, "pause", true},
      {ActionKind::Resume, "resume", false},
      {ActionKind::Partition, "partition", true},
      {ActionKind::Isolate, "isolate", true},
      {ActionKind::Cut, "cut", true},
      {ActionKind::Drop, "drop", true},
      {ActionKind::Delay, "delay", true},
      {ActionKind::Heal, "heal", false},
      {ActionKind::ExpireSession, "expire-session", false},
      {ActionKind::Shutdown, "shutdown", true},
      {ActionKind::ElectPreferredLeader, "elect-preferred-leader", false},
      {ActionKind::Produce, "produce", false},
      {ActionKind::FailProcessing, "fail-processing", false},
  };
  return table;
}

const ActionInfo& action_info(ActionKind kind) {
  for (const auto& a : all_actions())
    if (a.kind == kind) return a;
  throw std::logic_error("action kind missing from the table");
}

std::optional<ActionKind> find_action(std::string_view name) {
  for (const auto& a : all_actions())
    if (a.name == name) return a.kind;
  return std::nullopt;
}

}  // namespace kafkasim

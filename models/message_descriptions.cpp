// What each message says, in a few words ("t-0: where does leader epoch 0 end?"), for the message
// diagram of a report and the narrative: the fields the protocol decides on, never every field.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "models/control_requests.h"
#include "models/kafka_protocol.h"
#include "models/kraft/broker_messages.h"
#include "models/kraft/raft_messages.h"
#include "models/zookeeper/protocol.h"

namespace kafkasim::models {

namespace {
std::string leader_isr(const PartitionStateData& p) {
  return fmt::format("{} leader {} epoch {} isr [{}]", p.partition, p.state.leader, p.state.leader_epoch,
                     fmt::join(p.state.isr, ","));
}
std::string or_ok(const std::string& error) { return error.empty() ? "ok" : error; }
}  // namespace

std::string MetadataRequest::describe() const { return fmt::format("who leads {}?", topic.empty() ? "every topic" : topic); }

std::string MetadataResponse::describe() const {
  std::vector<std::string> parts;
  for (const auto& [partition, leader] : leaders) {
    const auto epoch = leader_epochs.find(partition);
    parts.push_back(leader < 0 ? fmt::format("{}: no leader", partition)
                               : epoch == leader_epochs.end() ? fmt::format("{}: broker-{}", partition, leader)
                                                              : fmt::format("{}: broker-{} (epoch {})", partition, leader, epoch->second));
  }
  return parts.empty() ? std::string("no partitions known") : fmt::format("{}", fmt::join(parts, "; "));
}

std::string InitProducerIdRequest::describe() const { return "give me a producer id"; }

std::string InitProducerIdResponse::describe() const {
  return producer_id < 0 ? std::string("no producer id") : fmt::format("producer id {}, epoch {}", producer_id, producer_epoch);
}

std::string ProduceRequest::describe() const {
  std::vector<std::string> parts;
  for (const auto& b : batches) {
    const std::string values = b.values.size() <= 3 ? fmt::format("{}", fmt::join(b.values, ", "))
                                                    : fmt::format("{} .. {} ({} records)", b.values.front(), b.values.back(), b.values.size());
    parts.push_back(fmt::format("{}: {}", b.partition, values));
  }
  return fmt::format("{} (acks={})", fmt::join(parts, "; "), acks);
}

std::string ProduceResponse::describe() const {
  std::vector<std::string> parts;
  for (const auto& p : partitions)
    parts.push_back(p.error.empty() ? fmt::format("{}: at offset {}", p.partition, p.base_offset) : fmt::format("{}: {}", p.partition, p.error));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string FetchRequest::describe() const {
  std::vector<std::string> parts;
  for (const auto& p : partitions)
    parts.push_back(fmt::format("{} from offset {}{}{}", p.partition, p.fetch_offset,
                                p.current_leader_epoch >= 0 ? fmt::format(", current leader epoch {}", p.current_leader_epoch) : "",
                                p.last_fetched_epoch >= 0 ? fmt::format(", last fetched epoch {}", p.last_fetched_epoch) : ""));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string FetchResponse::describe() const {
  std::vector<std::string> parts;
  for (const auto& p : partitions) {
    if (!p.error.empty()) { parts.push_back(fmt::format("{}: {}", p.partition, p.error)); continue; }
    std::string text = fmt::format("{}: {} record(s), HW {}, LEO {}", p.partition, p.records.size(), p.hw, p.leo);
    if (p.diverging) text += fmt::format(", diverging: epoch {} ends at {}", p.diverging->first, p.diverging->second);
    parts.push_back(std::move(text));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string OffsetsForLeaderEpochRequest::describe() const {
  std::vector<std::string> parts;
  for (const auto& q : partitions) parts.push_back(fmt::format("{}: where does leader epoch {} end?", q.partition, q.leader_epoch));
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string OffsetsForLeaderEpochResponse::describe() const {
  std::vector<std::string> parts;
  for (const auto& a : partitions) {
    if (!a.error.empty()) parts.push_back(fmt::format("{}: {}", a.partition, a.error));
    else if (a.leader_epoch >= 0) parts.push_back(fmt::format("{}: epoch {} ends at {}", a.partition, a.leader_epoch, a.end_offset));
    else parts.push_back(fmt::format("{}: it ends at {}", a.partition, a.end_offset));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string UpdateMetadata::describe() const {
  return fmt::format("controller epoch {}: live brokers [{}]", controller_epoch, fmt::join(live_brokers, ","));
}

std::string LeaderAndIsr::describe() const {
  std::vector<std::string> parts;
  for (const auto& p : partitions) parts.push_back(leader_isr(p));
  return fmt::format("controller {} epoch {}: {}", controller_id, controller_epoch, fmt::join(parts, "; "));
}

std::string StopReplica::describe() const {
  return fmt::format("controller epoch {}: stop {}", controller_epoch, fmt::join(partitions, ", "));
}

std::string ControlResponse::describe() const { return or_ok(error); }

std::string ControlledShutdownResponse::describe() const {
  return partitions_remaining.empty() ? or_ok(error) : fmt::format("{}; still leads {}", or_ok(error), fmt::join(partitions_remaining, ", "));
}

std::string AlterPartitionRequest::describe() const {
  return fmt::format("{} leader epoch {}, partition epoch {}: ISR [{}]", partition, leader_epoch, partition_epoch, fmt::join(new_isr, ","));
}

std::string AlterPartitionResponse::describe() const {
  if (!error.empty()) return error;
  return fmt::format("{} epoch {} isr [{}], partition epoch {}", partition, state.leader_epoch, fmt::join(state.isr, ","), partition_epoch);
}

namespace kraft {

std::string VoteRequest::describe() const {
  return fmt::format("{} for epoch {}: my log ends at epoch {}, offset {}", pre_vote ? "a pre-vote (would you vote?)" : "vote for me",
                     candidate_epoch, last_epoch, end_offset);
}

std::string VoteResponse::describe() const {
  if (!error.empty()) return fmt::format("{} (epoch {})", error, epoch);
  return fmt::format("{} (epoch {})", granted ? "granted" : "refused", epoch);
}

std::string BeginQuorumEpochRequest::describe() const { return fmt::format("I lead epoch {}", epoch); }

std::string EndQuorumEpochRequest::describe() const { return fmt::format("I resign as leader of epoch {}", epoch); }

std::string QuorumAck::describe() const { return fmt::format("{} (epoch {})", or_ok(error), epoch); }

std::string QuorumFetchRequest::describe() const {
  return fmt::format("metadata from offset {}, last fetched epoch {} (my epoch {}{})", fetch_offset, last_fetched_epoch, epoch,
                     voter ? "" : ", an observer");
}

std::string QuorumFetchResponse::describe() const {
  if (!error.empty()) return fmt::format("{} (epoch {})", error, epoch);
  if (diverging) return fmt::format("diverging: epoch {} ends at {}", diverging->first, diverging->second);
  return fmt::format("{} record(s) from offset {}, HW {}", records.size(), base_offset,
                     high_watermark >= 0 ? std::to_string(high_watermark) : std::string("unknown"));
}

std::string BrokerRegistrationRequest::describe() const {
  return previous_broker_epoch >= 0 ? fmt::format("register broker-{} (a clean restart: previous broker epoch {})", broker, previous_broker_epoch)
                                    : fmt::format("register broker-{}", broker);
}

std::string BrokerRegistrationResponse::describe() const {
  return error.empty() ? fmt::format("registered: broker epoch {}", broker_epoch) : error;
}

std::string BrokerHeartbeatRequest::describe() const {
  return fmt::format("broker-{} alive, broker epoch {}, metadata applied up to offset {}{}", broker, broker_epoch, metadata_offset,
                     want_shutdown ? "; wants to shut down" : "");
}

std::string BrokerHeartbeatResponse::describe() const {
  if (!error.empty()) return error;
  return fmt::format("{}{}{}", is_fenced ? "fenced" : "unfenced", is_caught_up ? ", caught up" : "", should_shutdown ? "; shut down now" : "");
}

}  // namespace kraft

namespace zk {

std::string ZkRequest::describe() const {
  switch (kind) {
    case Kind::Connect: return session != 0 ? fmt::format("connect, resume session {}", session) : "connect";
    case Kind::Close: return "close the session";
    case Kind::Create: return fmt::format("create {}{}", path, mode == CreateMode::Ephemeral || mode == CreateMode::EphemeralSequential ? " (ephemeral)" : "");
    case Kind::Delete: return fmt::format("delete {}", path);
    case Kind::Exists: return fmt::format("exists {}{}", path, watch ? " (watch)" : "");
    case Kind::GetData: return fmt::format("get {}{}", path, watch ? " (watch)" : "");
    case Kind::SetData: return fmt::format("set {} = {}{}", path, data, version >= 0 ? fmt::format(" if version {}", version) : "");
    case Kind::GetChildren: return fmt::format("children of {}{}", path, watch ? " (watch)" : "");
    case Kind::Multi: {
      std::vector<std::string> parts;
      for (const auto& op : ops) {
        const char* verb = op.kind == Op::Kind::Create ? "create" : op.kind == Op::Kind::Delete ? "delete" : op.kind == Op::Kind::SetData ? "set" : "check";
        parts.push_back(fmt::format("{} {}{}", verb, op.path, op.version >= 0 ? fmt::format(" if version {}", op.version) : ""));
      }
      return fmt::format("multi: {}", fmt::join(parts, "; "));
    }
  }
  return {};
}

std::string ZkResponse::describe() const { return error_name(error); }

std::string ZkWatch::describe() const { return fmt::format("{} {}", watch_type_name(watch_type), path); }

}  // namespace zk
}  // namespace kafkasim::models

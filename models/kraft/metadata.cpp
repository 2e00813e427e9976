// Replaying metadata records into an image, and their canonical text.
#include "models/kraft/metadata.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kafkasim::models::kraft {

const char* record_type_name(RecordType type) {
  switch (type) {
    case RecordType::LeaderChange: return "LeaderChange";
    case RecordType::RegisterBroker: return "RegisterBroker";
    case RecordType::FenceBroker: return "FenceBroker";
    case RecordType::UnfenceBroker: return "UnfenceBroker";
    case RecordType::BrokerControlledShutdown: return "BrokerRegistrationChange";
    case RecordType::Topic: return "Topic";
    case RecordType::Partition: return "Partition";
    case RecordType::PartitionChange: return "PartitionChange";
  }
  return "?";
}

std::string MetadataRecord::detail() const {
  switch (type) {
    case RecordType::LeaderChange: return fmt::format("leader=node{} epoch={}", node, epoch);
    case RecordType::RegisterBroker:
      return fmt::format("broker={} broker_epoch={} incarnation={}", broker, broker_epoch, incarnation);
    case RecordType::FenceBroker:
    case RecordType::UnfenceBroker:
    case RecordType::BrokerControlledShutdown: return fmt::format("broker={} broker_epoch={}", broker, broker_epoch);
    case RecordType::Topic: return fmt::format("topic={}", partition);
    case RecordType::Partition:
    case RecordType::PartitionChange:
      return fmt::format("{} leader={} leader_epoch={} partition_epoch={} isr=[{}] elr=[{}] last_known_elr=[{}]",
                         partition, leader, leader_epoch, partition_epoch, fmt::join(isr, ","), fmt::join(elr, ","),
                         fmt::join(last_known_elr, ","));
  }
  return "";
}

std::pair<std::int64_t, std::int64_t> MetadataLog::end_offset_for_epoch(std::int64_t epoch) const {
  // The first record of a later epoch ends `epoch`; the latest epoch at or below `epoch` is what it names.
  std::int64_t found_epoch = -1;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].epoch > epoch) return {found_epoch, static_cast<std::int64_t>(i)};
    found_epoch = records_[i].epoch;
  }
  return {found_epoch, end_offset()};
}

void MetadataImage::apply(const MetadataRecord& r) {
  ++applied;
  switch (r.type) {
    case RecordType::LeaderChange: break;
    case RecordType::RegisterBroker: {
      BrokerRegistration& b = brokers[r.broker];
      b.broker_epoch = r.broker_epoch;
      b.incarnation = r.incarnation;
      b.fenced = true;
      b.in_controlled_shutdown = false;
      break;
    }
    case RecordType::FenceBroker:
    case RecordType::UnfenceBroker: {
      auto it = brokers.find(r.broker);
      if (it != brokers.end() && it->second.broker_epoch == r.broker_epoch) {
        it->second.fenced = r.type == RecordType::FenceBroker;
        if (it->second.fenced) it->second.in_controlled_shutdown = false;
      }
      break;
    }
    case RecordType::BrokerControlledShutdown: {
      auto it = brokers.find(r.broker);
      if (it != brokers.end() && it->second.broker_epoch == r.broker_epoch) it->second.in_controlled_shutdown = true;
      break;
    }
    case RecordType::Topic:
      if (std::find(topics.begin(), topics.end(), r.partition) == topics.end()) topics.push_back(r.partition);
      break;
    case RecordType::Partition:
    case RecordType::PartitionChange: {
      PartitionImage& p = partitions[r.partition];
      p.replicas = r.replicas;
      p.isr = r.isr;
      p.elr = r.elr;
      p.last_known_elr = r.last_known_elr;
      p.leader = r.leader;
      p.leader_epoch = r.leader_epoch;
      p.partition_epoch = r.partition_epoch;
      break;
    }
  }
}

bool MetadataImage::unfenced(int broker) const {
  auto it = brokers.find(broker);
  return it != brokers.end() && !it->second.fenced;
}

bool MetadataImage::active(int broker) const {
  auto it = brokers.find(broker);
  return it != brokers.end() && !it->second.fenced && !it->second.in_controlled_shutdown;
}

}  // namespace kafkasim::models::kraft

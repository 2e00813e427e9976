// The log, its leader epoch cache, and power-loss semantics.
#include "models/log.h"

#include <algorithm>
#include <cassert>

#include "sim/world.h"

namespace kafkasim::models {

void PartitionLog::append(Record r, Micros now) {
  assert(r.offset == leo());
  if (r.leader_epoch > latest_epoch()) assign_epoch(r.leader_epoch, r.offset);
  if (r.producer_id >= 0) producers_[r.producer_id].push_back(ProducerEntry{r.producer_epoch, r.sequence, r.offset});
  records_.push_back(std::move(r));
  appended_at_.push_back(now);
}

void PartitionLog::truncate_to(std::int64_t offset) {
  if (offset < 0) offset = 0;
  if (offset >= leo()) {
    // UnifiedLog.truncateTo: a truncation at or past the end removes no record but still truncates the
    // epoch cache at the end, since a replica that became leader and appended nothing before it was
    // deposed holds an entry for that epoch at its LEO; kept, every fetch would diverge again there.
    while (!epochs_.empty() && epochs_.back().second >= leo()) epochs_.pop_back();
    return;
  }
  for (std::int64_t o = offset; o < leo(); ++o) {
    const Record& gone = records_[static_cast<std::size_t>(o)];
    if (gone.producer_id < 0) continue;
    auto it = producers_.find(gone.producer_id);
    if (it == producers_.end()) continue;
    while (!it->second.empty() && it->second.back().offset >= offset) it->second.pop_back();
    if (it->second.empty()) producers_.erase(it);
  }
  records_.resize(static_cast<std::size_t>(offset));
  flushed_ = std::min(flushed_, offset);
  appended_at_.resize(static_cast<std::size_t>(offset));
  // LeaderEpochFileCache.truncateFromEnd: entries starting at or after the new end go.
  while (!epochs_.empty() && epochs_.back().second >= offset) epochs_.pop_back();
}

void PartitionLog::assign_epoch(std::int64_t epoch, std::int64_t start_offset) {
  if (!epochs_.empty() && epoch <= epochs_.back().first) return;
  // maybeTruncateNonMonotonicEntries: entries starting at or beyond the new epoch's start are superseded.
  while (!epochs_.empty() && epochs_.back().second >= start_offset) epochs_.pop_back();
  epochs_.emplace_back(epoch, start_offset);
}

std::pair<std::int64_t, std::int64_t> PartitionLog::end_offset_for(std::int64_t epoch, bool below_head_undefined) const {
  if (epochs_.empty() || epoch == kUndefinedEpoch) return {kUndefinedEpoch, kUndefinedOffset};
  if (epoch == latest_epoch()) return {epoch, leo()};
  // higherEntry / floorEntry as in LeaderEpochFileCache.endOffsetFor.
  auto higher = std::find_if(epochs_.begin(), epochs_.end(), [&](const auto& e) { return e.first > epoch; });
  if (higher == epochs_.end()) return {kUndefinedEpoch, kUndefinedOffset};
  if (higher == epochs_.begin()) {
    if (below_head_undefined) return {kUndefinedEpoch, kUndefinedOffset};
    return {epoch, higher->second};
  }
  return {std::prev(higher)->first, higher->second};
}

std::int64_t PartitionLog::end_offset_for_kip101(std::int64_t epoch) const {
  if (epochs_.empty() || epoch == kUndefinedEpoch) return kUndefinedOffset;
  if (epoch == latest_epoch()) return leo();
  if (epoch < epochs_.front().first) return kUndefinedOffset;  // requestedEpoch < epochs.head.epoch
  for (const auto& [e, start] : epochs_)
    if (e > epoch) return start;
  return kUndefinedOffset;
}

std::int64_t PartitionLog::offset_of(std::int64_t pid, std::int32_t epoch, std::int32_t sequence) const {
  auto it = producers_.find(pid);
  if (it == producers_.end()) return -1;
  const auto& entries = it->second;
  auto at = std::lower_bound(entries.begin(), entries.end(), std::make_pair(epoch, sequence),
                             [](const ProducerEntry& e, const std::pair<std::int32_t, std::int32_t>& key) {
                               return std::make_pair(e.epoch, e.sequence) < key;
                             });
  if (at == entries.end() || at->epoch != epoch || at->sequence != sequence) return -1;
  return at->offset;
}

const ProducerEntry* PartitionLog::last_of(std::int64_t pid) const {
  auto it = producers_.find(pid);
  return it == producers_.end() || it->second.empty() ? nullptr : &it->second.back();
}

std::int64_t PartitionLog::drop_unwritten(Micros cutoff) {
  std::size_t keep = static_cast<std::size_t>(flushed_);
  while (keep < appended_at_.size() && appended_at_[keep] <= cutoff) ++keep;
  const auto lost = static_cast<std::int64_t>(records_.size() - keep);
  if (lost > 0) truncate_to(static_cast<std::int64_t>(keep));
  return lost;
}

BrokerStorage::BrokerStorage(sim::World& world, int broker_id, Micros os_flush_interval)
    : world_(world), broker_id_(broker_id), os_flush_interval_(os_flush_interval) {}

std::int64_t BrokerStorage::lose_unwritten(Micros now) {
  std::int64_t lost = 0;
  for (auto& [name, log] : logs_) {
    const std::int64_t from = log.leo();
    const std::int64_t n = log.drop_unwritten(now - os_flush_interval_);
    if (n == 0) continue;
    lost += n;
    // The log a checker rebuilds from the history must match what is on disk.
    world_.record("truncated", {{"broker", std::int64_t{broker_id_}},
                                {"partition", name},
                                {"from_offset", from},
                                {"to_offset", log.leo()},
                                {"reason", std::string("power-loss")}});
  }
  // KRaft: the broker's copy of the metadata log was never flushed (an observer's); it refetches what
  // went from the quorum, which has every committed record.
  metadata.log.drop_unwritten(now - os_flush_interval_);
  return lost;
}

}  // namespace kafkasim::models

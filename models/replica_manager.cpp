// ReplicaManager and Partition, ZooKeeper mode (core/src/main/scala/kafka/server/ReplicaManager.scala,
// cluster/Partition.scala, ReplicaFetcherThread.scala, AbstractFetcherThread.scala), with the design
// switches of spec/designs.md deciding truncation, fencing, ISR joins, HW advance and the ISR path.
#include "models/replica_manager.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "models/broker.h"
#include "scenario/configs.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
constexpr std::int64_t kMaxRecordsPerFetch = 500;
// AlterPartitionManager sends a failed or unanswered request again after a short backoff.
constexpr Micros kAlterPartitionRetry = 100 * kMicrosPerMs;

sim::Envelope reply_address(const sim::Envelope& e) {
  sim::Envelope a;
  a.from = e.from;
  a.id = e.id;
  return a;
}
std::int64_t i64(int v) { return v; }
// The epoch partition `name`, the i-th of a reply, was asked for in (the reply keeps the request's order).
std::int64_t sent_epoch(const SentEpochs& epochs, std::size_t i, const std::string& name) {
  if (i < epochs.size() && epochs[i].first == name) return epochs[i].second;
  for (const auto& [n, epoch] : epochs)
    if (n == name) return epoch;
  assert(false && "a reply names a partition its request did not ask for");
  return -1;
}
}  // namespace

ReplicaManager::Settings::Settings(const Scenario& scenario) {
  const Design& d = scenario.design;
  const Config& c = scenario.config;
  truncation = d.get("truncation");
  leader_epoch_fencing = d.on("leader-epoch-fencing");
  hw_requires_min_isr = d.on("hw-requires-min-isr");
  isr_join_requires_epoch_start = d.on("isr-join-requires-epoch-start");
  truncate_on_every_epoch_change = d.on("truncate-on-every-epoch-change");
  truncate_before_hw = d.on("truncate-before-hw");
  isr_keeps_caught_up_follower = d.on("isr-keeps-caught-up-follower");
  epoch_cache_on_election = d.on("epoch-cache-on-election");
  fenced_partition_waits = d.on("fenced-partition-waits");
  isr_requires_live_broker = d.on("isr-requires-live-broker");
  fetch_from_follower = d.on("fetch-from-follower");
  out_of_range_never_fatal = d.on("out-of-range-never-fatal");
  unclean_election = c.boolean("unclean.leader.election.enable");
  rack_aware_selector = c.str("replica.selector.class") == kRackAwareReplicaSelector;
  alter_partition = d.get("isr-change-path") == "alter-partition";
  min_insync = static_cast<int>(c.integer("min.insync.replicas"));
  record_bytes = static_cast<std::size_t>(c.integer("sim.record.bytes"));
  fetch_wait = from_ms(c.integer("replica.fetch.wait.max.ms"));
  fetch_backoff = from_ms(c.integer("replica.fetch.backoff.ms"));
  socket_timeout = from_ms(c.integer("replica.socket.timeout.ms"));
  replica_lag = from_ms(c.integer("replica.lag.time.max.ms"));
}

ReplicaManager::ReplicaManager(Broker& broker, BrokerStorage& storage)
    : broker_(broker), storage_(storage), settings_(broker.world().scenario()) {}

void ReplicaManager::start() {
  const auto& config = broker_.world().scenario().config;
  const Micros lag = from_ms(config.integer("replica.lag.time.max.ms"));
  const Micros checkpoint = from_ms(config.integer("replica.high.watermark.checkpoint.interval.ms"));
  // isr-expiration task, every replica.lag.time.max.ms / 2; the HW checkpoint task.
  schedule_every(std::max<Micros>(lag / 2, kMicrosPerMs), [this] { shrink_isrs(); });
  schedule_every(std::max<Micros>(checkpoint, kMicrosPerMs), [this] { checkpoint_hw(); });
  // The log flusher, when the scenario sets one (Kafka's default scheduler interval is "never").
  const std::int64_t flush_check_ms = config.integer("log.flush.scheduler.interval.ms");
  if (flush_check_ms <= kMaxConfigMs) schedule_every(std::max<Micros>(from_ms(flush_check_ms), kMicrosPerMs), [this] { flush_by_time(); });
}

void ReplicaManager::schedule_every(Micros interval, std::function<void()> task) {
  broker_.after(interval, [this, interval, task] {
    task();
    schedule_every(interval, task);
  });
}

std::vector<std::string> ReplicaManager::led() const {
  std::vector<std::string> out;
  for (const auto& [name, r] : replicas_)
    if (r.is_leader) out.push_back(name);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Control requests.

void ReplicaManager::apply_leader_and_isr(const LeaderAndIsr& request) {
  for (const auto& s : request.partitions) {
    auto [it, created] = replicas_.try_emplace(s.partition);
    Replica& r = it->second;
    if (created) {
      by_name_.emplace(s.partition, &r);
      // A replica this process has not seen: its HW comes from the checkpoint file.
      r.name = s.partition;
      r.last_flush = broker_.now();
      const auto& config = broker_.world().scenario().config;
      r.flush_messages = config.integer("log.flush.interval.messages");
      r.flush_ms = config.integer("log.flush.interval.ms");
      if (auto where = broker_.world().scenario().find_partition(s.partition)) {
        const auto& topic_configs = where->first->configs;
        auto topic_value = [&](const char* key, std::int64_t fallback) {
          auto it = topic_configs.find(key);
          return it == topic_configs.end() ? fallback : std::stoll(it->second);
        };
        r.flush_messages = topic_value("log.flush.interval.messages", r.flush_messages);
        r.flush_ms = topic_value("log.flush.interval.ms", r.flush_ms);
      }
      auto cp = storage_.hw_checkpoint.find(s.partition);
      r.hw = std::min(cp == storage_.hw_checkpoint.end() ? 0 : cp->second, storage_.log(s.partition).leo());
    }
    // Applied only when the leader epoch is newer (becomeLeaderOrFollower).
    if (s.state.leader_epoch <= r.leader_epoch) continue;
    r.replicas = s.replicas;
    r.controller_epoch = request.controller_epoch;
    if (s.state.leader == broker_.broker_id()) make_leader(r, s);
    else make_follower(r, s);
  }
}

void ReplicaManager::apply_partition_change(const PartitionStateData& s, std::int64_t quorum_epoch) {
  // KRaft (ReplicaManager.applyDelta): the metadata cache always; this broker's replica when it is one.
  metadata_[s.partition] = s;
  if (!contains(s.replicas, broker_.broker_id())) return;
  Replica* r = find_replica(s.partition);
  if (r == nullptr || s.state.leader_epoch > r->leader_epoch) {
    LeaderAndIsr change;
    change.controller_epoch = quorum_epoch;
    change.partitions = {s};
    apply_leader_and_isr(change);
    return;
  }
  // The same leader epoch with a newer partition epoch: an ISR change (Partition.makeLeader with
  // isNewLeaderEpoch false replaces the pending ISR state with the committed one).
  if (s.state.leader_epoch == r->leader_epoch && s.partition_epoch > r->partition_epoch) {
    r->partition_epoch = s.partition_epoch;
    const bool changed = r->isr != s.state.isr;
    r->isr = s.state.isr;
    if (r->is_leader) {
      r->pending_isr.reset();
      if (changed)
        broker_.record("isr-changed", {{"partition", r->name},
                                       {"isr", to_int64s(r->isr)},
                                       {"leader_epoch", r->leader_epoch},
                                       {"by", std::string("leader")},
                                       {"leader", i64(broker_.broker_id())}});
      maybe_advance_hw(*r);
    }
  }
}

void ReplicaManager::apply_update_metadata(const UpdateMetadata& request) {
  for (const auto& s : request.partitions) {
    auto it = metadata_.find(s.partition);
    if (it == metadata_.end() || it->second.state.leader_epoch <= s.state.leader_epoch ||
        it->second.state.controller_epoch < s.state.controller_epoch)
      metadata_[s.partition] = s;
  }
}

void ReplicaManager::make_leader(Replica& r, const PartitionStateData& s) {
  const bool was_leader = r.is_leader;
  PartitionLog& log = log_of(r);
  r.leader = broker_.broker_id();
  following_.reset();
  r.leader_epoch = s.state.leader_epoch;
  r.isr = s.state.isr;
  r.partition_epoch = s.partition_epoch;
  r.pending_isr.reset();
  r.is_leader = true;
  r.fetch_state = FetchState::None;
  // KAFKA-7415 (2.1): the new epoch goes into the epoch cache when the leader takes office; before it,
  // only with the leader's first append in that epoch (a leader that appended nothing answered
  // OffsetsForLeaderEpoch from its previous epoch).
  if (settings_.epoch_cache_on_election) log.assign_epoch(r.leader_epoch, log.leo());
  r.epoch_start_offset = log.leo();
  for (int b : r.replicas) {
    if (b == broker_.broker_id()) continue;
    FollowerState& f = r.followers[b];
    if (!was_leader) f = FollowerState{};  // a new leader does not know its followers' LEOs
    f.last_caught_up = contains(r.isr, b) ? broker_.now() : kNeverCaughtUp;
  }
  broker_.record("became-leader", {{"broker", i64(broker_.broker_id())},
                                   {"partition", r.name},
                                   {"leader", i64(r.leader)},
                                   {"leader_epoch", r.leader_epoch},
                                   {"isr", to_int64s(r.isr)},
                                   {"leo", log.leo()},
                                   {"hw", r.hw}});
  maybe_advance_hw(r);
  if (on_leadership_ && !was_leader) on_leadership_(r.name, true);
}

void ReplicaManager::stop_leading(Replica& r, const std::string& error) {
  r.is_leader = false;
  if (on_leadership_) on_leadership_(r.name, false);
  following_.reset();
  r.pending_isr.reset();
  complete_delayed_produces(r.name, error);
  // completeDelayedFetchOrProduceRequests: fetches waiting on it now answer NOT_LEADER_OR_FOLLOWER.
  wake_parked_fetches(r.name);
}

void ReplicaManager::make_follower(Replica& r, const PartitionStateData& s) {
  const bool same_leader = !r.is_leader && r.leader_epoch >= 0 && r.leader == s.state.leader;
  if (r.is_leader) stop_leading(r, "NOT_LEADER_OR_FOLLOWER");
  r.leader = s.state.leader;
  following_.reset();
  r.leader_epoch = s.state.leader_epoch;
  r.isr = s.state.isr;
  r.partition_epoch = s.partition_epoch;
  broker_.record("became-follower", {{"broker", i64(broker_.broker_id())},
                                     {"partition", r.name},
                                     {"leader", i64(r.leader)},
                                     {"leader_epoch", r.leader_epoch},
                                     {"leo", log_of(r).leo()},
                                     {"hw", r.hw}});
  // KAFKA-7164: before the fix, makeFollower reported "no change" when the leader id was the same, so
  // the replica went on fetching without truncating.
  if (same_leader && !settings_.truncate_on_every_epoch_change) return;
  if (r.leader == kNoLeader) {
    r.fetch_state = FetchState::None;
    return;
  }
  PartitionLog& log = log_of(r);
  const std::string& design = settings_.truncation;
  if (design == "high-watermark" || log.latest_epoch() == kUndefinedEpoch) {
    // Before KIP-101 (and for a log with no epochs): truncate to the local high watermark.
    truncate(r, r.hw, "high-watermark");
    r.fetch_state = FetchState::Fetching;
  } else if (design == "diverging-epoch") {
    r.fetch_state = FetchState::Fetching;  // the fetch itself carries the last fetched epoch
  } else {
    r.fetch_state = FetchState::Truncating;  // OffsetsForLeaderEpoch first
  }
  r.fetch_backoff_until = 0;
  kick_fetcher(r.leader);
}

void ReplicaManager::truncate(Replica& r, std::int64_t to, const char* reason) {
  PartitionLog& log = log_of(r);
  const std::int64_t from = log.leo();
  log.truncate_to(to);  // at or past the end: no record goes, but the epoch cache is trimmed
  if (to >= from) return;
  r.hw = std::min(r.hw, log.leo());
  broker_.record("truncated", {{"broker", i64(broker_.broker_id())},
                               {"partition", r.name},
                               {"from_offset", from},
                               {"to_offset", log.leo()},
                               {"reason", std::string(reason)}});
}

void ReplicaManager::set_follower_hw(Replica& r, std::int64_t leader_hw, bool wake_consumers) {
  // The follower takes the leader's HW, bounded by its own LEO, even when that is lower than its own:
  // a new leader may not yet know how far the old one had committed (0.10 `replica.highWatermark =`,
  // 3.x `UnifiedLog.maybeUpdateHighWatermark`). The checkpoint then holds the lower value.
  const std::int64_t hw = std::min(leader_hw, log_of(r).leo());
  if (hw == r.hw) return;
  const bool lowered = hw < r.hw;
  r.hw = hw;
  broker_.record(lowered ? "hw-lowered" : "hw-advanced", {{"broker", i64(broker_.broker_id())}, {"partition", r.name}, {"hw", hw}});
  // KIP-392: consumers long-polling this follower are answered once the fetcher has handled the whole
  // response (ReplicaFetcherThread.completeDelayedFetchRequests after doWork).
  if (!lowered && wake_consumers && settings_.fetch_from_follower) {
    const std::string name = r.name;
    broker_.after(0, [this, name] { wake_parked_fetches(name); });
  }
}

// ---------------------------------------------------------------------------------------------------
// Leader side.

std::vector<int> ReplicaManager::maximal_isr(const Replica& r) const {
  std::vector<int> isr = r.isr;
  if (r.pending_isr)
    for (int b : *r.pending_isr)
      if (!contains(isr, b)) isr.push_back(b);
  return isr;
}

bool ReplicaManager::isr_eligible(int follower) const {
  // KIP-841 (3.3) isReplicaIsrEligible in ZooKeeper mode: the broker is alive in the leader's metadata
  // cache (the controller refuses shutting-down brokers itself).
  return !settings_.isr_requires_live_broker || broker_.metadata_live_brokers().count(follower) > 0;
}

void ReplicaManager::maybe_advance_hw(Replica& r) {
  if (!r.is_leader) return;
  // KAFKA-15583: no HW advance while the ISR is below min.insync.replicas.
  if (settings_.hw_requires_min_isr && static_cast<int>(r.isr.size()) < settings_.min_insync) return;
  // Partition.maybeIncrementLeaderHW: the maximal ISR, and also a follower not yet in it that caught up
  // within replica.lag.time.max.ms (it is about to join; since KIP-841 only while it may join).
  std::int64_t hw = log_of(r).leo();
  const std::vector<int> isr = maximal_isr(r);
  for (int b : r.replicas) {
    if (b == broker_.broker_id()) continue;
    const FollowerState& f = r.followers[b];
    const bool about_to_join = broker_.now() - f.last_caught_up <= settings_.replica_lag && isr_eligible(b);
    if (contains(isr, b) || about_to_join) hw = std::min(hw, f.leo);
  }
  if (hw <= r.hw) return;
  r.hw = hw;
  // The ISR it advanced under (the leader's own: with AlterPartition the controller publishes a change
  // before the leader has it), so a reader of the history can tell an advance below min ISR.
  broker_.record("hw-advanced", {{"broker", i64(broker_.broker_id())}, {"partition", r.name}, {"hw", hw},
                                 {"isr", to_int64s(r.isr)}});
  complete_delayed_produces(r.name);
  wake_parked_fetches(r.name);
}

void ReplicaManager::update_follower(Replica& r, int follower, std::int64_t fetch_offset) {
  // Partition.updateFollowerFetchState: caught up if it reached the leader's LEO now, or the LEO the
  // leader had at its previous fetch.
  FollowerState& f = r.followers[follower];
  const std::int64_t leo = log_of(r).leo();
  const Micros now = broker_.now();
  if (fetch_offset >= leo) f.last_caught_up = now;
  else if (f.leader_leo_at_last_fetch >= 0 && fetch_offset >= f.leader_leo_at_last_fetch)
    f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
  f.leo = fetch_offset;
  f.leader_leo_at_last_fetch = leo;
  f.last_fetch = now;
  maybe_expand_isr(r, follower);
  maybe_advance_hw(r);
}

void ReplicaManager::maybe_expand_isr(Replica& r, int follower) {
  if (r.pending_isr || contains(r.isr, follower) || !contains(r.replicas, follower) || !isr_eligible(follower)) return;
  const FollowerState& f = r.followers[follower];
  if (f.leo < r.hw) return;
  // KAFKA-7128: and not before it has reached the start of this leader's epoch.
  if (settings_.isr_join_requires_epoch_start && f.leo < r.epoch_start_offset) return;
  std::vector<int> isr = r.isr;
  isr.push_back(follower);
  change_isr(r, isr);
}

void ReplicaManager::shrink_isrs() {
  const Micros lag = from_ms(broker_.world().scenario().config.integer("replica.lag.time.max.ms"));
  for (auto& [name, r] : replicas_) {
    if (!r.is_leader || r.pending_isr) continue;
    std::vector<int> isr;
    const std::int64_t leo = log_of(r).leo();
    for (int b : r.isr) {
      const FollowerState& f = r.followers[b];
      // getOutOfSyncReplicas: lagging longer than replica.lag.time.max.ms; since KAFKA-7152 (2.1) not a
      // follower whose LEO is the leader's (an idle partition's follower that stopped fetching).
      const bool caught_up_now = settings_.isr_keeps_caught_up_follower && f.leo == leo;
      if (b == broker_.broker_id() || caught_up_now || broker_.now() - f.last_caught_up <= lag) isr.push_back(b);
    }
    if (isr != r.isr) change_isr(r, isr);
  }
}

void ReplicaManager::change_isr(Replica& r, std::vector<int> new_isr) {
  r.pending_isr = new_isr;
  const std::string name = r.name;
  const std::int64_t epoch = r.leader_epoch;
  auto still_mine = [this, name, epoch]() -> Replica* {
    Replica* r = find_replica(name);
    return r != nullptr && r->is_leader && r->leader_epoch == epoch ? r : nullptr;
  };
  if (settings_.alter_partition) {
    send_alter_partition(name, epoch, r.partition_epoch, new_isr);
    return;
  }
  // Before KIP-497 the leader writes the state znode itself, conditional on the partition epoch.
  const PartitionInfo* info = broker_.catalog().find(name);
  if (info == nullptr) {
    r.pending_isr.reset();
    release_isr_waiters(name);
    return;
  }
  LeaderIsr state{broker_.broker_id(), epoch, new_isr, r.controller_epoch};
  broker_.zk().set_data(partition_state_path(*info), encode_leader_isr(state), r.partition_epoch,
                        [this, still_mine, new_isr, name, epoch](zk::Error e, const zk::ZkResponse* resp) {
                          // The fetches that waited for this write are answered once it is done, however it ended.
                          struct Release {
                            ReplicaManager* self;
                            std::string partition;
                            ~Release() { self->release_isr_waiters(partition); }
                          } release{this, name};
                          Replica* r2 = still_mine();
                          if (r2 == nullptr) return;
                          r2->pending_isr.reset();
                          // BADVERSION: "Cached zkVersion not equal to that in zookeeper, skip updating ISR".
                          if (e != zk::Error::Ok) return;
                          r2->isr = new_isr;
                          r2->partition_epoch = resp->result.stat.version;
                          broker_.record("isr-changed", {{"partition", name},
                                                         {"isr", to_int64s(new_isr)},
                                                         {"leader_epoch", epoch},
                                                         {"by", std::string("leader")},
                                                         {"leader", i64(broker_.broker_id())}});
                          maybe_advance_hw(*r2);
                        });
}

void ReplicaManager::send_alter_partition(const std::string& name, std::int64_t epoch, std::int64_t partition_epoch,
                                          std::vector<int> new_isr) {
  // KIP-497: ask the controller. As AlterPartitionManager does, the change stays pending (the HW counts
  // the maximal ISR) and the request is sent again after a failure or NOT_CONTROLLER until an answer
  // comes; the controller answers a change it already made with the current state.
  auto still_pending = [this, name, epoch, new_isr]() -> Replica* {
    Replica* r = find_replica(name);
    if (r == nullptr || !r->is_leader || r->leader_epoch != epoch) return nullptr;
    return r->pending_isr == new_isr ? r : nullptr;
  };
  auto retry = [this, name, epoch, partition_epoch, new_isr, still_pending] {
    broker_.after(kAlterPartitionRetry, [this, name, epoch, partition_epoch, new_isr, still_pending] {
      if (still_pending() != nullptr) send_alter_partition(name, epoch, partition_epoch, new_isr);
    });
  };
  const int controller = broker_.controller_node();
  if (controller < 0) return retry();
  auto request = std::make_unique<AlterPartitionRequest>();
  request->broker = broker_.broker_id();
  request->broker_epoch = broker_.broker_epoch();
  request->partition = name;
  request->leader_epoch = epoch;
  request->partition_epoch = partition_epoch;
  request->new_isr = new_isr;
  // KIP-903: each member's broker epoch, as its last fetch said (the leader's own: its registration's).
  if (const Replica* r = find_replica(name))
    for (int b : new_isr) {
      auto f = r->followers.find(b);
      request->broker_epochs.push_back(b == broker_.broker_id() ? broker_.broker_epoch()
                                       : f != r->followers.end() ? f->second.broker_epoch
                                                                 : -1);
    }
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.socket.timeout.ms"));
  broker_.request(controller, std::move(request), timeout,
                  [this, still_pending, retry](sim::Failure f, const sim::Message* m) {
                    Replica* r2 = still_pending();
                    if (r2 == nullptr) return;
                    if (f != sim::Failure::None) return retry();
                    const auto& resp = static_cast<const AlterPartitionResponse&>(*m);
                    // Partition.handleAlterPartitionError / handleAlterPartitionUpdate (3.x): the
                    // controller said it did not apply it (INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED):
                    // back to the committed ISR; an answer for another leader epoch or partition epoch
                    // (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, a stale success) leaves the change
                    // pending until a LeaderAndIsr brings the state; anything else is sent again.
                    if (resp.error == "INELIGIBLE_REPLICA" || resp.error == "OPERATION_NOT_ATTEMPTED") {
                      r2->pending_isr.reset();
                      return;
                    }
                    if (resp.error == "FENCED_LEADER_EPOCH" || resp.error == "INVALID_UPDATE_VERSION" ||
                        resp.error == "UNKNOWN_TOPIC_OR_PARTITION")
                      return;
                    if (!resp.error.empty()) return retry();
                    if (resp.state.leader_epoch != r2->leader_epoch || resp.partition_epoch < r2->partition_epoch) return;
                    r2->pending_isr.reset();
                    r2->isr = resp.state.isr;
                    r2->partition_epoch = resp.partition_epoch;
                    maybe_advance_hw(*r2);
                  });
}

void ReplicaManager::complete_delayed_produces(const std::string& partition, const std::string& error) {
  const Replica* r = find_replica(partition);
  for (auto it = delayed_produces_.begin(); it != delayed_produces_.end();) {
    DelayedProduce& d = *it;
    bool touched = false;
    for (std::size_t i = 0; i < d.partitions.size(); ++i) {
      if (d.partitions[i].partition != partition || d.waiting_for[i] < 0) continue;
      if (!error.empty() || r == nullptr || !r->is_leader) {
        d.partitions[i].error = error.empty() ? "NOT_LEADER_OR_FOLLOWER" : error;
        d.partitions[i].base_offset = -1;
      } else if (r->hw > d.waiting_for[i]) {
        if (static_cast<int>(r->isr.size()) < settings_.min_insync) {
          d.partitions[i].error = "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
          d.partitions[i].base_offset = -1;
        }
      } else {
        continue;
      }
      d.waiting_for[i] = -1;
      touched = true;
    }
    const bool done = touched && std::all_of(d.waiting_for.begin(), d.waiting_for.end(), [](std::int64_t w) { return w < 0; });
    if (!done) {
      ++it;
      continue;
    }
    broker_.cancel(d.timer);
    answer_delayed(d);
    it = delayed_produces_.erase(it);
  }
}

void ReplicaManager::answer_delayed(DelayedProduce& d) {
  if (d.done) {
    // Later, as a reply would be: the coordinator's callback may append again.
    broker_.after(0, [done = std::move(d.done), partitions = std::move(d.partitions)]() mutable { done(partitions); });
    return;
  }
  auto resp = std::make_unique<ProduceResponse>();
  resp->partitions = std::move(d.partitions);
  broker_.reply(d.reply_to, std::move(resp));
}

std::int64_t ReplicaManager::fencing_epoch(const Replica& r) const {
  return settings_.leader_epoch_fencing ? r.leader_epoch : -1;
}

FetchedPartition ReplicaManager::read(Replica* r, const FetchPartition& p, const FetchRequest& request,
                                      std::int64_t* count_only) {
  const bool from_follower = request.replica_id >= 0;
  FetchedPartition out;
  out.partition = p.partition;
  if (r == nullptr) {
    out.error = "UNKNOWN_TOPIC_OR_PARTITION";
    return out;
  }
  // KIP-392: fetchOnlyFromLeader = isFromFollower || (isFromConsumer && clientMetadata.isEmpty); a follower
  // serves a consumer below its own HW once it follows a leader (a LeaderAndIsr made it one).
  const bool follower_read = !r->is_leader && !from_follower && request.client_metadata &&
                             settings_.fetch_from_follower && r->leader_epoch >= 0 && r->leader > 0;
  if (!r->is_leader && !follower_read) {
    out.error = "NOT_LEADER_OR_FOLLOWER";
    return out;
  }
  if (settings_.leader_epoch_fencing && p.current_leader_epoch >= 0) {
    if (p.current_leader_epoch < r->leader_epoch) out.error = "FENCED_LEADER_EPOCH";
    else if (p.current_leader_epoch > r->leader_epoch) out.error = "UNKNOWN_LEADER_EPOCH";
    if (!out.error.empty()) return out;
  }
  const PartitionLog& log = log_of(*r);
  out.hw = r->hw;
  out.leo = log.leo();
  if (from_follower && settings_.truncation == "diverging-epoch" && p.last_fetched_epoch >= 0) {
    // KAFKA-10554: the leader checks the follower's last fetched epoch and says where it diverges.
    auto [epoch, end] = log.end_offset_for(p.last_fetched_epoch, !settings_.epoch_cache_on_election);
    if (end < p.fetch_offset || epoch < p.last_fetched_epoch) {
      out.diverging = std::make_pair(epoch, end);
      return out;
    }
  }
  if (p.fetch_offset > log.leo() || p.fetch_offset < 0) {
    out.error = "OFFSET_OUT_OF_RANGE";
    return out;
  }
  if (!from_follower && r->is_leader && settings_.rack_aware_selector && request.client_metadata) {
    // A preferred read replica is named and nothing is read here (ReplicaManager.readFromLocalLog).
    out.preferred_read_replica = preferred_read_replica(*r, request, p.fetch_offset);
    if (out.preferred_read_replica >= 0) return out;
  }
  const std::int64_t limit = std::min(from_follower ? log.leo() : r->hw, p.fetch_offset + kMaxRecordsPerFetch);
  if (count_only != nullptr) {
    *count_only = std::max<std::int64_t>(0, limit - p.fetch_offset);
    return out;
  }
  for (std::int64_t o = p.fetch_offset; o < limit; ++o) out.records.push_back(log.at(o));
  return out;
}

int ReplicaManager::preferred_read_replica(Replica& r, const FetchRequest& request, std::int64_t fetch_offset) {
  if (request.client_rack.empty()) return -1;
  const auto& racks = broker_.world().scenario().racks;
  auto rack_of = [&](int b) { return b >= 1 && b <= static_cast<int>(racks.size()) ? racks[b - 1] : std::string(); };
  // RackAwareReplicaSelector.select: the leader if it is in the client's rack, else the replica there with
  // the highest LEO (then the one caught up most recently); none there: the leader.
  if (rack_of(broker_.broker_id()) == request.client_rack) return -1;
  int best = -1;
  for (int b : r.replicas) {
    if (b == broker_.broker_id() || rack_of(b) != request.client_rack || !contains(r.isr, b)) continue;
    const FollowerState& f = r.followers[b];
    if (f.leo < fetch_offset) continue;
    const FollowerState* cur = best < 0 ? nullptr : &r.followers[best];
    if (cur == nullptr || f.leo > cur->leo || (f.leo == cur->leo && f.last_caught_up > cur->last_caught_up)) best = b;
  }
  return best;
}

void ReplicaManager::on_fetch(const sim::Envelope& e, const FetchRequest& request) {
  const bool from_follower = request.replica_id >= 0;
  std::vector<std::string> isr_writes;  // the partitions whose ISR write this fetch started (ZooKeeper mode)
  for (const auto& p : request.partitions) {
    Replica* r = find_replica(p.partition);
    const bool writing_before = r != nullptr && r->pending_isr.has_value();
    std::int64_t readable = 0;
    FetchedPartition check = read(r, p, request, &readable);
    if (check.error == "FENCED_LEADER_EPOCH" || check.error == "UNKNOWN_LEADER_EPOCH")
      broker_.record("request-rejected", {{"broker", i64(broker_.broker_id())},
                                          {"request", std::string("Fetch")},
                                          {"from", i64(request.replica_id)},
                                          {"reason", check.error},
                                          {"partition", p.partition}});
    if (from_follower && check.error.empty() && !check.diverging) {
      update_follower(*r, request.replica_id, p.fetch_offset);
      r->followers[request.replica_id].broker_epoch = request.replica_broker_epoch;
      if (!settings_.alter_partition && !writing_before && r->pending_isr && r->pending_isr->size() > r->isr.size())
        isr_writes.push_back(p.partition);
    }
  }
  if (!isr_writes.empty()) {
    // Partition.maybeExpandIsr writes ZooKeeper synchronously in the handler thread: the answer (with the
    // records the joiner lacks) leaves only once every write it started has returned.
    auto remaining = std::make_shared<std::size_t>(isr_writes.size());
    auto reply_to = std::make_shared<sim::Envelope>(reply_address(e));
    for (const auto& name : isr_writes)
      isr_write_waiters_[name].push_back([this, remaining, reply_to, request] {
        if (--*remaining == 0) answer_or_park(std::move(*reply_to), request);
      });
    return;
  }
  answer_or_park(reply_address(e), request);
}

void ReplicaManager::release_isr_waiters(const std::string& partition) {
  auto it = isr_write_waiters_.find(partition);
  if (it == isr_write_waiters_.end()) return;
  std::vector<std::function<void()>> waiters = std::move(it->second);
  isr_write_waiters_.erase(it);
  for (auto& w : waiters) w();
}

void ReplicaManager::answer_or_park(sim::Envelope reply_to, const FetchRequest& request) {
  if (answer_fetch(reply_to, request, false)) return;
  // Long poll: nothing to send yet; wait for data or for max_wait (DelayedFetch in the fetch purgatory,
  // watched by each of its partitions).
  const std::uint64_t id = ++next_delayed_id_;
  ParkedFetch parked{std::move(reply_to), request, 0, id};
  parked.timer = broker_.after(request.max_wait, [this, id] {
    auto it = parked_fetches_.find(id);
    if (it == parked_fetches_.end()) return;
    ParkedFetch p = unpark(it);
    answer_fetch(p.reply_to, p.request, true);
  });
  for (const auto& p : parked.request.partitions) parked_by_partition_[p.partition].insert(id);
  parked_fetches_.emplace(id, std::move(parked));
}

ReplicaManager::ParkedFetch ReplicaManager::unpark(std::map<std::uint64_t, ParkedFetch>::iterator it) {
  ParkedFetch p = std::move(it->second);
  parked_fetches_.erase(it);
  for (const auto& fp : p.request.partitions) {
    auto w = parked_by_partition_.find(fp.partition);
    if (w == parked_by_partition_.end()) continue;
    w->second.erase(p.id);
    if (w->second.empty()) parked_by_partition_.erase(w);
  }
  return p;
}

bool ReplicaManager::answer_fetch(const sim::Envelope& reply_to, const FetchRequest& request, bool final) {
  auto replica = [this](const std::string& name) { return find_replica(name); };
  if (!final && request.max_wait > 0) {
    // DelayedFetch.tryComplete: answer now only if some partition has records, an error or a divergence.
    bool anything = false;
    for (const auto& p : request.partitions) {
      std::int64_t readable = 0;
      FetchedPartition out = read(replica(p.partition), p, request, &readable);
      anything = readable > 0 || !out.error.empty() || out.diverging.has_value() || out.preferred_read_replica >= 0;
      if (anything) break;
    }
    if (!anything) return false;
  }
  auto resp = std::make_unique<FetchResponse>();
  resp->record_bytes = settings_.record_bytes;
  for (const auto& p : request.partitions) resp->partitions.push_back(read(replica(p.partition), p, request));
  broker_.reply(reply_to, std::move(resp));
  return true;
}

void ReplicaManager::wake_parked_fetches(const std::string& partition) {
  // checkAndComplete(partition): only the fetches watching this partition, in the order they came.
  auto w = parked_by_partition_.find(partition);
  if (w == parked_by_partition_.end()) return;
  const std::vector<std::uint64_t> ids(w->second.begin(), w->second.end());
  for (std::uint64_t id : ids) {
    auto it = parked_fetches_.find(id);
    if (it == parked_fetches_.end()) continue;
    if (!answer_fetch(it->second.reply_to, it->second.request, false)) continue;
    broker_.cancel(it->second.timer);
    unpark(it);
  }
}

void ReplicaManager::on_offsets_for_leader_epoch(const sim::Envelope& e, const OffsetsForLeaderEpochRequest& request) {
  auto resp = std::make_unique<OffsetsForLeaderEpochResponse>();
  for (const auto& q : request.partitions) {
    EpochAnswer a;
    a.partition = q.partition;
    Replica* found = find_replica(q.partition);
    if (found == nullptr || !found->is_leader) {
      a.error = "NOT_LEADER_OR_FOLLOWER";
    } else if (settings_.leader_epoch_fencing && q.current_leader_epoch >= 0 &&
               q.current_leader_epoch != found->leader_epoch) {
      a.error = q.current_leader_epoch < found->leader_epoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH";
      broker_.record("request-rejected", {{"broker", i64(broker_.broker_id())},
                                          {"request", std::string("OffsetsForLeaderEpoch")},
                                          {"from", i64(request.replica_id)},
                                          {"reason", a.error},
                                          {"partition", q.partition}});
    } else {
      const PartitionLog& log = storage_.log(q.partition);
      if (settings_.truncation == "leader-epoch") {
        a.end_offset = log.end_offset_for_kip101(q.leader_epoch);
      } else {
        auto [epoch, end] = log.end_offset_for(q.leader_epoch, !settings_.epoch_cache_on_election);
        a.leader_epoch = epoch;
        a.end_offset = end;
      }
    }
    resp->partitions.push_back(a);
  }
  broker_.reply(e, std::move(resp));
}

ProducePartitionResponse ReplicaManager::produce_batch(const ProduceRequest& request, const ProduceBatch& batch,
                                                       std::int64_t& last_offset) {
  ProducePartitionResponse out;
  out.partition = batch.partition;
  last_offset = -1;
  Replica* found = find_replica(batch.partition);
  if (found == nullptr || !found->is_leader) {
    out.error = "NOT_LEADER_OR_FOLLOWER";
    return out;
  }
  Replica& r = *found;
  // acks=all is refused before the append when the ISR is below min.insync.replicas.
  if (request.acks == "all" && static_cast<int>(r.isr.size()) < settings_.min_insync) {
    broker_.record("request-rejected", {{"broker", i64(broker_.broker_id())},
                                        {"request", std::string("Produce")},
                                        {"producer", request.producer},
                                        {"reason", std::string("NOT_ENOUGH_REPLICAS")},
                                        {"partition", batch.partition}});
    out.error = "NOT_ENOUGH_REPLICAS";
    return out;
  }
  PartitionLog& log = log_of(r);
  const auto count = static_cast<std::int32_t>(batch.values.size());
  if (batch.producer_id >= 0) {
    // ProducerStateManager: a batch is appended only in sequence; a retry of a batch the log has is
    // answered with where it is (DUPLICATE, a success); a gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an older
    // producer epoch is fenced.
    const ProducerEntry* last = log.last_of(batch.producer_id);
    if (last != nullptr && batch.producer_epoch < last->epoch) {
      out.error = "INVALID_PRODUCER_EPOCH";
      return out;
    }
    const std::int64_t existing = log.offset_of(batch.producer_id, batch.producer_epoch, batch.base_sequence);
    if (existing >= 0) {
      out.base_offset = existing;
      last_offset = existing + count - 1;
      return out;
    }
    const std::int32_t expected = last != nullptr && last->epoch == batch.producer_epoch ? last->sequence + 1 : 0;
    if (batch.base_sequence != expected) {
      broker_.record("request-rejected", {{"broker", i64(broker_.broker_id())},
                                          {"request", std::string("Produce")},
                                          {"producer", request.producer},
                                          {"reason", std::string("OUT_OF_ORDER_SEQUENCE_NUMBER")},
                                          {"partition", batch.partition}});
      out.error = "OUT_OF_ORDER_SEQUENCE_NUMBER";
      return out;
    }
  }
  out.base_offset = log.leo();
  for (std::int32_t i = 0; i < count; ++i) {
    const std::int64_t offset = log.leo();
    Record rec{offset, r.leader_epoch, batch.values[static_cast<std::size_t>(i)], request.producer};
    if (batch.producer_id >= 0) {
      rec.producer_id = batch.producer_id;
      rec.producer_epoch = batch.producer_epoch;
      rec.sequence = batch.base_sequence + i;
    }
    log.append(std::move(rec), broker_.now());
    broker_.record("appended", {{"broker", i64(broker_.broker_id())},
                                {"partition", r.name},
                                {"offset", offset},
                                {"leader_epoch", r.leader_epoch},
                                {"value", batch.values[static_cast<std::size_t>(i)]}});
  }
  maybe_flush(r);
  last_offset = log.leo() - 1;
  return out;
}

void ReplicaManager::on_produce(const sim::Envelope& e, const ProduceRequest& request) {
  DelayedProduce d;
  d.reply_to = reply_address(e);
  produce(request, std::move(d));
}

void ReplicaManager::append_internal(const std::string& partition, std::vector<std::string> values, Micros timeout,
                                     const std::string& writer, AppendDone done) {
  ProduceRequest request;
  request.producer = writer;
  request.acks = "all";
  request.timeout = timeout;
  request.batches.push_back(ProduceBatch{partition, std::move(values), -1, -1, -1});
  DelayedProduce d;
  d.done = [done = std::move(done)](std::vector<ProducePartitionResponse>& partitions) { done(partitions.at(0)); };
  produce(request, std::move(d));
}

void ReplicaManager::produce(const ProduceRequest& request, DelayedProduce d) {
  bool waiting = false;
  std::vector<std::string> appended_to;
  for (const auto& batch : request.batches) {
    std::int64_t last_offset = -1;
    d.partitions.push_back(produce_batch(request, batch, last_offset));
    const bool ok = d.partitions.back().error.empty();
    if (ok) appended_to.push_back(batch.partition);
    // acks=all: the batch is acknowledged once the HW has passed it.
    const Replica* r = find_replica(batch.partition);
    const bool wait = ok && request.acks == "all" && r != nullptr && r->hw <= last_offset;
    d.waiting_for.push_back(wait ? last_offset : -1);
    waiting = waiting || wait;
  }
  for (const auto& name : appended_to) {
    wake_parked_fetches(name);
    if (Replica* r = find_replica(name)) maybe_advance_hw(*r);  // may settle a delayed produce at once
  }
  if (request.acks == "0") return;
  if (!waiting) {
    answer_delayed(d);
    return;
  }
  // Some partition may have been settled by the HW advance above before the request was parked: check.
  for (std::size_t i = 0; i < d.partitions.size(); ++i) {
    const Replica* r = find_replica(d.partitions[i].partition);
    if (d.waiting_for[i] >= 0 && r != nullptr && r->is_leader && r->hw > d.waiting_for[i]) d.waiting_for[i] = -1;
  }
  if (std::all_of(d.waiting_for.begin(), d.waiting_for.end(), [](std::int64_t w) { return w < 0; })) {
    answer_delayed(d);
    return;
  }
  d.id = ++next_delayed_id_;
  const std::uint64_t id = d.id;
  d.timer = broker_.after(request.timeout, [this, id] {
    for (auto it = delayed_produces_.begin(); it != delayed_produces_.end(); ++it)
      if (it->id == id) {
        for (std::size_t i = 0; i < it->partitions.size(); ++i)
          if (it->waiting_for[i] >= 0) {
            it->partitions[i].error = "REQUEST_TIMED_OUT";
            it->partitions[i].base_offset = -1;
          }
        answer_delayed(*it);
        delayed_produces_.erase(it);
        return;
      }
  });
  delayed_produces_.push_back(std::move(d));
}

void ReplicaManager::on_metadata(const sim::Envelope& e, const MetadataRequest& request) {
  auto resp = std::make_unique<MetadataResponse>();
  for (const auto& [name, s] : metadata_) {
    if (name.rfind(request.topic + "-", 0) != 0) continue;
    resp->leaders[name] = s.state.leader;
    resp->leader_epochs[name] = s.state.leader_epoch;
  }
  resp->brokers = broker_.metadata_live_brokers();
  broker_.reply(e, std::move(resp));
}

// ---------------------------------------------------------------------------------------------------
// Follower side.

void ReplicaManager::kick_fetcher(int leader) {
  if (fetcher_busy_[leader]) return;
  fetcher_busy_[leader] = true;
  broker_.after(0, [this, leader] {
    fetcher_busy_[leader] = false;
    run_fetcher(leader);
  });
}

void ReplicaManager::fetcher_backoff(int leader) {
  fetcher_busy_[leader] = true;
  broker_.after(settings_.fetch_backoff, [this, leader] {
    fetcher_busy_[leader] = false;
    run_fetcher(leader);
  });
}

void ReplicaManager::run_fetcher(int leader) {
  if (fetcher_busy_[leader]) return;
  if (!following_) {
    // Which replicas follow which leader, rebuilt only after a leadership change (name order).
    following_.emplace();
    for (auto& [name, r] : replicas_)
      if (!r.is_leader && r.leader > 0) (*following_)[r.leader].push_back(&r);
  }
  std::vector<Replica*> truncating, fetching;
  auto it = following_->find(leader);
  if (it == following_->end()) return;
  for (Replica* r : it->second) {
    if (r->fetch_state == FetchState::Truncating) truncating.push_back(r);
    else if (r->fetch_state == FetchState::Fetching) fetching.push_back(r);
  }
  if (!truncating.empty()) send_epoch_queries(leader, truncating);
  else if (!fetching.empty()) send_fetch(leader, fetching);
}

void ReplicaManager::send_epoch_queries(int leader, const std::vector<Replica*>& partitions) {
  auto request = std::make_unique<OffsetsForLeaderEpochRequest>();
  request->replica_id = broker_.broker_id();
  SentEpochs epochs;
  epochs.reserve(partitions.size());
  for (Replica* r : partitions) {
    request->partitions.push_back(EpochQuery{r->name, log_of(*r).latest_epoch(), fencing_epoch(*r)});
    epochs.emplace_back(r->name, r->leader_epoch);
  }
  fetcher_busy_[leader] = true;
  const Micros timeout = settings_.socket_timeout;
  broker_.request(broker_.world().broker_node(leader), std::move(request), timeout,
                  [this, leader, epochs = std::move(epochs)](sim::Failure f, const sim::Message* m) {
                    fetcher_busy_[leader] = false;
                    if (f != sim::Failure::None) return fetcher_backoff(leader);
                    on_epoch_answers(leader, static_cast<const OffsetsForLeaderEpochResponse&>(*m), epochs);
                  });
}

std::pair<std::int64_t, bool> ReplicaManager::truncation_point(Replica& r, std::int64_t leader_epoch,
                                                               std::int64_t end_offset) {
  PartitionLog& log = log_of(r);
  if (end_offset == kUndefinedOffset) return {std::min(r.hw, log.leo()), true};
  if (leader_epoch == kUndefinedEpoch) return {std::min(end_offset, log.leo()), true};
  auto [follower_epoch, follower_end] = log.end_offset_for(leader_epoch, !settings_.epoch_cache_on_election);
  if (follower_end == kUndefinedOffset) return {std::min(end_offset, log.leo()), true};
  if (follower_epoch != leader_epoch) {
    // The follower does not know that epoch: truncate to the end of its largest smaller epoch, ask again.
    const std::int64_t to = std::min(follower_end, log.leo());
    return {to, to >= log.leo()};
  }
  return {std::min({follower_end, end_offset, log.leo()}), true};
}

Replica* ReplicaManager::still_fetching(int leader, const SentEpochs& epochs, std::size_t i, const std::string& partition,
                                        FetchState state) {
  // A reply counts only for a replica that still follows this leader in the epoch it asked in, in the
  // state it asked from (a LeaderAndIsr may have moved it on while the request travelled).
  Replica* r = find_replica(partition);
  if (r == nullptr || r->is_leader || r->leader != leader || r->leader_epoch != sent_epoch(epochs, i, partition) ||
      r->fetch_state != state)
    return nullptr;
  return r;
}

void ReplicaManager::on_epoch_answers(int leader, const OffsetsForLeaderEpochResponse& resp,
                                      const SentEpochs& epochs) {
  bool failed = false;
  for (std::size_t i = 0; i < resp.partitions.size(); ++i) {
    const EpochAnswer& a = resp.partitions[i];
    Replica* found = still_fetching(leader, epochs, i, a.partition, FetchState::Truncating);
    if (found == nullptr) continue;
    Replica& r = *found;
    if (!a.error.empty()) {
      if (fenced_wait(r, a.error)) continue;
      failed = true;
      continue;
    }
    if (settings_.truncation == "leader-epoch") {
      // KIP-101: truncate to min(the leader's answer, own LEO); undefined -> the high watermark.
      const std::int64_t to = a.end_offset == kUndefinedOffset ? r.hw : std::min(a.end_offset, log_of(r).leo());
      truncate(r, to, "leader-epoch");
      r.fetch_state = FetchState::Fetching;
    } else {
      auto [to, completed] = truncation_point(r, a.leader_epoch, a.end_offset);
      truncate(r, to, "leader-epoch");
      if (completed) r.fetch_state = FetchState::Fetching;
    }
  }
  if (failed) return fetcher_backoff(leader);
  run_fetcher(leader);
}

void ReplicaManager::send_fetch(int leader, const std::vector<Replica*>& partitions) {
  auto request = std::make_unique<FetchRequest>();
  request->replica_id = broker_.broker_id();
  request->replica_broker_epoch = broker_.broker_epoch();
  request->max_wait = settings_.fetch_wait;
  SentEpochs epochs;
  epochs.reserve(partitions.size());
  request->partitions.reserve(partitions.size());
  const bool diverging = settings_.truncation == "diverging-epoch";
  for (Replica* r : partitions) {
    const PartitionLog& log = log_of(*r);
    request->partitions.push_back(
        FetchPartition{r->name, log.leo(), fencing_epoch(*r), diverging ? log.latest_epoch() : kUndefinedEpoch});
    epochs.emplace_back(r->name, r->leader_epoch);
  }
  fetcher_busy_[leader] = true;
  const Micros timeout = settings_.socket_timeout;
  broker_.request(broker_.world().broker_node(leader), std::move(request), timeout,
                  [this, leader, epochs = std::move(epochs)](sim::Failure f, const sim::Message* m) {
                    fetcher_busy_[leader] = false;
                    if (f != sim::Failure::None) return fetcher_backoff(leader);
                    on_fetch_response(leader, static_cast<const FetchResponse&>(*m), epochs);
                  });
}

void ReplicaManager::on_fetch_response(int leader, const FetchResponse& resp,
                                       const SentEpochs& epochs) {
  bool failed = false;
  // Truncations left to the step after this response (KAFKA-14704 before 3.5): (partition, the leader
  // epoch it was in, diverging epoch, end offset). That step truncates them, answers the consumers waiting
  // on them and only then lets the fetcher go on.
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t>> deferred;
  for (std::size_t i = 0; i < resp.partitions.size(); ++i) {
    const FetchedPartition& d = resp.partitions[i];
    Replica* found = still_fetching(leader, epochs, i, d.partition, FetchState::Fetching);
    if (found == nullptr) continue;
    Replica& r = *found;
    PartitionLog& log = log_of(r);
    if (d.diverging) {
      // KAFKA-14704: before 3.5 the HW of this response was applied in processPartitionData, and the
      // truncation done after the whole response (truncateOnFetchResponse): two steps, between which a
      // consumer reading from this follower (KIP-392) sees the HW over the records about to go. Since 3.5
      // the truncation comes first.
      const auto [epoch, end] = *d.diverging;
      if (settings_.truncate_before_hw) {
        truncate_to_divergence(r, epoch, end);
        set_follower_hw(r, d.hw);
        continue;
      }
      set_follower_hw(r, d.hw, /*wake_consumers=*/false);
      deferred.emplace_back(r.name, r.leader_epoch, epoch, end);
      continue;
    }
    if (d.error == "OFFSET_OUT_OF_RANGE") {
      // handleOffsetOutOfRange: the leader's log is shorter (an unclean election): truncate to its end.
      // Before KAFKA-7414 (2.1) a follower of a topic without unclean election exits instead
      // ("Exiting because log truncation is not allowed"): the state should be impossible there.
      if (d.leo < log.leo() && !settings_.out_of_range_never_fatal && !settings_.unclean_election) {
        broker_.fatal_exit("LOG_TRUNCATION_NOT_ALLOWED");
        return;
      }
      if (d.leo < log.leo()) truncate(r, d.leo, "out-of-range");
      continue;
    }
    if (!d.error.empty()) {
      if (fenced_wait(r, d.error)) continue;
      failed = true;
      continue;
    }
    for (const Record& rec : d.records) {
      if (rec.offset < log.leo()) continue;
      if (rec.offset > log.leo()) break;
      log.append(rec, broker_.now());
      maybe_flush(r);
      broker_.record("appended", {{"broker", i64(broker_.broker_id())},
                                  {"partition", r.name},
                                  {"offset", rec.offset},
                                  {"leader_epoch", rec.leader_epoch},
                                  {"value", rec.value}});
    }
    set_follower_hw(r, d.hw);
  }
  if (deferred.empty()) {
    if (failed) return fetcher_backoff(leader);
    return run_fetcher(leader);
  }
  broker_.after(0, [this, leader, failed, deferred = std::move(deferred)] {
    for (const auto& [name, in_epoch, epoch, end] : deferred) {
      Replica* r = find_replica(name);
      if (r == nullptr || r->is_leader || r->leader_epoch != in_epoch) continue;  // moved on meanwhile
      truncate_to_divergence(*r, epoch, end);
      if (settings_.fetch_from_follower) wake_parked_fetches(name);
    }
    if (failed) fetcher_backoff(leader);
    else run_fetcher(leader);
  });
}

void ReplicaManager::truncate_to_divergence(Replica& r, std::int64_t epoch, std::int64_t end) {
  auto [to, completed] = truncation_point(r, epoch, end);
  (void)completed;  // not completed: the next fetch carries the new last epoch and diverges again
  truncate(r, to, "diverging-epoch");
}

bool ReplicaManager::fenced_wait(Replica& r, const std::string& error) {
  // KIP-320's onPartitionFenced: a partition whose leader epoch is older than the leader's is removed from
  // the fetcher; it fetches again when a LeaderAndIsr brings the new epoch.
  if (error != "FENCED_LEADER_EPOCH" || !settings_.fenced_partition_waits) return false;
  r.fetch_state = FetchState::None;
  following_.reset();
  return true;
}

void ReplicaManager::stop_replicas(const std::vector<std::string>& partitions) {
  for (const auto& name : partitions) {
    Replica* r = find_replica(name);
    if (r == nullptr || r->is_leader) continue;
    r->fetch_state = FetchState::None;  // removeFetcherForPartitions
  }
}

void ReplicaManager::maybe_flush(Replica& r) {
  PartitionLog& log = log_of(r);
  if (log.leo() - log.flushed() >= r.flush_messages) {
    log.flush();
    r.last_flush = broker_.now();
  }
}

void ReplicaManager::flush_by_time() {
  for (auto& [name, r] : replicas_) {
    PartitionLog& log = log_of(r);
    if (log.flushed() == log.leo() || r.flush_ms > kMaxConfigMs) continue;
    if (broker_.now() - r.last_flush >= from_ms(r.flush_ms)) {
      log.flush();
      r.last_flush = broker_.now();
    }
  }
}

void ReplicaManager::flush_logs() {
  for (auto& [name, r] : replicas_) log_of(r).flush();
}

void ReplicaManager::checkpoint_hw() {
  // The history tells when the file's value changes (a file never written reads as 0), not every write:
  // what a restart reads back is what the report marks as the checkpointed HW.
  for (const auto& [name, r] : replicas_) {
    auto [it, fresh] = storage_.hw_checkpoint.try_emplace(name, r.hw);
    if (fresh ? r.hw == 0 : it->second == r.hw) continue;
    it->second = r.hw;
    broker_.record("hw-checkpointed", {{"broker", i64(broker_.broker_id())}, {"partition", name}, {"hw", r.hw}});
  }
}

}  // namespace kafkasim::models

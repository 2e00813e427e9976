// The KRaft controller: QuorumController's write path over the raft client, ClusterControlManager's
// registrations and fencing, ReplicationControlManager's partition changes with PartitionChangeBuilder's
// election order and KIP-966's ELR.
#include "models/kraft/quorum_controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/world.h"

namespace kafkasim::models::kraft {

namespace {
constexpr Micros kTopicCheckInterval = 250 * kMicrosPerMs;  // how often topic creation is tried again
std::int64_t i64(int v) { return v; }
// Where to send an answer later (after a commit): the request's sender, id and connection.
struct ReturnAddress {
  int from;
  std::uint64_t id;
  std::uint32_t channel;
  sim::Envelope envelope() const {
    sim::Envelope to;
    to.from = from;
    to.id = id;
    to.channel = channel;
    return to;
  }
};
ReturnAddress return_address(const sim::Envelope& e) { return ReturnAddress{e.from, e.id, e.channel}; }
void erase_value(std::vector<int>& v, int x) { v.erase(std::remove(v.begin(), v.end(), x), v.end()); }
}  // namespace

QuorumController::QuorumController(sim::World& world, int node, ControllerStorage& storage, const PartitionCatalog& catalog,
                                   std::int64_t& recorded_through)
    : sim::Node(world, node),
      storage_(storage),
      recorded_through_(recorded_through),
      catalog_(catalog),
      raft_(*this, storage.metadata.log, storage.metadata.quorum, /*voter=*/true, *this) {
  const auto& s = world.scenario();
  session_timeout_ = from_ms(s.config.integer("broker.session.timeout.ms"));
  elr_ = s.design.on("eligible-leader-replicas");
  broker_epoch_check_ = s.design.on("isr-join-requires-broker-epoch");
  unclean_ = s.config.boolean("unclean.leader.election.enable");
}

void QuorumController::on_start() { raft_.start(); }

void QuorumController::on_message(const sim::Envelope& e) {
  if (raft_.on_message(e)) return;
  const sim::Message* body = e.body.get();
  if (const auto* r = dynamic_cast<const BrokerRegistrationRequest*>(body)) on_registration(e, *r);
  else if (const auto* h = dynamic_cast<const BrokerHeartbeatRequest*>(body)) on_heartbeat(e, *h);
  else if (const auto* a = dynamic_cast<const AlterPartitionRequest*>(body)) on_alter_partition(e, *a);
}

// ---- the quorum ------------------------------------------------------------------------------------

void QuorumController::on_commit(std::int64_t offset, const MetadataRecord& record) {
  // The history tells each committed record's consequence once, by the leader that sees it committed
  // first (a new leader replays records its predecessor already told).
  if (raft_.is_leader() && offset >= recorded_through_) {
    record_committed(record);
    recorded_through_ = offset + 1;
  }
  committed_.apply(record);
  while (!waiting_.empty() && waiting_.begin()->first <= offset) {
    auto done = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    done(true);
  }
  // A new leader becomes the active controller once it has replayed its epoch's LeaderChange.
  if (!active_ && raft_.is_leader() && offset >= raft_.epoch_start_offset())
    after(0, [this] { activate(); });
}

void QuorumController::on_quorum_change() {
  if (active_ && !raft_.is_leader()) renounce();
}

void QuorumController::activate() {
  if (active_ || !raft_.is_leader() || committed_.applied <= raft_.epoch_start_offset()) return;
  active_ = true;
  ++activation_;
  live_ = committed_;
  activated_at_ = now();
  // BrokerHeartbeatManager is new with every activation: every registered broker starts a fresh session.
  last_contact_.clear();
  for (const auto& [id, b] : live_.brokers) last_contact_[id] = now();
  shutdown_offset_.clear();
  metadata_offset_.clear();
  active_epoch_ = raft_.epoch();
  record("controller-elected", {{"node", name()}, {"controller_epoch", active_epoch_}});
  maybe_create_topics();
  // Periodic work of the active controller, bound to this activation.
  struct Loop {
    static void arm(QuorumController* self, std::uint64_t activation) {
      self->after(kTopicCheckInterval, [self, activation] {
        if (!self->active_ || self->activation_ != activation) return;
        self->maybe_create_topics();
        if (!self->topics_created()) arm(self, activation);
      });
    }
  };
  Loop::arm(this, activation_);
  schedule_fence_check(now() + session_timeout_);
}

std::vector<MetadataRecord> QuorumController::fence_records(int broker, const char* reason) const {
  // ReplicationControlManager.handleBrokerFenced: the fence, then the broker out of every ISR and its
  // leaderships moved.
  MetadataRecord f;
  f.type = RecordType::FenceBroker;
  f.broker = broker;
  f.broker_epoch = live_.brokers.at(broker).broker_epoch;
  f.reason = reason;
  std::vector<MetadataRecord> records = {f};
  Change c;
  c.remove = broker;
  for (auto& rec : changes_for_broker(broker, c, reason)) records.push_back(std::move(rec));
  return records;
}

bool QuorumController::leads(int broker) const {
  for (const auto& [name, p] : live_.partitions)
    if (p.leader == broker) return true;
  return false;
}

bool QuorumController::topics_created() const {
  for (const auto& p : catalog_.all())
    if (std::find(live_.topics.begin(), live_.topics.end(), p.topic) == live_.topics.end()) return false;
  return true;
}

void QuorumController::schedule_fence_check(Micros at) {
  // QuorumController.rescheduleMaybeFenceStaleBrokers: the check runs when the earliest session ends.
  after(std::max<Micros>(at - now(), 0), [this, activation = activation_] {
    if (!active_ || activation_ != activation) return;
    fence_stale_brokers();
  });
}

void QuorumController::renounce() {
  // QuorumController.renounce: back to the committed state; what waited for a commit fails NOT_CONTROLLER.
  active_ = false;
  ++activation_;
  live_ = MetadataImage{};
  last_contact_.clear();
  shutdown_offset_.clear();
  record("controller-resigned", {{"node", name()}, {"controller_epoch", active_epoch_}});
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [offset, done] : waiting) done(false);
}

void QuorumController::write(std::vector<MetadataRecord> records, std::function<void(bool)> done) {
  if (!active_) return done(false);
  if (records.empty()) return wait_for_commit(raft_.end_offset() - 1, std::move(done));
  const std::int64_t first = raft_.end_offset();
  const std::int64_t last = raft_.append(std::move(records));
  if (last < 0) return done(false);
  for (std::int64_t o = first; o <= last; ++o) live_.apply(raft_.log().at(o));
  wait_for_commit(last, std::move(done));
}

void QuorumController::wait_for_commit(std::int64_t offset, std::function<void(bool)> done) {
  if (committed_.applied > offset) return done(true);
  waiting_.emplace(offset, std::move(done));
}

void QuorumController::record_committed(const MetadataRecord& r) {
  switch (r.type) {
    case RecordType::RegisterBroker:
      record("broker-registered", {{"broker", i64(r.broker)}, {"broker_epoch", r.broker_epoch}, {"controller", name()}});
      if (r.reason == "unclean-restart")
        record("broker-fenced", {{"broker", i64(r.broker)}, {"broker_epoch", r.broker_epoch},
                                 {"reason", std::string("unclean-restart")}});
      break;
    case RecordType::FenceBroker:
      record("broker-fenced", {{"broker", i64(r.broker)}, {"broker_epoch", r.broker_epoch}, {"reason", r.reason}});
      break;
    case RecordType::UnfenceBroker:
      record("broker-unfenced", {{"broker", i64(r.broker)}, {"broker_epoch", r.broker_epoch}});
      break;
    case RecordType::Partition:
      record("leader-elected", {{"partition", r.partition}, {"leader", i64(r.leader)}, {"leader_epoch", r.leader_epoch},
                                {"isr", to_int64s(r.isr)}, {"clean", true}, {"controller_epoch", r.epoch}});
      break;
    case RecordType::PartitionChange: {
      auto it = committed_.partitions.find(r.partition);
      if (it == committed_.partitions.end()) break;
      const PartitionImage& before = it->second;
      if (before.leader != r.leader || before.leader_epoch != r.leader_epoch)
        record("leader-elected", {{"partition", r.partition}, {"leader", i64(r.leader)},
                                  {"leader_epoch", r.leader_epoch}, {"isr", to_int64s(r.isr)}, {"clean", r.clean},
                                  {"controller_epoch", r.epoch}, {"reason", r.reason}});
      else if (before.isr != r.isr)
        record("isr-changed", {{"partition", r.partition}, {"isr", to_int64s(r.isr)}, {"leader_epoch", r.leader_epoch},
                               {"by", std::string(r.reason == "alter-partition" ? "leader" : "controller")},
                               {"leader", i64(r.leader)}});
      if (before.elr != r.elr || before.last_known_elr != r.last_known_elr)
        record("elr-changed", {{"partition", r.partition}, {"elr", to_int64s(r.elr)},
                               {"last_known_elr", to_int64s(r.last_known_elr)}, {"leader_epoch", r.leader_epoch}});
      break;
    }
    case RecordType::LeaderChange:
    case RecordType::Topic:
    case RecordType::BrokerControlledShutdown: break;
  }
}

// ---- brokers ---------------------------------------------------------------------------------------

void QuorumController::on_registration(const sim::Envelope& e, const BrokerRegistrationRequest& r) {
  auto answer = [this, to = return_address(e)](std::string error, std::int64_t epoch) {
    auto resp = std::make_unique<BrokerRegistrationResponse>();
    resp->error = std::move(error);
    resp->broker_epoch = epoch;
    reply(to.envelope(), std::move(resp));
  };
  if (!active_) return answer("NOT_CONTROLLER", -1);
  auto existing = live_.brokers.find(r.broker);
  if (existing != live_.brokers.end() && existing->second.incarnation == r.incarnation) {
    // A retried registration: the record is written already.
    const std::int64_t epoch = existing->second.broker_epoch;
    return write({}, [answer, epoch](bool ok) { answer(ok ? "" : "NOT_CONTROLLER", epoch); });
  }
  std::vector<MetadataRecord> records;
  std::string reason = "first";
  if (existing != live_.brokers.end()) {
    auto contact = last_contact_.find(r.broker);
    if (!existing->second.fenced && contact != last_contact_.end() && now() - contact->second < session_timeout_)
      return answer("DUPLICATE_BROKER_REGISTRATION", -1);
    // ReplicationControlManager.handleBrokerShutdown: an unclean restart (its previous epoch is not the
    // registration's) leaves ISR and ELR with ELR on; otherwise it is handled as a fenced broker.
    const bool clean = r.previous_broker_epoch == existing->second.broker_epoch;
    if (elr_ && !clean) {
      Change c;
      c.unclean_restart = r.broker;
      c.elect = true;
      records = changes_for_broker(r.broker, c, "unclean-restart");
      reason = "unclean-restart";
    } else {
      Change c;
      c.remove = r.broker;
      records = changes_for_broker(r.broker, c, "re-registration");
      reason = clean ? "clean-restart" : "restart";
    }
  }
  MetadataRecord reg;
  reg.type = RecordType::RegisterBroker;
  reg.broker = r.broker;
  reg.incarnation = r.incarnation;
  reg.reason = reason;
  records.push_back(reg);
  last_contact_[r.broker] = now();
  shutdown_offset_.erase(r.broker);
  const int broker = r.broker;
  write(std::move(records), [this, answer, broker](bool ok) {
    auto it = committed_.brokers.find(broker);
    answer(ok ? "" : "NOT_CONTROLLER", ok && it != committed_.brokers.end() ? it->second.broker_epoch : -1);
  });
  maybe_create_topics();
}

void QuorumController::on_heartbeat(const sim::Envelope& e, const BrokerHeartbeatRequest& r) {
  auto answer = [this, to = return_address(e)](std::string error, bool fenced, bool caught_up, bool shutdown) {
    auto resp = std::make_unique<BrokerHeartbeatResponse>();
    resp->error = std::move(error);
    resp->is_fenced = fenced;
    resp->is_caught_up = caught_up;
    resp->should_shutdown = shutdown;
    reply(to.envelope(), std::move(resp));
  };
  if (!active_) return answer("NOT_CONTROLLER", true, false, false);
  auto it = live_.brokers.find(r.broker);
  if (it == live_.brokers.end() || it->second.broker_epoch != r.broker_epoch)
    return answer("STALE_BROKER_EPOCH", true, false, false);
  last_contact_[r.broker] = now();
  metadata_offset_[r.broker] = r.metadata_offset;
  const BrokerRegistration b = it->second;
  std::vector<MetadataRecord> records;
  bool should_shutdown = false;
  if (r.want_shutdown) {
    if (b.fenced) {
      should_shutdown = true;
    } else if (!b.in_controlled_shutdown && !leads(r.broker)) {
      // BrokerHeartbeatManager: an unfenced broker that leads nothing may stop at once (SHUTDOWN_NOW): it
      // is fenced and leaves every ISR.
      records = fence_records(r.broker, "controlled-shutdown");
      should_shutdown = true;
    } else if (!b.in_controlled_shutdown) {
      // ReplicationControlManager.handleBrokerInControlledShutdown: leadership and ISR move away.
      MetadataRecord cs;
      cs.type = RecordType::BrokerControlledShutdown;
      cs.broker = r.broker;
      cs.broker_epoch = b.broker_epoch;
      records.push_back(cs);
      Change c;
      c.remove = r.broker;
      for (auto& rec : changes_for_broker(r.broker, c, "controlled-shutdown")) records.push_back(std::move(rec));
      shutdown_offset_[r.broker] = raft_.end_offset() + static_cast<std::int64_t>(records.size()) - 1;
    } else {
      // BrokerHeartbeatManager: CONTROLLED_SHUTDOWN -> SHUTDOWN_NOW once it leads nothing and every other
      // active broker has applied the controlled-shutdown changes (controlledShutdownOffset <=
      // lowestActiveOffset), so the new leaders know they lead; then it is fenced.
      std::int64_t lowest_active = INT64_MAX;
      for (const auto& [id, reg] : live_.brokers) {
        if (id == r.broker || !live_.active(id)) continue;
        auto o = metadata_offset_.find(id);
        lowest_active = std::min(lowest_active, o == metadata_offset_.end() ? 0 : o->second - 1);
      }
      auto off = shutdown_offset_.find(r.broker);
      if (!leads(r.broker) && (off == shutdown_offset_.end() || off->second <= lowest_active)) {
        records = fence_records(r.broker, "controlled-shutdown");  // it is in no ISR any more: the fence alone
        should_shutdown = true;
      }
    }
  } else if (b.fenced && r.metadata_offset > b.broker_epoch) {
    // Caught up past its own registration: unfenced, and leaderless partitions it may lead get it.
    MetadataRecord u;
    u.type = RecordType::UnfenceBroker;
    u.broker = r.broker;
    u.broker_epoch = b.broker_epoch;
    write({u}, [](bool) {});  // applied to the live image at once: the elections below see it unfenced
    Change c;
    c.elect = true;
    records = changes_for_broker(r.broker, c, "broker-unfenced");
  }
  const int broker = r.broker;
  const std::int64_t offset = r.metadata_offset;
  write(std::move(records), [this, answer, broker, should_shutdown, offset](bool ok) {
    if (!ok) return answer("NOT_CONTROLLER", true, false, false);
    const bool fenced = !committed_.unfenced(broker);
    answer("", fenced, offset >= raft_.high_watermark() - 1, should_shutdown);
  });
}

void QuorumController::fence_stale_brokers() {
  // BrokerHeartbeatManager.findOneStaleBroker: the unfenced broker heard from longest ago, if its session
  // has ended; fenced one at a time, the next looked for at once.
  int stale = -1;
  Micros oldest = 0, next = now() + session_timeout_;
  for (const auto& [id, b] : live_.brokers) {
    if (b.fenced) continue;
    auto [it, fresh] = last_contact_.try_emplace(id, now());
    (void)fresh;
    if (stale < 0 || it->second < oldest) {
      stale = id;
      oldest = it->second;
    }
    next = std::min(next, it->second + session_timeout_);
  }
  if (stale < 0 || now() - oldest < session_timeout_) return schedule_fence_check(next);
  write(fence_records(stale, "heartbeat-timeout"), [](bool) {});
  schedule_fence_check(now());
}

void QuorumController::maybe_create_topics() {
  if (!active_) return;
  const bool waited = now() - activated_at_ >= session_timeout_;
  std::vector<MetadataRecord> records;
  std::string topic;
  for (const auto& p : catalog_.all()) {
    if (std::find(live_.topics.begin(), live_.topics.end(), p.topic) != live_.topics.end()) continue;
    // An admin creates the topics once the brokers they name are up (or, after a session timeout, on those
    // that are). ReplicationControlManager.createTopic: the ISR is the assigned replicas that are active.
    std::vector<int> isr;
    for (int b : p.replicas)
      if (live_.active(b)) isr.push_back(b);
    if (isr.empty() || (isr.size() != p.replicas.size() && !waited)) return;
    if (p.topic != topic) {
      topic = p.topic;
      MetadataRecord t;
      t.type = RecordType::Topic;
      t.partition = p.topic;
      records.push_back(t);
    }
    MetadataRecord part;
    part.type = RecordType::Partition;
    part.partition = p.name;
    part.replicas = p.replicas;
    part.isr = isr;
    part.leader = isr.front();
    records.push_back(part);
  }
  if (!records.empty()) write(std::move(records), [](bool) {});
}

// ---- partitions ------------------------------------------------------------------------------------

int QuorumController::min_insync(const std::string& partition) const {
  if (auto where = world().scenario().find_partition(partition)) {
    auto it = where->first->configs.find("min.insync.replicas");
    if (it != where->first->configs.end()) return std::stoi(it->second);
  }
  return static_cast<int>(world().scenario().config.integer("min.insync.replicas"));
}

std::vector<MetadataRecord> QuorumController::changes_for_broker(int broker, const Change& base, const char* reason) const {
  std::vector<MetadataRecord> out;
  for (const auto& [name, p] : live_.partitions) {
    if (!contains(p.replicas, broker)) continue;
    if (base.elect && base.remove < 0 && base.unclean_restart < 0 && p.leader >= 0) continue;
    if (auto rec = partition_change(name, base, reason)) out.push_back(std::move(*rec));
  }
  return out;
}

std::optional<MetadataRecord> QuorumController::partition_change(const std::string& name, const Change& change,
                                                                 const char* reason) const {
  // PartitionChangeBuilder.build: the target ISR, then maybePopulateTargetElr, tryElection,
  // maybeUpdateRecordElr and maybeUpdateLastKnownLeader, in that order.
  const PartitionImage& p = live_.partitions.at(name);
  std::vector<int> isr = change.isr ? *change.isr : p.isr;
  std::vector<int> elr = p.elr, last_known = p.last_known_elr;
  if (change.remove >= 0 && contains(isr, change.remove)) {
    erase_value(isr, change.remove);
    // Without ELR the ISR is never empty: its last member stays (the partition goes leaderless).
    if (isr.empty() && !elr_) isr = {change.remove};
  }
  if (change.unclean_restart >= 0) erase_value(isr, change.unclean_restart);
  if (elr_) {
    // Below min ISR, the ISR members that leave stay eligible (the HW has stopped, so they hold every
    // committed record), unless an unclean shutdown may have cost them records; at min ISR it is cleared.
    if (static_cast<int>(isr.size()) >= min_insync(name)) {
      elr.clear();
    } else {
      std::vector<int> candidates = elr;
      for (int r : p.isr)
        if (!contains(candidates, r)) candidates.push_back(r);
      elr.clear();
      for (int r : candidates)
        if (!contains(isr, r) && r != change.unclean_restart) elr.push_back(r);
    }
  }
  auto acceptable = [&](int r) { return r >= 0 && r != change.remove && live_.active(r); };
  auto valid = [&](int r) { return (contains(isr, r) || (isr.empty() && contains(elr, r))) && acceptable(r); };
  int leader = p.leader;
  bool clean = true;
  if (change.preferred >= 0) {
    if (!contains(isr, change.preferred) || !acceptable(change.preferred) || p.leader == change.preferred)
      return std::nullopt;
    leader = change.preferred;
  } else if (!valid(p.leader)) {
    leader = -1;
    for (int r : p.replicas)
      if (valid(r)) {
        leader = r;
        break;
      }
    if (leader >= 0 && contains(elr, leader)) {
      isr = {leader};  // elected from the ELR
      erase_value(elr, leader);
    }
    // canElectLastKnownLeader: ISR and ELR empty and the last known leader unfenced, as Kafka elected the
    // last ISR member before 4.0; it may lack records, so the election is unclean.
    if (leader < 0 && elr_ && isr.empty() && elr.empty() && p.last_known_elr.size() == 1 &&
        acceptable(p.last_known_elr.front())) {
      leader = p.last_known_elr.front();
      clean = false;
    }
    if (leader < 0 && unclean_)
      for (int r : p.replicas)
        if (acceptable(r)) {
          leader = r;
          clean = false;
          break;
        }
    if (!clean) {
      isr = {leader};  // an unclean election restarts the ISR with the new leader and forgets the ELR
      elr.clear();
    }
  }
  if (elr_) {
    // maybeUpdateLastKnownLeader: the leader of the moment the ISR first empties; cleared once led again.
    if (isr.empty() && p.isr != isr && p.leader >= 0 && !(last_known.size() == 1 && last_known.front() == p.leader))
      last_known = {p.leader};
    else if (leader >= 0 && !last_known.empty())
      last_known.clear();
  }
  if (isr == p.isr && elr == p.elr && last_known == p.last_known_elr && leader == p.leader) return std::nullopt;
  MetadataRecord rec;
  rec.type = RecordType::PartitionChange;
  rec.partition = name;
  rec.replicas = p.replicas;
  rec.isr = isr;
  rec.elr = elr;
  rec.last_known_elr = last_known;
  rec.leader = leader;
  rec.leader_epoch = p.leader_epoch + (leader != p.leader ? 1 : 0);
  rec.partition_epoch = p.partition_epoch + 1;
  rec.clean = clean;
  rec.reason = reason;
  return rec;
}

void QuorumController::on_alter_partition(const sim::Envelope& e, const AlterPartitionRequest& r) {
  auto answer = [this, to = return_address(e), name = r.partition](std::string error, const PartitionImage* p) {
    auto resp = std::make_unique<AlterPartitionResponse>();
    resp->error = std::move(error);
    resp->partition = name;
    if (p != nullptr) {
      resp->state = LeaderIsr{p->leader, p->leader_epoch, p->isr, raft_.epoch()};
      resp->partition_epoch = p->partition_epoch;
    }
    reply(to.envelope(), std::move(resp));
  };
  auto refuse = [&](const char* error) {
    record("request-rejected", {{"broker", i64(r.broker)}, {"request", std::string("AlterPartition")},
                                {"from", i64(r.broker)}, {"reason", std::string(error)},
                                {"partition", r.partition}});
    answer(error, nullptr);
  };
  if (!active_) return answer("NOT_CONTROLLER", nullptr);
  auto b = live_.brokers.find(r.broker);
  if (b == live_.brokers.end() || b->second.broker_epoch != r.broker_epoch) return refuse("STALE_BROKER_EPOCH");
  auto pit = live_.partitions.find(r.partition);
  if (pit == live_.partitions.end()) return refuse("UNKNOWN_TOPIC_OR_PARTITION");
  const PartitionImage& p = pit->second;
  // ReplicationControlManager.validateAlterPartitionData: epochs this controller has not seen yet mean it
  // is behind (NOT_CONTROLLER, the broker asks again); older ones are fenced.
  if (r.leader_epoch > p.leader_epoch || r.partition_epoch > p.partition_epoch) return answer("NOT_CONTROLLER", nullptr);
  if (r.leader_epoch < p.leader_epoch) return refuse("FENCED_LEADER_EPOCH");
  if (p.leader != r.broker) return refuse("INVALID_REQUEST");
  if (r.partition_epoch < p.partition_epoch) return refuse("INVALID_UPDATE_VERSION");
  for (std::size_t i = 0; i < r.new_isr.size(); ++i) {
    const int m = r.new_isr[i];
    if (contains(p.isr, m)) continue;
    // KIP-841: a fenced or shutting-down broker may not join; KIP-903: nor one from an older registration.
    if (!live_.active(m)) return refuse("INELIGIBLE_REPLICA");
    if (broker_epoch_check_) {
      const std::int64_t sent = i < r.broker_epochs.size() ? r.broker_epochs[i] : -1;
      if (sent != -1 && sent != live_.brokers.at(m).broker_epoch) return refuse("INELIGIBLE_REPLICA");
    }
  }
  if (!contains(r.new_isr, r.broker)) return refuse("INVALID_REQUEST");
  Change c;
  c.isr = r.new_isr;
  auto rec = partition_change(r.partition, c, "alter-partition");
  const std::string name = r.partition;
  // Nothing to change still waits for what this controller has written (ControllerWriteEvent), and the
  // answer is the committed state.
  std::vector<MetadataRecord> records;
  if (rec) records.push_back(*rec);
  write(std::move(records), [this, answer, name](bool ok) {
    if (!ok) return answer("NOT_CONTROLLER", nullptr);
    auto it = committed_.partitions.find(name);
    answer("", it == committed_.partitions.end() ? nullptr : &it->second);
  });
}

void QuorumController::elect_preferred(const std::string& partition) {
  if (!active_ || live_.partitions.count(partition) == 0) return;
  Change c;
  c.preferred = live_.partitions.at(partition).replicas.front();
  if (auto rec = partition_change(partition, c, "preferred")) write({*rec}, [](bool) {});
}

}  // namespace kafkasim::models::kraft

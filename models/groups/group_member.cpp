// A group consumer: coordinator discovery, the eager rebalance with RangeAssignor, heartbeats and the
// poll timeout, committed offsets, the fetcher, and the application loop with its commit policy.
#include "models/groups/group_member.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/groups/assignors.h"
#include "models/groups/group_protocol.h"
#include "models/kafka_protocol.h"
#include "models/partition_state.h"
#include "sim/world.h"

namespace kafkasim::models::groups {

namespace {
// Errors that mean the coordinator moved or is not reachable: find it again (AbstractCoordinator).
bool coordinator_moved(const std::string& error) {
  return error == "NOT_COORDINATOR" || error == "COORDINATOR_NOT_AVAILABLE";
}
bool retriable_commit_error(const std::string& error) {
  return coordinator_moved(error) || error == "COORDINATOR_LOAD_IN_PROGRESS" || error == "REQUEST_TIMED_OUT";
}
}  // namespace

GroupMember::GroupMember(sim::World& world, int node, const ConsumerSpec& spec, ProcessingFaults& faults)
    : sim::Node(world, node),
      spec_(spec),
      faults_(faults),
      pipeline_(spec.retry_for.empty() ? spec.id : spec.retry_for),
      metadata_(*this, spec.topic, metadata_timeout(spec.config),
                [this](int b) { return static_cast<int>(fetch_in_flight_.count(b)); }),
      session_timeout_(from_ms(spec.config.integer("session.timeout.ms"))),
      heartbeat_interval_(from_ms(spec.config.integer("heartbeat.interval.ms"))),
      max_poll_interval_(from_ms(spec.config.integer("max.poll.interval.ms"))),
      auto_commit_interval_(from_ms(spec.config.integer("auto.commit.interval.ms"))),
      request_timeout_(from_ms(spec.config.integer("request.timeout.ms"))),
      retry_backoff_(from_ms(spec.config.integer("retry.backoff.ms"))),
      fetch_wait_(from_ms(spec.config.integer("fetch.max.wait.ms"))),
      api_timeout_(from_ms(spec.config.integer("default.api.timeout.ms"))),
      max_poll_records_(static_cast<std::size_t>(spec.config.integer("max.poll.records"))),
      fencing_(world.scenario().design.on("leader-epoch-fencing")),
      reset_latest_(spec.config.str("auto.offset.reset") == "latest"),
      cooperative_(spec.config.str("partition.assignment.strategy") == "cooperative-sticky") {
  const Scenario& s = world.scenario();
  if (!spec.sink.empty()) {
    sink_ = s.find_sink(spec.sink);
    if (auto n = world.find_node(spec.sink)) sink_node_ = *n;
  }
  if (const TopicSpec* t = s.find_topic(spec.topic)) partitions_ = t->partitions;
  if (spec.retry.on_error == "retry-topic") {
    if (const TopicSpec* t = s.find_topic(spec.retry.topic)) retry_partitions_ = t->partitions;
    retry_metadata_ = std::make_unique<MetadataView>(*this, spec.retry.topic, metadata_timeout(spec.config),
                                                     [](int) { return 0; });
  }
}

void GroupMember::on_start() {
  after(std::max<Micros>(spec_.from - now(), 0), [this] {
    last_poll_ = now();
    next_auto_commit_ = now() + auto_commit_interval_;
    after(heartbeat_interval_, [this] { heartbeat_tick(); });
    poll();
  });
}

// ---- the application thread -----------------------------------------------------------------------

void GroupMember::wait_and_poll(Micros delay) {
  // One timer: a sooner wake-up (data arrived) replaces a later one (the long-poll wait).
  if (poll_scheduled_ && poll_at_ <= now() + delay) return;
  if (poll_scheduled_) cancel(poll_timer_);
  poll_scheduled_ = true;
  poll_at_ = now() + delay;
  poll_timer_ = after(delay, [this] {
    poll_scheduled_ = false;
    poll();
  });
}

void GroupMember::poll() {
  // Without workers, the application thread is in the batch: nothing polls until it is done.
  if (busy_ && spec_.workers == 0) return;
  last_poll_ = now();
  // ensureCoordinatorReady, then ensureActiveGroup.
  if (coordinator_ < 1) return find_coordinator();
  // cooperative-sticky: an assignment that came while a batch was being processed takes effect here, in
  // poll(), where Kafka runs the rebalance listener.
  if (pending_assignment_) {
    std::vector<std::string> partitions = std::move(*pending_assignment_);
    pending_assignment_.reset();
    return assigned(partitions);
  }
  if (rejoin_needed_ || generation_ < 0) {
    join_group();
    // The eager protocol has revoked everything; the cooperative one goes on with what it owns meanwhile.
    if (!cooperative_ || generation_ < 0 || positions_.empty()) return;
  }
  if (!positions_known_) {
    fetch_committed();
    if (!cooperative_) return;
  }
  if (spec_.commit == "auto" && now() >= next_auto_commit_) {
    // maybeAutoCommitOffsetsAsync: the positions poll() returned so far, all processed by now.
    next_auto_commit_ = now() + auto_commit_interval_;
    commit(positions_, false, [](bool) {});
  }
  // With workers, every partition is paused while the pool works: poll() returns nothing, and the loop
  // (heartbeats' poll timeout, rebalances) goes on.
  if (busy_) return wait_and_poll(fetch_wait_);
  std::vector<Item> batch;
  for (auto& [p, records] : buffer_) {
    if (paused_until_.count(p) > 0) continue;
    if (auto pos = positions_.find(p); pos == positions_.end() || pos->second < 0) continue;
    while (!records.empty() && batch.size() < max_poll_records_) {
      batch.emplace_back(p, std::move(records.front()));
      records.pop_front();
    }
  }
  if (batch.empty()) {
    send_fetches();
    return wait_and_poll(fetch_wait_);
  }
  batch_generation_ = generation_;
  for (const auto& [p, rec] : batch) {
    record("consumed", {{"consumer", spec_.id}, {"partition", p}, {"offset", rec.offset}, {"value", rec.value}});
    positions_[p] = rec.offset + 1;
    last_read_[p] = rec.offset + 1;
  }
  send_fetches();  // the Fetcher prefetches while the batch is processed
  process_batch(std::move(batch));
  // With workers, the consumer thread goes on polling (its partitions paused) while the pool works.
  if (spec_.workers > 0 && busy_) wait_and_poll(fetch_wait_);
}

void GroupMember::process_batch(std::vector<Item> batch) {
  busy_ = true;
  run_ = BatchRun{};
  for (const auto& [p, rec] : batch) run_.ends[p] = rec.offset + 1;
  for (auto& item : batch) run_.pending.push_back(std::move(item));
  if (spec_.commit != "before-process") return dispatch();
  // Commit first: what a crash during processing loses.
  commit(run_.ends, true, [this](bool) { dispatch(); });
}

void GroupMember::dispatch() {
  const int threads = std::max(1, spec_.workers);
  while (!run_.aborted && run_.in_flight < threads && !run_.pending.empty()) {
    Item item = std::move(run_.pending.front());
    run_.pending.pop_front();
    if (run_.seeked.count(item.first) > 0) continue;  // sent back by a pause: fetched again once resumed
    ++run_.in_flight;
    attempt(std::move(item));
  }
  if (run_.in_flight == 0 && (run_.aborted || run_.pending.empty())) batch_done();
}

void GroupMember::attempt(Item item) {
  after(spec_.processing, [this, item = std::move(item)]() mutable {
    // A retry consumer's record fails as its forwarder's did: the error belongs to the forwarder's pipeline.
    const std::string& pipeline =
        spec_.retry_for.empty() || item.second.producer.empty() ? pipeline_ : item.second.producer;
    if (faults_.take(pipeline, item.second.value)) return processing_failed(std::move(item));
    if (sink_node_ >= 0) return write_to_sink(std::move(item));
    const auto& [p, rec] = item;
    const std::int64_t attempt = ++attempts_[{p, rec.offset}];
    record("processed", {{"consumer", spec_.id}, {"partition", p}, {"offset", rec.offset}, {"value", rec.value},
                         {"attempt", attempt}, {"group", spec_.group}});
    finished();
  });
}

void GroupMember::finished() {
  --run_.in_flight;
  dispatch();
}

void GroupMember::write_to_sink(Item item) {
  const auto& [p, rec] = item;
  auto w = std::make_unique<SinkWriteRequest>();
  w->consumer = spec_.id;
  w->partition = p;
  w->offset = rec.offset;
  w->value = rec.value;
  w->key = spec_.key == "record" ? rec.value : fmt::format("{}-{}", p, rec.offset);
  w->generation = batch_generation_;  // the generation the batch was polled in, even after the member left
  request(sink_node_, std::move(w), request_timeout_, [this, item = std::move(item)](sim::Failure f, const sim::Message* m) mutable {
    // A write not acknowledged is written again: it may have been applied (at least once).
    if (f != sim::Failure::None) {
      after(retry_backoff_, [this, item = std::move(item)]() mutable { write_to_sink(std::move(item)); });
      return;
    }
    if (!static_cast<const SinkWriteResponse&>(*m).error.empty()) {
      // FENCED: a newer generation owns the partition; this member is a zombie. It drops the rest of its
      // batch (Kafka's transactional producer gets ProducerFencedException) and rejoins.
      run_.aborted = true;
      rejoin_needed_ = true;
      return finished();
    }
    const auto& [part, r] = item;
    const std::int64_t attempt = ++attempts_[{part, r.offset}];
    record("processed", {{"consumer", spec_.id}, {"partition", part}, {"offset", r.offset}, {"value", r.value},
                         {"attempt", attempt}, {"group", spec_.group}});
    finished();
  });
}

// ---- the retry patterns -----------------------------------------------------------------------------

void GroupMember::processing_failed(Item item) {
  const auto& [p, rec] = item;
  const int failures = ++failures_[{p, rec.offset}];
  std::string handling = spec_.retry.on_error.empty()            ? "retry-in-place"
                         : spec_.retry.on_error == "pause-resume" ? "pause"
                                                                  : "retry-topic";
  if (handling != "retry-topic" && spec_.retry.attempts > 0 && failures >= spec_.retry.attempts) handling = "give-up";
  record("processing-failed", {{"consumer", spec_.id}, {"group", spec_.group}, {"partition", p}, {"offset", rec.offset},
                               {"value", rec.value}, {"attempt", std::int64_t{failures}}, {"handling", handling}});
  if (handling == "retry-in-place") {
    // The thread sleeps the backoff and tries again: without workers, that is the poll loop itself.
    after(spec_.retry.backoff, [this, item = std::move(item)]() mutable { attempt(std::move(item)); });
    return;
  }
  if (handling == "retry-topic") return produce_to_retry_topic(std::move(item));
  if (handling == "pause") pause_partition(p, rec.offset);
  finished();  // give-up: the application skips the record
}

void GroupMember::pause_partition(const std::string& partition, std::int64_t offset) {
  // consumer.seek(partition, offset) then consumer.pause(partition): the records after it in this batch are
  // dropped, poll() goes on without the partition, and after the backoff it is resumed and read again.
  // Whatever happens to the partition, this batch's commit must not pass the failed record.
  if (auto e = run_.ends.find(partition); e != run_.ends.end()) e->second = std::min(e->second, offset);
  auto pos = positions_.find(partition);
  if (pos == positions_.end()) return;  // revoked meanwhile (a rebalance while the workers processed)
  if (run_.seeked.count(partition) == 0 || offset < pos->second) {
    auto last = last_read_.find(partition);
    if (last != last_read_.end() && last->second != offset)
      record("consumer-position-reset", {{"consumer", spec_.id}, {"partition", partition}, {"from_offset", last->second},
                                         {"to_offset", offset}, {"reason", std::string("seek")}});
    pos->second = offset;
    last_read_[partition] = offset;
    run_.ends[partition] = std::min(run_.ends[partition], offset);
  }
  run_.seeked.insert(partition);
  buffer_[partition].clear();
  const Micros until = now() + spec_.retry.backoff;
  paused_until_[partition] = until;
  record("partition-paused", {{"consumer", spec_.id}, {"partition", partition}, {"offset", offset}});
  after(spec_.retry.backoff, [this, partition, until] {
    auto it = paused_until_.find(partition);
    if (it == paused_until_.end() || it->second != until) return;  // revoked, or paused again since
    paused_until_.erase(it);
    record("partition-resumed", {{"consumer", spec_.id}, {"partition", partition}});
    if (!busy_) wait_and_poll(0);
  });
}

void GroupMember::produce_to_retry_topic(Item item) {
  // The record goes to the retry topic's partition of the same number (acks=all, retried until it is
  // acknowledged), and the consumer goes on: its commit passes the record, which the retry group now owns.
  const std::string& p = item.first;
  const int index = std::stoi(p.substr(p.rfind('-') + 1));
  const std::string to = partition_name(spec_.retry.topic, retry_partitions_ > 0 ? index % retry_partitions_ : 0);
  auto again = [this](Item i) {
    retry_metadata_->refresh([] {});
    after(retry_backoff_, [this, i = std::move(i)]() mutable { produce_to_retry_topic(std::move(i)); });
  };
  const int leader = retry_metadata_->leader(to);
  if (leader < 1) return again(std::move(item));
  auto req = std::make_unique<ProduceRequest>();
  req->producer = spec_.id;
  req->acks = "all";
  req->timeout = request_timeout_;
  ProduceBatch b;
  b.partition = to;
  b.values = {item.second.value};
  req->batches.push_back(std::move(b));
  request(world().broker_node(leader), std::move(req), request_timeout_,
          [this, to, again, item = std::move(item)](sim::Failure f, const sim::Message* m) mutable {
            const auto* resp = f == sim::Failure::None ? static_cast<const ProduceResponse*>(m) : nullptr;
            if (resp == nullptr || resp->partitions.empty() || !resp->partitions[0].error.empty())
              return again(std::move(item));
            const auto& [part, rec] = item;
            record("retry-produced", {{"consumer", spec_.id}, {"group", spec_.group}, {"partition", part},
                                      {"offset", rec.offset}, {"value", rec.value}, {"to_partition", to},
                                      {"to_offset", resp->partitions[0].base_offset}});
            finished();
          });
}

void GroupMember::batch_done() {
  const bool aborted = run_.aborted;
  if (aborted || spec_.commit != "after-process") {
    busy_ = false;
    return poll();
  }
  // Without workers nothing moved the positions during the batch; with them a rebalance may have, so
  // the batch's own ends are committed (with the generation the member is in now, as commitSync does),
  // for the partitions it still owns: a partition revoked meanwhile is another member's now, and
  // committing its old end would move the group's offset back.
  Offsets ends;
  for (const auto& [p, end] : run_.ends)
    if (positions_.count(p) > 0) ends[p] = end;
  commit(spec_.workers > 0 ? ends : positions_, true, [this](bool) {
    busy_ = false;
    poll();
  });
}

// ---- commits ----------------------------------------------------------------------------------------

void GroupMember::commit(Offsets offsets, bool sync, std::function<void(bool)> done, Micros deadline) {
  if (offsets.empty()) return done(true);
  if (deadline < 0) deadline = now() + api_timeout_;
  auto failed = [this](const Offsets& o, const std::string& error) {
    for (const auto& [p, offset] : o)
      record("offset-commit-failed",
             {{"group", spec_.group}, {"consumer", spec_.id}, {"partition", p}, {"offset", offset}, {"error", error}});
  };
  auto retry_or_fail = [this, sync, deadline, failed](Offsets o, std::function<void(bool)> d, const std::string& error) {
    failed(o, error);
    if (!sync || now() + retry_backoff_ >= deadline) return d(false);
    after(retry_backoff_, [this, o = std::move(o), d = std::move(d), deadline]() mutable {
      commit(std::move(o), true, std::move(d), deadline);
    });
  };
  if (coordinator_ < 1) {
    if (!sync) return done(false);
    find_coordinator();
    return retry_or_fail(std::move(offsets), std::move(done), "COORDINATOR_NOT_AVAILABLE");
  }
  if (generation_ < 0) {
    // CommitFailedException: the member is not in a generation (it left or was removed).
    failed(offsets, member_id_.empty() ? "UNKNOWN_MEMBER_ID" : "ILLEGAL_GENERATION");
    rejoin_needed_ = true;
    return done(false);
  }
  auto req = std::make_unique<OffsetCommitRequest>();
  req->group = spec_.group;
  req->member_id = member_id_;
  req->generation = generation_;
  req->offsets = offsets;
  const std::int32_t generation = generation_;
  request(world().broker_node(coordinator_), std::move(req), request_timeout_,
          [this, offsets, generation, done = std::move(done), retry_or_fail, failed](sim::Failure f, const sim::Message* m) mutable {
            if (f != sim::Failure::None) {
              coordinator_unknown();
              return retry_or_fail(std::move(offsets), std::move(done), f == sim::Failure::Timeout ? "REQUEST_TIMED_OUT" : "NETWORK_EXCEPTION");
            }
            const auto& resp = static_cast<const OffsetCommitResponse&>(*m);
            std::string error;
            for (const auto& [p, e] : resp.errors)
              if (!e.empty()) error = e;
            if (error.empty()) {
              for (const auto& [p, offset] : offsets)
                record("offset-committed", {{"group", spec_.group}, {"consumer", spec_.id}, {"partition", p},
                                            {"offset", offset}, {"generation", std::int64_t{generation}}});
              return done(true);
            }
            if (coordinator_moved(error)) coordinator_unknown();
            if (retriable_commit_error(error)) return retry_or_fail(std::move(offsets), std::move(done), error);
            // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS: CommitFailedException; rejoin.
            failed(offsets, error);
            if (error == "UNKNOWN_MEMBER_ID") reset_generation(true);
            else if (error == "ILLEGAL_GENERATION") reset_generation(false);
            rejoin_needed_ = true;
            done(false);
          });
}

// ---- the coordinator and the rebalance --------------------------------------------------------------

void GroupMember::coordinator_unknown() { coordinator_ = -1; }

void GroupMember::find_coordinator() {
  if (finding_) return;
  const int broker = metadata_.least_loaded_broker();
  if (broker < 1) return wait_and_poll(retry_backoff_);
  finding_ = true;
  auto req = std::make_unique<FindCoordinatorRequest>();
  req->group = spec_.group;
  request(world().broker_node(broker), std::move(req), request_timeout_, [this](sim::Failure f, const sim::Message* m) {
    finding_ = false;
    if (f == sim::Failure::None) {
      const auto& resp = static_cast<const FindCoordinatorResponse&>(*m);
      if (resp.error.empty()) coordinator_ = resp.coordinator;
    }
    if (coordinator_ < 1) metadata_.refresh([] {});
    wait_and_poll(coordinator_ < 1 ? retry_backoff_ : 0);
  });
}

void GroupMember::reset_generation(bool forget_member) {
  generation_ = -1;
  if (forget_member) member_id_.clear();
  rejoin_needed_ = true;
}

void GroupMember::join_group() {
  if (joining_) return;
  joining_ = true;
  // onJoinPrepare: an auto-committing member commits what it consumed; then the eager protocol revokes
  // every partition, the cooperative one none (a member that lost its generation loses them all).
  const bool commit_first = spec_.commit == "auto" && generation_ >= 0 && !positions_.empty();
  auto revoke_and_join = [this](bool) {
    if (!cooperative_ || generation_ < 0) {
      positions_.clear();
      buffer_.clear();
      paused_until_.clear();
      positions_known_ = false;
    }
    send_join();
  };
  if (commit_first) return commit(positions_, true, revoke_and_join);
  revoke_and_join(true);
}

void GroupMember::send_join() {
  if (coordinator_ < 1) {
    joining_ = false;
    return wait_and_poll(0);
  }
  auto req = std::make_unique<JoinGroupRequest>();
  req->group = spec_.group;
  req->member_id = member_id_;
  req->client_id = spec_.id;
  req->session_timeout = session_timeout_;
  req->rebalance_timeout = max_poll_interval_;
  req->topic = spec_.topic;
  if (cooperative_ && generation_ >= 0) {
    for (const auto& [p, position] : positions_) req->owned.push_back(p);
    req->owned_generation = generation_;
  }
  std::string owned = "[";
  for (const auto& p : req->owned) owned += (owned.size() > 1 ? ", " : "") + p;
  std::vector<sim::Field> joining = {{"group", spec_.group}, {"consumer", spec_.id}, {"owned", owned + "]"}};
  if (generation_ >= 0) joining.push_back({"generation", std::int64_t{generation_}});  // the one it was in
  record("group-joining", std::move(joining));
  // A JoinGroup waits up to the rebalance timeout at the coordinator (the request timeout is raised to it).
  request(world().broker_node(coordinator_), std::move(req), max_poll_interval_ + 5 * kMicrosPerSecond,
          [this](sim::Failure f, const sim::Message* m) {
            if (f != sim::Failure::None) {
              joining_ = false;
              coordinator_unknown();
              return wait_and_poll(retry_backoff_);
            }
            const auto& resp = static_cast<const JoinGroupResponse&>(*m);
            if (!resp.error.empty()) {
              joining_ = false;
              if (resp.error == "UNKNOWN_MEMBER_ID") member_id_.clear();
              if (coordinator_moved(resp.error)) coordinator_unknown();
              return wait_and_poll(retry_backoff_);
            }
            member_id_ = resp.member_id;
            std::map<std::string, Subscription> members;
            for (const auto& [id, topic] : resp.members) {
              Subscription& sub = members[id];
              sub.topic = topic;
              if (auto o = resp.owned.find(id); o != resp.owned.end()) sub.owned = o->second;
              if (auto g = resp.owned_generation.find(id); g != resp.owned_generation.end()) sub.owned_generation = g->second;
            }
            generation_ = resp.generation;
            sync_group(resp.leader, members);
          });
}

void GroupMember::sync_group(const std::string& leader, const std::map<std::string, Subscription>& members) {
  auto req = std::make_unique<SyncGroupRequest>();
  req->group = spec_.group;
  req->member_id = member_id_;
  req->generation = generation_;
  if (leader == member_id_)
    req->assignments = cooperative_ ? cooperative_sticky_assign(members, spec_.topic, partitions_)
                                    : range_assign(members, spec_.topic, partitions_);
  request(world().broker_node(coordinator_), std::move(req), request_timeout_, [this](sim::Failure f, const sim::Message* m) {
    joining_ = false;
    if (f != sim::Failure::None) {
      coordinator_unknown();
      return wait_and_poll(retry_backoff_);
    }
    const auto& resp = static_cast<const SyncGroupResponse&>(*m);
    if (!resp.error.empty()) {
      if (resp.error == "UNKNOWN_MEMBER_ID") reset_generation(true);
      else reset_generation(false);
      if (coordinator_moved(resp.error)) coordinator_unknown();
      return wait_and_poll(retry_backoff_);
    }
    if (cooperative_ && busy_) {
      pending_assignment_ = resp.partitions;
      return;
    }
    assigned(resp.partitions);
  });
}

void GroupMember::assigned(const std::vector<std::string>& partitions) {
  rejoin_needed_ = false;
  if (!cooperative_) {
    positions_.clear();
    for (const auto& p : partitions) positions_[p] = -1;
    positions_known_ = false;
    return poll();
  }
  // onPartitionsRevoked for what it owned and was not given again; then it rejoins at once, so that the
  // partitions it gave up can be assigned to their new owners in the next generation.
  const std::set<std::string> given(partitions.begin(), partitions.end());
  bool revoked = false;
  for (auto it = positions_.begin(); it != positions_.end();) {
    if (given.count(it->first) > 0) {
      ++it;
      continue;
    }
    buffer_.erase(it->first);
    paused_until_.erase(it->first);
    it = positions_.erase(it);
    revoked = true;
  }
  for (const auto& p : partitions)
    if (positions_.emplace(p, -1).second) positions_known_ = false;  // onPartitionsAssigned: newly added
  if (revoked) rejoin_needed_ = true;
  poll();
}

void GroupMember::fetch_committed() {
  if (fetching_committed_) return;
  if (positions_.empty()) {
    positions_known_ = true;
    return wait_and_poll(fetch_wait_);
  }
  fetching_committed_ = true;
  const std::int32_t generation = generation_;
  if (sink_ != nullptr && sink_->kind == "transactional") {
    // The offsets stored with the records in the sink are where the partitions go on (seek()), and asking
    // for them fences the generations before this one.
    auto req = std::make_unique<SinkOffsetsRequest>();
    for (const auto& [p, o] : positions_)
      if (o < 0) req->partitions.push_back(p);
    req->generation = generation_;
    request(sink_node_, std::move(req), request_timeout_, [this, generation](sim::Failure f, const sim::Message* m) {
      fetching_committed_ = false;
      if (generation != generation_) return wait_and_poll(0);
      if (f != sim::Failure::None) return wait_and_poll(retry_backoff_);
      start_at(static_cast<const SinkOffsetsResponse&>(*m).offsets, "sink-offset");
    });
    return;
  }
  auto req = std::make_unique<OffsetFetchRequest>();
  req->group = spec_.group;
  for (const auto& [p, o] : positions_)
    if (o < 0) req->partitions.push_back(p);
  request(world().broker_node(coordinator_), std::move(req), request_timeout_,
          [this, generation](sim::Failure f, const sim::Message* m) {
            fetching_committed_ = false;
            if (generation != generation_) return wait_and_poll(0);
            const auto* resp = f == sim::Failure::None ? static_cast<const OffsetFetchResponse*>(m) : nullptr;
            if (resp == nullptr || !resp->error.empty()) {
              if (resp == nullptr || coordinator_moved(resp->error)) coordinator_unknown();
              return wait_and_poll(retry_backoff_);
            }
            start_at(resp->offsets, "committed-offset");
          });
}

void GroupMember::start_at(const std::map<std::string, std::int64_t>& offsets, const char* reason) {
  for (auto& [p, position] : positions_) {
    if (position >= 0) continue;  // cooperative: a partition it kept goes on from where it is
    auto it = offsets.find(p);
    const std::int64_t start = it == offsets.end() ? -1 : it->second;
    // None stored: auto.offset.reset (earliest: the log start; latest: the next Fetch's HW).
    if (start < 0 && reset_latest_) awaiting_latest_.insert(p);
    position = start < 0 ? 0 : start;
    auto last = last_read_.find(p);
    if (last != last_read_.end() && last->second != position)
      record("consumer-position-reset", {{"consumer", spec_.id}, {"partition", p}, {"from_offset", last->second},
                                         {"to_offset", position}, {"reason", std::string(reason)}});
    last_read_[p] = position;
  }
  positions_known_ = true;
  poll();
}

// ---- the heartbeat thread ---------------------------------------------------------------------------

void GroupMember::heartbeat_tick() {
  after(heartbeat_interval_, [this] { heartbeat_tick(); });
  // The heartbeat thread looks the coordinator up itself when it lost it (AbstractCoordinator.HeartbeatThread).
  if (generation_ >= 0 && coordinator_ < 1) return find_coordinator();
  if (generation_ < 0 || coordinator_ < 1 || joining_) return;
  if (now() - last_poll_ > max_poll_interval_) {
    // "consumer poll timeout has expired": the heartbeat thread leaves the group; the batch goes on.
    record("consumer-evicted", {{"group", spec_.group}, {"consumer", spec_.id}, {"reason", std::string("max-poll-interval")}});
    auto leave = std::make_unique<LeaveGroupRequest>();
    leave->group = spec_.group;
    leave->member_id = member_id_;
    request(world().broker_node(coordinator_), std::move(leave), request_timeout_, [](sim::Failure, const sim::Message*) {});
    reset_generation(true);
    return;
  }
  if (heartbeat_in_flight_) return;
  heartbeat_in_flight_ = true;
  auto req = std::make_unique<HeartbeatRequest>();
  req->group = spec_.group;
  req->member_id = member_id_;
  req->generation = generation_;
  const std::int32_t generation = generation_;
  request(world().broker_node(coordinator_), std::move(req), request_timeout_,
          [this, generation](sim::Failure f, const sim::Message* m) {
            heartbeat_in_flight_ = false;
            if (generation != generation_) return;
            if (f != sim::Failure::None) return coordinator_unknown();
            const std::string& error = static_cast<const HeartbeatResponse&>(*m).error;
            if (error.empty()) return;
            if (coordinator_moved(error)) return coordinator_unknown();
            if (error == "UNKNOWN_MEMBER_ID") reset_generation(true);
            else if (error == "ILLEGAL_GENERATION") reset_generation(false);
            else rejoin_needed_ = true;  // REBALANCE_IN_PROGRESS: rejoin at the next poll()
          });
}

// ---- the fetcher ------------------------------------------------------------------------------------

void GroupMember::send_fetches() {
  std::map<int, std::vector<std::string>> by_leader;
  for (const auto& [p, position] : positions_) {
    auto b = buffer_.find(p);
    if (position < 0 || (b != buffer_.end() && !b->second.empty()) || paused_until_.count(p) > 0) continue;
    const int leader = metadata_.leader(p);
    if (leader < 1) {
      metadata_.refresh([] {});
      continue;
    }
    if (fetch_in_flight_.count(leader) == 0) by_leader[leader].push_back(p);
  }
  for (const auto& [leader, partitions] : by_leader) {
    auto req = std::make_unique<FetchRequest>();
    req->replica_id = -1;
    req->consumer = spec_.id;
    req->max_wait = fetch_wait_;
    std::vector<std::int64_t> asked;
    for (const auto& p : partitions) {
      req->partitions.push_back(FetchPartition{p, positions_[p], fencing_ ? metadata_.leader_epoch(p) : -1, -1});
      asked.push_back(positions_[p]);
    }
    fetch_in_flight_.insert(leader);
    request(world().broker_node(leader), std::move(req), request_timeout_,
            [this, leader, partitions, asked](sim::Failure f, const sim::Message* m) {
              fetch_in_flight_.erase(leader);
              if (f != sim::Failure::None) {
                metadata_.refresh([] {});
                return;
              }
              const auto& resp = static_cast<const FetchResponse&>(*m);
              bool refresh = false;
              for (std::size_t i = 0; i < resp.partitions.size() && i < asked.size(); ++i) {
                const FetchedPartition& d = resp.partitions[i];
                auto pos = positions_.find(d.partition);
                // Revoked since, or moved (a reset): the data is dropped.
                if (pos == positions_.end() || pos->second != asked[i]) continue;
                if (d.error == "OFFSET_OUT_OF_RANGE") {
                  const std::int64_t to = reset_latest_ ? d.hw : 0;
                  record("consumer-position-reset", {{"consumer", spec_.id}, {"partition", d.partition}, {"from_offset", pos->second},
                                                     {"to_offset", to}, {"reason", std::string("offset-out-of-range")}});
                  pos->second = to;
                  last_read_[d.partition] = to;
                  continue;
                }
                if (!d.error.empty()) {
                  refresh = true;
                  continue;
                }
                if (awaiting_latest_.erase(d.partition) > 0) {
                  pos->second = d.hw;
                  last_read_[d.partition] = d.hw;
                  continue;
                }
                auto& buffered = buffer_[d.partition];
                std::int64_t next = pos->second;
                for (const auto& rec : d.records) {
                  if (rec.offset != next) continue;
                  buffered.push_back(rec);
                  ++next;
                }
              }
              if (refresh) metadata_.refresh([] {});
              if (!busy_) wait_and_poll(0);
            });
  }
}

}  // namespace kafkasim::models::groups

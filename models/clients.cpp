// Producer and consumer (clients/src/main/java/org/apache/kafka/clients/producer/internals/Sender.java,
// consumer/internals/Fetcher.java), reduced to what replication safety depends on: one record per
// Produce request; the consumer sends one Fetch per leader broker with every partition it leads.
#include "models/clients.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/kafka_protocol.h"
#include "models/partition_state.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
// reconnect.backoff.ms (50): a client does not connect again to a broker that just failed before this.
constexpr Micros kReconnectBackoff = 50 * kMicrosPerMs;
}  // namespace

MetadataView::MetadataView(sim::Node& owner, std::string topic, Micros timeout, std::function<int(int)> in_flight)
    : owner_(owner), topic_(std::move(topic)), timeout_(timeout), in_flight_to_(std::move(in_flight)) {
  for (int b = 1; b <= owner_.world().scenario().brokers; ++b) nodes_.push_back(b);
}

int MetadataView::leader(const std::string& partition) const {
  auto it = leaders_.find(partition);
  return it == leaders_.end() ? -1 : it->second;
}

std::int64_t MetadataView::leader_epoch(const std::string& partition) const {
  auto it = epochs_.find(partition);
  return it == epochs_.end() ? -1 : it->second;
}

void MetadataView::refresh(std::function<void()> done) {
  waiting_.push_back(std::move(done));
  if (in_flight_) return;
  in_flight_ = true;
  ask(0);
}

int MetadataView::least_loaded_broker() {
  // NetworkClient.leastLoadedNode: from a random offset, the first ready node with nothing in flight,
  // else the ready node with the fewest requests in flight, else one it may connect to (not in
  // reconnect backoff).
  if (nodes_.empty()) return -1;
  const auto offset = static_cast<std::size_t>(owner_.rng().between(0, static_cast<std::int64_t>(nodes_.size()) - 1));
  int ready = -1, ready_in_flight = 0, can_connect = -1;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const int b = nodes_[(offset + i) % nodes_.size()];
    if (connected_.count(b) > 0) {
      const int n = in_flight_to_ ? in_flight_to_(b) : 0;
      if (n == 0) return b;
      if (ready < 0 || n < ready_in_flight) {
        ready = b;
        ready_in_flight = n;
      }
    } else if (can_connect < 0) {
      auto until = backoff_until_.find(b);
      if (until == backoff_until_.end() || until->second <= owner_.now()) can_connect = b;
    }
  }
  return ready >= 0 ? ready : can_connect;
}

void MetadataView::ask(int attempt) {
  auto finish = [this] {
    in_flight_ = false;
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting) w();
  };
  // Every broker it knows has failed once in a row: the caller's own backoff takes over.
  if (attempt >= static_cast<int>(nodes_.size())) return finish();
  const int broker = least_loaded_broker();
  if (broker < 0) {
    // Every known broker is in reconnect backoff: Metadata waits for the first to end it.
    Micros soonest = -1;
    for (int b : nodes_) {
      auto until = backoff_until_.find(b);
      if (until != backoff_until_.end() && (soonest < 0 || until->second < soonest)) soonest = until->second;
    }
    owner_.after(std::max<Micros>(soonest - owner_.now(), kMicrosPerMs), [this, attempt] { ask(attempt); });
    return;
  }
  auto req = std::make_unique<MetadataRequest>();
  req->topic = topic_;
  owner_.request(owner_.world().broker_node(broker), std::move(req), timeout_,
                 [this, attempt, broker, finish](sim::Failure f, const sim::Message* m) {
                   if (f != sim::Failure::None) {
                     // A failed connection: not ready, and not tried again before reconnect.backoff.ms.
                     connected_.erase(broker);
                     backoff_until_[broker] = owner_.now() + kReconnectBackoff;
                     return ask(attempt + 1);
                   }
                   connected_.insert(broker);
                   backoff_until_.erase(broker);
                   const auto& resp = static_cast<const MetadataResponse&>(*m);
                   // The brokers the answering broker knows alive become the nodes to ask next.
                   if (!resp.brokers.empty()) nodes_.assign(resp.brokers.begin(), resp.brokers.end());
                   // KIP-320 (with leader-epoch fencing): Metadata.updateLatestMetadata keeps what it knows
                   // when a broker's cache reports an older leader epoch (a stale or deposed broker).
                   const bool monotonic = owner_.world().scenario().design.on("leader-epoch-fencing");
                   for (const auto& [p, l] : resp.leaders) {
                     const std::int64_t epoch = resp.leader_epochs.at(p);
                     auto known = epochs_.find(p);
                     if (monotonic && known != epochs_.end() && epoch < known->second) continue;
                     leaders_[p] = l;
                     epochs_[p] = epoch;
                   }
                   finish();
                 });
}

Micros metadata_timeout(const Config& config) {
  // NetworkClient gives up on a broker that does not answer well before request.timeout.ms when it
  // cannot even connect (socket.connection.setup.timeout.ms, 10 s).
  return std::min(from_ms(config.integer("request.timeout.ms")), 10 * kMicrosPerSecond);
}

// ---------------------------------------------------------------------------------------------------

Producer::Producer(sim::World& world, int node, const ProducerSpec& spec)
    : sim::Node(world, node),
      spec_(spec),
      metadata_(*this, spec.topic, metadata_timeout(spec.config), [this](int b) { return in_flight_to(b); }),
      request_timeout_(from_ms(spec.config.integer("request.timeout.ms"))),
      delivery_timeout_(from_ms(spec.config.integer("delivery.timeout.ms"))),
      retry_backoff_(from_ms(spec.config.integer("retry.backoff.ms"))),
      linger_(from_ms(spec.config.integer("linger.ms"))),
      retries_(spec.config.integer("retries")),
      idempotent_(spec.idempotent()),
      max_in_flight_(static_cast<int>(std::min<std::int64_t>(spec.config.integer("max.in.flight.requests.per.connection"), 1000))),
      batch_records_(std::max<std::size_t>(1, static_cast<std::size_t>(spec.config.integer("batch.size")) /
                                                  static_cast<std::size_t>(world.scenario().config.integer("sim.record.bytes")))),
      record_bytes_(static_cast<std::size_t>(world.scenario().config.integer("sim.record.bytes"))) {}

void Producer::on_start() {
  metadata_.refresh([this] { pump(); });
  if (idempotent_) init_producer_id();
  if (spec_.rate.records_x1e6 > 0) after(std::max<Micros>(spec_.from - now(), 0), [this] { tick(); });
}

void Producer::tick() {
  const Micros until = spec_.until > 0 ? spec_.until : world().scenario().duration;
  if (stopped_ || now() >= until) return;
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  int partition = spec_.partition.value_or(next_partition_);
  next_partition_ = (next_partition_ + 1) % topic->partitions;
  append(partition_name(spec_.topic, partition), fmt::format("{}-{}", spec_.id, value_seq_++));
  // The k-th send is due at from + k / rate exactly (rounded up to the microsecond), so every second holds
  // exactly the rate's number of sends; a rounded interval would drift (400000/s would send 500000).
  const std::int64_t k = ++steady_sent_;
  const Micros due = std::max(spec_.from, Micros{0}) + spec_.rate.offset_of(k);
  after(std::max<Micros>(due - now(), 0), [this] { tick(); });
}

void Producer::send_scripted(int partition, const std::string& value, int count) {
  for (int i = 0; i < count; ++i)
    append(partition_name(spec_.topic, partition), count == 1 ? value : fmt::format("{}.{}", value, i));
}

std::int64_t Producer::pending() const {
  std::int64_t n = 0;
  for (const auto& [p, q] : batches_)
    for (const auto& b : q) n += static_cast<std::int64_t>(b.values.size());
  return n;
}

void Producer::append(const std::string& partition, std::string value) {
  // KafkaProducer.send: the record joins the partition's open batch in the accumulator.
  record("produce-sent", {{"producer", spec_.id}, {"partition", partition}, {"value", value}, {"acks", spec_.acks}});
  auto& q = batches_[partition];
  if (q.empty() || q.back().sealed || q.back().in_flight || q.back().values.size() >= batch_records_) {
    Batch b;
    b.id = ++next_batch_id_;
    b.partition = partition;
    b.created = now();
    q.push_back(std::move(b));
  }
  q.back().values.push_back(std::move(value));
  pump();
}

void Producer::init_producer_id() {
  if (id_requested_ || producer_id_ >= 0) return;
  id_requested_ = true;
  const int brokers = world().scenario().brokers;
  const int broker = static_cast<int>(rng().between(1, brokers));
  request(world().broker_node(broker), std::make_unique<InitProducerIdRequest>(), request_timeout_,
          [this](sim::Failure f, const sim::Message* m) {
            id_requested_ = false;
            if (f != sim::Failure::None) {
              after(retry_backoff_, [this] { init_producer_id(); });
              return;
            }
            const auto& resp = static_cast<const InitProducerIdResponse&>(*m);
            producer_id_ = resp.producer_id;
            producer_epoch_ = resp.producer_epoch;
            pump();
          });
}

Producer::Batch* Producer::find(std::uint64_t id) {
  for (auto& [p, q] : batches_)
    for (auto& b : q)
      if (b.id == id) return &b;
  return nullptr;
}

void Producer::remove(std::uint64_t id) {
  for (auto& [p, q] : batches_)
    for (auto it = q.begin(); it != q.end(); ++it)
      if (it->id == id) {
        q.erase(it);
        return;
      }
}

void Producer::expire_stuck() {
  // delivery.timeout.ms bounds how long a record waits, for a leader or a retry.
  std::vector<std::uint64_t> expired;
  for (auto& [p, q] : batches_)
    for (auto& b : q)
      if (!b.in_flight && now() - b.created > delivery_timeout_) expired.push_back(b.id);
  for (std::uint64_t id : expired)
    if (Batch* b = find(id)) fail(*b, "TIMEOUT");
}

void Producer::arm_pump(Micros delay) {
  if (pump_armed_) return;
  pump_armed_ = true;
  after(std::max<Micros>(delay, 0), [this] {
    pump_armed_ = false;
    if (!refresh_wanted_) return pump();
    refresh_wanted_ = false;
    metadata_.refresh([this] { pump(); });
  });
}

void Producer::pump() {
  if (idempotent_ && producer_id_ < 0) return init_producer_id();
  expire_stuck();
  Micros wake = -1;
  auto wake_at = [&](Micros t) { wake = wake < 0 ? t : std::min(wake, t); };
  std::map<int, std::vector<Batch*>> by_leader;
  for (auto& [partition, q] : batches_) {
    const int leader = metadata_.leader(partition);
    const bool any_in_flight = std::any_of(q.begin(), q.end(), [](const Batch& b) { return b.in_flight; });
    for (auto& b : q) {
      if (b.in_flight) continue;
      if (b.retry_at > now()) {
        wake_at(b.retry_at);
        break;
      }
      // An idempotent producer resends a batch only when nothing of its partition is out, so the broker
      // sees its sequence numbers in order (RecordAccumulator.shouldStopDrainBatchesForPartition).
      if (idempotent_ && b.base_sequence >= 0 && any_in_flight) break;
      const bool ready = b.sealed || b.values.size() >= batch_records_ || now() - b.created >= linger_ || stopped_;
      if (!ready) {
        wake_at(b.created + linger_);
        break;
      }
      if (leader < 1) {
        refresh_wanted_ = true;
        wake_at(now() + retry_backoff_);
        break;
      }
      by_leader[leader].push_back(&b);
      break;  // one batch per partition per request
    }
  }
  for (auto& [leader, list] : by_leader)
    if (in_flight_[leader] < max_in_flight_) send_to(leader, list);
  if (wake >= 0) arm_pump(wake - now());
}

void Producer::send_to(int leader, std::vector<Batch*> batches) {
  auto req = std::make_unique<ProduceRequest>();
  req->producer = spec_.id;
  req->acks = spec_.acks;
  req->timeout = request_timeout_;
  req->record_bytes = record_bytes_;
  std::vector<std::uint64_t> sent;
  for (Batch* b : batches) {
    if (idempotent_ && (b->base_sequence < 0 || b->producer_epoch != producer_epoch_)) {
      // Sequence numbers are given when a batch is first drained (and again after an epoch bump).
      b->base_sequence = next_sequence_[b->partition];
      b->producer_epoch = producer_epoch_;
      next_sequence_[b->partition] += static_cast<std::int32_t>(b->values.size());
    }
    b->sealed = true;
    b->in_flight = true;
    ++b->attempts;
    ProduceBatch pb;
    pb.partition = b->partition;
    pb.values = b->values;
    if (idempotent_) {
      pb.producer_id = producer_id_;
      pb.producer_epoch = b->producer_epoch;
      pb.base_sequence = b->base_sequence;
    }
    req->batches.push_back(std::move(pb));
    sent.push_back(b->id);
  }
  const int to = world().broker_node(leader);
  if (spec_.acks == "0") {
    // Fire and forget: the future completes at once, with no offset and nothing to retry.
    Node::send(to, std::move(req));
    for (std::uint64_t id : sent) remove(id);
    return;
  }
  ++in_flight_[leader];
  request(to, std::move(req), request_timeout_,
          [this, leader, sent](sim::Failure f, const sim::Message* m) { on_response(leader, sent, f, m); });
}

void Producer::on_response(int leader, const std::vector<std::uint64_t>& sent, sim::Failure f, const sim::Message* m) {
  --in_flight_[leader];
  const auto* resp = f == sim::Failure::None ? static_cast<const ProduceResponse*>(m) : nullptr;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    Batch* b = find(sent[i]);
    if (b == nullptr) continue;
    b->in_flight = false;
    if (resp == nullptr || i >= resp->partitions.size()) {
      retry(*b, f == sim::Failure::Timeout ? "TIMEOUT" : "NETWORK_EXCEPTION");
      continue;
    }
    const ProducePartitionResponse& r = resp->partitions[i];
    if (r.error.empty()) {
      for (std::size_t k = 0; k < b->values.size(); ++k)
        record("produce-acked", {{"producer", spec_.id},
                                 {"partition", b->partition},
                                 {"value", b->values[k]},
                                 {"offset", r.base_offset + static_cast<std::int64_t>(k)},
                                 {"acks", spec_.acks}});
      remove(b->id);
      continue;
    }
    if (r.error == "OUT_OF_ORDER_SEQUENCE_NUMBER") {
      // With nothing before it outstanding, the gap is real (the broker lost records): the batch fails,
      // and the producer bumps its epoch and numbers from 0 again (KIP-360); otherwise it waits for what
      // is ahead of it and is sent again.
      auto& q = batches_[b->partition];
      const bool first = !q.empty() && q.front().id == b->id;
      if (first && std::none_of(q.begin(), q.end(), [](const Batch& x) { return x.in_flight; })) {
        fail(*b, r.error);
        ++producer_epoch_;
        next_sequence_.clear();
        continue;
      }
    }
    if (r.error == "INVALID_PRODUCER_EPOCH") {
      fail(*b, r.error);
      continue;
    }
    retry(*b, r.error);
  }
  pump();
}

void Producer::retry(Batch& b, const std::string& error) {
  // retries and delivery.timeout.ms bound the attempts; a retry waits retry.backoff.ms and, after an error
  // that says the leader moved, fresh metadata.
  if (b.attempts > retries_ || now() - b.created > delivery_timeout_) return fail(b, error);
  b.retry_at = now() + retry_backoff_;
  if (error == "NOT_LEADER_OR_FOLLOWER" || error == "TIMEOUT" || error == "NETWORK_EXCEPTION" ||
      error == "UNKNOWN_TOPIC_OR_PARTITION")
    refresh_wanted_ = true;
  arm_pump(retry_backoff_);
}

void Producer::fail(Batch& b, const std::string& error) {
  for (const auto& value : b.values)
    record("produce-failed",
           {{"producer", spec_.id}, {"partition", b.partition}, {"value", value}, {"error", error}, {"acks", spec_.acks}});
  remove(b.id);
}

// ---------------------------------------------------------------------------------------------------

Consumer::Consumer(sim::World& world, int node, const ConsumerSpec& spec)
    : sim::Node(world, node),
      spec_(spec),
      metadata_(*this, spec.topic, metadata_timeout(spec.config), [this](int b) { return in_flight_to(b); }),
      fetch_wait_(from_ms(spec.config.integer("fetch.max.wait.ms"))),
      request_timeout_(from_ms(spec.config.integer("request.timeout.ms"))),
      retry_backoff_(from_ms(spec.config.integer("retry.backoff.ms"))),
      metadata_max_age_(from_ms(spec.config.integer("metadata.max.age.ms"))),
      fencing_(world.scenario().design.on("leader-epoch-fencing")),
      validates_position_(world.scenario().design.on("consumer-validates-position")),
      client_metadata_(world.scenario().design.on("fetch-from-follower")),
      reset_to_(spec.config.str("auto.offset.reset")),
      client_rack_(spec.config.str("client.rack")) {}

void Consumer::on_start() {
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  after(std::max<Micros>(spec_.from - now(), 0), [this, topic] {
    metadata_.refresh([this, topic] {
      for (int i = 0; i < topic->partitions; ++i) {
        const std::string p = partition_name(spec_.topic, i);
        positions_[p] = 0;  // auto.offset.reset from no committed offset: the log start
        state_[p].leader_epoch = metadata_.leader_epoch(p);
      }
      poll();
    });
  });
}

int Consumer::fetch_target(const std::string& partition) {
  PartitionState& st = state_[partition];
  if (st.preferred_read_replica > 0 && now() < st.preferred_until) return st.preferred_read_replica;
  st.preferred_read_replica = -1;
  return metadata_.leader(partition);
}

void Consumer::poll() {
  std::map<int, std::vector<std::string>> by_broker, to_validate;
  Micros earliest_retry = -1;  // the soonest a partition still backing off may be fetched again
  for (const auto& [partition, position] : positions_) {
    auto wait = retry_at_.find(partition);
    if (wait != retry_at_.end() && wait->second > now()) {
      if (earliest_retry < 0 || wait->second < earliest_retry) earliest_retry = wait->second;
      continue;
    }
    const int leader = metadata_.leader(partition);
    if (leader < 1) {
      backoff(partition, true);
      continue;
    }
    PartitionState& st = state_[partition];
    const std::int64_t epoch = metadata_.leader_epoch(partition);
    if (epoch != st.leader_epoch) {
      // maybeValidatePositionForCurrentLeader: a new leader (epoch) is checked before it is read from,
      // if the position has an epoch to check; either way the preferred read replica is forgotten.
      st.leader_epoch = epoch;
      st.preferred_read_replica = -1;
      st.awaiting_validation = validates_position_ && st.offset_epoch >= 0 && epoch >= 0;
    }
    if (st.awaiting_validation) {
      if (in_flight_.count(leader) == 0) to_validate[leader].push_back(partition);
      continue;
    }
    const int target = fetch_target(partition);
    if (in_flight_.count(target) == 0) by_broker[target].push_back(partition);
  }
  for (const auto& [leader, partitions] : to_validate) validate_at(leader, partitions);
  for (const auto& [broker, partitions] : by_broker)
    if (in_flight_.count(broker) == 0) fetch_from(broker, partitions);
  // A partition backed off again after the retry timer was set would otherwise wait for some other
  // fetch to complete, and with none in flight, forever.
  if (earliest_retry >= 0) arm_retry(earliest_retry - now());
}

void Consumer::reset_position(const std::string& partition, std::int64_t to, const char* reason) {
  auto pos = positions_.find(partition);
  if (pos == positions_.end() || pos->second == to) return;
  record("consumer-position-reset", {{"consumer", spec_.id},
                                     {"partition", partition},
                                     {"from_offset", pos->second},
                                     {"to_offset", to},
                                     {"reason", std::string(reason)}});
  pos->second = to;
}

void Consumer::validate_at(int leader, const std::vector<std::string>& partitions) {
  auto req = std::make_unique<OffsetsForLeaderEpochRequest>();
  req->replica_id = -1;
  std::vector<std::pair<std::int64_t, std::int64_t>> asked;  // (position, its epoch) when sent
  for (const auto& p : partitions) {
    const PartitionState& st = state_[p];
    req->partitions.push_back(EpochQuery{p, st.offset_epoch, st.leader_epoch});
    asked.emplace_back(positions_[p], st.offset_epoch);
  }
  in_flight_.insert(leader);
  request(world().broker_node(leader), std::move(req), request_timeout_,
          [this, leader, partitions, asked](sim::Failure f, const sim::Message* m) {
            in_flight_.erase(leader);
            if (f != sim::Failure::None) {
              for (const auto& p : partitions) backoff(p, true);
              return poll();
            }
            const auto& resp = static_cast<const OffsetsForLeaderEpochResponse&>(*m);
            for (std::size_t i = 0; i < resp.partitions.size() && i < asked.size(); ++i) {
              const EpochAnswer& a = resp.partitions[i];
              PartitionState& st = state_[a.partition];
              // maybeCompleteValidation: an answer for a position since moved is ignored.
              if (!st.awaiting_validation || positions_[a.partition] != asked[i].first) continue;
              if (!a.error.empty()) {
                backoff(a.partition, true);
                continue;
              }
              st.awaiting_validation = false;
              if (a.end_offset < 0) {
                // Undefined: the leader has nothing of that epoch; reset by auto.offset.reset.
                if (reset_to_ == "latest") st.reset_to_latest = true;
                else reset_position(a.partition, 0, "truncation-detected");
                st.offset_epoch = -1;  // a reset position has no epoch to check
              } else if (a.end_offset < positions_[a.partition]) {
                // "Truncation detected ... resetting offset to the first offset known to diverge".
                reset_position(a.partition, a.end_offset, "truncation-detected");
                if (a.leader_epoch >= 0) st.offset_epoch = a.leader_epoch;
              }
            }
            poll();
          });
}

void Consumer::fetch_from(int broker, const std::vector<std::string>& partitions) {
  auto req = std::make_unique<FetchRequest>();
  req->replica_id = -1;
  req->consumer = spec_.id;
  req->max_wait = fetch_wait_;
  req->client_metadata = client_metadata_;
  req->client_rack = client_rack_;
  std::set<std::string> from_replica;  // partitions read from their preferred read replica (KIP-392)
  for (const auto& p : partitions) {
    req->partitions.push_back(FetchPartition{p, positions_[p], fencing_ ? metadata_.leader_epoch(p) : -1, -1});
    if (state_[p].preferred_read_replica == broker) from_replica.insert(p);
  }
  in_flight_.insert(broker);
  request(world().broker_node(broker), std::move(req), request_timeout_,
          [this, broker, partitions, from_replica](sim::Failure f, const sim::Message* m) {
            in_flight_.erase(broker);
            if (f != sim::Failure::None) {
              for (const auto& p : partitions) {
                state_[p].preferred_read_replica = -1;  // back to the leader
                backoff(p, true);
              }
              return poll();
            }
            const auto& resp = static_cast<const FetchResponse&>(*m);
            for (const auto& d : resp.partitions) {
              auto pos = positions_.find(d.partition);
              if (pos == positions_.end()) continue;
              PartitionState& st = state_[d.partition];
              // Fetcher.initializeCompletedFetch: data for a partition without a valid position (a leader
              // change came while this fetch was out, and the position awaits validation) is dropped.
              if (st.awaiting_validation) continue;
              const bool from_follower = from_replica.count(d.partition) > 0;
              if (d.preferred_read_replica > 0) {
                // KIP-392: read from that replica until metadata.max.age.ms has passed.
                st.preferred_read_replica = d.preferred_read_replica;
                st.preferred_until = now() + metadata_max_age_;
                continue;
              }
              if (!d.error.empty() && from_follower) {
                // Any error from a follower sends the consumer back to the leader (clearPreferredReadReplica).
                st.preferred_read_replica = -1;
                backoff(d.partition, d.error != "OFFSET_OUT_OF_RANGE");
                continue;
              }
              if (d.error == "OFFSET_OUT_OF_RANGE") {
                reset_position(d.partition, reset_to_ == "latest" ? d.hw : 0, "offset-out-of-range");
                st.offset_epoch = -1;
                backoff(d.partition, false);
                continue;
              }
              if (!d.error.empty()) {
                backoff(d.partition, true);
                continue;
              }
              if (st.reset_to_latest) {
                st.reset_to_latest = false;
                reset_position(d.partition, d.hw, "truncation-detected");
                continue;
              }
              for (const auto& rec : d.records) {
                if (rec.offset != pos->second) continue;
                record("consumed",
                       {{"consumer", spec_.id}, {"partition", d.partition}, {"offset", rec.offset}, {"value", rec.value}});
                ++pos->second;
                st.offset_epoch = rec.leader_epoch;
              }
            }
            poll();
          });
}

void Consumer::backoff(const std::string& partition, bool refresh) {
  retry_at_[partition] = now() + retry_backoff_;
  refresh_wanted_ = refresh_wanted_ || refresh;
  arm_retry(retry_backoff_);
}

void Consumer::arm_retry(Micros delay) {
  if (retry_armed_) return;
  retry_armed_ = true;
  after(delay, [this] {
    retry_armed_ = false;
    if (!refresh_wanted_) return poll();
    refresh_wanted_ = false;
    metadata_.refresh([this] { poll(); });
  });
}

}  // namespace kafkasim::models

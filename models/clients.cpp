// Producer and consumer (clients/src/main/java/org/apache/kafka/clients/producer/internals/Sender.java,
// consumer/internals/Fetcher.java), reduced to what replication safety depends on: one record per
// Produce request; the consumer sends one Fetch per leader broker with every partition it leads.
#include "models/clients.h"

#include <fmt/format.h>

#include "models/kafka_protocol.h"
#include "models/partition_state.h"
#include "sim/world.h"

namespace kafkasim::models {

MetadataView::MetadataView(sim::Node& owner, std::string topic, Micros timeout)
    : owner_(owner), topic_(std::move(topic)), timeout_(timeout) {}

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
  ask(0, nullptr);
}

void MetadataView::ask(int attempt, std::function<void()>) {
  const int brokers = owner_.world().scenario().brokers;
  auto finish = [this] {
    in_flight_ = false;
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting) w();
  };
  if (attempt >= brokers) return finish();
  const int broker = next_broker_ % brokers + 1;
  auto req = std::make_unique<MetadataRequest>();
  req->topic = topic_;
  owner_.request(owner_.world().broker_node(broker), std::move(req), timeout_,
                 [this, attempt, finish](sim::Failure f, const sim::Message* m) {
                   if (f != sim::Failure::None) {
                     ++next_broker_;  // leastLoadedNode moves on from a broker that does not answer
                     return ask(attempt + 1, nullptr);
                   }
                   const auto& resp = static_cast<const MetadataResponse&>(*m);
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

namespace {
Micros metadata_timeout(const Config& config) {
  // NetworkClient gives up on a broker that does not answer well before request.timeout.ms when it
  // cannot even connect (socket.connection.setup.timeout.ms, 10 s).
  return std::min(from_ms(config.integer("request.timeout.ms")), 10 * kMicrosPerSecond);
}
}  // namespace

// ---------------------------------------------------------------------------------------------------

Producer::Producer(sim::World& world, int node, const ProducerSpec& spec)
    : sim::Node(world, node),
      spec_(spec),
      metadata_(*this, spec.topic, metadata_timeout(spec.config)),
      request_timeout_(from_ms(spec.config.integer("request.timeout.ms"))),
      delivery_timeout_(from_ms(spec.config.integer("delivery.timeout.ms"))),
      retry_backoff_(from_ms(spec.config.integer("retry.backoff.ms"))),
      retries_(spec.config.integer("retries")),
      idempotent_(spec.config.boolean("enable.idempotence") && spec.acks == "all"),
      record_bytes_(static_cast<std::size_t>(world.scenario().config.integer("sim.record.bytes"))) {}

void Producer::on_start() {
  metadata_.refresh([] {});
  if (spec_.rate.records_x1e6 > 0) after(std::max<Micros>(spec_.from - now(), 0), [this] { tick(); });
}

void Producer::tick() {
  const Micros until = spec_.until > 0 ? spec_.until : world().scenario().duration;
  if (stopped_ || now() >= until) return;
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  int partition = spec_.partition.value_or(next_partition_);
  next_partition_ = (next_partition_ + 1) % topic->partitions;
  send(Send{partition_name(spec_.topic, partition), fmt::format("{}-{}", spec_.id, sequence_++)});
  // The k-th send is due at from + k / rate exactly (rounded up to the microsecond), so every second holds
  // exactly the rate's number of sends; a rounded interval would drift (400000/s would send 500000).
  const std::int64_t k = ++steady_sent_;
  const Micros due = std::max(spec_.from, Micros{0}) + spec_.rate.offset_of(k);
  after(std::max<Micros>(due - now(), 0), [this] { tick(); });
}

void Producer::send_scripted(int partition, const std::string& value, int count) {
  for (int i = 0; i < count; ++i)
    send(Send{partition_name(spec_.topic, partition), count == 1 ? value : fmt::format("{}.{}", value, i)});
}

void Producer::send(Send s) {
  const int leader = metadata_.leader(s.partition);
  if (leader < 1) {
    // No leader known: wait for metadata (the record sits in the accumulator meanwhile).
    if (s.first_sent < 0) s.first_sent = now();
    if (now() - s.first_sent > delivery_timeout_) return fail(s, "TIMEOUT");
    after(retry_backoff_, [this, s] { metadata_.refresh([this, s] { send(s); }); });
    return;
  }
  if (s.attempts == 0)
    record("produce-sent", {{"producer", spec_.id}, {"partition", s.partition}, {"value", s.value}, {"acks", spec_.acks}});
  if (s.first_sent < 0) s.first_sent = now();
  ++s.attempts;
  auto req = std::make_unique<ProduceRequest>();
  req->producer = spec_.id;
  req->partition = s.partition;
  req->acks = spec_.acks;
  req->timeout = request_timeout_;
  req->value = s.value;
  req->idempotent = idempotent_;
  req->record_bytes = record_bytes_;
  const int to = world().broker_node(leader);
  if (spec_.acks == "0") {
    Node::send(to, std::move(req));
    return;
  }
  request(to, std::move(req), request_timeout_,
          [this, s](sim::Failure f, const sim::Message* m) {
            if (f != sim::Failure::None) return retry(s, f == sim::Failure::Timeout ? "TIMEOUT" : "NETWORK_EXCEPTION");
            const auto& resp = static_cast<const ProduceResponse&>(*m);
            if (!resp.error.empty()) return retry(s, resp.error);
            record("produce-acked", {{"producer", spec_.id},
                                     {"partition", s.partition},
                                     {"value", s.value},
                                     {"offset", resp.offset},
                                     {"acks", spec_.acks}});
          });
}

void Producer::retry(Send s, const std::string& error) {
  if (s.attempts > retries_ || now() - s.first_sent > delivery_timeout_) return fail(s, error);
  after(retry_backoff_, [this, s] { metadata_.refresh([this, s] { send(s); }); });
}

void Producer::fail(const Send& s, const std::string& error) {
  record("produce-failed",
         {{"producer", spec_.id}, {"partition", s.partition}, {"value", s.value}, {"error", error}, {"acks", spec_.acks}});
}

// ---------------------------------------------------------------------------------------------------

Consumer::Consumer(sim::World& world, int node, const ConsumerSpec& spec)
    : sim::Node(world, node),
      spec_(spec),
      metadata_(*this, spec.topic, metadata_timeout(spec.config)),
      fetch_wait_(from_ms(spec.config.integer("fetch.max.wait.ms"))),
      request_timeout_(from_ms(spec.config.integer("request.timeout.ms"))),
      retry_backoff_(from_ms(spec.config.integer("retry.backoff.ms"))),
      fencing_(world.scenario().design.on("leader-epoch-fencing")),
      reset_to_(spec.config.str("auto.offset.reset")) {}

void Consumer::on_start() {
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  after(std::max<Micros>(spec_.from - now(), 0), [this, topic] {
    metadata_.refresh([this, topic] {
      for (int i = 0; i < topic->partitions; ++i)
        positions_[partition_name(spec_.topic, i)] = 0;  // auto.offset.reset from no committed offset: the log start
      poll();
    });
  });
}

void Consumer::poll() {
  std::map<int, std::vector<std::string>> by_leader;
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
    if (in_flight_.count(leader) == 0) by_leader[leader].push_back(partition);
  }
  for (const auto& [leader, partitions] : by_leader) fetch_from(leader, partitions);
  // A partition backed off again after the retry timer was set would otherwise wait for some other
  // fetch to complete, and with none in flight, forever.
  if (earliest_retry >= 0) arm_retry(earliest_retry - now());
}

void Consumer::fetch_from(int leader, const std::vector<std::string>& partitions) {
  auto req = std::make_unique<FetchRequest>();
  req->replica_id = -1;
  req->consumer = spec_.id;
  req->max_wait = fetch_wait_;
  for (const auto& p : partitions)
    req->partitions.push_back(FetchPartition{p, positions_[p], fencing_ ? metadata_.leader_epoch(p) : -1, -1});
  in_flight_.insert(leader);
  request(world().broker_node(leader), std::move(req), request_timeout_,
          [this, leader, partitions](sim::Failure f, const sim::Message* m) {
            in_flight_.erase(leader);
            if (f != sim::Failure::None) {
              for (const auto& p : partitions) backoff(p, true);
              return poll();
            }
            const auto& resp = static_cast<const FetchResponse&>(*m);
            for (const auto& d : resp.partitions) {
              auto pos = positions_.find(d.partition);
              if (pos == positions_.end()) continue;
              if (d.error == "OFFSET_OUT_OF_RANGE") {
                pos->second = reset_to_ == "latest" ? d.hw : 0;
                backoff(d.partition, false);
                continue;
              }
              if (!d.error.empty()) {
                backoff(d.partition, true);
                continue;
              }
              for (const auto& rec : d.records) {
                if (rec.offset != pos->second) continue;
                record("consumed",
                       {{"consumer", spec_.id}, {"partition", d.partition}, {"offset", rec.offset}, {"value", rec.value}});
                ++pos->second;
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

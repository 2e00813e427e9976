// Producer and consumer (clients/src/main/java/org/apache/kafka/clients/producer/internals/Sender.java,
// consumer/internals/Fetcher.java), reduced to what replication safety depends on: one record per
// Produce request, one Fetch per partition.
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
    : sim::Node(world, node), spec_(spec), metadata_(*this, spec.topic, metadata_timeout(spec.config)) {}

void Producer::on_start() {
  metadata_.refresh([] {});
  if (spec_.rate_per_s > 0) after(std::max<Micros>(spec_.from - now(), 0), [this] { tick(); });
}

void Producer::tick() {
  const Micros until = spec_.until > 0 ? spec_.until : world().scenario().duration;
  if (stopped_ || now() >= until) return;
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  int partition = spec_.partition.value_or(next_partition_);
  next_partition_ = (next_partition_ + 1) % topic->partitions;
  send(Send{partition_name(spec_.topic, partition), fmt::format("{}-{}", spec_.id, sequence_++)});
  const auto interval = static_cast<Micros>(static_cast<double>(kMicrosPerSecond) / spec_.rate_per_s);
  after(std::max<Micros>(interval, 1), [this] { tick(); });
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
    const Micros delivery = from_ms(spec_.config.integer("delivery.timeout.ms"));
    if (now() - s.first_sent > delivery) return fail(s, "TIMEOUT");
    after(from_ms(spec_.config.integer("retry.backoff.ms")), [this, s] { metadata_.refresh([this, s] { send(s); }); });
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
  req->timeout = from_ms(spec_.config.integer("request.timeout.ms"));
  req->value = s.value;
  req->idempotent = spec_.config.boolean("enable.idempotence") && spec_.acks == "all";
  req->record_bytes = static_cast<std::size_t>(world().scenario().config.integer("sim.record.bytes"));
  const int to = world().broker_node(leader);
  if (spec_.acks == "0") {
    Node::send(to, std::move(req));
    return;
  }
  request(to, std::move(req), from_ms(spec_.config.integer("request.timeout.ms")),
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
  const Micros delivery = from_ms(spec_.config.integer("delivery.timeout.ms"));
  if (s.attempts > spec_.config.integer("retries") || now() - s.first_sent > delivery) return fail(s, error);
  after(from_ms(spec_.config.integer("retry.backoff.ms")), [this, s] { metadata_.refresh([this, s] { send(s); }); });
}

void Producer::fail(const Send& s, const std::string& error) {
  record("produce-failed",
         {{"producer", spec_.id}, {"partition", s.partition}, {"value", s.value}, {"error", error}, {"acks", spec_.acks}});
}

// ---------------------------------------------------------------------------------------------------

Consumer::Consumer(sim::World& world, int node, const ConsumerSpec& spec)
    : sim::Node(world, node), spec_(spec), metadata_(*this, spec.topic, metadata_timeout(spec.config)) {}

void Consumer::on_start() {
  const TopicSpec* topic = world().scenario().find_topic(spec_.topic);
  after(std::max<Micros>(spec_.from - now(), 0), [this, topic] {
    metadata_.refresh([this, topic] {
      for (int i = 0; i < topic->partitions; ++i) {
        const std::string p = partition_name(spec_.topic, i);
        positions_[p] = 0;  // auto.offset.reset from no committed offset: the log start
        poll(p);
      }
    });
  });
}

void Consumer::poll(const std::string& partition) {
  const int leader = metadata_.leader(partition);
  if (leader < 1) return backoff(partition, true);
  auto req = std::make_unique<FetchRequest>();
  req->replica_id = -1;
  req->consumer = spec_.id;
  req->max_wait = from_ms(spec_.config.integer("fetch.max.wait.ms"));
  const bool fencing = world().scenario().design.on("leader-epoch-fencing");
  req->partitions.push_back(
      FetchPartition{partition, positions_[partition], fencing ? metadata_.leader_epoch(partition) : -1, -1});
  const Micros timeout = from_ms(spec_.config.integer("request.timeout.ms"));
  request(world().broker_node(leader), std::move(req), timeout,
          [this, partition](sim::Failure f, const sim::Message* m) {
            if (f != sim::Failure::None) return backoff(partition, true);
            const auto& resp = static_cast<const FetchResponse&>(*m);
            for (const auto& d : resp.partitions) {
              if (d.error == "OFFSET_OUT_OF_RANGE") {
                positions_[partition] = spec_.config.str("auto.offset.reset") == "latest" ? d.hw : 0;
                return backoff(partition, false);
              }
              if (!d.error.empty()) return backoff(partition, true);
              for (const auto& rec : d.records) {
                if (rec.offset != positions_[partition]) continue;
                record("consumed",
                       {{"consumer", spec_.id}, {"partition", partition}, {"offset", rec.offset}, {"value", rec.value}});
                ++positions_[partition];
              }
            }
            poll(partition);
          });
}

void Consumer::backoff(const std::string& partition, bool refresh) {
  after(from_ms(spec_.config.integer("retry.backoff.ms")), [this, partition, refresh] {
    if (refresh) metadata_.refresh([this, partition] { poll(partition); });
    else poll(partition);
  });
}

}  // namespace kafkasim::models

// The client processes: a producer (metadata from any reachable broker, sends to the leader, acks
// 0/1/all, request.timeout.ms, retries with backoff and metadata refresh, steady rate and scripted sends)
// and a consumer (fetches each partition from its leader, below the HW, follows leader changes).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::models {

struct MetadataResponse;

// How long a client waits for a metadata answer from one broker.
Micros metadata_timeout(const Config& config);

// Metadata shared by both clients: which broker leads which partition of one topic.
class MetadataView {
 public:
  // `in_flight(b)`: the owner's requests out to broker b (NetworkClient.inFlightRequests), which
  // leastLoadedNode weighs.
  MetadataView(sim::Node& owner, std::string topic, Micros timeout, std::function<int(int)> in_flight);
  int leader(const std::string& partition) const;
  std::int64_t leader_epoch(const std::string& partition) const;
  // Asks the least loaded broker (NetworkClient.leastLoadedNode); `done` runs once an answer arrived or
  // every known broker failed.
  void refresh(std::function<void()> done);
  // The broker a metadata request goes to now, or -1 while every known broker is in reconnect backoff.
  int least_loaded_broker();

 private:
  void ask(int attempt);
  sim::Node& owner_;
  std::string topic_;
  Micros timeout_;
  std::function<int(int)> in_flight_to_;
  std::vector<int> nodes_;             // bootstrap.servers (every broker), then the last answer's brokers
  std::set<int> connected_;            // answered since the last failure (a ready connection)
  std::map<int, Micros> backoff_until_;  // reconnect.backoff.ms after a failure
  bool in_flight_ = false;
  std::vector<std::function<void()>> waiting_;
  std::map<std::string, int> leaders_;
  std::map<std::string, std::int64_t> epochs_;
};

// The producer as Kafka's is built (KafkaProducer, RecordAccumulator, Sender): records are appended to a
// batch per partition (batch.size, linger.ms); the Sender drains one ready batch per partition for each
// leader broker into one Produce request, at most max.in.flight.requests.per.connection per broker; a
// failed batch is retried (retries, retry.backoff.ms) until delivery.timeout.ms. With idempotence
// (enable.idempotence, acks=all) it has a producer id and epoch from InitProducerId and numbers each
// partition's records; the broker appends a batch only in sequence and answers a retry of one it has
// with where it is, so retries neither duplicate nor reorder.
class Producer : public sim::Node {
 public:
  Producer(sim::World& world, int node, const ProducerSpec& spec);
  void on_start() override;
  void on_message(const sim::Envelope&) override {}
  // A scripted send: `count` records (value, or value.0 .. value.n-1).
  void send_scripted(int partition, const std::string& value, int count);
  // The settle phase: no new records (what was sent is still delivered or failed).
  void stop() { stopped_ = true; }
  // Records handed to it that are neither acknowledged nor failed yet.
  std::int64_t pending() const;

 private:
  int in_flight_to(int broker) const {
    auto it = in_flight_.find(broker);
    return it == in_flight_.end() ? 0 : it->second;
  }
  struct Batch {
    std::uint64_t id = 0;
    std::string partition;
    std::vector<std::string> values;
    std::int32_t base_sequence = -1;
    std::int32_t producer_epoch = -1;
    Micros created = 0;
    int attempts = 0;
    bool in_flight = false;
    bool sealed = false;      // no more records join it (it was sent once)
    Micros retry_at = 0;      // not sent again before this
  };
  void tick();
  void append(const std::string& partition, std::string value);
  // Sends what is ready, as the Sender thread's loop does; arms a timer for what is not ready yet.
  void pump();
  void arm_pump(Micros delay);
  void send_to(int leader, std::vector<Batch*> batches);
  void on_response(int leader, const std::vector<std::uint64_t>& sent, sim::Failure f, const sim::Message* m);
  Batch* find(std::uint64_t id);
  void retry(Batch& b, const std::string& error);
  void fail(Batch& b, const std::string& error);
  void remove(std::uint64_t id);
  void init_producer_id();
  void expire_stuck();

  const ProducerSpec& spec_;
  MetadataView metadata_;
  // Its configs, read once (a record is sent a thousand times a second in the busy benchmark).
  Micros request_timeout_, delivery_timeout_, retry_backoff_, linger_;
  std::int64_t retries_;
  bool idempotent_;
  int max_in_flight_;
  std::size_t batch_records_;  // records per batch: batch.size / sim.record.bytes
  std::size_t record_bytes_;
  std::int64_t value_seq_ = 0;
  std::int64_t steady_sent_ = 0;  // sends of the steady rate so far
  int next_partition_ = 0;
  bool stopped_ = false;
  // Idempotence: the producer id and epoch, and each partition's next sequence number.
  std::int64_t producer_id_ = -1;
  std::int32_t producer_epoch_ = 0;
  bool id_requested_ = false;
  std::map<std::string, std::int32_t> next_sequence_;
  std::map<std::string, std::deque<Batch>> batches_;  // per partition, oldest first
  std::map<int, int> in_flight_;                       // leader broker -> requests out
  std::uint64_t next_batch_id_ = 0;
  bool pump_armed_ = false;
  bool refresh_wanted_ = false;
};

class Consumer : public sim::Node {
 public:
  Consumer(sim::World& world, int node, const ConsumerSpec& spec);
  void on_start() override;
  void on_message(const sim::Envelope&) override {}
  // The next offset it will read, per partition.
  const std::map<std::string, std::int64_t>& positions() const { return positions_; }

 private:
  // SubscriptionState's TopicPartitionState, beside the position itself (positions_).
  struct PartitionState {
    std::int64_t offset_epoch = -1;   // leader epoch of the last record read (FetchPosition.offsetEpoch)
    std::int64_t leader_epoch = -1;   // the leader epoch the position was last checked against
    bool awaiting_validation = false;  // KIP-320: OffsetsForLeaderEpoch before fetching again
    bool reset_to_latest = false;      // the next answer's HW is the position (auto.offset.reset=latest)
    int preferred_read_replica = -1;   // KIP-392: read from this broker until preferred_until
    Micros preferred_until = 0;
  };
  int in_flight_to(int broker) const { return static_cast<int>(in_flight_.count(broker)); }
  // The Fetcher: one Fetch in flight per broker, carrying every partition read from it
  // (Fetcher.prepareFetchRequests); a partition that failed waits retry.backoff.ms and a metadata refresh.
  void poll();
  // The broker a partition is read from: its preferred read replica while that holds, else its leader.
  int fetch_target(const std::string& partition);
  void fetch_from(int broker, const std::vector<std::string>& partitions);
  // KIP-320 (Fetcher.validateOffsetsAsync): asks the leader where the epoch of the last record read ends.
  void validate_at(int leader, const std::vector<std::string>& partitions);
  void reset_position(const std::string& partition, std::int64_t to, const char* reason);
  void backoff(const std::string& partition, bool refresh);
  // One timer polls again (after a metadata refresh if a backoff asked for one); set at most once.
  void arm_retry(Micros delay);

  const ConsumerSpec& spec_;
  MetadataView metadata_;
  std::map<std::string, std::int64_t> positions_;
  std::map<std::string, PartitionState> state_;
  std::map<std::string, Micros> retry_at_;  // partition -> not fetched before this time
  std::set<int> in_flight_;                 // brokers with a Fetch (or an OffsetsForLeaderEpoch) out
  bool retry_armed_ = false;                // a timer will poll again (after a backoff)
  bool refresh_wanted_ = false;             // ... with a metadata refresh first
  Micros fetch_wait_ = 0, request_timeout_ = 0, retry_backoff_ = 0, metadata_max_age_ = 0;
  bool fencing_ = false, validates_position_ = false, client_metadata_ = false;
  std::string reset_to_, client_rack_;
};

}  // namespace kafkasim::models

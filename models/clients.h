// The client processes: a producer (metadata from any reachable broker, sends to the leader, acks
// 0/1/all, request.timeout.ms, retries with backoff and metadata refresh, steady rate and scripted sends)
// and a consumer (fetches each partition from its leader, below the HW, follows leader changes).
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::models {

struct MetadataResponse;

// Metadata shared by both clients: which broker leads which partition of one topic.
class MetadataView {
 public:
  MetadataView(sim::Node& owner, std::string topic, Micros timeout);
  int leader(const std::string& partition) const;
  std::int64_t leader_epoch(const std::string& partition) const;
  // Asks a broker (rotating on failure); `done` runs once an answer arrived or every broker failed.
  void refresh(std::function<void()> done);

 private:
  void ask(int attempt, std::function<void()> done);
  sim::Node& owner_;
  std::string topic_;
  Micros timeout_;
  int next_broker_ = 0;
  bool in_flight_ = false;
  std::vector<std::function<void()>> waiting_;
  std::map<std::string, int> leaders_;
  std::map<std::string, std::int64_t> epochs_;
};

class Producer : public sim::Node {
 public:
  Producer(sim::World& world, int node, const ProducerSpec& spec);
  void on_start() override;
  void on_message(const sim::Envelope&) override {}
  // A scripted send: `count` records (value, or value.0 .. value.n-1).
  void send_scripted(int partition, const std::string& value, int count);
  // The settle phase: no new records (sends under way finish).
  void stop() { stopped_ = true; }

 private:
  struct Send {
    std::string partition;
    std::string value;
    int attempts = 0;
    Micros first_sent = -1;
  };
  void tick();
  void send(Send s);
  void retry(Send s, const std::string& error);
  void fail(const Send& s, const std::string& error);

  const ProducerSpec& spec_;
  MetadataView metadata_;
  // Its configs, read once (a record is sent a thousand times a second in the busy benchmark).
  Micros request_timeout_, delivery_timeout_, retry_backoff_;
  std::int64_t retries_;
  bool idempotent_;
  std::size_t record_bytes_;
  std::int64_t sequence_ = 0;
  std::int64_t steady_sent_ = 0;  // sends of the steady rate so far
  int next_partition_ = 0;
  bool stopped_ = false;
};

class Consumer : public sim::Node {
 public:
  Consumer(sim::World& world, int node, const ConsumerSpec& spec);
  void on_start() override;
  void on_message(const sim::Envelope&) override {}
  // The next offset it will read, per partition.
  const std::map<std::string, std::int64_t>& positions() const { return positions_; }

 private:
  // The Fetcher: one Fetch in flight per leader broker, carrying every partition that broker leads
  // (Fetcher.prepareFetchRequests); a partition that failed waits retry.backoff.ms and a metadata refresh.
  void poll();
  void fetch_from(int leader, const std::vector<std::string>& partitions);
  void backoff(const std::string& partition, bool refresh);
  // One timer polls again (after a metadata refresh if a backoff asked for one); set at most once.
  void arm_retry(Micros delay);

  const ConsumerSpec& spec_;
  MetadataView metadata_;
  std::map<std::string, std::int64_t> positions_;
  std::map<std::string, Micros> retry_at_;  // partition -> not fetched before this time
  std::set<int> in_flight_;                 // leader brokers with a Fetch out
  bool retry_armed_ = false;                // a timer will poll again (after a backoff)
  bool refresh_wanted_ = false;             // ... with a metadata refresh first
  Micros fetch_wait_ = 0, request_timeout_ = 0, retry_backoff_ = 0;
  bool fencing_ = false;
  std::string reset_to_;
};

}  // namespace kafkasim::models

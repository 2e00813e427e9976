// What a model (broker, ZooKeeper, client) sees of the simulator: a process on a node that handles
// messages and timers, sends one-way messages and requests with timeouts, and records history.
// A process object lives for one incarnation: a crash destroys it, a restart builds a new one, so
// volatile state cannot survive a crash by accident; durable state lives in the World (DurableState).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/units.h"
#include "sim/history.h"
#include "sim/random.h"

namespace kafkasim::sim {

class World;
using TimerId = std::uint64_t;

// Which of a node pair's TCP connections a message travels on. Kafka keeps separate connections for
// separate purposes, and each is its own ordered stream: a delayed Fetch holds back the fetcher's later
// requests, not the controller's (ControllerChannelManager has its own per broker; the replica fetcher
// thread its own per leader; AlterPartition and controlled shutdown go through the broker-to-controller
// channel; each ZooKeeper client connection is one, numbered).
namespace channel {
inline constexpr std::uint32_t kDefault = 0;       // clients' requests, anything else
inline constexpr std::uint32_t kControl = 1;       // controller -> broker: LeaderAndIsr, UpdateMetadata, StopReplica
inline constexpr std::uint32_t kFetcher = 2;       // follower -> leader: Fetch, OffsetsForLeaderEpoch
inline constexpr std::uint32_t kToController = 3;  // broker -> controller: AlterPartition, ControlledShutdown
inline constexpr std::uint32_t kZooKeeper = 1u << 16;  // + the client's connection number
}  // namespace channel

// A message body. `type()` is a Kafka API name (or ZkRequest/ZkResponse/ZkWatch/ZkPing): network rules
// filter on it. A reply travels back on its request's connection, whatever its own channel() says.
struct Message {
  virtual ~Message() = default;
  virtual std::string_view type() const = 0;
  virtual std::size_t bytes() const { return 64; }
  virtual std::uint32_t channel() const { return channel::kDefault; }
  // The fields that matter to a reader, in words ("t-0 epoch 0"), for the message diagram of a report.
  virtual std::string describe() const { return {}; }
};
using MessagePtr = std::unique_ptr<Message>;

// How a request ended when no reply came: TCP semantics, never a flag the model checks.
enum class Failure {
  None,          // a reply arrived
  Timeout,       // nothing came back in time (silent peer, partition, dropped message, powered-off host)
  Disconnected,  // the peer process is gone (connection refused or reset)
};
const char* failure_name(Failure f);

struct Envelope {
  int from = -1;
  int to = -1;
  std::uint64_t id = 0;
  std::uint64_t reply_to = 0;  // a reply: the id of its request
  bool expects_reply = false;
  std::uint32_t to_incarnation = 0;
  std::uint32_t from_incarnation = 0;
  std::uint32_t channel = channel::kDefault;  // which of the pair's connections (replies: the request's)
  std::uint64_t generation = 0;      // which instance of that connection (a reset one is never used again)
  std::uint64_t connection_seq = 0;  // order on the connection: delivered in this order, as TCP
  Micros sent_at = 0;
  MessagePtr body;
};

// Durable state of a node (logs, checkpoints): kept by the World across crashes and restarts.
struct DurableState {
  virtual ~DurableState() = default;
  // Power loss: drop what the OS had not written back by `now`; returns the number of records lost.
  virtual std::int64_t lose_unwritten(Micros now) {
    (void)now;
    return 0;
  }
};

class Node {
 public:
  using ReplyHandler = std::function<void(Failure, const Message*)>;

  Node(World& world, int node);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The process starts (first start or restart), on its own host.
  virtual void on_start() {}
  // Whether requests from other nodes are handled from the start; if not, they wait until the process
  // calls World::open_for_requests (a broker: until it has registered, as Kafka's processors start).
  virtual bool serves_requests_at_start() const { return true; }
  // A one-way message or a request (reply with `reply`).
  virtual void on_message(const Envelope& envelope) = 0;
  // The peer reset or closed the connection `channel` to this process (its process died: every channel;
  // or it closed one on purpose, as ZooKeeper does for an expired session). Pending requests on it have
  // failed already.
  virtual void on_connection_reset(int /*peer*/, std::uint32_t /*channel*/) {}

  int node() const { return node_; }
  const std::string& name() const;

  // The process's own services; public so that components a process is made of (a ZooKeeper client
  // inside a broker, say) can use them on its behalf.
  World& world() { return world_; }
  const World& world() const { return world_; }
  Micros now() const;
  void send(int to, MessagePtr body);
  void request(int to, MessagePtr body, Micros timeout, ReplyHandler on_reply);
  void reply(const Envelope& request, MessagePtr body);
  TimerId after(Micros delay, std::function<void()> fn);
  void cancel(TimerId timer);
  Rng& rng() { return rng_; }
  void record(std::string_view event, std::vector<Field> fields);

 private:
  friend class World;
  struct Pending {
    int to;
    std::uint32_t channel;
    ReplyHandler handler;
    TimerId timeout;
  };
  void deliver(const Envelope& envelope);
  void fail_request(std::uint64_t id, Failure failure);
  // The connection `channel` to `peer` is gone (reset, closed, given up): its requests fail Disconnected
  // after `delay` (a reset from the peer travels one latency), then on_connection_reset.
  void connection_reset(int peer, std::uint32_t channel, Micros delay);
  void peer_reset(int peer);  // the peer's process died: every connection to it resets

  World& world_;
  int node_;
  Rng rng_;
  std::map<std::uint64_t, Pending> pending_;  // ordered: failures fire in request order
};

}  // namespace kafkasim::sim

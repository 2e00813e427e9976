// Node: requests with timeouts and replies on top of the World's transport and the node's timers.
#include "sim/node.h"

#include <set>

#include "sim/world.h"

namespace kafkasim::sim {

const char* failure_name(Failure f) {
  switch (f) {
    case Failure::None: return "none";
    case Failure::Timeout: return "timeout";
    case Failure::Disconnected: return "disconnected";
  }
  return "?";
}

Node::Node(World& world, int node)
    : world_(world),
      node_(node),
      rng_(derive_seed(world.scenario().seed,
                       world.node_name(node) + "#" + std::to_string(world.incarnation(node)))) {}

const std::string& Node::name() const { return world_.node_name(node_); }
Micros Node::now() const { return world_.now(); }

void Node::send(int to, MessagePtr body) {
  Envelope e;
  e.from = node_;
  e.to = to;
  e.id = world_.next_message_id();
  e.channel = body->channel();
  e.body = std::move(body);
  world_.send(node_, std::move(e));
}

void Node::request(int to, MessagePtr body, Micros timeout, ReplyHandler on_reply) {
  Envelope e;
  e.from = node_;
  e.to = to;
  e.id = world_.next_message_id();
  e.expects_reply = true;
  e.channel = body->channel();
  e.body = std::move(body);
  const std::uint64_t id = e.id;
  const std::uint32_t ch = e.channel;
  // A request that times out closes its connection, as Kafka's NetworkClient does (and TCP's data still
  // queued on it goes with it): every other request on it fails too, and the next one opens a new one.
  TimerId t = after(timeout, [this, id, to, ch] {
    if (pending_.count(id) == 0) return;
    world_.reset_connection(node_, to, ch);
    connection_reset(to, ch, 0);       // the others on it, a moment later, as Disconnected
    fail_request(id, Failure::Timeout);  // this one now (its handler may open the next connection)
  });
  pending_.emplace(id, Pending{to, ch, std::move(on_reply), t});
  world_.send(node_, std::move(e));
}

void Node::reply(const Envelope& request, MessagePtr body) {
  Envelope e;
  e.from = node_;
  e.to = request.from;
  e.id = world_.next_message_id();
  e.reply_to = request.id;
  e.channel = request.channel;  // back on the request's connection
  e.body = std::move(body);
  world_.send(node_, std::move(e));
}

TimerId Node::after(Micros delay, std::function<void()> fn) { return world_.node_timer(node_, delay, std::move(fn)); }
void Node::cancel(TimerId timer) { world_.cancel_node_timer(node_, timer); }
void Node::record(std::string_view event, std::vector<Field> fields) { world_.record(event, std::move(fields)); }

void Node::deliver(const Envelope& envelope) {
  if (envelope.reply_to == 0) {
    on_message(envelope);
    return;
  }
  auto it = pending_.find(envelope.reply_to);
  if (it == pending_.end()) return;  // a reply after its request timed out: nobody waits for it
  Pending p = std::move(it->second);
  pending_.erase(it);
  cancel(p.timeout);
  p.handler(Failure::None, envelope.body.get());
}

void Node::fail_request(std::uint64_t id, Failure failure) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  cancel(p.timeout);
  p.handler(failure, nullptr);
}

void Node::connection_reset(int peer, std::uint32_t ch, Micros delay) {
  for (const auto& [id, p] : pending_)
    if (p.to == peer && p.channel == ch) {
      const std::uint64_t request_id = id;
      after(delay, [this, request_id] { fail_request(request_id, Failure::Disconnected); });
    }
  after(delay, [this, peer, ch] { on_connection_reset(peer, ch); });
}

void Node::peer_reset(int peer) {
  // The peer's OS resets its connections: the reset reaches us one latency later.
  std::set<std::uint32_t> channels;
  for (const auto& [id, p] : pending_)
    if (p.to == peer) channels.insert(p.channel);
  for (std::uint32_t ch : world_.open_channels(node_, peer)) channels.insert(ch);
  for (std::uint32_t ch : channels) connection_reset(peer, ch, world_.latency());
}

}  // namespace kafkasim::sim

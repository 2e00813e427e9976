// One run: nodes and their processes, the transport (rules applied at send and at arrival), process
// faults, pauses as deferred work, the fault and settle phases, and the run's bounds.
#include "sim/world.h"

#include <sys/resource.h>

#include <cassert>

#include <fmt/format.h>

#include "sim/scheduler.h"

namespace kafkasim::sim {

const char* process_state_name(ProcessState s) {
  switch (s) {
    case ProcessState::Up: return "up";
    case ProcessState::Paused: return "paused";
    case ProcessState::Crashed: return "crashed";
    case ProcessState::PoweredOff: return "powered-off";
    case ProcessState::Stopped: return "stopped";
    case ProcessState::Exited: return "exited";
  }
  return "?";
}

namespace {
constexpr Micros kConvergenceCheckInterval = 100 * kMicrosPerMs;
// TCP: a segment lost to a cut, a partition or a drop rule is sent again every RTO until it passes or TCP
// gives up and resets the connection (Linux tcp_retries2 takes about 15 minutes; two minutes here, longer
// than any Kafka request timeout, which resets its connection first).
constexpr Micros kRetransmitInterval = 200 * kMicrosPerMs;
constexpr Micros kRetransmitGiveUp = 120 * kMicrosPerSecond;
World* g_world = nullptr;  // the one World of this process (runs are forked): for messages SimGrid frees
}  // namespace

// SimGrid frees what was travelling to a host whose receiver went. For a machine that lost power, TCP
// would send a request again until the machine answers: it is held, and reset when the machine is back.
void free_envelope_of_world(void* p) {
  std::unique_ptr<Envelope> e(static_cast<Envelope*>(p));
  if (g_world == nullptr || !e->expects_reply) return;
  const World::Slot& dest = g_world->slots_[static_cast<std::size_t>(e->to)];
  const World::Slot& from = g_world->slots_[static_cast<std::size_t>(e->from)];
  if (dest.state == ProcessState::PoweredOff && from.process && from.incarnation == e->from_incarnation)
    g_world->retransmit_later(std::move(e));
}

World::World(const Scenario& scenario, ClusterModel& model)
    : scenario_(scenario),
      model_(model),
      network_(static_cast<int>(scenario.node_names().size())),
      max_events_(scenario.config.integer("sim.max.events")),
      max_wall_ms_(scenario.config.integer("sim.max.wall.ms")),
      max_memory_mib_(scenario.config.integer("sim.max.memory.mb")) {
  std::vector<std::string> names = scenario.node_names();
  EngineOptions options;
  options.one_way_latency = scenario.latency;
  engine_ = std::make_unique<Engine>(names, options);
  for (std::size_t i = 0; i < names.size(); ++i) {
    Slot s;
    s.name = names[i];
    if (static_cast<int>(i) < scenario.brokers) s.kind = NodeKind::Broker;
    else if (static_cast<int>(i) < scenario.brokers + scenario.zookeepers) s.kind = NodeKind::ZooKeeper;
    else if (static_cast<int>(i) < scenario.brokers + scenario.zookeepers + scenario.controllers)
      s.kind = NodeKind::Controller;
    else s.kind = NodeKind::Client;
    slots_.push_back(std::move(s));
  }
  for (int n = 0; n < node_count(); ++n) slots_[n].durable = model_.create_durable(*this, n);
  scheduler_ = std::make_unique<Scheduler>(*this, model_);
  // A trigger on a message event needs the messages recorded (they are otherwise only for reports).
  for (const auto& e : scenario.events)
    if (!e.trigger.at_time && e.trigger.event.starts_with("message-")) record_messages_ = messages_triggered_ = true;
  g_world = this;
}

World::~World() {
  // Work still deferred at the end is not a loss: the messages in it were in flight when the run ended.
  tearing_down_ = true;
  for (auto& s : slots_) s.deferred.clear();
  g_world = nullptr;
}

Micros World::now() const { return engine_->now(); }

Rng& World::rng(const std::string& stream) {
  auto& r = rngs_[stream];
  if (!r) r = std::make_unique<Rng>(derive_seed(scenario_.seed, stream));
  return *r;
}

std::optional<int> World::find_node(const std::string& name) const {
  for (int n = 0; n < node_count(); ++n)
    if (slots_[n].name == name) return n;
  return std::nullopt;
}

RunOutcome World::run() {
  wall_start_ = std::chrono::steady_clock::now();
  control_ = engine_->open_loop(-1, "control", /*daemon=*/false);
  engine_->run(control_, [this] {
    record("phase", {{"name", std::string("fault")}});
    // ZooKeeper (or the controller quorum) first, then brokers, then clients: the order a cluster is
    // brought up in.
    for (int n = 0; n < node_count(); ++n)
      if (slots_[n].kind == NodeKind::ZooKeeper || slots_[n].kind == NodeKind::Controller) start_process(n);
    for (int n = 0; n < node_count(); ++n)
      if (slots_[n].kind == NodeKind::Broker) start_process(n);
    for (int n = 0; n < node_count(); ++n)
      if (slots_[n].kind == NodeKind::Client) start_process(n);
    scheduler_->start();
    on_control(scenario_.duration, [this] { begin_settle(); });
  });
  if (engine_->deadlocked() && outcome_.failure.empty())
    outcome_.failure = "the simulation deadlocked: no process had anything left to do before the run ended";
  outcome_.stats.simulated = now();
  outcome_.stats.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  return outcome_;
}

void World::on_control(Micros delay, std::function<void()> fn) {
  engine_->at(control_, now() + delay, [this, fn = std::move(fn)] {
    if (phase_ == Phase::Done) return;
    count_event();
    fn();
  });
}

void World::on_node(int node, Micros delay, std::function<void()> fn) { node_timer(node, delay, std::move(fn)); }

void World::fail_run(const std::string& why) {
  if (phase_ == Phase::Done) return;
  outcome_.failure = why;
  phase_ = Phase::Done;
  engine_->close_loop(control_);
}

void World::count_event() {
  ++outcome_.stats.events;
  if (outcome_.stats.events > max_events_)
    fail_run(fmt::format("the run passed its event limit (sim.max.events = {}) at {:.6f} s simulated",
                         max_events_, to_seconds(now())));
  if ((outcome_.stats.events & 4095) == 0) {
    auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                         wall_start_).count();
    if (wall_ms > max_wall_ms_)
      fail_run(fmt::format("the run passed its wall-clock limit (sim.max.wall.ms = {}) at {:.6f} s simulated",
                           max_wall_ms_, to_seconds(now())));
    // The peak resident size of this process (the run's own child): memory is bounded like time.
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    const std::int64_t peak_mib = usage.ru_maxrss / 1024;
    if (peak_mib > max_memory_mib_)
      fail_run(fmt::format("the run passed its memory limit (sim.max.memory.mb = {}): it had reached {} MiB at {:.6f} s "
                           "simulated, {} events",
                           max_memory_mib_, peak_mib, to_seconds(now()), outcome_.stats.events));
    const double wall_s = static_cast<double>(wall_ms) / 1000.0;
    if (pace_warning_ && wall_s >= pace_after_s_ && now() >= kMicrosPerSecond) {
      const double total_s = to_seconds(scenario_.duration + scenario_.settle);
      const double fraction = std::min(1.0, to_seconds(now()) / total_s);
      const double events_at_end = static_cast<double>(outcome_.stats.events) / fraction;
      if (!warned_events_ && events_at_end > static_cast<double>(max_events_)) {
        warned_events_ = true;
        pace_warning_(fmt::format("at this pace the run may pass sim.max.events = {}: about {:.3g} events by the end of "
                                  "its settle phase ({:.1f} of up to {:.0f} s simulated so far)",
                                  max_events_, events_at_end, to_seconds(now()), total_s));
      }
      if (!warned_wall_ && wall_s / fraction > static_cast<double>(max_wall_ms_) / 1000.0) {
        warned_wall_ = true;
        pace_warning_(fmt::format("at this pace the run may pass sim.max.wall.ms = {}: about {:.0f} s of wall time by the "
                                  "end of its settle phase ({:.1f} of up to {:.0f} s simulated in {:.0f} s)",
                                  max_wall_ms_, wall_s / fraction, to_seconds(now()), total_s, wall_s));
      }
    }
    if (progress_ && wall_s >= progress_after_s_ && wall_s - progress_shown_s_ >= 0.5) {
      progress_shown_s_ = wall_s;
      progress_(Progress{now(), scenario_.duration, outcome_.stats.events, wall_s, peak_mib});
    }
  }
}

// ---- processes -------------------------------------------------------------------------------------

std::string World::start_process(int node) {
  Slot& s = slots_[node];
  ++s.incarnation;
  s.state = ProcessState::Up;
  s.deferred.clear();
  // A new process has new connections, both ways (connection() sees the incarnation change).
  s.channels.clear();
  s.loop = engine_->open_loop(node, s.name);
  engine_->listen(node, [this, node](void* payload) {
    receive(node, std::unique_ptr<Envelope>(static_cast<Envelope*>(payload)));
  });
  if (s.kind == NodeKind::Broker)
    record("broker-started", {{"broker", std::int64_t{broker_id(node)}}, {"incarnation", std::int64_t{s.incarnation}}});
  else if (s.kind == NodeKind::Controller || (s.kind == NodeKind::Client && s.incarnation > 1))
    record("node-started", {{"node", s.name}, {"incarnation", std::int64_t{s.incarnation}}});
  s.process = model_.start_process(*this, node);
  s.held_requests.clear();
  s.opening_for_requests = false;
  s.serving_requests = s.process->serves_requests_at_start();
  node_timer(node, 0, [this, node] { slots_[node].process->on_start(); });
  return "";
}

std::string World::crash(int node, bool power_loss) {
  Slot& s = slots_[node];
  if (s.kind == NodeKind::ZooKeeper) return fmt::format("{} is the ZooKeeper server", s.name);
  if (!up(node)) return fmt::format("{} is already down ({})", s.name, process_state_name(s.state));
  s.state = power_loss ? ProcessState::PoweredOff : ProcessState::Crashed;
  engine_->close_loop(s.loop);
  engine_->unlisten(node);
  s.deferred.clear();  // the messages waiting in it are lost (recorded just before the process's end)
  s.process.reset();  // volatile state is gone with the process
  std::int64_t lost = 0;
  if (power_loss && s.durable) lost = s.durable->lose_unwritten(now());
  std::vector<Field> fields = {{"kind", std::string(power_loss ? "power-loss" : "crash")}};
  fields.insert(fields.begin(), s.kind == NodeKind::Broker ? Field{"broker", std::int64_t{broker_id(node)}}
                                                           : Field{"node", s.name});
  if (power_loss) fields.push_back({"lost_records", lost});
  record(s.kind == NodeKind::Broker ? "broker-crashed" : "node-crashed", std::move(fields));
  for (auto& e : s.held_requests) lose(*e, "process-ended");
  s.held_requests.clear();
  // A crashed process's OS resets its connections; a machine without power says nothing.
  if (!power_loss)
    for (int n = 0; n < node_count(); ++n)
      if (n != node && slots_[n].process && network_.reachable(node, n)) slots_[n].process->peer_reset(node);
  return "";
}

std::string World::stop(int node) { return end_process(node, ProcessState::Stopped, ""); }

std::string World::exit_process(int node, const std::string& reason) { return end_process(node, ProcessState::Exited, reason); }

std::string World::end_process(int node, ProcessState why, const std::string& exit_reason) {
  Slot& s = slots_[node];
  if (!up(node)) return fmt::format("{} is already down ({})", s.name, process_state_name(s.state));
  s.state = why;
  engine_->close_loop(s.loop);
  engine_->unlisten(node);
  s.deferred.clear();  // the messages waiting in it are lost (recorded just before the process's end)
  s.process.reset();
  if (s.kind == NodeKind::Broker) {
    if (why == ProcessState::Exited)
      record("broker-exited", {{"broker", std::int64_t{broker_id(node)}}, {"reason", exit_reason}});
    else
      record("broker-shutdown", {{"broker", std::int64_t{broker_id(node)}}});
  } else if (s.kind == NodeKind::Controller) {
    record("node-stopped", {{"node", s.name}, {"reason", why == ProcessState::Exited ? exit_reason : std::string("shutdown")}});
  }
  for (auto& e : s.held_requests) lose(*e, "process-ended");
  s.held_requests.clear();
  // The OS closes its connections.
  for (int n = 0; n < node_count(); ++n)
    if (n != node && slots_[n].process && network_.reachable(node, n)) slots_[n].process->peer_reset(node);
  if (!server(node)) return "";
  // A controlled shutdown begun in the fault phase may end after the settle phase began, which restarts
  // every stopped broker at its start: this one is restarted when it has stopped. An exited broker is
  // started again by the operator; in the settle phase always (that phase restarts everything).
  const Micros operator_delay = from_ms(scenario_.config.integer("sim.operator.restart.ms"));
  const std::uint32_t gone = s.incarnation;
  if (why == ProcessState::Exited && (operator_delay > 0 || phase_ == Phase::Settle))
    on_control(std::max<Micros>(operator_delay, 100 * kMicrosPerMs), [this, node, gone] {
      if (phase_ != Phase::Done && slots_[node].state == ProcessState::Exited && slots_[node].incarnation == gone) {
        record("fault", {{"action", std::string("restart")}, {"target", slots_[node].name},
                         {"detail", std::string("the operator restarts a broker that exited")}});
        restart(node);
      }
    });
  else if (phase_ == Phase::Settle)
    on_control(0, [this, node] {
      if (phase_ == Phase::Settle && !up(node)) restart(node);
    });
  return "";
}

void World::close_connection(int from, int to, std::uint32_t channel) {
  Connection* c = find_connection(from, to, channel);
  if (c == nullptr) return;  // it belonged to an earlier process of one side: gone already
  reset(*c);
  if (slots_[to].process && network_.reachable(from, to)) slots_[to].process->connection_reset(from, channel, latency());
}

void World::reset_connection(int a, int b, std::uint32_t channel) {
  if (Connection* c = find_connection(a, b, channel)) reset(*c);
}

std::vector<std::uint32_t> World::open_channels(int node, int peer) const {
  auto it = slots_[node].channels.find(peer);
  if (it == slots_[node].channels.end()) return {};
  return std::vector<std::uint32_t>(it->second.begin(), it->second.end());
}

std::string World::restart(int node) {
  Slot& s = slots_[node];
  if (s.kind == NodeKind::ZooKeeper) return fmt::format("{} is the ZooKeeper server", s.name);
  if (up(node)) return fmt::format("{} is already running", s.name);
  return start_process(node);
}

std::string World::pause(int node) {
  Slot& s = slots_[node];
  if (s.state != ProcessState::Up) return fmt::format("{} is not running ({})", s.name, process_state_name(s.state));
  s.state = ProcessState::Paused;
  if (s.kind == NodeKind::Broker) record("broker-paused", {{"broker", std::int64_t{broker_id(node)}}});
  else record("node-paused", {{"node", s.name}});
  return "";
}

std::string World::resume(int node) {
  Slot& s = slots_[node];
  if (s.state != ProcessState::Paused) return fmt::format("{} is not paused", s.name);
  s.state = ProcessState::Up;
  if (s.kind == NodeKind::Broker) record("broker-resumed", {{"broker", std::int64_t{broker_id(node)}}});
  else record("node-resumed", {{"node", s.name}});
  // What piled up during the pause runs now, in the order it came (a zombie acts on stale work).
  const std::uint32_t inc = s.incarnation;
  engine_->at(s.loop, now(), [this, node, inc] { drain(node, inc); });
  return "";
}

void World::run_work(int node, std::uint32_t incarnation, std::function<void()> work) {
  Slot& s = slots_[node];
  if (s.incarnation != incarnation || !s.process || phase_ == Phase::Done) return;
  if (!runs_now(s)) {
    s.deferred.push_back(std::move(work));
    return;
  }
  count_event();
  work();
}

void World::drain(int node, std::uint32_t incarnation) {
  Slot& s = slots_[node];
  while (s.incarnation == incarnation && s.state == ProcessState::Up && !s.deferred.empty() &&
         phase_ != Phase::Done) {
    std::function<void()> work = std::move(s.deferred.front());
    s.deferred.pop_front();
    count_event();
    work();
  }
}

TimerId World::node_timer(int node, Micros delay, std::function<void()> fn) {
  Slot& s = slots_[node];
  assert(s.process || s.state == ProcessState::Up);
  const std::uint32_t inc = s.incarnation;
  return engine_->at(s.loop, now() + delay,
                     [this, node, inc, fn = std::move(fn)]() mutable { run_work(node, inc, std::move(fn)); });
}

void World::cancel_node_timer(int node, TimerId timer) { engine_->cancel(slots_[node].loop, timer); }

// ---- transport -------------------------------------------------------------------------------------

World::Connection* World::find_connection(int a, int b, std::uint32_t channel) {
  auto it = connections_.find(connection_key(a, b, channel));
  if (it == connections_.end()) return nullptr;
  Connection& c = it->second;
  const int lo = std::min(a, b), hi = std::max(a, b);
  if (c.low_incarnation != slots_[lo].incarnation || c.high_incarnation != slots_[hi].incarnation) return nullptr;
  return &c;
}

World::Connection& World::connection(int from, int to, std::uint32_t channel) {
  Connection& c = connections_[connection_key(from, to, channel)];
  const int lo = std::min(from, to), hi = std::max(from, to);
  if (c.low_incarnation != slots_[lo].incarnation || c.high_incarnation != slots_[hi].incarnation) {
    reset(c);  // a process of either side is new: so is the connection
    c.low_incarnation = slots_[lo].incarnation;
    c.high_incarnation = slots_[hi].incarnation;
    slots_[from].channels[to].insert(channel);
    slots_[to].channels[from].insert(channel);
  }
  return c;
}

void World::reset(Connection& c) {
  ++c.generation;
  for (auto& d : c.dir) {
    for (const auto& [seq, e] : d.early) lose(*e, "connection-reset");
    d = Connection::Direction{};
  }
}

void World::trace(std::string_view event, const Envelope& e, const char* reason) {
  std::vector<Field> fields = {{"from", slots_[e.from].name}, {"to", slots_[e.to].name},
                               {"type", std::string(e.body->type())}, {"msg", static_cast<std::int64_t>(e.id)}};
  if (event == "message-sent") {
    if (e.reply_to != 0) fields.push_back({"reply_to", static_cast<std::int64_t>(e.reply_to)});
    if (std::string what = e.body->describe(); !what.empty()) fields.push_back({"summary", std::move(what)});
  }
  if (reason != nullptr) fields.push_back({"reason", std::string(reason)});
  record(event, std::move(fields));
}

void World::lose(const Envelope& e, const char* reason) {
  ++outcome_.stats.messages_lost;
  if (!record_messages_) return;
  trace("message-lost", e, reason);
}

bool World::blocked(const Envelope& e) {
  if (network_.empty()) return false;
  return !network_.reachable(e.from, e.to) ||
         network_.dropped(e.from, e.to, std::string(e.body->type()), rng("transport"));
}

void World::refuse(const Envelope& e) {
  // A crashed or stopped process on a live machine (or a new one in its place) answers with a reset.
  if (Node* sender = slots_[e.from].process.get(); sender != nullptr && slots_[e.from].incarnation == e.from_incarnation)
    sender->connection_reset(e.to, e.channel, 2 * scenario_.latency);
}

void World::send(int from, Envelope envelope) {
  ++outcome_.stats.messages;
  const int to = envelope.to;
  Slot& dest = slots_[to];
  envelope.from_incarnation = slots_[from].incarnation;
  envelope.sent_at = now();
  if (record_messages_) trace("message-sent", envelope);
  if (!up(to)) {
    ++outcome_.stats.messages_lost;
    if (dest.state != ProcessState::PoweredOff) {
      if (record_messages_) trace("message-lost", envelope, "refused");
      return refuse(envelope);  // connection refused
    }
    // A machine without power says nothing: TCP tries again until it is back (then it resets).
    envelope.to_incarnation = dest.incarnation;
    if (envelope.expects_reply) retransmit_later(std::make_unique<Envelope>(std::move(envelope)));
    else if (record_messages_) trace("message-lost", envelope, "no-power");
    return;
  }
  // The connection's sequence number is taken now, not when a delay rule lets the message go: as on a TCP
  // connection, a delayed message holds back what is sent after it on the same connection (a ZooKeeper
  // watch must not overtake the reply that registered it), and only on it.
  Connection& c = connection(from, to, envelope.channel);
  envelope.to_incarnation = dest.incarnation;
  envelope.generation = c.generation;
  envelope.connection_seq = c.dir[from < to ? 0 : 1].next_seq++;
  auto boxed = std::make_unique<Envelope>(std::move(envelope));
  if (network_.empty()) return transmit(std::move(boxed));  // the common case: nothing is looked up
  if (blocked(*boxed)) return retransmit_later(std::move(boxed));
  const Micros delay = network_.extra_delay(from, to, std::string(boxed->body->type()));
  if (delay > 0) {
    auto held = std::make_shared<std::unique_ptr<Envelope>>(std::move(boxed));
    node_timer(from, delay, [this, held] { transmit(std::move(*held)); });
    return;
  }
  transmit(std::move(boxed));
}

void World::retransmit_later(std::unique_ptr<Envelope> envelope) {
  const int from = envelope->from;
  if (!slots_[from].process || slots_[from].incarnation != envelope->from_incarnation) return;
  auto held = std::make_shared<std::unique_ptr<Envelope>>(std::move(envelope));
  node_timer(from, kRetransmitInterval, [this, held] {
    Envelope& e = **held;
    const Slot& dest = slots_[e.to];
    if (now() - e.sent_at > kRetransmitGiveUp) {
      // TCP gives up: the connection resets, on the sender's side (the peer may never hear of it).
      lose(e, "timed-out");
      if (Connection* c = find_connection(e.from, e.to, e.channel); c != nullptr && c->generation == e.generation) reset(*c);
      if (Node* sender = slots_[e.from].process.get()) sender->connection_reset(e.to, e.channel, 0);
      return;
    }
    if (!up(e.to) && dest.state == ProcessState::PoweredOff && dest.incarnation == e.to_incarnation)
      return retransmit_later(std::move(*held));  // still no power
    if (blocked(e)) return retransmit_later(std::move(*held));
    transmit(std::move(*held));
  });
}

void World::transmit(std::unique_ptr<Envelope> envelope) {
  const int from = envelope->from, to = envelope->to;
  const Slot& dest = slots_[to];
  if (!up(to) || envelope->to_incarnation != dest.incarnation) {
    // The process it was sent to is gone (or a new one answers in its place): a reset.
    ++outcome_.stats.messages_lost;
    if (dest.state == ProcessState::PoweredOff && dest.incarnation == envelope->to_incarnation && envelope->expects_reply)
      return retransmit_later(std::move(envelope));
    if (record_messages_) trace("message-lost", *envelope, "reset");
    return refuse(*envelope);
  }
  Connection* c = find_connection(from, to, envelope->channel);
  if (c == nullptr || c->generation != envelope->generation) {
    lose(*envelope, "connection-reset");  // its connection was reset while it was held back
    return;
  }
  const std::size_t bytes = envelope->body->bytes();
  engine_->transmit(from, to, envelope.release(), bytes, free_envelope_of_world);
}

void World::receive(int node, std::unique_ptr<Envelope> envelope) {
  // Per-connection FIFO, as TCP: SimGrid may finish a small message before a larger one sent earlier.
  const int from = envelope->from;
  Connection* c = find_connection(from, node, envelope->channel);
  if (c == nullptr || c->generation != envelope->generation || envelope->from_incarnation != slots_[from].incarnation) {
    lose(*envelope, "connection-reset");  // from a connection that has since been reset, or a dead process's
    return;
  }
  Connection::Direction& d = c->dir[from < node ? 0 : 1];
  if (envelope->connection_seq == d.expected && d.early.empty() && network_.reachable(from, node)) {
    // Its turn, nothing waiting, the path open: the common case needs no reordering buffer.
    ++d.expected;
    accept(node, std::move(envelope));
    return;
  }
  const std::uint32_t channel = envelope->channel;
  d.early.emplace(envelope->connection_seq, std::move(envelope));
  deliver_in_order(node, from, channel);
}

void World::deliver_in_order(int node, int from, std::uint32_t channel) {
  Connection* c = find_connection(from, node, channel);
  if (c == nullptr) return;
  Connection::Direction& d = c->dir[from < node ? 0 : 1];
  for (auto it = d.early.find(d.expected); it != d.early.end(); it = d.early.find(d.expected)) {
    Envelope& e = *it->second;
    if (!network_.reachable(from, node)) {
      // The path broke while it travelled: TCP sends it again, and what follows waits behind it.
      if (now() - e.sent_at > kRetransmitGiveUp) {
        reset(*c);
        if (Node* sender = slots_[from].process.get()) sender->connection_reset(node, channel, 0);
        return;
      }
      if (!d.retry_armed) {
        d.retry_armed = true;
        const std::uint64_t generation = c->generation;
        node_timer(node, kRetransmitInterval, [this, node, from, channel, generation] {
          Connection* again = find_connection(from, node, channel);
          if (again == nullptr || again->generation != generation) return;
          again->dir[from < node ? 0 : 1].retry_armed = false;
          deliver_in_order(node, from, channel);
        });
      }
      return;
    }
    std::unique_ptr<Envelope> next = std::move(it->second);
    d.early.erase(it);
    ++d.expected;
    accept(node, std::move(next));  // may reset this connection (d then starts afresh, empty)
  }
}

void World::accept(int node, std::unique_ptr<Envelope> envelope) {
  Slot& s = slots_[node];
  // The connection it travelled on belonged to an earlier process.
  if (envelope->to_incarnation != s.incarnation) {
    lose(*envelope, "reset");
    return;
  }
  if (envelope->expects_reply && !s.serving_requests) {
    // Start-up not done: the request waits (Kafka's request queue, bounded by queued.max.requests;
    // beyond it the socket is not read, and the sender's timeout ends the request).
    if (s.held_requests.size() < kMaxHeldRequests) s.held_requests.push_back(std::move(envelope));
    else lose(*envelope, "queue-full");
    return;
  }
  if (s.process && phase_ != Phase::Done && runs_now(s)) {
    // What run_work does for an item that runs at once, without wrapping the delivery in a callable.
    count_event();
    if (record_messages_) trace("message-received", *envelope);
    s.process->deliver(*envelope);
    return;
  }
  // Waiting behind a pause or earlier work: if its process ends first (a crash, a stop) the message is
  // never read, and the history says so, as for any other loss.
  struct Held {
    std::unique_ptr<Envelope> envelope;
    bool delivered = false;
  };
  std::shared_ptr<Held> held(new Held{std::move(envelope)}, [this](Held* h) {
    if (!h->delivered && !tearing_down_ && phase_ != Phase::Done) lose(*h->envelope, "process-ended");
    delete h;
  });
  run_work(node, s.incarnation, [this, node, held] {
    if (Node* p = slots_[node].process.get()) {
      held->delivered = true;
      if (record_messages_) trace("message-received", *held->envelope);
      p->deliver(*held->envelope);
    }
  });
}

void World::open_for_requests(int node) {
  Slot& s = slots_[node];
  if (s.serving_requests || s.opening_for_requests) return;
  s.opening_for_requests = true;
  // After the current event (the registration's reply), in the order they came (what arrives meanwhile
  // joins them); a request whose connection was reset meanwhile, or whose sender is gone, was never read.
  node_timer(node, 0, [this, node] {
    Slot& slot = slots_[node];
    slot.opening_for_requests = false;
    slot.serving_requests = true;
    std::deque<std::unique_ptr<Envelope>> held = std::move(slot.held_requests);
    slot.held_requests.clear();
    for (auto& e : held) {
      const Connection* c = find_connection(e->from, node, e->channel);
      if (c == nullptr || c->generation != e->generation || e->from_incarnation != slots_[e->from].incarnation) {
        lose(*e, "connection-reset");
        continue;
      }
      accept(node, std::move(e));
    }
  });
}

// ---- phases ----------------------------------------------------------------------------------------

void World::begin_settle() {
  phase_ = Phase::Settle;
  record("phase", {{"name", std::string("settle")}});
  if (!network_.empty()) {
    network_.clear();
    record("fault", {{"action", std::string("heal")}, {"target", std::string("all")}, {"undo", true}});
  }
  for (int n = 0; n < node_count(); ++n)
    if (slots_[n].state == ProcessState::Paused) resume(n);
  for (int n = 0; n < node_count(); ++n)
    if (!up(n)) restart(n);  // servers, and clients and sinks a fault took down
  model_.stop_producers(*this);
  on_control(scenario_.settle, [this] { finish(false); });
  on_control(0, [this] { check_converged(); });
}

void World::check_converged() {
  if (phase_ != Phase::Settle) return;
  last_gap_ = model_.convergence_gap(*this);
  if (last_gap_.empty()) {
    finish(true);
    return;
  }
  on_control(kConvergenceCheckInterval, [this] { check_converged(); });
}

void World::finish(bool converged) {
  if (phase_ == Phase::Done) return;
  outcome_.converged = converged;
  std::vector<Field> fields = {{"name", std::string("done")}, {"converged", converged}};
  if (!converged && !last_gap_.empty()) fields.push_back({"detail", last_gap_});
  record("phase", std::move(fields));
  phase_ = Phase::Done;
  engine_->close_loop(control_);
}

}  // namespace kafkasim::sim

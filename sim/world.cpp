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
  }
  return "?";
}

namespace {
constexpr Micros kConvergenceCheckInterval = 100 * kMicrosPerMs;
// TCP on a session connection: a segment caught by a cut is sent again every so often, until the path
// heals or TCP gives up (Linux tcp_retries2 takes about 15 minutes; the runs here are shorter).
constexpr Micros kRetransmitInterval = 200 * kMicrosPerMs;
constexpr Micros kRetransmitGiveUp = 120 * kMicrosPerSecond;
void free_envelope(void* p) { delete static_cast<Envelope*>(p); }
}  // namespace

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
    else s.kind = NodeKind::Client;
    slots_.push_back(std::move(s));
  }
  for (int n = 0; n < node_count(); ++n) slots_[n].durable = model_.create_durable(*this, n);
  scheduler_ = std::make_unique<Scheduler>(*this, model_);
}

World::~World() = default;

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
    // ZooKeeper first, then brokers, then clients: the order a cluster is brought up in.
    for (int n = 0; n < node_count(); ++n)
      if (slots_[n].kind == NodeKind::ZooKeeper) start_process(n);
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
  // A new process has new connections, both ways.
  s.sent_seq.assign(slots_.size(), {0, 0});
  s.inbound.clear();
  s.inbound.resize(slots_.size());
  s.loop = engine_->open_loop(node, s.name);
  engine_->listen(node, [this, node](void* payload) {
    receive(node, std::unique_ptr<Envelope>(static_cast<Envelope*>(payload)));
  });
  if (s.kind == NodeKind::Broker)
    record("broker-started", {{"broker", std::int64_t{broker_id(node)}}, {"incarnation", std::int64_t{s.incarnation}}});
  s.process = model_.start_process(*this, node);
  node_timer(node, 0, [this, node] { slots_[node].process->on_start(); });
  return "";
}

std::string World::crash(int node, bool power_loss) {
  Slot& s = slots_[node];
  if (s.kind != NodeKind::Broker) return fmt::format("{} is not a broker", s.name);
  if (!up(node)) return fmt::format("{} is already down ({})", s.name, process_state_name(s.state));
  s.state = power_loss ? ProcessState::PoweredOff : ProcessState::Crashed;
  engine_->close_loop(s.loop);
  engine_->unlisten(node);
  s.deferred.clear();
  s.process.reset();  // volatile state is gone with the process
  std::int64_t lost = 0;
  if (power_loss && s.durable) lost = s.durable->lose_unwritten(now());
  std::vector<Field> fields = {{"broker", std::int64_t{broker_id(node)}},
                               {"kind", std::string(power_loss ? "power-loss" : "crash")}};
  if (power_loss) fields.push_back({"lost_records", lost});
  record("broker-crashed", std::move(fields));
  // A crashed process's OS resets its connections; a machine without power says nothing.
  if (!power_loss)
    for (int n = 0; n < node_count(); ++n)
      if (n != node && slots_[n].process && network_.reachable(node, n)) slots_[n].process->peer_reset(node);
  return "";
}

std::string World::stop(int node) {
  Slot& s = slots_[node];
  if (!up(node)) return fmt::format("{} is already down ({})", s.name, process_state_name(s.state));
  s.state = ProcessState::Stopped;
  engine_->close_loop(s.loop);
  engine_->unlisten(node);
  s.deferred.clear();
  s.process.reset();
  if (s.kind == NodeKind::Broker) record("broker-shutdown", {{"broker", std::int64_t{broker_id(node)}}});
  for (int n = 0; n < node_count(); ++n)
    if (n != node && slots_[n].process && network_.reachable(node, n)) slots_[n].process->peer_reset(node);
  // A controlled shutdown begun in the fault phase may end after the settle phase began, which restarts
  // every stopped broker at its start: this one is restarted when it has stopped.
  if (phase_ == Phase::Settle && s.kind == NodeKind::Broker)
    on_control(0, [this, node] {
      if (phase_ == Phase::Settle && !up(node)) restart(node);
    });
  return "";
}

void World::close_connection(int from, int to) {
  if (slots_[to].process && network_.reachable(from, to)) slots_[to].process->peer_reset(from);
}

std::string World::restart(int node) {
  Slot& s = slots_[node];
  if (s.kind != NodeKind::Broker) return fmt::format("{} is not a broker", s.name);
  if (up(node)) return fmt::format("{} is already running", s.name);
  return start_process(node);
}

std::string World::pause(int node) {
  Slot& s = slots_[node];
  if (s.state != ProcessState::Up) return fmt::format("{} is not running ({})", s.name, process_state_name(s.state));
  s.state = ProcessState::Paused;
  if (s.kind == NodeKind::Broker) record("broker-paused", {{"broker", std::int64_t{broker_id(node)}}});
  return "";
}

std::string World::resume(int node) {
  Slot& s = slots_[node];
  if (s.state != ProcessState::Paused) return fmt::format("{} is not paused", s.name);
  s.state = ProcessState::Up;
  if (s.kind == NodeKind::Broker) record("broker-resumed", {{"broker", std::int64_t{broker_id(node)}}});
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

void World::send(int from, Envelope envelope) {
  ++outcome_.stats.messages;
  const int to = envelope.to;
  // Rules are matched by message type; with no rules in force (the common case) nothing is looked up.
  const bool rules = !network_.empty();
  const std::string type = rules ? std::string(envelope.body->type()) : std::string();
  // A cut path loses a message (Kafka's clients and brokers time the request out and reconnect), except
  // on a session connection that TCP keeps retransmitting on (ZooKeeper's); drop rules always lose it.
  const bool cut = rules && !network_.reachable(from, to);
  if ((cut && !envelope.body->retransmitted()) || (rules && network_.dropped(from, to, type, rng("transport")))) {
    ++outcome_.stats.messages_lost;  // like TCP to a silent peer: the request will time out
    return;
  }
  Slot& dest = slots_[to];
  if (!up(to)) {
    ++outcome_.stats.messages_lost;
    // A crashed or stopped process on a live machine refuses the connection; a powered-off one is silent.
    if (envelope.expects_reply && dest.state != ProcessState::PoweredOff && slots_[from].process) {
      const std::uint64_t id = envelope.id;
      Node* sender = slots_[from].process.get();
      node_timer(from, 2 * scenario_.latency, [sender, id] { sender->fail_request(id, Failure::Disconnected); });
    }
    return;
  }
  envelope.to_incarnation = dest.incarnation;
  // The connection's sequence number is taken now, not when a delay rule lets the message go: as on a TCP
  // connection, a delayed message holds back what is sent after it (a ZooKeeper watch event must not
  // overtake the reply that registered the watch).
  auto& [connected_to, next_seq] = slots_[from].sent_seq[to];
  if (connected_to != dest.incarnation) connected_to = dest.incarnation, next_seq = 0;  // a new connection
  envelope.from_incarnation = slots_[from].incarnation;
  envelope.connection_seq = next_seq++;
  envelope.sent_at = now();
  auto boxed = std::make_unique<Envelope>(std::move(envelope));
  if (cut) return retransmit_later(std::move(boxed));
  const Micros delay = rules ? network_.extra_delay(from, to, type) : 0;
  if (delay > 0) {
    auto held = std::make_shared<std::unique_ptr<Envelope>>(std::move(boxed));
    node_timer(from, delay, [this, held] { transmit(std::move(*held)); });
    return;
  }
  transmit(std::move(boxed));
}

void World::retransmit_later(std::unique_ptr<Envelope> envelope) {
  const int from = envelope->from;
  auto held = std::make_shared<std::unique_ptr<Envelope>>(std::move(envelope));
  node_timer(from, kRetransmitInterval, [this, held] {
    Envelope& e = **held;
    if (now() - e.sent_at > kRetransmitGiveUp) {
      ++outcome_.stats.messages_lost;  // TCP gives up; the connection is dead
      return;
    }
    if (!network_.reachable(e.from, e.to)) return retransmit_later(std::move(*held));
    transmit(std::move(*held));
  });
}

void World::transmit(std::unique_ptr<Envelope> envelope) {
  const int from = envelope->from, to = envelope->to;
  const Slot& dest = slots_[to];
  if (!up(to) || envelope->to_incarnation != dest.incarnation) {
    ++outcome_.stats.messages_lost;  // held back by a delay rule while its connection died
    return;
  }
  const std::size_t bytes = envelope->body->bytes();
  engine_->transmit(from, to, envelope.release(), bytes, free_envelope);
}

void World::receive(int node, std::unique_ptr<Envelope> envelope) {
  // Per-connection FIFO, as TCP: SimGrid may finish a small message before a larger one sent earlier.
  Slot::Inbound& in = slots_[node].inbound[envelope->from];
  if (envelope->from_incarnation < in.from_incarnation) {
    ++outcome_.stats.messages_lost;  // from a connection of a sender process that has since died
    return;
  }
  if (envelope->from_incarnation > in.from_incarnation) in = Slot::Inbound{envelope->from_incarnation, 0, {}};
  const int from = envelope->from;
  if (envelope->connection_seq == in.expected && in.early.empty() && !envelope->body->retransmitted()) {
    // Its turn, nothing waiting: the common case needs no reordering buffer.
    ++in.expected;
    accept(node, std::move(envelope));
    return;
  }
  in.early.emplace(envelope->connection_seq, std::move(envelope));
  deliver_in_order(node, from);
}

void World::deliver_in_order(int node, int from) {
  Slot::Inbound& in = slots_[node].inbound[from];
  for (auto it = in.early.find(in.expected); it != in.early.end(); it = in.early.find(in.expected)) {
    Envelope& e = *it->second;
    if (e.body->retransmitted() && !network_.reachable(from, node) && now() - e.sent_at <= kRetransmitGiveUp) {
      // Caught by a cut while it travelled: TCP retransmits it, and what follows waits behind it.
      if (!in.retry_armed) {
        in.retry_armed = true;
        node_timer(node, kRetransmitInterval, [this, node, from] {
          slots_[node].inbound[from].retry_armed = false;
          deliver_in_order(node, from);
        });
      }
      return;
    }
    std::unique_ptr<Envelope> next = std::move(it->second);
    in.early.erase(it);
    accept(node, std::move(next));
    ++in.expected;
  }
}

void World::accept(int node, std::unique_ptr<Envelope> envelope) {
  Slot& s = slots_[node];
  // The connection it travelled on belonged to an earlier process, or the path broke while it travelled.
  if (envelope->to_incarnation != s.incarnation || !network_.reachable(envelope->from, node)) {
    ++outcome_.stats.messages_lost;
    return;
  }
  if (s.process && phase_ != Phase::Done && runs_now(s)) {
    // What run_work does for an item that runs at once, without wrapping the delivery in a callable.
    count_event();
    s.process->deliver(*envelope);
    return;
  }
  auto held = std::make_shared<std::unique_ptr<Envelope>>(std::move(envelope));
  run_work(node, s.incarnation, [this, node, held] {
    if (Node* p = slots_[node].process.get()) p->deliver(**held);
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
    if (slots_[n].kind == NodeKind::Broker && !up(n)) restart(n);
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

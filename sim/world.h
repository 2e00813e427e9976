// The World: one simulation run. It owns the engine, the nodes and their process states, the transport
// with its network rules, durable state, the history, and the run's phases and bounds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "scenario/scenario.h"
#include "sim/cluster_model.h"
#include "sim/engine.h"
#include "sim/history.h"
#include "sim/network_rules.h"
#include "sim/node.h"
#include "sim/random.h"

namespace kafkasim::sim {

class Scheduler;

// Exited: the process ended itself with an error (a broker that cannot register at start-up); the
// operator restarts it (sim.operator.restart.ms).
enum class ProcessState { Up, Paused, Crashed, PoweredOff, Stopped, Exited };
const char* process_state_name(ProcessState s);

struct RunStats {
  Micros simulated = 0;
  double wall_s = 0;
  std::int64_t events = 0;    // handled messages and timers
  std::int64_t messages = 0;  // messages sent
  std::int64_t messages_lost = 0;
};

// What a long run's progress line shows (World::set_progress).
struct Progress {
  Micros simulated = 0;
  Micros fault_phase_end = 0;  // the scenario's duration: the settle phase follows
  std::int64_t events = 0;
  double wall_s = 0;
  std::int64_t peak_mib = 0;
};

struct RunOutcome {
  RunStats stats;
  std::string failure;  // non-empty: the simulator failed (a bound was hit, a deadlock)
  bool converged = false;
};

class World {
 public:
  World(const Scenario& scenario, ClusterModel& model);
  ~World();

  // Runs the whole scenario (fault phase, settle phase). Call once, in a process of its own.
  RunOutcome run();

  const Scenario& scenario() const { return scenario_; }
  History& history() { return history_; }
  Micros now() const;
  Micros latency() const { return scenario_.latency; }
  Rng& rng(const std::string& stream);
  // A number for a client's new connection (ZooKeeper's): unique in the run, so no two connections of
  // one node share a channel however many clients it runs.
  std::uint32_t next_connection_id() { return ++connection_ids_; }

  // Nodes: brokers first (node i is broker i+1), then ZooKeeper servers, then clients.
  int node_count() const { return static_cast<int>(slots_.size()); }
  const std::string& node_name(int node) const { return slots_.at(node).name; }
  NodeKind node_kind(int node) const { return slots_.at(node).kind; }
  int broker_id(int node) const { return node_kind(node) == NodeKind::Broker ? node + 1 : -1; }
  int broker_node(int broker_id) const { return broker_id - 1; }
  int zookeeper_node(int index = 0) const { return scenario_.brokers + index; }
  // KRaft: controller-1..M follow the brokers (there is no ZooKeeper node then).
  int controller_node(int index) const { return scenario_.brokers + scenario_.zookeepers + index; }
  int controller_count() const { return scenario_.controllers; }
  // A node the operator runs and faults can crash, restart and pause: a broker, or a KRaft controller.
  bool server(int node) const {
    return node_kind(node) == NodeKind::Broker || node_kind(node) == NodeKind::Controller;
  }
  std::optional<int> find_node(const std::string& name) const;
  ProcessState state(int node) const { return slots_.at(node).state; }
  bool up(int node) const { return state(node) == ProcessState::Up || state(node) == ProcessState::Paused; }
  std::uint32_t incarnation(int node) const { return slots_.at(node).incarnation; }
  Node* process(int node) { return slots_.at(node).process.get(); }
  DurableState* durable(int node) { return slots_.at(node).durable.get(); }
  NetworkRules& network() { return network_; }

  // Process faults (run from the control loop; a model asks through `on_control`).
  std::string crash(int node, bool power_loss);
  std::string restart(int node);
  std::string pause(int node);
  std::string resume(int node);
  std::string stop(int node);  // a clean stop, after a controlled shutdown
  // The process exits on an error of its own (`reason`, recorded); as a supervisor would (systemd's
  // Restart=on-failure, a Kubernetes pod), the operator starts it again sim.operator.restart.ms later
  // (0: only the scenario's restarts in the fault phase), and always in the settle phase.
  std::string exit_process(int node, const std::string& reason);
  // `from` closes its connection `channel` to `to` (a TCP close reaching `to` one latency later, if
  // reachable); a connection of an earlier process of either side is already gone and nothing happens.
  void close_connection(int from, int to, std::uint32_t channel);
  // The connection `channel` between `a` and `b` is reset now (a request timed out and the client closed
  // it): what it still held is never delivered; the next message opens a new one.
  void reset_connection(int a, int b, std::uint32_t channel);
  // The channels of open connections between `node` and `peer` (for a process that dies).
  std::vector<std::uint32_t> open_channels(int node, int peer) const;
  // A process that serves requests only once its start-up is done (Node::serves_requests_at_start false;
  // Kafka's SocketServer starts its processors after the broker registered) calls this then: requests
  // that came before run now, in the order they came.
  void open_for_requests(int node);

  // Runs `fn` on the control loop at now + delay (scenario actions, phase changes).
  void on_control(Micros delay, std::function<void()> fn);
  // Runs `fn` as work of `node`'s current process at now + delay (deferred while it is paused).
  void on_node(int node, Micros delay, std::function<void()> fn);

  void record(std::string_view event, std::vector<Field> fields) { history_.record(now(), event, std::move(fields)); }
  // Messages in the history (message-sent, -received, -lost) for the report's sequence diagram: off by
  // default, the history is otherwise the same event for event; nothing but the history reads them.
  // A scenario with a trigger on a message event records them whatever is asked.
  void set_record_messages(bool on) { record_messages_ = on || messages_triggered_; }
  bool in_fault_phase() const { return phase_ == Phase::Fault; }
  void fail_run(const std::string& why);
  // Called about twice a wall second once the run has taken more than `after_wall_s` (never before).
  void set_progress(std::function<void(const Progress&)> progress, double after_wall_s = 3.0) {
    progress_ = std::move(progress);
    progress_after_s_ = after_wall_s;
  }
  // Called once (per bound) when, a few wall seconds in, the run's pace says it may pass sim.max.events or
  // sim.max.wall.ms before its settle phase could end: the user hears it early, not when the bound is hit.
  void set_pace_warning(std::function<void(const std::string&)> warn, double after_wall_s = 5.0) {
    pace_warning_ = std::move(warn);
    pace_after_s_ = after_wall_s;
  }
  // Ends the run now, converged: for a model that drives its own steps and knows when it is done (the
  // ZooKeeper conformance harness).
  void end_run() { finish(true); }

 private:
  friend class Node;
  // Kafka's queued.max.requests (500): requests a process holds while its start-up is not done.
  static constexpr std::size_t kMaxHeldRequests = 500;
  enum class Phase { Fault, Settle, Done };
  struct Slot {
    std::string name;
    NodeKind kind;
    ProcessState state = ProcessState::Stopped;
    std::uint32_t incarnation = 0;
    LoopId loop = 0;
    std::unique_ptr<Node> process;
    std::unique_ptr<DurableState> durable;
    std::deque<std::function<void()>> deferred;  // work that came while paused, in arrival order
    bool serving_requests = true;                 // false during a start-up that holds requests back
    bool opening_for_requests = false;            // open_for_requests called; the held ones go next
    std::deque<std::unique_ptr<Envelope>> held_requests;  // came during it (at most kMaxHeldRequests)
    std::map<int, std::set<std::uint32_t>> channels;  // peer -> channels of connections this process opened
  };
  // A TCP connection between two processes: both directions' order, and the generation that a reset ends
  // (a message of an older generation, or of an earlier process of either side, is never delivered).
  struct Connection {
    std::uint32_t low_incarnation = 0, high_incarnation = 0;  // of the lower and higher node id
    std::uint64_t generation = 0;
    struct Direction {
      std::uint64_t next_seq = 0;  // the sender's next
      std::uint64_t expected = 0;  // the receiver's next in turn
      std::map<std::uint64_t, std::unique_ptr<Envelope>> early;  // arrived ahead of their turn (or held)
      bool retry_armed = false;    // the next in turn waits for its path to clear
    };
    Direction dir[2];  // [0]: low -> high, [1]: high -> low
  };
  static std::uint64_t connection_key(int a, int b, std::uint32_t channel) {
    const auto lo = static_cast<std::uint64_t>(std::min(a, b)), hi = static_cast<std::uint64_t>(std::max(a, b));
    return lo << 48 | hi << 32 | channel;
  }
  // The connection the two current processes have on `channel`, opened (or re-opened) if need be.
  Connection& connection(int from, int to, std::uint32_t channel);
  Connection* find_connection(int from, int to, std::uint32_t channel);
  void reset(Connection& c);
  friend void free_envelope_of_world(void* p);

  TimerId node_timer(int node, Micros delay, std::function<void()> fn);
  void cancel_node_timer(int node, TimerId timer);
  void send(int from, Envelope envelope);
  void transmit(std::unique_ptr<Envelope> envelope);
  void retransmit_later(std::unique_ptr<Envelope> envelope);
  bool blocked(const Envelope& e);  // a cut path or a drop rule: the segment is lost (TCP sends it again)
  void refuse(const Envelope& e);   // the destination process is gone: RST to the sender
  void deliver_in_order(int node, int from, std::uint32_t channel);
  void receive(int node, std::unique_ptr<Envelope> envelope);
  void accept(int node, std::unique_ptr<Envelope> envelope);
  void run_work(int node, std::uint32_t incarnation, std::function<void()> work);
  // Whether a live process's work item runs at once (not paused, nothing deferred ahead of it) or waits.
  static bool runs_now(const Slot& s) { return s.state != ProcessState::Paused && s.deferred.empty(); }
  void drain(int node, std::uint32_t incarnation);
  void count_event();
  std::uint64_t next_message_id() { return ++message_seq_; }
  // A message is lost for `reason` (counted; recorded when messages are).
  void lose(const Envelope& e, const char* reason);
  void trace(std::string_view event, const Envelope& e, const char* reason = nullptr);
  std::string start_process(int node);
  void begin_settle();
  std::string end_process(int node, ProcessState why, const std::string& exit_reason);
  void check_converged();
  void finish(bool converged);

  const Scenario& scenario_;
  ClusterModel& model_;
  std::unique_ptr<Engine> engine_;
  std::vector<Slot> slots_;
  // Looked up by key, never iterated in an order that matters (open_channels sorts what it finds).
  std::unordered_map<std::uint64_t, Connection> connections_;
  NetworkRules network_;
  History history_;
  std::string last_gap_;  // why the cluster had not converged at the last check
  std::map<std::string, std::unique_ptr<Rng>> rngs_;
  std::unique_ptr<Scheduler> scheduler_;
  LoopId control_ = 0;
  Phase phase_ = Phase::Fault;
  RunOutcome outcome_;
  std::uint64_t message_seq_ = 0;
  bool record_messages_ = false;
  bool messages_triggered_ = false;
  bool tearing_down_ = false;  // in ~World: dropped work is not a loss then
  std::uint32_t connection_ids_ = 0;
  std::int64_t max_events_;
  std::int64_t max_wall_ms_;
  std::int64_t max_memory_mib_;
  std::function<void(const Progress&)> progress_;
  double progress_after_s_ = 3.0;
  double progress_shown_s_ = -1.0;  // wall time of the last progress call (-1: none yet)
  std::function<void(const std::string&)> pace_warning_;
  double pace_after_s_ = 5.0;
  bool warned_events_ = false, warned_wall_ = false;
  std::chrono::steady_clock::time_point wall_start_;  // bounds only, never behaviour
};

}  // namespace kafkasim::sim

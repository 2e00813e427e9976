// The model's side of a conformance trace: a cluster of one ZooKeeper server and trace clients (plus a
// spare client for the expiry technique), driven step by step from the simulation's control loop.
#include "zk_conformance/model_zookeeper.h"

#include <stdexcept>

#include <fmt/format.h>

#include "models/zookeeper/client.h"
#include "models/zookeeper/server.h"
#include "scenario/scenario.h"
#include "sim/cluster_model.h"
#include "sim/runner.h"
#include "sim/world.h"

namespace kafkasim::zkconf {

namespace {

constexpr Micros kSessionTimeout = kSessionTimeoutMs * kMicrosPerMs;
constexpr Micros kSettle = 200 * kMicrosPerMs;  // after a step, for watches to arrive (no faults: ~latency)
constexpr int kSpare = kMaxClients;             // the node of the second handle that expires a session
constexpr int kServer = kMaxClients + 1;

class Harness;

// A trace client: a node with the current ZooKeeper client handle (earlier ones are kept, inert, because
// their timers may still fire) and what its default watcher and session saw.
class TraceClientNode : public sim::Node {
 public:
  TraceClientNode(sim::World& world, int node) : sim::Node(world, node) {}
  void on_message(const sim::Envelope& e) override {
    if (const auto* w = dynamic_cast<const zk::ZkWatch*>(e.body.get()))
      for (auto& h : handles_)
        if (h && h->channel() == e.channel) h->on_watch(*w);  // the handle whose connection it came on
  }
  void on_connection_reset(int peer, std::uint32_t channel) override {
    for (auto& h : handles_)
      if (h && peer == h->server_node()) h->connection_closed(channel);  // only the handle on that channel
  }
  zk::Client* current() { return handles_.empty() ? nullptr : handles_.back().get(); }
  bool open() const { return !handles_.empty() && !gone_; }

  // A new handle: a new session, or (resume != 0) a second handle on an existing one.
  zk::Client& new_handle(zk::SessionId resume) {
    gone_ = false;
    reported_connected_ = false;
    handles_.push_back(std::make_unique<zk::Client>(*this, kServer, kSessionTimeout, [this](zk::Client::State s, zk::SessionId) {
      if (s == zk::Client::State::Connected && !reported_connected_) {
        reported_connected_ = true;
        events.push_back({true, "connected", ""});
      }
      if (s == zk::Client::State::Expired) events.push_back({true, "expired", ""});
      if (auto waiting = on_state) waiting(s);  // a copy: the handler may replace on_state
    }));
    zk::Client& c = *handles_.back();
    c.set_default_watcher([this](zk::WatchType t, const std::string& path) {
      events.push_back({false, zk::watch_type_name(t), path});
    });
    if (resume != 0) c.resume_session(resume);
    else c.start_session();
    return c;
  }
  void drop_handle() { gone_ = true; }

  std::vector<ClientEvent> events;
  std::function<void(zk::Client::State)> on_state;  // the harness waiting for a state

 private:
  std::vector<std::unique_ptr<zk::Client>> handles_;
  bool gone_ = false;
  bool reported_connected_ = false;
};

class Harness : public sim::ClusterModel {
 public:
  explicit Harness(const Trace& trace) : trace_(trace), obs_(kTracePrefix) {
    for (int c = 0; c < kMaxClients; ++c) handle_of_label_.push_back(c);
  }

  std::unique_ptr<sim::Node> start_process(sim::World& world, int node) override {
    world_ = &world;
    if (node == kServer) {
      auto server = std::make_unique<zk::Server>(world, node, static_cast<zk::ServerState&>(*world.durable(node)));
      server_ = server.get();
      return server;
    }
    auto client = std::make_unique<TraceClientNode>(world, node);
    clients_[static_cast<std::size_t>(node)] = client.get();
    if (node == kSpare) world.on_control(kSettle, [this] { run_step(0); });  // the last client up: begin
    return client;
  }
  std::unique_ptr<sim::DurableState> create_durable(sim::World&, int node) override {
    if (node != kServer) return nullptr;
    auto state = std::make_unique<zk::ServerState>();
    state_ = state.get();
    state->tree.create(0, kTracePrefix, "", zk::CreateMode::Persistent);
    return state;
  }
  std::optional<int> resolve(sim::World&, const Target&) override { return std::nullopt; }
  std::string expire_session(sim::World&, int) override { return "not part of a conformance trace"; }
  std::string shutdown(sim::World&, int) override { return "not part of a conformance trace"; }
  std::string elect_preferred_leader(sim::World&, const std::string&) override { return "not part of a conformance trace"; }
  std::string produce(sim::World&, const ProduceSpec&) override { return "not part of a conformance trace"; }
  void stop_producers(sim::World&) override {}
  std::string convergence_gap(sim::World&) override { return done_ ? "" : "the trace has not finished"; }

  bool done() const { return done_; }
  std::string text() const { return obs_.text(); }

 private:
  TraceClientNode& of(int label) { return *clients_[static_cast<std::size_t>(handle_of_label_[static_cast<std::size_t>(label)])]; }
  int node_of(int label) const { return handle_of_label_[static_cast<std::size_t>(label)]; }
  std::string abs(const std::string& rel) const { return std::string(kTracePrefix) + rel; }

  void run_step(std::size_t i) {
    if (i == trace_.size()) {
      done_ = true;
      world_->end_run();
      return;
    }
    const Step& s = trace_[i];
    obs_.step(s);
    auto next = [this, i] {
      world_->on_control(kSettle, [this, i] {
        drain_events(trace_[i]);
        snapshot_ephemerals();
        run_step(i + 1);
      });
    };
    if (s.kind == Step::Kind::Race) return race(s, next);
    world_->on_node(node_of(s.client), 0, [this, &s, next] { do_step(s, next); });
  }

  void do_step(const Step& s, const std::function<void()>& next) {
    TraceClientNode& n = of(s.client);
    if (s.kind == Step::Kind::Open) {
      if (n.open()) {
        obs_.skipped(s, "it has a session already");
        return next();
      }
      n.on_state = [this, &n, &s, next](zk::Client::State st) {
        if (st != zk::Client::State::Connected) return;
        n.on_state = nullptr;
        obs_.note_session(s.client, n.current()->session());
        next();
      };
      n.new_handle(0);
      return;
    }
    if (!n.open()) {
      obs_.skipped(s, "it has no session");
      return next();
    }
    zk::Client& c = *n.current();
    auto answer = [this, &s, next](zk::Error e, const zk::ZkResponse* r) {
      obs_.result(s, to_result(s, e, r));
      next();
    };
    switch (s.kind) {
      case Step::Kind::Close:
        c.close_session([this, &n, &s, next] {
          n.drop_handle();
          obs_.session_state(s.client, "closed");
          next();
        });
        return;
      case Step::Kind::Expire: return expire(s, 0, next);
      case Step::Kind::Create: return c.create(abs(s.path), s.data, s.mode, answer);
      case Step::Kind::Delete: return c.remove(abs(s.path), s.version, answer);
      case Step::Kind::SetData: return c.set_data(abs(s.path), s.data, s.version, answer);
      case Step::Kind::Exists: return c.exists(abs(s.path), s.watch ? zk::Client::default_watch() : nullptr, answer);
      case Step::Kind::GetData: return c.get_data(abs(s.path), s.watch ? zk::Client::default_watch() : nullptr, answer);
      case Step::Kind::GetChildren:
        return c.get_children(abs(s.path), s.watch ? zk::Client::default_watch() : nullptr, answer);
      case Step::Kind::Multi: {
        std::vector<zk::Op> ops = s.ops;
        for (auto& op : ops) op.path = abs(op.path);
        return c.multi(ops, answer);
      }
      default: return next();
    }
  }

  static Result to_result(const Step& s, zk::Error e, const zk::ZkResponse* r) {
    Result out;
    out.error = static_cast<int>(e);
    if (r == nullptr) return out;
    switch (s.kind) {
      case Step::Kind::Create: out.path = r->result.path; break;
      case Step::Kind::SetData: out.stat = r->result.stat; break;
      case Step::Kind::Exists:
        if (!r->exists && e == zk::Error::Ok) out.error = static_cast<int>(zk::Error::NoNode);  // as the C client says
        else out.stat = r->stat;
        break;
      case Step::Kind::GetData:
        out.data = r->data;
        out.stat = r->stat;
        break;
      case Step::Kind::GetChildren:
        for (const auto& child : r->children) out.children.push_back(child.substr(child.rfind('/') + 1));
        break;
      case Step::Kind::Multi:
        for (std::size_t i = 0; i < r->results.size(); ++i) {
          const zk::OpResult& op = r->results[i];
          const zk::Op::Kind kind = s.ops[i].kind;
          const bool ok = op.error == zk::Error::Ok;
          out.op_errors.push_back(static_cast<int>(op.error));
          out.op_paths.push_back(ok && kind == zk::Op::Kind::Create ? op.path : "");
          out.op_stats.push_back(ok && kind == zk::Op::Kind::SetData ? std::optional<zk::Stat>(op.stat) : std::nullopt);
        }
        break;
      default: break;
    }
    return out;
  }

  void race(const Step& s, const std::function<void()>& next) {
    for (int label : s.racers)
      if (!of(label).open()) {
        obs_.skipped(s, fmt::format("c{} has no session", label));
        return next();
      }
    auto errors = std::make_shared<std::vector<std::pair<int, int>>>();  // (label, error)
    for (int label : s.racers) {
      world_->on_node(node_of(label), 0, [this, &s, label, errors, next] {
        of(label).current()->create(abs(s.path), "", zk::CreateMode::Ephemeral, [this, &s, label, errors, next](zk::Error e, const zk::ZkResponse*) {
          errors->emplace_back(label, static_cast<int>(e));
          if (errors->size() < s.racers.size()) return;
          std::vector<int> codes;
          int winner = -1;
          for (const auto& [l, code] : *errors) {
            codes.push_back(code);
            if (code == 0) winner = l;
          }
          obs_.race(s, codes);
          if (winner >= 0) {
            relabel_after_race(handle_of_label_, s.racers, winner);
            for (int r : s.racers) obs_.note_session(r, of(r).current()->session());
          }
          next();
        });
      });
    }
  }

  // As on the real server: a second handle (the spare node) connects with the session's id and closes it;
  // the first handle's connection is closed when the second connects, and on reconnecting it learns the
  // session expired. Tried again (at most five times) if the first handle took the session back.
  void expire(const Step& s, int attempt, const std::function<void()>& next) {
    TraceClientNode& victim = of(s.client);
    if (attempt == 5) {
      obs_.skipped(s, "the session did not expire within five attempts");
      victim.drop_handle();
      return next();
    }
    const zk::SessionId session = victim.current()->session();
    TraceClientNode& spare = *clients_[kSpare];
    world_->on_node(kSpare, 0, [this, &s, &spare, &victim, session, attempt, next] {
      spare.on_state = [this, &s, &spare, &victim, attempt, next](zk::Client::State st) {
        if (st != zk::Client::State::Connected && st != zk::Client::State::Expired) return;
        spare.on_state = nullptr;
        auto wait_for_victim = [this, &s, &victim, attempt, next] {
          world_->on_control(3 * kMicrosPerSecond, [this, &s, &victim, attempt, next] {
            if (victim.current()->state() == zk::Client::State::Expired) {
              victim.drop_handle();
              return next();
            }
            expire(s, attempt + 1, next);
          });
        };
        if (st == zk::Client::State::Connected) spare.current()->close_session(wait_for_victim);
        else wait_for_victim();
      };
      spare.new_handle(session);
      spare.events.clear();
    });
  }

  void drain_events(const Step& step) {
    for (int label = 0; label < kMaxClients; ++label) {
      std::vector<ClientEvent> events;
      events.swap(of(label).events);
      obs_.client_events(step, label, std::move(events));
    }
    clients_[kSpare]->events.clear();
  }

  void snapshot_ephemerals() {
    std::map<std::string, std::int64_t> owners;
    const std::string prefix = std::string(kTracePrefix) + "/";
    for (const auto& path : state_->tree.all_paths()) {
      if (path.rfind(prefix, 0) != 0) continue;
      auto stat = state_->tree.exists(path);
      if (stat && stat->ephemeral_owner != 0) owners[path] = stat->ephemeral_owner;
    }
    obs_.ephemerals(owners);
  }

  const Trace& trace_;
  Observations obs_;
  sim::World* world_ = nullptr;
  zk::Server* server_ = nullptr;
  zk::ServerState* state_ = nullptr;
  std::array<TraceClientNode*, kMaxClients + 1> clients_{};
  std::vector<int> handle_of_label_;
  bool done_ = false;
};

}  // namespace

std::string run_on_model(const Trace& trace) {
  const sim::ChildOutcome out = sim::run_in_child(
      [&trace] {
        const Scenario scenario = parse_scenario_text(
            fmt::format("name: zk-conformance\nsummary: a ZooKeeper conformance trace on the model\n"
                        "duration: 3600s\nsettle: 1s\ncluster: {{brokers: {}}}\n",
                        kMaxClients + 1),
            "zk-conformance.yaml");
        Harness harness(trace);
        sim::World world(scenario, harness);
        const sim::RunOutcome outcome = world.run();
        if (!outcome.failure.empty()) throw std::runtime_error("the model's simulation failed: " + outcome.failure);
        if (!harness.done()) throw std::runtime_error("the model's simulation ended before the trace did");
        return harness.text();
      },
      60);
  if (!out.completed) throw std::runtime_error("running the trace on the model: " + out.describe());
  return out.payload;
}

}  // namespace kafkasim::zkconf

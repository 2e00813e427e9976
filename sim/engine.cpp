// SimGrid S4U behind the Engine API. Traps handled here (see ../shared/reference/simgrid-notes.md):
// CM02 network model so latencies are the ones asked for; permanent receivers so messages travel
// concurrently; pauses are not Actor::suspend; mailboxes are cleared when a node dies.
#include "sim/engine.h"

#include <cassert>
#include <cmath>
#include <map>
#include <mutex>
#include <queue>
#include <unordered_map>

#include <simgrid/Exception.hpp>
#include <simgrid/s4u.hpp>

namespace sg4 = simgrid::s4u;

namespace kafkasim::sim {

namespace {

struct TimerEntry {
  Micros when;
  TimerId id;  // ids grow: equal times fire in the order they were set
  bool operator>(const TimerEntry& o) const { return when != o.when ? when > o.when : id > o.id; }
};

struct Loop {
  sg4::MutexPtr mutex = sg4::Mutex::create();
  sg4::ConditionVariablePtr cv = sg4::ConditionVariable::create();
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> heap;
  std::unordered_map<TimerId, std::function<void()>> pending;  // looked up by id only, never iterated
  bool closed = false;
  bool waiting = false;
  Micros waiting_until = -1;  // -1: waiting with no deadline
};

double seconds(Micros t) { return static_cast<double>(t) / kMicrosPerSecond; }

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#endif
#endif
  return false;
}

}  // namespace

struct Engine::Impl {
  std::unique_ptr<sg4::Engine> engine;
  std::vector<sg4::Host*> hosts;
  sg4::Host* control_host = nullptr;
  std::vector<sg4::Mailbox*> mailboxes;
  std::vector<sg4::ActorPtr> receivers;
  std::map<LoopId, std::shared_ptr<Loop>> loops;
  LoopId next_loop = 1;
  TimerId next_timer = 1;

  void loop_main(std::shared_ptr<Loop> loop) {
    std::unique_lock lock(*loop->mutex);
    try {
      run_loop(*loop, lock);
    } catch (const simgrid::ForcefulKillException&) {
      // Killed while parked (daemons die when the run ends): unlocking now would be a simcall from a
      // dying actor, which deadlocks under thread contexts. The mutex dies with its loop anyway.
      (void)lock.release();
      throw;
    }
  }

  void run_loop(Loop& loop, std::unique_lock<sg4::Mutex>& lock) {
    while (!loop.closed) {
      if (loop.heap.empty()) {
        loop.waiting = true;
        loop.waiting_until = -1;
        loop.cv->wait(lock);
        loop.waiting = false;
        continue;
      }
      TimerEntry top = loop.heap.top();
      auto it = loop.pending.find(top.id);
      if (it == loop.pending.end()) {  // cancelled
        loop.heap.pop();
        continue;
      }
      Micros now = std::llround(sg4::Engine::get_clock() * kMicrosPerSecond);
      if (top.when > now) {
        loop.waiting = true;
        loop.waiting_until = top.when;
        loop.cv->wait_until(lock, seconds(top.when));
        loop.waiting = false;
        continue;
      }
      loop.heap.pop();
      std::function<void()> fn = std::move(it->second);
      loop.pending.erase(it);
      lock.unlock();
      fn();
      lock.lock();
    }
  }
};

Engine::Engine(const std::vector<std::string>& host_names, const EngineOptions& options) : impl_(new Impl) {
  std::vector<std::string> args = {"kafkasim", "--cfg=network/model:CM02", "--log=root.thres:critical",
                                   "--log=xbt_cfg.thres:critical"};
  // ASan cannot follow SimGrid's own stacks: use threads there (correct, slower).
  if (sanitized()) args.push_back("--cfg=contexts/factory:thread");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  impl_->engine = std::make_unique<sg4::Engine>(&argc, argv.data());
  sg4::Engine::on_deadlock_cb([this] { deadlocked_ = true; });

  // A star: each host has a split-duplex link of half the one-way latency, so any two hosts are
  // exactly `one_way_latency` apart (plus size/bandwidth).
  auto* zone = sg4::create_star_zone("cluster");
  const double half_latency_s = seconds(options.one_way_latency) / 2;
  for (std::size_t i = 0; i < host_names.size(); ++i) {
    sg4::Host* host = zone->create_host(host_names[i], 1e9)->seal();
    auto* link = zone->create_split_duplex_link("link-" + host_names[i], options.bandwidth_bytes_per_s)
                     ->set_latency(half_latency_s)
                     ->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                    {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::UP)}, true);
    impl_->hosts.push_back(host);
    impl_->mailboxes.push_back(sg4::Mailbox::by_name("mailbox-" + host_names[i]));
  }
  impl_->control_host = zone->create_host("control", 1e9)->seal();
  zone->seal();
  impl_->receivers.resize(host_names.size());
}

// The SimGrid engine is deliberately never destroyed: it cannot be re-created in one process, and
// tearing it down with actors still parked (daemons, or any actor under thread contexts) blocks forever
// joining their threads. A run owns its process (sim/runner.cpp) and leaves it with _exit.
Engine::~Engine() { (void)impl_->engine.release(); }

Micros Engine::now() const { return std::llround(sg4::Engine::get_clock() * kMicrosPerSecond); }

LoopId Engine::open_loop(int host, const std::string& name, bool daemon) {
  auto loop = std::make_shared<Loop>();
  LoopId id = impl_->next_loop++;
  impl_->loops[id] = loop;
  sg4::Host* h = host < 0 ? impl_->control_host : impl_->hosts.at(host);
  sg4::ActorPtr actor = sg4::Actor::create(name, h, [this, loop] { impl_->loop_main(loop); });
  if (daemon) actor->daemonize();
  return id;
}

void Engine::close_loop(LoopId id) {
  auto it = impl_->loops.find(id);
  if (it == impl_->loops.end()) return;
  std::shared_ptr<Loop> loop = it->second;
  loop->closed = true;
  loop->pending.clear();
  loop->cv->notify_all();
  impl_->loops.erase(it);  // the actor keeps its own reference until it returns
}

TimerId Engine::at(LoopId id, Micros when, std::function<void()> fn) {
  auto it = impl_->loops.find(id);
  assert(it != impl_->loops.end() && "timer set on a closed loop");
  Loop& loop = *it->second;
  TimerId timer = impl_->next_timer++;
  loop.heap.push(TimerEntry{when, timer});
  loop.pending.emplace(timer, std::move(fn));
  if (loop.waiting && (loop.waiting_until < 0 || when < loop.waiting_until)) loop.cv->notify_one();
  return timer;
}

void Engine::cancel(LoopId id, TimerId timer) {
  auto it = impl_->loops.find(id);
  if (it != impl_->loops.end()) it->second->pending.erase(timer);
}

void Engine::listen(int host, std::function<void(void*)> on_receive) {
  sg4::Mailbox* mailbox = impl_->mailboxes.at(host);
  sg4::ActorPtr actor = sg4::Actor::create("receiver", impl_->hosts.at(host), [mailbox, on_receive] {
    while (true) on_receive(mailbox->get<void>());
  });
  actor->daemonize();
  mailbox->set_receiver(actor);
  impl_->receivers.at(host) = actor;
}

void Engine::unlisten(int host) {
  sg4::ActorPtr& actor = impl_->receivers.at(host);
  if (actor) {
    actor->kill();
    actor = nullptr;
  }
  impl_->mailboxes.at(host)->set_receiver(nullptr);
  impl_->mailboxes.at(host)->clear();
}

void Engine::transmit(int from_host, int to_host, void* payload, std::size_t bytes, void (*free_payload)(void*)) {
  assert(sg4::this_actor::get_host() == impl_->hosts.at(from_host) && "a node sends from its own host");
  (void)from_host;
  impl_->mailboxes.at(to_host)->put_init(payload, bytes)->detach(free_payload);
}

void Engine::run(LoopId control_loop, std::function<void()> start) {
  at(control_loop, 0, std::move(start));
  impl_->engine->run();
}

}  // namespace kafkasim::sim

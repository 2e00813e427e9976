// SimGrid S4U behind the Engine API. Traps handled here (see ../shared/reference/simgrid-notes.md):
// CM02 network model so latencies are the ones asked for; permanent receivers so messages travel
// concurrently; pauses are not Actor::suspend; mailboxes are cleared when a node dies.
#include "sim/engine.h"

#include "sim/platform.h"

#include <cassert>
#include <cmath>
#include <map>
#include <deque>
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
  int host = -1;
  // Wakes the loop's actor early. A semaphore, not a mutex + condition variable: the loop never holds a
  // lock, so nothing has to be unlocked (a simcall) between callbacks or while the actor is killed.
  sg4::SemaphorePtr wake = sg4::Semaphore::create(0);
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> heap;
  std::unordered_map<TimerId, std::function<void()>> pending;  // looked up by id only, never iterated
  bool closed = false;
  bool waiting = false;
  Micros waiting_until = -1;  // -1: waiting with no deadline
  bool wake_queued = false;
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

// Model code must run atomically: a simcall (a send, a wake-up, creating or killing an actor) lets
// SimGrid run other actors at the same instant, which could crash the very node whose handler is
// running. So the Engine API only records effects; each actor applies them after its work item
// (flush), when no model code is on its stack.
struct Engine::Impl {
  std::unique_ptr<sg4::Engine> engine;
  std::vector<sg4::Host*> hosts;
  sg4::Host* control_host = nullptr;
  std::vector<sg4::Mailbox*> mailboxes;
  std::vector<sg4::ActorPtr> receivers;
  std::map<LoopId, std::shared_ptr<Loop>> loops;
  LoopId next_loop = 1;
  TimerId next_timer = 1;

  struct Send {
    int to;
    void* payload;
    std::size_t bytes;
    void (*free_payload)(void*);
  };
  std::vector<std::deque<Send>> outbox;           // per sending host: sends start from there
  std::deque<std::function<void()>> effects;      // wake-ups, actors to create or kill, mailboxes to clear

  void flush(int host) {
    while (true) {
      if (host >= 0 && !outbox[host].empty()) {
        Send m = outbox[host].front();
        outbox[host].pop_front();
        mailboxes[m.to]->put_init(m.payload, m.bytes)->detach(m.free_payload);
      } else if (!effects.empty()) {
        std::function<void()> effect = std::move(effects.front());
        effects.pop_front();
        effect();
      } else {
        return;
      }
    }
  }

  void wake(const std::shared_ptr<Loop>& loop) {
    if (loop->wake_queued) return;
    loop->wake_queued = true;
    effects.push_back([loop] {
      loop->wake_queued = false;
      loop->wake->release();
    });
  }

  void run_loop(const std::shared_ptr<Loop>& loop) {
    while (!loop->closed) {
      if (loop->heap.empty()) {
        loop->waiting = true;
        loop->waiting_until = -1;
        loop->wake->acquire();
        loop->waiting = false;
        continue;
      }
      TimerEntry top = loop->heap.top();
      auto it = loop->pending.find(top.id);
      if (it == loop->pending.end()) {  // cancelled
        loop->heap.pop();
        continue;
      }
      const double clock = sg4::Engine::get_clock();
      if (top.when > std::llround(clock * kMicrosPerSecond)) {
        loop->waiting = true;
        loop->waiting_until = top.when;
        loop->wake->acquire_timeout(seconds(top.when) - clock);
        loop->waiting = false;
        continue;
      }
      loop->heap.pop();
      std::function<void()> fn = std::move(it->second);
      loop->pending.erase(it);
      fn();
      flush(loop->host);
    }
  }
};

Engine::Engine(const std::vector<std::string>& host_names, const EngineOptions& options) : impl_(new Impl) {
  // ASan cannot follow SimGrid's own stacks: use threads there (correct, slower).
  impl_->engine = create_simgrid_engine(/*thread_contexts=*/sanitized());
  sg4::Engine::on_deadlock_cb([this] { deadlocked_ = true; });
  Platform platform = create_star_platform(host_names, options.one_way_latency, options.bandwidth_bytes_per_s);
  impl_->hosts = platform.hosts;
  impl_->control_host = platform.control;
  for (const auto& name : host_names) impl_->mailboxes.push_back(sg4::Mailbox::by_name("mailbox-" + name));
  impl_->receivers.resize(host_names.size());
  impl_->outbox.resize(host_names.size());
}

// The SimGrid engine is deliberately never destroyed: it cannot be re-created in one process, and
// tearing it down with actors still parked (daemons, or any actor under thread contexts) blocks forever
// joining their threads. A run owns its process (sim/runner.cpp) and leaves it with _exit.
Engine::~Engine() { (void)impl_->engine.release(); }

Micros Engine::now() const { return std::llround(sg4::Engine::get_clock() * kMicrosPerSecond); }

LoopId Engine::open_loop(int host, const std::string& name, bool daemon) {
  auto loop = std::make_shared<Loop>();
  loop->host = host;
  LoopId id = impl_->next_loop++;
  impl_->loops[id] = loop;
  sg4::Host* h = host < 0 ? impl_->control_host : impl_->hosts.at(host);
  // The actor starts at this instant; timers set meanwhile wait in its heap.
  impl_->effects.push_back([this, loop, h, name, daemon] {
    sg4::ActorPtr actor = sg4::Actor::create(name, h, [this, loop] { impl_->run_loop(loop); });
    if (daemon) actor->daemonize();
  });
  return id;
}

void Engine::close_loop(LoopId id) {
  auto it = impl_->loops.find(id);
  if (it == impl_->loops.end()) return;
  std::shared_ptr<Loop> loop = it->second;
  loop->closed = true;
  loop->pending.clear();
  impl_->wake(loop);
  impl_->loops.erase(it);  // the actor keeps its own reference until it returns
}

TimerId Engine::at(LoopId id, Micros when, std::function<void()> fn) {
  auto it = impl_->loops.find(id);
  assert(it != impl_->loops.end() && "timer set on a closed loop");
  const std::shared_ptr<Loop>& loop = it->second;
  TimerId timer = impl_->next_timer++;
  loop->heap.push(TimerEntry{when, timer});
  loop->pending.emplace(timer, std::move(fn));
  if (loop->waiting && (loop->waiting_until < 0 || when < loop->waiting_until)) impl_->wake(loop);
  return timer;
}

void Engine::cancel(LoopId id, TimerId timer) {
  auto it = impl_->loops.find(id);
  if (it != impl_->loops.end()) it->second->pending.erase(timer);
}

void Engine::listen(int host, std::function<void(void*)> on_receive) {
  impl_->effects.push_back([this, host, on_receive] {
    sg4::Mailbox* mailbox = impl_->mailboxes.at(host);
    sg4::ActorPtr actor = sg4::Actor::create("receiver", impl_->hosts.at(host), [this, mailbox, host, on_receive] {
      while (true) {
        void* payload = nullptr;
        try {
          payload = mailbox->get<void>();
        } catch (const simgrid::NetworkFailureException&) {
          // The mailbox was cleared under a parked get: this receiver's host is going down (a crash
          // fired in the same instant as the restart that created it). Nothing was delivered.
          return;
        }
        on_receive(payload);
        impl_->flush(host);
      }
    });
    actor->daemonize();
    mailbox->set_receiver(actor);
    impl_->receivers.at(host) = actor;
  });
}

void Engine::unlisten(int host) {
  impl_->effects.push_back([this, host] {
    sg4::ActorPtr actor = impl_->receivers.at(host);
    impl_->receivers.at(host) = nullptr;
    // A receiver parked in get() must die before clear() cancels that get (an exception in it would
    // abort the run); a receiver running this very flush is not parked, and must die last.
    const bool self = actor && actor.get() == sg4::Actor::self();
    if (actor && !self) actor->kill();
    impl_->mailboxes.at(host)->set_receiver(nullptr);
    impl_->mailboxes.at(host)->clear();
    if (self) actor->kill();
  });
}

void Engine::transmit(int from_host, int to_host, void* payload, std::size_t bytes, void (*free_payload)(void*)) {
  impl_->outbox.at(from_host).push_back(Impl::Send{to_host, payload, bytes, free_payload});
}

void Engine::run(LoopId control_loop, std::function<void()> start) {
  at(control_loop, 0, std::move(start));
  impl_->flush(-1);  // creates the control loop's actor
  impl_->engine->run();
}

}  // namespace kafkasim::sim

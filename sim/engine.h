// The thin layer over SimGrid S4U: the platform (one host per node), event loops that run timers
// on a host, receivers that take messages off a node's mailbox, and transmission between hosts.
// Nothing else in kafkasim includes SimGrid; models see the Node API (sim/node.h) only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "scenario/units.h"

namespace kafkasim::sim {

using TimerId = std::uint64_t;
using LoopId = std::uint64_t;

struct EngineOptions {
  Micros one_way_latency = kMicrosPerMs;
  double bandwidth_bytes_per_s = 1.25e9;  // 10 Gbit/s links
};

// Every call below only records its effect (a send, a wake-up, an actor to create or kill); the actor
// that made the call applies them after its current work item. So model code between two simcalls never
// exists: a handler runs to its end before any other actor can act at the same instant.
class Engine {
 public:
  // One host per name; a further "control" host runs the scenario's driver and touches no network.
  Engine(const std::vector<std::string>& host_names, const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Micros now() const;

  // Event loops: an actor on `host` (-1 = the control host) running timers in (time, order) order.
  LoopId open_loop(int host, const std::string& name, bool daemon = true);
  // Ends a loop: its pending timers never fire; its actor returns when next scheduled.
  void close_loop(LoopId loop);
  TimerId at(LoopId loop, Micros when, std::function<void()> fn);
  void cancel(LoopId loop, TimerId timer);

  // Receivers: an actor on `host` taking each message off the host's mailbox as soon as it arrives.
  void listen(int host, std::function<void(void* payload)> on_receive);
  // Kills the receiver and frees every message waiting in or travelling to the mailbox.
  void unlisten(int host);
  // Sends `payload` from `from_host` (the calling actor must run there) to `to_host`'s mailbox;
  // `free_payload` frees it if it is never received.
  void transmit(int from_host, int to_host, void* payload, std::size_t bytes, void (*free_payload)(void*));

  // Runs the simulation: `start` is called on the control loop at time 0; returns once the control loop
  // is closed (every other loop and receiver is a daemon and ends with it).
  void run(LoopId control_loop, std::function<void()> start);
  bool deadlocked() const { return deadlocked_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool deadlocked_ = false;
};

}  // namespace kafkasim::sim

// The simulated platform, shared by the Engine and the benchmark's SimGrid baseline: one host per node
// on a star of split-duplex links (any two hosts exactly one one-way latency apart), the CM02 network
// model, SimGrid's own logging silenced. Only sim/engine.cpp and bench/ include this (it is SimGrid).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "scenario/units.h"

namespace kafkasim::sim {

// A SimGrid engine configured as every kafkasim run is (call once per process).
std::unique_ptr<simgrid::s4u::Engine> create_simgrid_engine(bool thread_contexts);

struct Platform {
  std::vector<simgrid::s4u::Host*> hosts;  // one per name, in order
  simgrid::s4u::Host* control = nullptr;   // runs drivers; touches no network
};
Platform create_star_platform(const std::vector<std::string>& host_names, Micros one_way_latency,
                              double bandwidth_bytes_per_s);

}  // namespace kafkasim::sim

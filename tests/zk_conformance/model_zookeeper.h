// A conformance trace run against the ZooKeeper model: the model's server and clients in a simulation,
// in a forked child (SimGrid runs once per process), with the same session timeout as the real run.
#pragma once

#include <string>

#include "zk_conformance/trace.h"

namespace kafkasim::zkconf {

// The log of `trace` on the model; throws std::runtime_error if the simulation failed.
std::string run_on_model(const Trace& trace);

}  // namespace kafkasim::zkconf

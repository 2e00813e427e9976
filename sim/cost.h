// What a run of a scenario will cost, estimated from its size before it runs (events handled, peak
// memory), so a scenario clearly past the run's bounds is refused up front with the estimate instead of
// running for minutes to fail; and the check a running World makes of its own pace against those bounds.
// The coefficients are measured on this project's benchmark machine (docs/robustness.md, "Resources").
#pragma once

#include <cstdint>
#include <string>

#include "scenario/scenario.h"

namespace kafkasim::sim {

struct CostEstimate {
  double records = 0;       // records the producers send
  double events = 0;        // messages and timers handled
  double memory_mib = 0;    // peak resident size of the run's process
  double simulated_s = 0;   // the fault phase and the longest settle phase
};
CostEstimate estimate_cost(const Scenario& scenario);

// "" when the estimate fits the scenario's bounds (sim.max.events, sim.max.memory.mb) with room to spare;
// else why the run is refused, with the estimate and what to change. `factor`: how far past a bound the
// estimate must be ("clearly past": the estimate is rough). A run estimated under a million events and
// 512 MiB is never refused: it is cheap to run it to its bound.
std::string refuse_by_estimate(const Scenario& scenario, double factor = 2.0);

}  // namespace kafkasim::sim

// `kafkasim explore --systematic --depth K`: a bounded, exhaustive search for small clusters. From the
// base run (no faults), it places one fault at the first occurrence of each trigger event after the
// previous fault fired (every trigger event and pinned broker or partition that the run reached, times
// every action of a fixed menu per fault kind), breadth first, up to K faults deep. A run whose cluster
// state after its last fault (a digest of the state rebuilt from the history: who is up, the controller,
// the faults still to be undone, each partition's leader, epoch and ISR, each replica's role and its log
// relative to the longest: LEO, HW and where it diverges) was already reached by another placement is not
// extended: its subtree is the other's. TLC's state-space search, on the executable model.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.h"
#include "sim/history.h"

namespace kafkasim::explore {

struct Base;
struct ExploreOptions;

// The abstract cluster state after history event `last` (and every event at its same time), as canonical
// text: equal texts are states the search treats as one.
std::string abstract_state(const Scenario& scenario, const sim::History& history, std::size_t last);

// The child's part (explore/runs.h): how many of the scenario's events fired, when the last fired, the
// abstract state after it and its digest, and the first occurrence at or after that millisecond of each
// trigger event (by pinned broker or partition), which are where the next fault can go.
nlohmann::ordered_json systematic_probe(const Scenario& scenario, const sim::History& history);

// The search itself, once command_explore has checked the flags, the base and the output folder.
int run_systematic(const Base& base, const ExploreOptions& options, const std::vector<std::string>& faults,
                   std::ostream& out, std::ostream& err);

}  // namespace kafkasim::explore

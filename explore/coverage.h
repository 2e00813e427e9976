// What a run exercised, counted from its history: each fault kind that took effect, truncations by
// reason, rejected requests by reason, unclean elections, controller moves, ISRs shrunk to one. The
// explore summary adds these up so a user can see what the search actually reached.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/history.h"

namespace kafkasim::explore {

using Coverage = std::map<std::string, std::int64_t>;

Coverage coverage_of(const sim::History& history);
// A `fault` record of the operator restarting a broker that exited (sim.operator.restart.ms), not of a
// scheduled event.
bool is_operator_restart(const sim::HistoryEvent& e);
// The keys a coverage table always shows, reached or not (a zero is information too).
std::vector<std::string> coverage_keys(const std::vector<std::string>& fault_kinds, bool kraft = false, bool groups = false);
// The table printed after a search or a merge: each key, how many times, in how many runs.
std::string coverage_table(const Coverage& times, const Coverage& runs, std::int64_t total_runs);

}  // namespace kafkasim::explore

// What the consumer-group checkers (spec/consumer-groups.md) share: a consumer's spec, a group's members,
// a rebalance's assignment read back from its text, and offsets written compactly for a detail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/scenario.h"
#include "sim/history.h"

namespace kafkasim::checks {

const ConsumerSpec* find_consumer(const Scenario& scenario, std::string_view id);
// The group a history event's consumer belongs to: the event's own `group` field when it has one, else
// the consumer's spec ("" for a standalone consumer or one the scenario does not name).
std::string group_of(const Scenario& scenario, const sim::HistoryEvent& e);
// "{c1: [t-0, t-1], c2: []}" -> {c1: [t-0, t-1], c2: []}; anything unreadable is skipped.
std::map<std::string, std::vector<std::string>> parse_assignment(std::string_view text);
// The same map inverted: partition -> the member it is assigned to.
std::map<std::string, std::string> owners(const std::map<std::string, std::vector<std::string>>& assignment);
// Sorted offsets as "3, 4" or "3-9, 12" (runs of three or more as a range), at most `max_parts` parts and
// then "and N more".
std::string offsets_text(std::vector<std::int64_t> offsets, std::size_t max_parts = 12);

}  // namespace kafkasim::checks

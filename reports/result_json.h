// The JSON result of one run, shaped as spec/cli.md defines it (plus a few added keys).
#pragma once

#include <nlohmann/json.hpp>

#include "checks/checkers.h"
#include "scenario/scenario.h"
#include "sim/world.h"

namespace kafkasim::reports {

nlohmann::ordered_json design_json(const Design& design);
nlohmann::ordered_json violation_json(const checks::Violation& v);
nlohmann::ordered_json result_json(const Scenario& scenario, const std::vector<checks::Violation>& violations,
                                   const sim::RunStats& stats, const std::string& history_path,
                                   const checks::LossStats& losses = {},
                                   const std::map<std::string, checks::ProducerAccount>& accounts = {});

}  // namespace kafkasim::reports

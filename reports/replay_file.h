// Writes a scenario back out as a file that replays one run exactly: the seed and design it ran with
// are written into it, with comments saying where it came from.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenario/scenario.h"

namespace kafkasim::reports {

// The design as a scenario file writes it: the preset's name, or {base: preset, switch: value, ...}.
YAML::Node design_yaml(const Design& design);

std::string replay_yaml(const Scenario& scenario, const std::vector<std::string>& comment_lines);
// Saves it under `dir` as <name>-seed<seed>.yaml (a new name if taken); returns the path.
std::string save_replay(const Scenario& scenario, const std::string& dir, const std::vector<std::string>& comment_lines);

}  // namespace kafkasim::reports

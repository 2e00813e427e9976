// Replay files: the user's own scenario text, re-emitted with the run's seed and design pinned.
#include "reports/replay_file.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "reports/output_files.h"

namespace kafkasim::reports {

YAML::Node design_yaml(const Design& design) {
  if (design.overrides.empty()) return YAML::Node(design.preset);
  YAML::Node d(YAML::NodeType::Map);
  d["base"] = design.preset;
  for (const auto& [k, v] : design.overrides) d[k] = v;
  return d;
}

std::string replay_yaml(const Scenario& scenario, const std::vector<std::string>& comment_lines) {
  YAML::Node doc = YAML::Load(scenario.source_text);
  doc["seed"] = scenario.seed;
  doc["design"] = design_yaml(scenario.design);
  YAML::Emitter out;
  out << doc;
  std::string text;
  for (const auto& c : comment_lines) text += "# " + c + "\n";
  return text + out.c_str() + "\n";
}

std::string save_replay(const Scenario& scenario, const std::string& dir, const std::vector<std::string>& comment_lines) {
  if (const std::string why = check_output_dir(dir, "the replay folder"); !why.empty()) throw std::runtime_error(why);
  std::string path = fmt::format("{}/{}-seed{}.yaml", dir, scenario.name, scenario.seed);
  for (int i = 2; std::filesystem::exists(path) && i < 10000; ++i)
    path = fmt::format("{}/{}-seed{}-{}.yaml", dir, scenario.name, scenario.seed, i);
  if (const std::string why = write_file(path, replay_yaml(scenario, comment_lines)); !why.empty())
    throw std::runtime_error(why);
  return path;
}

}  // namespace kafkasim::reports

// `kafkasim merge DIR...`: the summaries of several explore shards combined into one, with the seeds
// covered listed and checked for gaps and overlaps.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "explore/coverage.h"
#include "explore/search.h"

namespace kafkasim::explore {

namespace {
using json = nlohmann::ordered_json;
constexpr int kExitPass = 0, kExitFound = 1, kExitBadInput = 2, kExitSimulatorFailure = 3;
}  // namespace

int command_merge(const std::vector<std::string>& inputs, const std::string& out_dir, std::ostream& out, std::ostream& err) {
  json merged;
  std::vector<std::uint64_t> seeds;
  json violations = json::array(), failures = json::array();
  Coverage times, runs_with;
  std::int64_t determinism_checked = 0;
  double wall_s = 0, wall_total_s = 0;
  std::map<int, std::set<int>> shards_by_count;  // N -> the indices I seen
  for (const auto& input : inputs) {
    const std::filesystem::path path =
        std::filesystem::is_directory(input) ? std::filesystem::path(input) / "summary.json" : std::filesystem::path(input);
    const std::string dir = path.parent_path().string();
    json s;
    try {
      std::ifstream f(path);
      if (!f) throw std::runtime_error("no such file");
      s = json::parse(f);
      for (const char* key : {"design", "faults", "seed", "shard", "runs", "violations", "simulator_failures", "coverage"})
        if (!s.contains(key)) throw std::runtime_error(fmt::format("no '{}' key: not an explore summary", key));
    } catch (const std::exception& e) {
      err << fmt::format("{}:1:1: cannot read the summary: {}\n", path.string(), e.what());
      return kExitBadInput;
    }
    if (merged.empty()) {
      merged["design"] = s["design"];
      merged["faults"] = s["faults"];
      merged["seed"] = s["seed"];
      merged["shard"] = "merged";
      merged["base"] = s.value("base", "");
    } else {
      for (const char* key : {"design", "faults", "seed", "base"})
        if (s.value(key, json()) != merged[key]) {
          err << fmt::format("{}:1:1: its '{}' ({}) differs from the first summary's ({}): these runs are not parts of one sweep\n",
                             path.string(), key, s.value(key, json()).dump(), merged[key].dump());
          return kExitBadInput;
        }
    }
    const std::uint64_t base_seed = s["seed"].get<std::uint64_t>();
    const std::string shard = s["shard"].get<std::string>();
    if (shard == "merged") {
      for (const auto& seed : s["covered_seeds"]) seeds.push_back(seed.get<std::uint64_t>());
    } else {
      int index = 0, count = 1;
      std::string error;
      if (!parse_shard(shard, index, count, error)) {
        err << fmt::format("{}:1:1: shard: {}\n", path.string(), error);
        return kExitBadInput;
      }
      shards_by_count[count].insert(index);
      const auto n = s["runs"].get<std::int64_t>();
      for (std::int64_t k = 0; k < n; ++k)
        seeds.push_back(base_seed + static_cast<std::uint64_t>(index) + static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(count));
    }
    for (auto v : s["violations"]) {
      if (v["file"].is_string()) v["file"] = (std::filesystem::path(dir) / v["file"].get<std::string>()).string();
      violations.push_back(v);
    }
    for (auto f : s["simulator_failures"]) {
      if (f["file"].is_string()) f["file"] = (std::filesystem::path(dir) / f["file"].get<std::string>()).string();
      failures.push_back(f);
    }
    for (const auto& [k, v] : s["coverage"].items()) times[k] += v.get<std::int64_t>();
    if (s.contains("coverage_runs"))
      for (const auto& [k, v] : s["coverage_runs"].items()) runs_with[k] += v.get<std::int64_t>();
    determinism_checked += s.value("determinism_checked", 0);
    wall_s = std::max(wall_s, s.value("wall_s", 0.0));
    wall_total_s += s.value("wall_s", 0.0);
  }
  std::sort(seeds.begin(), seeds.end());
  std::vector<std::uint64_t> overlaps;
  for (std::size_t i = 1; i < seeds.size(); ++i)
    if (seeds[i] == seeds[i - 1]) overlaps.push_back(seeds[i]);
  seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
  const std::uint64_t base_seed = merged["seed"].get<std::uint64_t>();
  std::uint64_t contiguous_end = base_seed;  // seeds base..contiguous_end-1 are all covered
  for (auto seed : seeds)
    if (seed == contiguous_end) ++contiguous_end;
  const std::size_t beyond = static_cast<std::size_t>(std::count_if(seeds.begin(), seeds.end(), [&](auto s) { return s >= contiguous_end; }));

  std::sort(violations.begin(), violations.end(), [](const json& a, const json& b) {
    return std::pair(a["seed"].get<std::uint64_t>(), a["property"].get<std::string>()) <
           std::pair(b["seed"].get<std::uint64_t>(), b["property"].get<std::string>());
  });
  merged["runs"] = seeds.size();
  merged["wall_s"] = wall_s;
  merged["wall_s_all_shards"] = wall_total_s;
  merged["violations"] = violations;
  merged["simulator_failures"] = failures;
  merged["coverage"] = times;
  merged["coverage_runs"] = runs_with;
  merged["determinism_checked"] = determinism_checked;
  merged["covered_seeds"] = seeds;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::string summary_path = out_dir + "/summary.json";
  std::ofstream f(summary_path);
  if (!f) {
    err << fmt::format("kafkasim merge: --out {}: cannot write {}\n", out_dir, summary_path);
    return kExitBadInput;
  }
  f << merged.dump(2) << '\n';

  out << fmt::format("merged {} summar{}: {} runs (seeds {}..{} all covered{})\n", inputs.size(), inputs.size() == 1 ? "y" : "ies",
                     seeds.size(), base_seed, contiguous_end == base_seed ? base_seed : contiguous_end - 1,
                     beyond ? fmt::format("; {} more seeds beyond a gap at {}", beyond, contiguous_end) : "");
  for (const auto& [count, indices] : shards_by_count) {
    std::vector<int> missing;
    for (int i = 0; i < count; ++i)
      if (!indices.count(i)) missing.push_back(i);
    if (!missing.empty()) out << fmt::format("missing shards of {}: {}\n", count, fmt::join(missing, ", "));
  }
  if (!overlaps.empty())
    out << fmt::format("warning: {} seeds were covered more than once (the same shard merged twice?), e.g. {}\n", overlaps.size(),
                       overlaps.front());
  std::set<std::string> properties;
  for (const auto& v : violations) properties.insert(v["property"].get<std::string>());
  out << fmt::format("{} violation{}{}; {} simulator failure{}\n", violations.size(), violations.size() == 1 ? "" : "s",
                     properties.empty() ? "" : fmt::format(" ({})", fmt::join(properties, ", ")), failures.size(),
                     failures.size() == 1 ? "" : "s");
  for (const auto& v : violations)
    if (v["file"].is_string())
      out << fmt::format("  {} at seed {}: kafkasim run {}\n", v["property"].get<std::string>(), v["seed"].get<std::uint64_t>(),
                         v["file"].get<std::string>());
  out << coverage_table(times, runs_with, static_cast<std::int64_t>(seeds.size()));
  out << fmt::format("summary: {}\n", summary_path);
  if (!failures.empty()) return kExitSimulatorFailure;
  return violations.empty() ? kExitPass : kExitFound;
}

}  // namespace kafkasim::explore

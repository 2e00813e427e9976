// `kafkasim merge DIR...`: the summaries of several explore shards combined into one. Each input is
// validated like a scenario (exit 2 naming FILE:LINE:COL and the field); runs, violations and coverage
// are counted once per seed (the same shard given twice, or an older copy of a resumed one, is skipped;
// summaries that overlap only in part cannot be counted once and are refused); the covered seed ranges,
// the gaps and the missing shards go into summary.json, and `--check` exits 1 on a gap.
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
#include "reports/output_files.h"
#include "scenario/limits.h"
#include "scenario/source_text.h"

namespace kafkasim::explore {

namespace {
using json = nlohmann::ordered_json;
constexpr int kExitPass = 0, kExitFound = 1, kExitBadInput = 2, kExitSimulatorFailure = 3;
constexpr std::size_t kMaxSummaryBytes = 256u << 20;   // a summary lists its violations, not its runs
constexpr std::int64_t kMaxRunsPerSummary = 1000000000;
constexpr std::size_t kMaxMergedRuns = 10000000;        // seeds held in memory at once
constexpr std::size_t kMaxListedSeeds = 1000000;        // covered_seeds is written out up to this many

struct BadSummary : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One input summary, read and checked.
struct Input {
  std::string path;
  std::string dir;
  json s;
  std::string shard;  // "I/N" or "merged"
  int index = 0, count = 1;
  std::vector<std::uint64_t> seeds;  // sorted
  std::string text;
};

// FILE:LINE:COL of the first `"key":` in the text (the field a message is about), or FILE:1:1.
std::string where(const std::string& path, const std::string& text, const std::string& key) {
  const std::size_t at = key.empty() ? std::string::npos : text.find("\"" + key + "\"");
  if (at == std::string::npos) return path + ":1:1";
  int line = 1, column = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  return fmt::format("{}:{}:{}", path, line, column);
}

Input read_input(const std::string& input) {
  Input in;
  const std::filesystem::path path =
      std::filesystem::is_directory(input) ? std::filesystem::path(input) / "summary.json" : std::filesystem::path(input);
  in.path = path.string();
  in.dir = path.parent_path().string();
  std::string error;
  auto text = read_bounded(in.path, kMaxSummaryBytes, error);
  if (!text) throw BadSummary(error + (std::filesystem::exists(in.path) ? "" : " (is it an explore --out folder?)"));
  if (std::string what; auto bad = first_invalid_utf8(*text, what))
    throw BadSummary(fmt::format("{}:{}:{}: {}: a summary is UTF-8 JSON", in.path, bad->line, bad->column, what));
  // Duplicate keys would silently keep one value: refuse them.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    else if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    else if (event == json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
             duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  try {
    in.s = json::parse(*text, callback);
  } catch (const json::parse_error& e) {
    throw BadSummary(fmt::format("{}:1:1: not JSON: {}", in.path, e.what()));
  }
  in.text = *text;
  const std::string& t = in.text;
  if (!duplicate.empty()) throw BadSummary(fmt::format("{}: the key '{}' appears twice", where(in.path, t, duplicate), duplicate));
  const json& s = in.s;
  auto fail = [&](const std::string& key, const std::string& message) {
    throw BadSummary(fmt::format("{}: {}: {}", where(in.path, t, key), key, message));
  };
  if (!s.is_object()) fail("", "an explore summary is a JSON object");
  for (const char* key : {"design", "faults", "seed", "shard", "runs", "violations", "simulator_failures", "coverage"})
    if (!s.contains(key)) throw BadSummary(fmt::format("{}:1:1: no '{}' key: not an explore summary", in.path, key));
  auto whole = [&](const json& v, const std::string& key, std::int64_t lo, std::int64_t hi) {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
      fail(key, fmt::format("must be a whole number, not {}", v.dump()));
    const auto n = v.get<std::int64_t>();
    if (n < lo || n > hi) fail(key, fmt::format("must be from {} to {}, not {}", lo, hi, n));
    return n;
  };
  if (!s["design"].is_object() || !s["design"].value("preset", json()).is_string())
    fail("design", "must be an object with a preset, as explore writes it");
  if (!s["faults"].is_array()) fail("faults", "must be a list of fault kinds");
  for (const auto& f : s["faults"])
    if (!f.is_string()) fail("faults", fmt::format("must be a list of fault kinds, not {}", f.dump()));
  const auto base_seed = static_cast<std::uint64_t>(whole(s["seed"], "seed", 0, static_cast<std::int64_t>(limits::kMaxSeed)));
  if (!s["shard"].is_string()) fail("shard", "must be \"I/N\" or \"merged\"");
  in.shard = s["shard"].get<std::string>();
  if (in.shard == "merged") {
    if (!s.value("covered_seeds", json()).is_array()) fail("covered_seeds", "a merged summary lists its covered seeds");
    if (s["covered_seeds"].size() > kMaxMergedRuns) fail("covered_seeds", fmt::format("more than {} seeds", kMaxMergedRuns));
    for (const auto& seed : s["covered_seeds"])
      in.seeds.push_back(static_cast<std::uint64_t>(whole(seed, "covered_seeds", 0, static_cast<std::int64_t>(limits::kMaxSeed))));
  } else {
    std::string error;
    if (!parse_shard(in.shard, in.index, in.count, error)) fail("shard", error);
    const auto runs = whole(s["runs"], "runs", 0, kMaxRunsPerSummary);
    if (static_cast<std::size_t>(runs) > kMaxMergedRuns)
      fail("runs", fmt::format("{} runs: more than the {} one merge holds; merge the shards in parts", runs, kMaxMergedRuns));
    for (std::int64_t k = 0; k < runs; ++k) {
      const __int128 seed = static_cast<__int128>(base_seed) + in.index + static_cast<__int128>(k) * in.count;
      if (seed > static_cast<__int128>(limits::kMaxSeed)) fail("runs", "the runs' seeds would pass 2^63-1");
      in.seeds.push_back(static_cast<std::uint64_t>(seed));
    }
  }
  std::sort(in.seeds.begin(), in.seeds.end());
  in.seeds.erase(std::unique(in.seeds.begin(), in.seeds.end()), in.seeds.end());
  const std::set<std::uint64_t> covered(in.seeds.begin(), in.seeds.end());
  if (!s["violations"].is_array()) fail("violations", "must be a list");
  for (const auto& v : s["violations"]) {
    if (!v.is_object() || !v.value("property", json()).is_string()) fail("violations", "each entry needs its property");
    if (!v.contains("seed")) fail("violations", fmt::format("an entry ({}) has no seed", v.value("property", "")));
    const auto seed = static_cast<std::uint64_t>(whole(v["seed"], "seed", 0, static_cast<std::int64_t>(limits::kMaxSeed)));
    if (!covered.count(seed)) fail("violations", fmt::format("seed {} is not one of the summary's runs", seed));
    if (v.contains("file") && !v["file"].is_string() && !v["file"].is_null()) fail("file", "must be a file name or null");
  }
  if (!s["simulator_failures"].is_array()) fail("simulator_failures", "must be a list");
  for (const auto& f : s["simulator_failures"]) {
    if (!f.is_object() || !f.contains("seed")) fail("simulator_failures", "each entry needs its seed");
    whole(f["seed"], "seed", 0, static_cast<std::int64_t>(limits::kMaxSeed));
    if (f.contains("file") && !f["file"].is_string() && !f["file"].is_null()) fail("file", "must be a file name or null");
  }
  for (const char* key : {"coverage", "coverage_runs"}) {
    if (!s.contains(key)) continue;
    if (!s[key].is_object()) fail(key, "must be an object of counts");
    for (const auto& [k, v] : s[key].items()) whole(v, key, 0, INT64_MAX);
  }
  for (const char* key : {"wall_s", "search_wall_s"})
    if (s.contains(key) && !s[key].is_number()) fail(key, fmt::format("must be a number, not {}", s[key].dump()));
  if (s.contains("determinism_checked")) whole(s["determinism_checked"], "determinism_checked", 0, INT64_MAX);
  return in;
}

// Contiguous runs of seeds: [first, last] pairs.
json ranges_of(const std::vector<std::uint64_t>& sorted) {
  json out = json::array();
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    out.push_back(json::array({sorted[i], sorted[j]}));
    i = j + 1;
  }
  return out;
}

}  // namespace

int command_merge(const std::vector<std::string>& inputs, const std::string& out_dir, std::ostream& out, std::ostream& err) {
  return command_merge(inputs, out_dir, false, out, err);
}

int command_merge(const std::vector<std::string>& inputs, const std::string& out_dir, bool check, std::ostream& out,
                  std::ostream& err) {
  std::vector<Input> all;
  for (const auto& input : inputs) {
    try {
      all.push_back(read_input(input));
    } catch (const BadSummary& e) {
      err << e.what() << '\n';
      return kExitBadInput;
    }
  }
  // One sweep: the same design, faults, base seed and base.
  for (std::size_t i = 1; i < all.size(); ++i)
    for (const char* key : {"design", "faults", "seed", "base"})
      if (all[i].s.value(key, json()) != all[0].s.value(key, json())) {
        err << fmt::format("{}: its '{}' ({}) differs from {}'s ({}): these runs are not parts of one sweep\n",
                           where(all[i].path, all[i].text, key), key, all[i].s.value(key, json()).dump(), all[0].path,
                           all[0].s.value(key, json()).dump());
        return kExitBadInput;
      }
  if (const std::string why = reports::check_output_dir(out_dir, "--out"); !why.empty()) {
    err << "kafkasim merge: " << why << '\n';
    return kExitBadInput;
  }
  // Count each seed once: an input whose seeds another input holds too is skipped (the same shard given
  // twice, an older copy of a resumed shard); a part overlap cannot be split and is refused.
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return all[a].seeds.size() > all[b].seeds.size(); });
  std::vector<std::size_t> kept;
  std::vector<std::string> skipped;
  for (std::size_t i : order) {
    bool contained = false;
    for (std::size_t j : kept) {
      std::vector<std::uint64_t> common;
      std::set_intersection(all[i].seeds.begin(), all[i].seeds.end(), all[j].seeds.begin(), all[j].seeds.end(),
                            std::back_inserter(common));
      if (common.empty()) continue;
      if (common.size() == all[i].seeds.size()) {
        contained = true;
        skipped.push_back(fmt::format("{} (its {} runs are all in {})", all[i].path, all[i].seeds.size(), all[j].path));
        break;
      }
      err << fmt::format("{}:1:1: shares {} seeds (e.g. {}) with {} but holds others too: its coverage cannot be counted "
                         "once per seed; merge summaries of one sharding\n",
                         all[i].path, common.size(), common.front(), all[j].path);
      return kExitBadInput;
    }
    if (!contained) kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end());

  json merged;
  const json& first = all[kept.front()].s;
  merged["design"] = first["design"];
  merged["faults"] = first["faults"];
  merged["seed"] = first["seed"];
  merged["shard"] = "merged";
  merged["base"] = first.value("base", "");
  std::vector<std::uint64_t> seeds;
  std::map<std::uint64_t, json> violations, failures;  // by seed, once each
  Coverage times, runs_with;
  std::int64_t determinism_checked = 0;
  double wall_s = 0, wall_total_s = 0;
  std::map<int, std::set<int>> shards_by_count;  // N -> the indices I seen
  std::vector<std::string> interrupted;
  std::map<int, std::set<int>> interrupted_shards;  // N -> the indices whose summary says the run was cut short
  for (std::size_t i : kept) {
    const Input& in = all[i];
    seeds.insert(seeds.end(), in.seeds.begin(), in.seeds.end());
    if (in.shard != "merged") shards_by_count[in.count].insert(in.index);
    if (in.s.contains("interrupted")) {
      interrupted.push_back(in.path);
      if (in.shard != "merged") interrupted_shards[in.count].insert(in.index);
    }
    for (auto v : in.s["violations"]) {
      auto relocate = [&](json& file) {
        if (file.is_string()) file = (std::filesystem::path(in.dir) / file.get<std::string>()).string();
      };
      if (v.contains("file")) relocate(v["file"]);
      if (v.contains("files"))
        for (auto& [p, f] : v["files"].items()) relocate(f);
      violations.try_emplace(v["seed"].get<std::uint64_t>(), v);
    }
    for (auto f : in.s["simulator_failures"]) {
      if (f.contains("file") && f["file"].is_string()) f["file"] = (std::filesystem::path(in.dir) / f["file"].get<std::string>()).string();
      failures.try_emplace(f["seed"].get<std::uint64_t>(), f);
    }
    for (const auto& [k, v] : in.s["coverage"].items()) times[k] += v.get<std::int64_t>();
    if (in.s.contains("coverage_runs"))
      for (const auto& [k, v] : in.s["coverage_runs"].items()) runs_with[k] += v.get<std::int64_t>();
    determinism_checked += in.s.value("determinism_checked", std::int64_t{0});
    wall_s = std::max(wall_s, in.s.value("wall_s", 0.0));
    wall_total_s += in.s.value("wall_s", 0.0);
  }
  if (seeds.size() > kMaxMergedRuns) {
    err << fmt::format("kafkasim merge: {} runs in all: more than the {} one merge holds; merge the shards in parts\n",
                       seeds.size(), kMaxMergedRuns);
    return kExitBadInput;
  }
  std::sort(seeds.begin(), seeds.end());
  const std::uint64_t base_seed = merged["seed"].get<std::uint64_t>();
  // Gaps: the seeds from the base seed up to the last covered one that no input covers.
  std::vector<std::uint64_t> missing;
  json gaps = json::array();
  std::uint64_t expect = base_seed;
  for (auto seed : seeds) {
    if (seed > expect) gaps.push_back(json::array({expect, seed - 1}));
    expect = seed + 1;
  }
  json missing_shards = json::object();
  std::vector<std::string> resubmit;
  std::map<int, std::set<int>> to_resubmit;  // N -> the shards missing or interrupted
  for (const auto& [count, indices] : shards_by_count) {
    std::vector<int> absent;
    for (int i = 0; i < count; ++i)
      if (!indices.count(i)) absent.push_back(i);
    if (!absent.empty()) missing_shards[std::to_string(count)] = absent;
    to_resubmit[count].insert(absent.begin(), absent.end());
  }
  for (const auto& [count, indices] : interrupted_shards) to_resubmit[count].insert(indices.begin(), indices.end());
  for (const auto& [count, indices] : to_resubmit)
    for (int i : indices) resubmit.push_back(fmt::format("{}/{}", i, count));
  json v_list = json::array(), f_list = json::array();
  for (const auto& [seed, v] : violations) v_list.push_back(v);
  for (const auto& [seed, f] : failures) f_list.push_back(f);
  merged["runs"] = seeds.size();
  merged["wall_s"] = wall_s;
  merged["wall_s_all_shards"] = wall_total_s;
  merged["violations"] = v_list;
  merged["simulator_failures"] = f_list;
  merged["coverage"] = times;
  merged["coverage_runs"] = runs_with;
  merged["determinism_checked"] = determinism_checked;
  merged["covered_seed_ranges"] = ranges_of(seeds);
  merged["gaps"] = gaps;
  merged["missing_shards"] = missing_shards;
  if (!skipped.empty()) merged["skipped_inputs"] = skipped;
  if (!interrupted.empty()) merged["interrupted_inputs"] = interrupted;
  if (seeds.size() <= kMaxListedSeeds) merged["covered_seeds"] = seeds;
  else merged["covered_seeds_omitted"] = fmt::format("{} seeds: see covered_seed_ranges", seeds.size());
  const std::string summary_path = out_dir + "/summary.json";
  if (const std::string why = reports::write_file(summary_path, merged.dump(2) + "\n"); !why.empty()) {
    err << "kafkasim merge: output error: " << why << '\n';
    return reports::kExitOutputError;
  }

  const std::uint64_t last = seeds.empty() ? base_seed : seeds.back();
  out << fmt::format("merged {} summar{}: {} runs, seeds {}..{}{}\n", kept.size(), kept.size() == 1 ? "y" : "ies", seeds.size(),
                     base_seed, last, gaps.empty() ? " all covered" : fmt::format(", with {} gap{}", gaps.size(), gaps.size() == 1 ? "" : "s"));
  for (const auto& s : skipped) out << "skipped, counted once already: " << s << '\n';
  constexpr std::size_t kGapsShown = 8;  // all of them are in summary.json
  for (std::size_t i = 0; i < gaps.size() && i < kGapsShown; ++i)
    out << fmt::format("gap: seeds {}..{} are not covered\n", gaps[i][0].get<std::uint64_t>(), gaps[i][1].get<std::uint64_t>());
  if (gaps.size() > kGapsShown)
    out << fmt::format("... and {} more gaps (summary.json lists them all)\n", gaps.size() - kGapsShown);
  for (const auto& [count, absent] : missing_shards.items())
    out << fmt::format("missing shards of {}: {}\n", count, absent.dump());
  if (!interrupted.empty()) out << fmt::format("interrupted shards (their runs up to the interruption count): {}\n", fmt::join(interrupted, ", "));
  if (!resubmit.empty()) out << fmt::format("resubmit: --shard {}\n", fmt::join(resubmit, " , --shard "));
  for (const auto& [count, indices] : to_resubmit)
    if (!indices.empty())
      out << fmt::format("  (a sweep's job file: kafkasim sweep ...the same flags... --shards {} --only {})\n", count,
                         fmt::join(indices, ","));
  std::set<std::string> properties;
  for (const auto& v : v_list) properties.insert(v["property"].get<std::string>());
  out << fmt::format("{} violating run{}{}; {} simulator failure{}\n", v_list.size(), v_list.size() == 1 ? "" : "s",
                     properties.empty() ? "" : fmt::format(" ({})", fmt::join(properties, ", ")), f_list.size(),
                     f_list.size() == 1 ? "" : "s");
  for (const auto& v : v_list)
    if (v.value("file", json()).is_string())
      out << fmt::format("  {} at seed {}: kafkasim run {}\n", v["property"].get<std::string>(), v["seed"].get<std::uint64_t>(),
                         v["file"].get<std::string>());
  out << coverage_table(times, runs_with, static_cast<std::int64_t>(seeds.size()));
  out << fmt::format("summary: {}\n", summary_path);
  if (check && (!gaps.empty() || !resubmit.empty())) {
    err << fmt::format("kafkasim merge --check: the sweep has {} gap{} and {} shard{} to resubmit (missing or interrupted)\n",
                       gaps.size(), gaps.size() == 1 ? "" : "s", resubmit.size(), resubmit.size() == 1 ? "" : "s");
    return kExitFound;
  }
  if (!f_list.empty()) return kExitSimulatorFailure;
  return v_list.empty() ? kExitPass : kExitFound;
}

}  // namespace kafkasim::explore

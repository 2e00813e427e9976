// A structure-aware fuzzer over valid scenarios: it takes the bundled scenarios, changes a few values (a
// number to its type's edge, a duration to 0 or 24 h, a name to a long or reserved one, a key dropped or
// an event doubled), and runs every result that still parses through the simulator with small bounds, in
// a forked child as `kafkasim run` does. A parse error must read FILE:LINE:COL; a run must end in a
// verdict or at one of its bounds (events, wall time, memory). Anything else (a signal, an abort, a
// deadlock, an internal error, a result that cannot be read) is a bug: the scenario is saved in --out.
//
//   kafkasim_fuzz_values [--iterations N] [--seed S] [--corpus DIR] [--out DIR] [--max-events N] [--wall-ms N]
//
// Deterministic: the same seed and corpus give the same inputs in the same order.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/commands.h"
#include "scenario/scenario.h"
#include "sim/cost.h"

using namespace kafkasim;

namespace {

// The values a mutation puts in, by what the old value looks like.
const std::vector<std::string> kNumbers = {"0", "1", "-1", "2", "3", "7", "1000", "100000", "2147483647", "2147483648",
                                           "9223372036854775807", "9223372036854775808", "99999999999999999999", "0.5",
                                           "1e9", "-0", "+3", "0x10"};
const std::vector<std::string> kDurations = {"0s", "1us", "1ms", "999us", "1.5ms", "0.000001s", "30s", "24h", "25h",
                                             "999999999h", "-1s", "5", "1.0000001s", "60m"};
const std::vector<std::string> kTexts = {"", "x", "broker-1", "broker-0", "broker-99", "zk-1", "controller", "leader:t-0",
                                         "follower:t-9", "t-0", "all", "*", std::string(300, 'n'), "\xc3\xa9t\xc3\xa9",
                                         "m1", "p1", "c1", "null", "~", "'quoted'", "a: b", "[1, 2]", "{}"};
const std::vector<std::string> kRates = {"0/s", "1/s", "0.5/s", "100000/s", "100001/s", "1/m", "3/h", "10"};
const std::vector<std::string> kBools = {"true", "false", "maybe", "1", "yes"};

struct Leaf {
  YAML::Node parent;  // a map or a sequence
  YAML::Node key;     // for a map: its key
  std::size_t index = 0;
  std::string value;
};

void leaves(YAML::Node n, std::vector<Leaf>& out) {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->second.IsScalar()) out.push_back(Leaf{n, it->first, 0, it->second.Scalar()});
      else leaves(it->second, out);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (n[i].IsScalar()) out.push_back(Leaf{n, YAML::Node(), i, n[i].Scalar()});
      else leaves(n[i], out);
    }
  }
}

template <class T>
const T& pick(const std::vector<T>& from, std::mt19937_64& rng) {
  return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
}

std::string replacement(const std::string& old, std::mt19937_64& rng) {
  const bool digit = !old.empty() && (std::isdigit(static_cast<unsigned char>(old[0])) || old[0] == '-');
  if (old.find('/') != std::string::npos && digit) return pick(kRates, rng);
  if (digit && old.find_first_not_of("0123456789.") != std::string::npos) return pick(kDurations, rng);
  if (digit) return pick(kNumbers, rng);
  if (old == "true" || old == "false") return pick(kBools, rng);
  // Now and then something of another kind, so a value of the wrong type is tried too.
  switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
    case 0: return pick(kNumbers, rng);
    case 1: return pick(kDurations, rng);
    default: return pick(kTexts, rng);
  }
}

// One mutant of `doc`: 1 to 3 changes.
std::string mutate(const std::string& text, std::mt19937_64& rng) {
  YAML::Node doc = YAML::Load(text);
  const int changes = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int c = 0; c < changes; ++c) {
    std::vector<Leaf> all;
    leaves(doc, all);
    if (all.empty()) break;
    Leaf& leaf = all[std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(rng)];
    const int how = std::uniform_int_distribution<int>(0, 9)(rng);
    if (how == 0 && leaf.parent.IsMap()) {
      leaf.parent.remove(leaf.key);  // a key dropped
    } else if (how == 1 && doc["events"] && doc["events"].IsSequence() && doc["events"].size() > 0) {
      doc["events"].push_back(YAML::Clone(doc["events"][0]));  // an event doubled
    } else if (leaf.parent.IsMap()) {
      leaf.parent[leaf.key] = replacement(leaf.value, rng);
    } else {
      leaf.parent[leaf.index] = replacement(leaf.value, rng);
    }
  }
  YAML::Emitter e;
  e << doc;
  return std::string(e.c_str()) + "\n";
}

bool is_bound(const std::string& failure) {
  for (const char* bound : {"event limit", "wall-clock limit", "memory limit"})
    if (failure.find(bound) != std::string::npos) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t iterations = 200, max_events = 300000, wall_ms = 5000;
  std::uint64_t seed = 1;
  std::string corpus = std::string(KAFKASIM_SOURCE_DIR) + "/scenarios", out_dir = "kafkasim-fuzz-values";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--iterations") iterations = std::stoll(value);
    else if (flag == "--seed") seed = std::stoull(value);
    else if (flag == "--corpus") corpus = value;
    else if (flag == "--out") out_dir = value;
    else if (flag == "--max-events") max_events = std::stoll(value);
    else if (flag == "--wall-ms") wall_ms = std::stoll(value);
    else {
      std::cerr << "kafkasim_fuzz_values: unknown flag " << flag << '\n';
      return 2;
    }
  }
  std::vector<std::pair<std::string, std::string>> seeds;  // (file, text)
  for (const auto& e : std::filesystem::recursive_directory_iterator(corpus)) {  // scenarios/ and scenarios/lessons/
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path());
    seeds.emplace_back(e.path().filename().string(), std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  }
  std::sort(seeds.begin(), seeds.end());
  if (seeds.empty()) {
    std::cerr << "kafkasim_fuzz_values: no .yaml files in " << corpus << '\n';
    return 2;
  }
  std::filesystem::create_directories(out_dir);
  std::mt19937_64 rng(seed);
  std::int64_t refused = 0, ran = 0, bounded = 0, bugs = 0;
  for (std::int64_t i = 0; i < iterations; ++i) {
    const auto& [name, original] = pick(seeds, rng);
    std::string text;
    try {
      text = mutate(original, rng);
    } catch (const YAML::Exception&) {
      continue;  // a seed the emitter cannot write back: not the simulator's business
    }
    const std::string label = fmt::format("{}-mutant{}.yaml", name.substr(0, name.size() - 5), i);
    auto save = [&](const std::string& why) {
      ++bugs;
      const std::string path = out_dir + "/" + label;
      std::ofstream(path) << "# kafkasim_fuzz_values: " << why << "\n# seed " << seed << ", iteration " << i << "\n" << text;
      std::cerr << "BUG: " << why << " (saved as " << path << ")\n";
    };
    Scenario s;
    try {
      s = parse_scenario_text(text, label);
    } catch (const InputError& e) {
      ++refused;
      if (std::string(e.what()).rfind(label + ":", 0) != 0) save(fmt::format("a parse error without FILE:LINE:COL: {}", e.what()));
      continue;
    } catch (const std::exception& e) {
      save(fmt::format("the parser threw {} instead of an input error", e.what()));
      continue;
    }
    if (s.design.get("metadata") == "kraft" || !sim::refuse_by_estimate(s).empty()) {
      ++refused;
      continue;
    }
    s.config.set("sim.max.events", std::to_string(max_events));
    s.config.set("sim.max.wall.ms", std::to_string(wall_ms));
    cli::RunOptions options;
    options.failures_dir = out_dir + "/replays";
    const cli::RunReport r = cli::run_scenario(s, options);
    ++ran;
    if (r.failure.empty()) continue;
    if (is_bound(r.failure)) {
      ++bounded;
      continue;
    }
    save(r.failure);
  }
  std::cout << fmt::format("kafkasim_fuzz_values: {} inputs (seed {}): {} refused as bad input, {} ran ({} stopped at a "
                           "bound), {} bug{}\n",
                           iterations, seed, refused, ran, bounded, bugs, bugs == 1 ? "" : "s");
  return bugs == 0 ? 0 : 1;
}

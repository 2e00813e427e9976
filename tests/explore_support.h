// What the explore tests share: a fresh output folder, and one search run in-process with its output and
// summary.json.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "explore/search.h"

namespace kafkasim::testing_support {

#ifdef KAFKASIM_SANITIZED
constexpr bool kSanitized = true;  // about 60x slower: the searches run a handful of runs there
#else
constexpr bool kSanitized = false;
#endif

inline std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/explore-" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

struct Explored {
  int code;
  std::string out, err;
  nlohmann::json summary;
};

inline Explored run_explore(explore::ExploreOptions options) {
  options.progress = false;
  std::ostringstream out, err;
  Explored e;
  e.code = explore::command_explore(options, out, err);
  e.out = out.str();
  e.err = err.str();
  std::ifstream f(options.out_dir + "/summary.json");
  if (f) e.summary = nlohmann::json::parse(f);
  return e;
}

}  // namespace kafkasim::testing_support

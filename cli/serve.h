// `kafkasim serve`: the classroom web server (see serve.cpp).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace kafkasim::cli {

struct ServeOptions {
  std::vector<std::string> paths;       // folders of scenario files, or files
  std::string host = "127.0.0.1";
  int port = 8765;                      // 0: any free port (printed)
  std::string dir = "kafkasim-classroom";  // every run and fork is written in here, nowhere else
  std::int64_t max_events = 20'000'000;   // a request's run: at most this many events ...
  std::int64_t max_wall_ms = 60'000;      // ... and this much wall time
};

// Serves until stopped; returns 2 (bad input) when it cannot start.
int command_serve(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace kafkasim::cli

// Fork-per-run: each simulation runs in a child of a parent that never touches SimGrid, so an abort,
// a crash or a hung run costs one child, never the caller. The child sends its result back on a pipe.
#pragma once

#include <functional>
#include <string>

namespace kafkasim::sim {

struct ChildOutcome {
  bool completed = false;  // exited 0 and sent a result
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string payload;  // what the child sent (its result, or an error message)
  std::string describe() const;
};

// Runs `body` in a forked child; its return value comes back as `payload`. A child still running after
// `wall_limit_s` is killed. An exception in `body` exits the child with code 70 and its message.
ChildOutcome run_in_child(const std::function<std::string()>& body, double wall_limit_s);

}  // namespace kafkasim::sim

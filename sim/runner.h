// Fork-per-run: each simulation runs in a child of a parent that never touches SimGrid, so an abort,
// a crash or a hung run costs one child, never the caller. The child sends its result back on a pipe.
// ChildPool keeps up to J children running at once (explore, matrix); run_in_child is a pool of one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace kafkasim::sim {

struct ChildOutcome {
  bool completed = false;  // exited 0 and sent a result
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  bool memory_exceeded = false;  // killed by the parent for growing past its memory bound
  std::int64_t rss_mib = 0;      // its size then
  std::int64_t memory_limit_mib = 0;
  std::string payload;  // what the child sent (its result, or an error message)
  std::string describe() const;
};

// Runs `body` in a forked child; its return value comes back as `payload`. A child still running after
// `wall_limit_s` is killed. An exception in `body` exits the child with code 70 and its message.
// A child whose resident size passes `memory_limit_mib` (0: no bound) is killed too.
ChildOutcome run_in_child(const std::function<std::string()>& body, double wall_limit_s, std::int64_t memory_limit_mib = 0);

class ChildPool {
 public:
  ChildPool() = default;
  ChildPool(const ChildPool&) = delete;
  ChildPool& operator=(const ChildPool&) = delete;
  ~ChildPool();  // kills and reaps whatever still runs

  // Forks a child running `body`; `tag` comes back with its outcome. With `stderr_path`, the child's
  // standard error (SimGrid's own messages on an abort) goes to that file instead of the caller's.
  void start(std::uint64_t tag, const std::function<std::string()>& body, double wall_limit_s,
             const std::string& stderr_path = "", std::int64_t memory_limit_mib = 0);
  std::size_t running() const { return children_.size(); }
  // Blocks until one child has finished (or overstayed or outgrown its bound and been killed); requires
  // running() > 0.
  std::pair<std::uint64_t, ChildOutcome> wait_one();
  // The same, but returns nothing as soon as `*stop` is set (a signal handler's flag), children still running.
  std::optional<std::pair<std::uint64_t, ChildOutcome>> wait_one_or_stop(const volatile std::sig_atomic_t* stop);
  // Kills every running child and reaps it (an interrupted search).
  void kill_all();

 private:
  struct Child {
    pid_t pid = 0;
    int fd = -1;
    std::uint64_t tag = 0;
    std::chrono::steady_clock::time_point deadline;
    std::int64_t memory_limit_mib = 0;
    std::string payload;
  };
  enum class Killed { No, Timeout, Memory };
  std::pair<std::uint64_t, ChildOutcome> reap(std::size_t index, Killed why, std::int64_t rss_mib = 0);
  std::vector<Child> children_;
};

}  // namespace kafkasim::sim

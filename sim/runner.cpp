// fork(), a pipe for the result, poll() over every running child with a wall-clock bound each,
// SIGKILL for a child that overstays.
#include "sim/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace kafkasim::sim {

std::string ChildOutcome::describe() const {
  if (timed_out) return "the run passed its wall-clock limit and was killed";
  if (memory_exceeded)
    return fmt::format("the run passed its memory limit (sim.max.memory.mb) and was killed at {} MiB (bound {} MiB)", rss_mib,
                       memory_limit_mib);
  if (signal != 0) return fmt::format("the simulator died of signal {} ({})", signal, strsignal(signal));
  if (exit_code == 70) return fmt::format("the simulator failed: {}", payload);
  if (exit_code != 0) return fmt::format("the simulator exited with code {}", exit_code);
  return "completed";
}

namespace {
void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The resident size of a process, from /proc (0 when it cannot be read).
std::int64_t resident_mib(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<long long>(::sysconf(_SC_PAGESIZE)) / (1024 * 1024);
}
}  // namespace

ChildPool::~ChildPool() { kill_all(); }

void ChildPool::kill_all() {
  for (auto& c : children_) {
    ::kill(c.pid, SIGKILL);
    ::close(c.fd);
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  children_.clear();
}

void ChildPool::start(std::uint64_t tag, const std::function<std::string()>& body, double wall_limit_s,
                      const std::string& stderr_path, std::int64_t memory_limit_mib) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // The parent's handlers (an interrupted explore) are not the child's: it dies of the signal, or is killed.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a parent that dies (a second Ctrl-C) takes its runs with it
    if (::getppid() == 1) ::_exit(71);   // it died before that took effect
    ::close(fds[0]);
    for (const auto& c : children_) ::close(c.fd);  // siblings' pipes are not this child's business
    if (!stderr_path.empty()) {
      const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
    }
    int code = 0;
    std::string out;
    try {
      out = body();
    } catch (const std::exception& e) {
      out = e.what();
      code = 70;
    }
    write_all(fds[1], out);
    ::close(fds[1]);
    std::fflush(nullptr);
    ::_exit(code);  // no destructors, no atexit: SimGrid's state dies with the child
  }
  ::close(fds[1]);
  children_.push_back(Child{pid, fds[0], tag,
                            std::chrono::steady_clock::now() +
                                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(wall_limit_s)),
                            memory_limit_mib, {}});
}

std::pair<std::uint64_t, ChildOutcome> ChildPool::reap(std::size_t index, Killed why, std::int64_t rss_mib) {
  Child c = std::move(children_[index]);
  children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
  if (why != Killed::No) ::kill(c.pid, SIGKILL);
  ::close(c.fd);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildOutcome outcome;
  outcome.payload = std::move(c.payload);
  outcome.timed_out = why == Killed::Timeout;
  outcome.memory_exceeded = why == Killed::Memory;
  outcome.rss_mib = rss_mib;
  outcome.memory_limit_mib = c.memory_limit_mib;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && why == Killed::No) outcome.signal = WTERMSIG(status);
  outcome.completed = why == Killed::No && outcome.signal == 0 && outcome.exit_code == 0;
  return {c.tag, std::move(outcome)};
}

std::pair<std::uint64_t, ChildOutcome> ChildPool::wait_one() { return *wait_one_or_stop(nullptr); }

std::optional<std::pair<std::uint64_t, ChildOutcome>> ChildPool::wait_one_or_stop(const volatile std::sig_atomic_t* stop) {
  if (children_.empty()) throw std::logic_error("ChildPool::wait_one with no child running");
  char buffer[65536];
  while (true) {
    if (stop != nullptr && *stop) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    auto earliest = children_.front().deadline;
    bool watch_memory = false;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].deadline <= now) return reap(i, Killed::Timeout);
      earliest = std::min(earliest, children_[i].deadline);
      if (children_[i].memory_limit_mib > 0) {
        watch_memory = true;
        const std::int64_t rss = resident_mib(children_[i].pid);
        if (rss > children_[i].memory_limit_mib) return reap(i, Killed::Memory, rss);
      }
    }
    std::vector<pollfd> fds;
    for (const auto& c : children_) fds.push_back(pollfd{c.fd, POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now).count() + 1;
    // Wake at least every 200 ms to look at the children's sizes (and a signal's flag), else every second.
    const long long wake = watch_memory || stop != nullptr ? 200 : 1000;
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, wake)));
    if (r <= 0) continue;  // timeout or EINTR: re-check the deadlines, sizes and the flag
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::read(children_[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return reap(i, Killed::No);  // EOF: the child is done
      children_[i].payload.append(buffer, static_cast<std::size_t>(n));
    }
  }
}

ChildOutcome run_in_child(const std::function<std::string()>& body, double wall_limit_s, std::int64_t memory_limit_mib) {
  ChildPool pool;
  pool.start(0, body, wall_limit_s, "", memory_limit_mib);
  return pool.wait_one().second;
}

}  // namespace kafkasim::sim

// fork(), a pipe for the result, poll() over every running child with a wall-clock bound each,
// SIGKILL for a child that overstays.
#include "sim/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
}  // namespace

ChildPool::~ChildPool() {
  for (auto& c : children_) {
    ::kill(c.pid, SIGKILL);
    ::close(c.fd);
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void ChildPool::start(std::uint64_t tag, const std::function<std::string()>& body, double wall_limit_s,
                      const std::string& stderr_path) {
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
                            {}});
}

std::pair<std::uint64_t, ChildOutcome> ChildPool::reap(std::size_t index, bool timed_out) {
  Child c = std::move(children_[index]);
  children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
  if (timed_out) ::kill(c.pid, SIGKILL);
  ::close(c.fd);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildOutcome outcome;
  outcome.payload = std::move(c.payload);
  outcome.timed_out = timed_out;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && !timed_out) outcome.signal = WTERMSIG(status);
  outcome.completed = !outcome.timed_out && outcome.signal == 0 && outcome.exit_code == 0;
  return {c.tag, std::move(outcome)};
}

std::pair<std::uint64_t, ChildOutcome> ChildPool::wait_one() {
  if (children_.empty()) throw std::logic_error("ChildPool::wait_one with no child running");
  char buffer[65536];
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    auto earliest = children_.front().deadline;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].deadline <= now) return reap(i, true);
      earliest = std::min(earliest, children_[i].deadline);
    }
    std::vector<pollfd> fds;
    for (const auto& c : children_) fds.push_back(pollfd{c.fd, POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now).count() + 1;
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1000)));
    if (r <= 0) continue;  // timeout or EINTR: re-check the deadlines
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::read(children_[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return reap(i, false);  // EOF: the child is done
      children_[i].payload.append(buffer, static_cast<std::size_t>(n));
    }
  }
}

ChildOutcome run_in_child(const std::function<std::string()>& body, double wall_limit_s) {
  ChildPool pool;
  pool.start(0, body, wall_limit_s);
  return pool.wait_one().second;
}

}  // namespace kafkasim::sim

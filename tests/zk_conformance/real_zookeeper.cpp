// The real ZooKeeper server process (started by fork/exec of Debian's jars) and a conformance trace run
// on it through the C client (libzookeeper_mt): synchronous calls for single operations, asynchronous
// ones for a race, and a barrier after every step so every client has seen the watches it caused.
#include "zk_conformance/real_zookeeper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace kafkasim::zkconf {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
constexpr const char* kJava = "/usr/bin/java";
constexpr const char* kZooKeeperJar = "/usr/share/java/zookeeper.jar";
constexpr double kStepLimitS = 10;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(fmt::format("no free port on 127.0.0.1: {}", std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string tail_of(const std::string& file, std::size_t max_chars = 2000) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_chars ? "..." + s.substr(s.size() - max_chars) : s;
}
}  // namespace

std::string four_letter_word(int port, const std::string& word) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, word.data(), word.size()) == static_cast<ssize_t>(word.size())) {
    char buf[512];
    for (int reads = 0; reads < 64; ++reads) {  // bounded: the server closes after answering
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

std::unique_ptr<ZooKeeperServerProcess> ZooKeeperServerProcess::start(int tick_ms, double start_limit_s) {
  for (const char* needed : {kJava, kZooKeeperJar})
    if (!fs::exists(needed))
      throw std::runtime_error(fmt::format("{} is missing: ZooKeeper is not installed (run scripts/install-deps.sh "
                                           "--test, which installs Debian's zookeeper and libzookeeper-mt-dev)",
                                           needed));
  std::unique_ptr<ZooKeeperServerProcess> server(new ZooKeeperServerProcess());
  char dir_template[] = "/tmp/kafkasim-zookeeper-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
  server->dir_ = dir_template;
  server->port_ = free_port();
  const std::string cfg = server->dir_ + "/zoo.cfg";
  std::ofstream(cfg) << fmt::format(
      "tickTime={}\ndataDir={}/data\nclientPort={}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
      "4lw.commands.whitelist=ruok,srvr\nmaxClientCnxns=0\n",
      tick_ms, server->dir_, server->port_);
  const std::string log = server->dir_ + "/server.log";
  const std::string classpath = fmt::format("{}:/usr/share/java/slf4j-simple.jar", kZooKeeperJar);
  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the server never outlives the test process
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (out == nullptr || ::dup2(::fileno(stdout), 2) < 0) ::_exit(127);
    ::execl(kJava, "java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", classpath.c_str(),
            "org.apache.zookeeper.server.ZooKeeperServerMain", cfg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  server->pid_ = pid;
  while (true) {
    // `ruok` answers imok as soon as the port listens; `srvr` says when the server is serving requests
    // ("This ZooKeeper instance is not currently serving requests" until then).
    if (four_letter_word(server->port_, "ruok") == "imok" &&
        four_letter_word(server->port_, "srvr").find("Mode: standalone") != std::string::npos)
      break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      throw std::runtime_error(fmt::format("the ZooKeeper server exited while starting; its log:\n{}", tail_of(log)));
    }
    if (std::chrono::duration<double>(Clock::now() - started).count() > start_limit_s)
      throw std::runtime_error(fmt::format("the ZooKeeper server was not serving (ruok, srvr) within {} s; its log:\n{}",
                                           start_limit_s, tail_of(log)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server->start_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  return server;
}

std::string ZooKeeperServerProcess::connect_string() const { return fmt::format("127.0.0.1:{}", port_); }

void ZooKeeperServerProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {  // 10 s, then SIGKILL
      gone = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!gone) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

ZooKeeperServerProcess::~ZooKeeperServerProcess() { stop(); }

// ---- a trace on the real server --------------------------------------------------------------------

namespace {

const char* event_name(int type) {
  if (type == ZOO_CREATED_EVENT) return "NodeCreated";
  if (type == ZOO_DELETED_EVENT) return "NodeDeleted";
  if (type == ZOO_CHANGED_EVENT) return "NodeDataChanged";
  if (type == ZOO_CHILD_EVENT) return "NodeChildrenChanged";
  return "other";
}

int create_flags(zk::CreateMode m) {
  switch (m) {
    case zk::CreateMode::Persistent: return ZOO_PERSISTENT;
    case zk::CreateMode::Ephemeral: return ZOO_EPHEMERAL;
    case zk::CreateMode::PersistentSequential: return ZOO_PERSISTENT_SEQUENTIAL;
    case zk::CreateMode::EphemeralSequential: return ZOO_EPHEMERAL_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

zk::Stat to_stat(const ::Stat& s) {
  return zk::Stat{.czxid = s.czxid, .mzxid = s.mzxid, .pzxid = s.pzxid, .version = s.version,
                  .cversion = s.cversion, .ephemeral_owner = s.ephemeralOwner, .num_children = s.numChildren};
}

// One client handle and what its watcher saw, in order.
struct Handle {
  zhandle_t* zh = nullptr;
  std::mutex m;
  std::condition_variable cv;
  bool connected = false, expired = false, reported_connected = false;
  std::vector<ClientEvent> events;

  bool wait(const std::function<bool()>& done, double seconds) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, std::chrono::duration<double>(seconds), done);
  }
};

void watcher(zhandle_t*, int type, int state, const char* path, void* context) {
  auto* h = static_cast<Handle*>(context);
  std::lock_guard lock(h->m);
  if (type == ZOO_SESSION_EVENT) {
    if (state == ZOO_CONNECTED_STATE) {
      h->connected = true;
      // Only the first connection of a session is an observation; later ones are reconnects.
      if (!h->reported_connected) h->events.push_back({true, "connected", ""});
      h->reported_connected = true;
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
      h->expired = true;
      h->connected = false;
      h->events.push_back({true, "expired", ""});
    } else {
      h->connected = false;  // connecting again
    }
  } else {
    h->events.push_back({false, event_name(type), path ? path : ""});
  }
  h->cv.notify_all();
}

struct Completion {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  int rc = 0;
  void finish(int code) {
    std::lock_guard lock(m);
    rc = code;
    done = true;
    cv.notify_all();
  }
  bool wait(double seconds) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done; });
  }
};

class RealRun {
 public:
  RealRun(std::string connect, std::string prefix)
      : connect_(std::move(connect)), prefix_(std::move(prefix)), obs_(prefix_) {
    for (int c = 0; c < kMaxClients; ++c) {
      handles_.push_back(std::make_unique<Handle>());
      handle_of_label_.push_back(c);
    }
  }
  ~RealRun() {
    for (auto& h : handles_)
      if (h->zh) zookeeper_close(h->zh);
    if (observer_.zh) zookeeper_close(observer_.zh);
  }

  std::string run(const Trace& trace) {
    observer_.zh = zookeeper_init(connect_.c_str(), watcher, kSessionTimeoutMs, nullptr, &observer_, 0);
    if (!observer_.zh || !observer_.wait([this] { return observer_.connected; }, kStepLimitS))
      throw std::runtime_error("the observer client could not connect to the ZooKeeper server");
    const int rc = zoo_create(observer_.zh, prefix_.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK) throw std::runtime_error(fmt::format("creating {} failed: {}", prefix_, zerror(rc)));
    for (const Step& step : trace) {
      obs_.step(step);
      do_step(step);
      barrier();
      drain_events(step);
      snapshot_ephemerals();
    }
    return obs_.text();
  }

 private:
  Handle& of(int label) { return *handles_[static_cast<std::size_t>(handle_of_label_[static_cast<std::size_t>(label)])]; }
  std::string abs(const std::string& rel) const { return prefix_ + rel; }

  bool open(Handle& h, const clientid_t* resume) {
    {
      std::lock_guard lock(h.m);
      h.connected = h.expired = h.reported_connected = false;
    }
    h.zh = zookeeper_init(connect_.c_str(), watcher, kSessionTimeoutMs, resume, &h, 0);
    return h.zh && h.wait([&h] { return h.connected || h.expired; }, kStepLimitS) && h.connected;
  }

  void do_step(const Step& s) {
    Handle& h = of(s.client);
    if (s.kind == Step::Kind::Race) return race(s);
    if (s.kind == Step::Kind::Open) {
      if (h.zh) return obs_.skipped(s, "it has a session already");
      if (!open(h, nullptr)) return obs_.skipped(s, "could not connect within the step's bound");
      obs_.note_session(s.client, zoo_client_id(h.zh)->client_id);
      return;
    }
    if (!h.zh) return obs_.skipped(s, "it has no session");
    Result r;
    switch (s.kind) {
      case Step::Kind::Close:
        zookeeper_close(h.zh);
        h.zh = nullptr;
        obs_.session_state(s.client, "closed");
        return;
      case Step::Kind::Expire: return expire(s, h);
      case Step::Kind::Create: {
        char path[512] = {0};
        r.error = zoo_create(h.zh, abs(s.path).c_str(), s.data.data(), static_cast<int>(s.data.size()),
                             &ZOO_OPEN_ACL_UNSAFE, create_flags(s.mode), path, sizeof path);
        r.path = path;
        break;
      }
      case Step::Kind::Delete: r.error = zoo_delete(h.zh, abs(s.path).c_str(), s.version); break;
      case Step::Kind::SetData: {
        ::Stat st{};
        r.error = zoo_set2(h.zh, abs(s.path).c_str(), s.data.data(), static_cast<int>(s.data.size()), s.version, &st);
        if (r.error == ZOK) r.stat = to_stat(st);
        break;
      }
      case Step::Kind::Exists: {
        ::Stat st{};
        r.error = zoo_exists(h.zh, abs(s.path).c_str(), s.watch ? 1 : 0, &st);
        if (r.error == ZOK) r.stat = to_stat(st);
        break;
      }
      case Step::Kind::GetData: {
        char buf[1024];
        int len = sizeof buf;
        ::Stat st{};
        r.error = zoo_get(h.zh, abs(s.path).c_str(), s.watch ? 1 : 0, buf, &len, &st);
        if (r.error == ZOK) {
          r.data.assign(buf, static_cast<std::size_t>(std::max(len, 0)));
          r.stat = to_stat(st);
        }
        break;
      }
      case Step::Kind::GetChildren: {
        String_vector v{};
        r.error = zoo_get_children(h.zh, abs(s.path).c_str(), s.watch ? 1 : 0, &v);
        if (r.error == ZOK) {
          for (int i = 0; i < v.count; ++i) r.children.emplace_back(v.data[i]);
          deallocate_String_vector(&v);
        }
        break;
      }
      case Step::Kind::Multi: multi(s, h, r); break;
      default: break;
    }
    obs_.result(s, r);
  }

  void multi(const Step& s, Handle& h, Result& r) {
    const std::size_t n = s.ops.size();
    std::vector<zoo_op_t> ops(n);
    std::vector<zoo_op_result_t> results(n);
    std::vector<std::string> paths;
    std::vector<std::array<char, 512>> created(n);
    std::vector<::Stat> stats(n);
    for (const auto& op : s.ops) paths.push_back(abs(op.path));
    for (std::size_t i = 0; i < n; ++i) {
      const zk::Op& op = s.ops[i];
      created[i].fill(0);
      switch (op.kind) {
        case zk::Op::Kind::Create:
          zoo_create_op_init(&ops[i], paths[i].c_str(), op.data.data(), static_cast<int>(op.data.size()),
                             &ZOO_OPEN_ACL_UNSAFE, create_flags(op.mode), created[i].data(), 512);
          break;
        case zk::Op::Kind::Delete: zoo_delete_op_init(&ops[i], paths[i].c_str(), op.version); break;
        case zk::Op::Kind::SetData:
          zoo_set_op_init(&ops[i], paths[i].c_str(), op.data.data(), static_cast<int>(op.data.size()), op.version,
                          &stats[i]);
          break;
        case zk::Op::Kind::Check: zoo_check_op_init(&ops[i], paths[i].c_str(), op.version); break;
      }
    }
    r.error = zoo_multi(h.zh, static_cast<int>(n), ops.data(), results.data());
    for (std::size_t i = 0; i < n; ++i) {
      r.op_errors.push_back(results[i].err);
      const bool ok = results[i].err == ZOK;
      r.op_paths.push_back(s.ops[i].kind == zk::Op::Kind::Create && ok ? created[i].data() : "");
      r.op_stats.push_back(s.ops[i].kind == zk::Op::Kind::SetData && ok ? std::optional<zk::Stat>(to_stat(stats[i]))
                                                                        : std::nullopt);
    }
  }

  void race(const Step& s) {
    std::vector<std::unique_ptr<Completion>> done;
    std::vector<int> errors;
    for (int label : s.racers) {
      done.push_back(std::make_unique<Completion>());
      Handle& h = of(label);
      if (!h.zh) return obs_.skipped(s, fmt::format("c{} has no session", label));
      zoo_acreate(h.zh, abs(s.path).c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                  [](int rc, const char*, const void* data) {
                    static_cast<Completion*>(const_cast<void*>(data))->finish(rc);
                  },
                  done.back().get());
    }
    int winner = -1;
    for (std::size_t i = 0; i < done.size(); ++i) {
      const bool finished = done[i]->wait(kStepLimitS);
      errors.push_back(finished ? done[i]->rc : ZOPERATIONTIMEOUT);
      if (finished && done[i]->rc == ZOK) winner = s.racers[i];
    }
    obs_.race(s, errors);
    if (winner >= 0) relabel(s, winner);
  }

  void relabel(const Step& s, int winner) {
    relabel_after_race(handle_of_label_, s.racers, winner);
    for (int label : s.racers)
      if (of(label).zh) obs_.note_session(label, zoo_client_id(of(label).zh)->client_id);
  }

  // The ZooKeeper test technique: a second handle on the same session id and password, closed. The
  // first handle's connection is closed by the server when the second connects; when it reconnects the
  // session is gone. If it reconnected first (taking the session back), try again, a bounded number of times.
  void expire(const Step& s, Handle& h) {
    const clientid_t id = *zoo_client_id(h.zh);
    bool expired = false;
    for (int attempt = 0; attempt < 5 && !expired; ++attempt) {
      Handle spare;
      open(spare, &id);
      if (spare.zh) zookeeper_close(spare.zh);
      expired = h.wait([&h] { return h.expired; }, 3);
    }
    if (!expired) obs_.skipped(s, "the session did not expire within five attempts");
    zookeeper_close(h.zh);
    h.zh = nullptr;
  }

  void barrier() {
    // Watch notifications and asynchronous completions share the client's completion queue, in the order
    // the server sent them; the server sends a notification before any later reply on that connection.
    for (int label = 0; label < kMaxClients; ++label) {
      Handle& h = of(label);
      if (!h.zh) continue;
      Completion c;
      zoo_aexists(h.zh, prefix_.c_str(), 0,
                  [](int rc, const ::Stat*, const void* data) {
                    static_cast<Completion*>(const_cast<void*>(data))->finish(rc);
                  },
                  &c);
      c.wait(kStepLimitS);
    }
  }

  void drain_events(const Step& step) {
    for (int label = 0; label < kMaxClients; ++label) {
      Handle& h = of(label);
      std::vector<ClientEvent> events;
      {
        std::lock_guard lock(h.m);
        events.swap(h.events);
      }
      obs_.client_events(step, label, std::move(events));
    }
  }

  void snapshot_ephemerals() {
    std::map<std::string, std::int64_t> owners;
    std::vector<std::string> todo = {prefix_};
    for (std::size_t i = 0; i < todo.size() && i < 10000; ++i) {
      String_vector v{};
      if (zoo_get_children(observer_.zh, todo[i].c_str(), 0, &v) != ZOK) continue;
      for (int k = 0; k < v.count; ++k) {
        const std::string child = todo[i] + "/" + v.data[k];
        ::Stat st{};
        if (zoo_exists(observer_.zh, child.c_str(), 0, &st) != ZOK) continue;
        if (st.ephemeralOwner != 0) owners[child] = st.ephemeralOwner;
        else todo.push_back(child);
      }
      deallocate_String_vector(&v);
    }
    obs_.ephemerals(owners);
  }

  std::string connect_;
  std::string prefix_;
  Observations obs_;
  Handle observer_;
  std::vector<std::unique_ptr<Handle>> handles_;
  std::vector<int> handle_of_label_;
};

}  // namespace

std::string run_on_real(const Trace& trace, const std::string& connect_string, int trace_id) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { zoo_set_debug_level(static_cast<ZooLogLevel>(0)); });
  RealRun run(connect_string, fmt::format("{}-{}", kTracePrefix, trace_id));
  return run.run(trace);
}

}  // namespace kafkasim::zkconf

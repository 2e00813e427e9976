// ZooKeeper conformance traces: the steps a trace is made of (the operations of ZooKeeper's client API,
// session close and expiry, and a race of clients for one node), what a client observed, written as
// text the same way for the real server and for the model, and a RapidCheck generator of traces.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <rapidcheck.h>

#include "models/zookeeper/znode_tree.h"

namespace kafkasim::zkconf {

namespace zk = kafkasim::models::zk;

// Every path a trace uses lives under one node, which the harness creates (persistent) first: the model
// uses this one; on the real server (shared by many traces) each trace has its own, "/conformance-N".
constexpr const char* kTracePrefix = "/conformance";
// Session timeout negotiated on both sides (the test server runs with tickTime 200 ms: 400 ms to 4 s).
constexpr int kSessionTimeoutMs = 2000;
constexpr int kMaxClients = 3;

struct Step {
  enum class Kind { Open, Create, Delete, SetData, Exists, GetData, GetChildren, Multi, Close, Expire, Race };
  Kind kind = Kind::Open;
  int client = 0;
  std::string path;  // relative to kTracePrefix ("/a", "/a/b")
  std::string data;
  std::int32_t version = -1;
  zk::CreateMode mode = zk::CreateMode::Persistent;
  bool watch = false;
  std::vector<zk::Op> ops;  // Multi (paths relative)
  std::vector<int> racers;  // Race: these clients create `path` (ephemeral) at the same moment
};
using Trace = std::vector<Step>;

std::string describe(const Step& step);
std::string describe(const Trace& trace);

// What each side reports after a step, in its own terms; `Observations` turns it into text.
struct Result {
  int error = 0;  // ZooKeeper's code (zk::Error values)
  std::string path;
  std::string data;
  std::optional<zk::Stat> stat;
  std::vector<std::string> children;
  std::vector<int> op_errors;  // Multi: per op
  std::vector<std::string> op_paths;             // Multi: the path a create made
  std::vector<std::optional<zk::Stat>> op_stats;  // Multi: the stat a setData left
};

struct ClientEvent {
  bool session = false;  // a session state ("connected", "expired"), else a watch
  std::string what;      // the state, or the watch's event type ("NodeDeleted")
  std::string path;
  bool operator<(const ClientEvent& o) const { return std::tie(session, what, path) < std::tie(o.session, o.what, o.path); }
};

// The log of one trace on one side. Lines name clients by label (c0, c1...), paths relative to the
// prefix, and zxids by rank among the zxids this log shows (ZooKeeper's zxids also count session
// transactions, the model's do not: their order is what both must agree on).
class Observations {
 public:
  explicit Observations(std::string prefix) : prefix_(std::move(prefix)) {}
  void step(const Step& step);
  void result(const Step& step, const Result& result);
  void skipped(const Step& step, const std::string& why);
  // What a client's watcher heard during a step, in arrival order (paths absolute). The watches a
  // session's end fires come from deleting its ephemeral nodes, which ZooKeeper does in a Java HashSet's
  // order (unspecified): for a close or an expiry they are compared as a set, written sorted.
  void client_events(const Step& step, int client, std::vector<ClientEvent> events);
  void session_state(int client, const std::string& state);
  void race(const Step& step, std::vector<int> errors);
  // Ephemeral nodes after a step: absolute path -> owning session.
  void ephemerals(const std::map<std::string, std::int64_t>& owners);
  void note_session(int client, std::int64_t session) { session_owner_[session] = client; }
  std::string text() const;

 private:
  std::string stat_text(const zk::Stat& stat);
  std::string owner_label(std::int64_t session) const;
  std::string prefix_;
  std::vector<std::string> lines_;
  std::map<std::int64_t, int> session_owner_;
};

// After a race the winner is called by the lowest racing label on both sides (which physical client
// wins differs from run to run); `handle_of_label` maps labels to the side's clients.
void relabel_after_race(std::vector<int>& handle_of_label, const std::vector<int>& racers, int winner_label);

std::string relative(const std::string& absolute_path, const std::string& prefix);
std::string error_text(int code);
const char* mode_text(zk::CreateMode mode);

// A trace over `clients` clients: all opened first, then up to `max_steps` steps over a few paths, so
// that names collide (NODEEXISTS, NONODE, NOTEMPTY, BADVERSION) and watches fire.
rc::Gen<Trace> trace_gen(int clients, int max_steps);

// The hand-written traces: name -> trace, one per case the conformance issue lists.
std::vector<std::pair<std::string, Trace>> hand_written_traces();

// The first line where two logs differ, with a few lines of context from each; "" when equal.
std::string first_difference(const std::string& real, const std::string& model);

}  // namespace kafkasim::zkconf

namespace kafkasim::zkconf {

// A generated trace on which the two sides differ, shrunk.
struct Mismatch {
  std::uint64_t seed = 0;      // the draw that first differed
  Trace trace;                 // shrunk
  std::size_t drawn_steps = 0;  // before shrinking
  std::string difference;      // for the shrunk trace
  int shrink_runs = 0;
};

// Draws `count` traces (draw k from seed+k, over 2 or 3 clients) and returns the first on which `check`
// reports a difference, shrunk along RapidCheck's shrink tree to a trace that still differs (at most
// `max_shrink_runs` candidates tried); nullopt if all agree.
std::optional<Mismatch> search_traces(std::uint64_t seed, int count, int max_shrink_runs,
                                      const std::function<std::string(const Trace&)>& check);

}  // namespace kafkasim::zkconf

// Trace steps written as text, the observation log both sides write, and the trace generator.
#include "zk_conformance/trace.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace kafkasim::zkconf {

namespace {
// A zxid inside a line: replaced by its rank when the log is written out.
std::string zxid_token(std::int64_t zxid) { return fmt::format("\x01{}\x01", zxid); }

const char* op_kind_text(zk::Op::Kind k) {
  switch (k) {
    case zk::Op::Kind::Create: return "create";
    case zk::Op::Kind::Delete: return "delete";
    case zk::Op::Kind::SetData: return "set";
    case zk::Op::Kind::Check: return "check";
  }
  return "?";
}

std::string op_text(const zk::Op& op) {
  switch (op.kind) {
    case zk::Op::Kind::Create: return fmt::format("create {} '{}' {}", op.path, op.data, mode_text(op.mode));
    case zk::Op::Kind::SetData: return fmt::format("set {} '{}' version {}", op.path, op.data, op.version);
    default: return fmt::format("{} {} version {}", op_kind_text(op.kind), op.path, op.version);
  }
}
}  // namespace

const char* mode_text(zk::CreateMode mode) {
  switch (mode) {
    case zk::CreateMode::Persistent: return "persistent";
    case zk::CreateMode::Ephemeral: return "ephemeral";
    case zk::CreateMode::PersistentSequential: return "persistent-sequential";
    case zk::CreateMode::EphemeralSequential: return "ephemeral-sequential";
  }
  return "?";
}

std::string error_text(int code) {
  switch (code) {
    case 0: return "OK";
    case -2: return "RUNTIMEINCONSISTENCY";
    case -4: return "CONNECTIONLOSS";
    case -8: return "BADARGUMENTS";
    case -101: return "NONODE";
    case -103: return "BADVERSION";
    case -108: return "NOCHILDRENFOREPHEMERALS";
    case -110: return "NODEEXISTS";
    case -111: return "NOTEMPTY";
    case -112: return "SESSIONEXPIRED";
  }
  return fmt::format("code {}", code);
}

std::string relative(const std::string& absolute_path, const std::string& prefix) {
  if (absolute_path == prefix) return "/";
  if (absolute_path.rfind(prefix + "/", 0) == 0) return absolute_path.substr(prefix.size());
  return absolute_path;  // outside the trace's subtree (not expected): shown whole
}

std::string describe(const Step& s) {
  const std::string c = fmt::format("c{}", s.client);
  const char* w = s.watch ? " watch" : "";
  switch (s.kind) {
    case Step::Kind::Open: return c + " open session";
    case Step::Kind::Create: return fmt::format("{} create {} '{}' {}", c, s.path, s.data, mode_text(s.mode));
    case Step::Kind::Delete: return fmt::format("{} delete {} version {}", c, s.path, s.version);
    case Step::Kind::SetData: return fmt::format("{} set {} '{}' version {}", c, s.path, s.data, s.version);
    case Step::Kind::Exists: return fmt::format("{} exists {}{}", c, s.path, w);
    case Step::Kind::GetData: return fmt::format("{} get {}{}", c, s.path, w);
    case Step::Kind::GetChildren: return fmt::format("{} children {}{}", c, s.path, w);
    case Step::Kind::Multi: {
      std::vector<std::string> ops;
      for (const auto& op : s.ops) ops.push_back(op_text(op));
      return fmt::format("{} multi [{}]", c, fmt::join(ops, "; "));
    }
    case Step::Kind::Close: return c + " close session";
    case Step::Kind::Expire: return c + " expire session (a second handle on its session id closes it)";
    case Step::Kind::Race: {
      std::vector<std::string> who;
      for (int r : s.racers) who.push_back(fmt::format("c{}", r));
      return fmt::format("{} race to create {} ephemeral", fmt::join(who, ", "), s.path);
    }
  }
  return "?";
}

std::string describe(const Trace& trace) {
  std::string out;
  for (std::size_t i = 0; i < trace.size(); ++i) out += fmt::format("  {:2}. {}\n", i + 1, describe(trace[i]));
  return out;
}

// ---- the observation log ---------------------------------------------------------------------------

std::string Observations::stat_text(const zk::Stat& s) {
  return fmt::format("czxid={} mzxid={} pzxid={} version={} cversion={} owner={} children={}",
                     zxid_token(s.czxid), zxid_token(s.mzxid), zxid_token(s.pzxid), s.version, s.cversion,
                     owner_label(s.ephemeral_owner), s.num_children);
}

std::string Observations::owner_label(std::int64_t session) const {
  if (session == 0) return "none";
  auto it = session_owner_.find(session);
  return it == session_owner_.end() ? "unknown-session" : fmt::format("c{}", it->second);
}

void Observations::step(const Step& s) { lines_.push_back("> " + describe(s)); }

void Observations::skipped(const Step& s, const std::string& why) {
  lines_.push_back(fmt::format("  c{}: skipped ({})", s.client, why));
}

void Observations::result(const Step& s, const Result& r) {
  std::string line = fmt::format("  c{}: {}", s.client, error_text(r.error));
  if (r.error == 0) {
    switch (s.kind) {
      case Step::Kind::Create: line += " " + relative(r.path, prefix_); break;
      case Step::Kind::SetData:
      case Step::Kind::Exists:
        if (r.stat) line += " " + stat_text(*r.stat);
        break;
      case Step::Kind::GetData:
        line += fmt::format(" '{}'", r.data);
        if (r.stat) line += " " + stat_text(*r.stat);
        break;
      case Step::Kind::GetChildren: {
        std::vector<std::string> sorted = r.children;  // ZooKeeper's order is unspecified
        std::sort(sorted.begin(), sorted.end());
        line += fmt::format(" [{}]", fmt::join(sorted, ", "));
        break;
      }
      default: break;
    }
  }
  if (s.kind == Step::Kind::Multi) {
    std::vector<std::string> ops;
    for (std::size_t i = 0; i < r.op_errors.size(); ++i) {
      std::string op = error_text(r.op_errors[i]);
      if (r.op_errors[i] == 0 && i < r.op_paths.size() && !r.op_paths[i].empty()) op += " " + relative(r.op_paths[i], prefix_);
      if (r.op_errors[i] == 0 && i < r.op_stats.size() && r.op_stats[i]) op += " " + stat_text(*r.op_stats[i]);
      ops.push_back(op);
    }
    line += fmt::format(" ops [{}]", fmt::join(ops, "; "));
  }
  lines_.push_back(line);
}

void Observations::race(const Step& s, std::vector<int> errors) {
  std::sort(errors.begin(), errors.end());
  std::vector<std::string> names;
  for (int e : errors) names.push_back(error_text(e));
  lines_.push_back(fmt::format("  racers: [{}] (the winner is called c{} from here on)", fmt::join(names, ", "),
                               *std::min_element(s.racers.begin(), s.racers.end())));
}

void relabel_after_race(std::vector<int>& handle_of_label, const std::vector<int>& racers, int winner_label) {
  // The winner takes the lowest racing label; the other racers keep their order after it.
  std::vector<int> labels = racers;
  std::sort(labels.begin(), labels.end());
  std::vector<int> handles;
  handles.push_back(handle_of_label[static_cast<std::size_t>(winner_label)]);
  for (int l : labels)
    if (l != winner_label) handles.push_back(handle_of_label[static_cast<std::size_t>(l)]);
  for (std::size_t i = 0; i < labels.size(); ++i) handle_of_label[static_cast<std::size_t>(labels[i])] = handles[i];
}

void Observations::client_events(const Step& s, int client, std::vector<ClientEvent> events) {
  if (s.kind == Step::Kind::Close || s.kind == Step::Kind::Expire) std::stable_sort(events.begin(), events.end());
  // The expiring client's own watch events are a race on the real server: whether the notifications of
  // its session's end reach it depends on whether its old connection is closed before they are sent (under
  // the sanitizer build's slower harness the client had often reconnected first). Its session state counts.
  const bool racy_watches = s.kind == Step::Kind::Expire && client == s.client;
  for (const auto& e : events) {
    if (racy_watches && !e.session) continue;
    if (e.session) session_state(client, e.what);
    else lines_.push_back(fmt::format("  c{} watch: {} {}", client, e.what, relative(e.path, prefix_)));
  }
}

void Observations::session_state(int client, const std::string& state) {
  lines_.push_back(fmt::format("  c{} session: {}", client, state));
}

void Observations::ephemerals(const std::map<std::string, std::int64_t>& owners) {
  std::vector<std::string> parts;
  for (const auto& [path, session] : owners) parts.push_back(relative(path, prefix_) + "=" + owner_label(session));
  lines_.push_back(fmt::format("  ephemerals: [{}]", fmt::join(parts, ", ")));
}

std::string Observations::text() const {
  // Zxids by rank: the order of the values this log shows.
  std::set<std::int64_t> zxids;
  for (const auto& line : lines_) {
    for (std::size_t at = line.find('\x01'); at != std::string::npos;) {
      const std::size_t end = line.find('\x01', at + 1);
      zxids.insert(std::stoll(line.substr(at + 1, end - at - 1)));
      at = line.find('\x01', end + 1);
    }
  }
  std::map<std::int64_t, std::size_t> rank;
  for (std::int64_t z : zxids) rank.emplace(z, rank.size());
  std::string out;
  for (const auto& line : lines_) {
    std::string ranked;
    std::size_t from = 0;
    for (std::size_t at = line.find('\x01'); at != std::string::npos; at = line.find('\x01', from)) {
      const std::size_t end = line.find('\x01', at + 1);
      const std::int64_t z = std::stoll(line.substr(at + 1, end - at - 1));
      ranked += line.substr(from, at - from) + (z == 0 ? std::string("0") : fmt::format("z{}", rank.at(z)));
      from = end + 1;
    }
    out += ranked + line.substr(from) + "\n";
  }
  return out;
}

std::string first_difference(const std::string& real, const std::string& model) {
  if (real == model) return "";
  std::vector<std::string> a, b;
  std::istringstream ra(real), rb(model);
  for (std::string l; std::getline(ra, l);) a.push_back(l);
  for (std::string l; std::getline(rb, l);) b.push_back(l);
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  const std::size_t from = i >= 4 ? i - 4 : 0;
  std::string out = fmt::format("first difference at line {}:\n", i + 1);
  for (std::size_t k = from; k < i; ++k) out += "    " + a[k] + "\n";
  out += "  real ZooKeeper:\n";
  for (std::size_t k = i; k < std::min(a.size(), i + 4); ++k) out += "  R " + a[k] + "\n";
  out += "  model:\n";
  for (std::size_t k = i; k < std::min(b.size(), i + 4); ++k) out += "  M " + b[k] + "\n";
  return out;
}

// ---- generated traces ------------------------------------------------------------------------------

namespace {
const std::vector<std::string> kPaths = {"/a", "/b", "/a/c", "/a/d", "/b/c"};
const std::vector<std::string> kData = {"x", "y", ""};
constexpr zk::CreateMode kModes[] = {zk::CreateMode::Persistent, zk::CreateMode::Ephemeral,
                                     zk::CreateMode::PersistentSequential, zk::CreateMode::EphemeralSequential};

using RawOp = std::tuple<int, int, int, int, int>;  // kind, path, data, version, mode
using RawStep = std::tuple<int, int, int, int, int, int, int, std::vector<RawOp>>;

zk::Op make_op(const RawOp& raw) {
  const auto& [kind, path, data, version, mode] = raw;
  zk::Op op;
  op.kind = static_cast<zk::Op::Kind>(kind);
  op.path = kPaths[static_cast<std::size_t>(path)];
  op.data = kData[static_cast<std::size_t>(data)];
  op.version = version;
  op.mode = kModes[mode];
  return op;
}

Step make_step(const RawStep& raw, int clients) {
  const auto& [kind, client, path, data, version, mode, watch, ops] = raw;
  // Weighted kinds: creates most, then the other operations; session ends and re-opens least.
  static const Step::Kind kKinds[] = {
      Step::Kind::Create, Step::Kind::Create,  Step::Kind::Create,      Step::Kind::Create,
      Step::Kind::Delete, Step::Kind::Delete,  Step::Kind::SetData,     Step::Kind::SetData,
      Step::Kind::Exists, Step::Kind::Exists,  Step::Kind::GetData,     Step::Kind::GetData,
      Step::Kind::GetChildren, Step::Kind::GetChildren, Step::Kind::Multi, Step::Kind::Multi,
      Step::Kind::Close, Step::Kind::Expire,   Step::Kind::Open};
  Step s;
  s.kind = kKinds[static_cast<std::size_t>(kind) % std::size(kKinds)];
  s.client = client % clients;
  s.path = kPaths[static_cast<std::size_t>(path)];
  s.data = kData[static_cast<std::size_t>(data)];
  s.version = version;
  s.mode = kModes[mode];
  s.watch = watch != 0;
  if (s.kind == Step::Kind::Multi)
    for (const auto& op : ops) s.ops.push_back(make_op(op));
  if (s.kind == Step::Kind::Multi && s.ops.empty()) s.kind = Step::Kind::GetChildren;
  return s;
}
}  // namespace

rc::Gen<Trace> trace_gen(int clients, int max_steps) {
  const int paths = static_cast<int>(kPaths.size());
  auto op = rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::inRange(0, paths), rc::gen::inRange(0, 3),
                           rc::gen::inRange(-1, 3), rc::gen::inRange(0, 4));
  auto step = rc::gen::tuple(rc::gen::inRange(0, 19), rc::gen::inRange(0, clients), rc::gen::inRange(0, paths),
                             rc::gen::inRange(0, 3), rc::gen::inRange(-1, 3), rc::gen::inRange(0, 4),
                             rc::gen::inRange(0, 2),
                             rc::gen::resize(3, rc::gen::container<std::vector<RawOp>>(op)));
  auto steps = rc::gen::container<std::vector<RawStep>>(step);
  return rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 4), steps),
                      [clients, max_steps](const std::pair<int, std::vector<RawStep>>& raw) {
                        Trace t;
                        for (int c = 0; c < clients; ++c) t.push_back(Step{.kind = Step::Kind::Open, .client = c});
                        // One draw in four starts with the clients racing for one ephemeral node, while they
                        // are fresh (no watches), so the winner can take the lowest label on both sides.
                        if (raw.first == 3 && clients > 1) {  // 3, not 0: shrinking drops the race
                          Step race{.kind = Step::Kind::Race, .path = "/a"};
                          for (int c = 0; c < clients; ++c) race.racers.push_back(c);
                          t.push_back(race);
                        }
                        for (const auto& r : raw.second) {
                          if (static_cast<int>(t.size()) >= max_steps + clients + 1) break;
                          t.push_back(make_step(r, clients));
                        }
                        return t;
                      });
}

}  // namespace kafkasim::zkconf

namespace kafkasim::zkconf {

std::optional<Mismatch> search_traces(std::uint64_t seed, int count, int max_shrink_runs,
                                      const std::function<std::string(const Trace&)>& check) {
  for (int k = 0; k < count; ++k) {
    const std::uint64_t draw_seed = seed + static_cast<std::uint64_t>(k);
    const int clients = 2 + static_cast<int>(draw_seed % 2);
    const int size = 10 + static_cast<int>(draw_seed % 5) * 10;
    rc::Shrinkable<Trace> current = trace_gen(clients, 24)(rc::Random(draw_seed), size);
    std::string difference = check(current.value());
    if (difference.empty()) continue;
    Mismatch m{.seed = draw_seed, .trace = current.value(), .drawn_steps = current.value().size(), .difference = difference};
    // Shrink: take the first candidate (in tree order) that still differs, until none does or the bound.
    bool improved = true;
    while (improved && m.shrink_runs < max_shrink_runs) {
      improved = false;
      rc::Seq<rc::Shrinkable<Trace>> candidates = current.shrinks();
      while (auto candidate = candidates.next()) {
        if (m.shrink_runs >= max_shrink_runs) break;
        ++m.shrink_runs;
        std::string d = check(candidate->value());
        if (d.empty()) continue;
        current = *candidate;
        m.trace = current.value();
        m.difference = d;
        improved = true;
        break;
      }
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace kafkasim::zkconf

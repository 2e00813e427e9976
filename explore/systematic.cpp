// The systematic search (explore/systematic.h): the abstract state and trigger probe a child computes
// from its history, the menu of actions, and the breadth-first enumeration with state-digest pruning.
#include "explore/systematic.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "explore/classes.h"
#include "explore/coverage.h"
#include "explore/runs.h"
#include "explore/schedule.h"
#include "explore/search.h"
#include "reports/output_files.h"
#include "reports/result_json.h"

namespace kafkasim::explore {

using json = nlohmann::ordered_json;

namespace {

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// A scheduled event's own `fault` record: not the undo of its `for:`, not the operator's restart.
bool is_placed_fault(const sim::HistoryEvent& e) {
  return e.name == "fault" && e.get("undo") == nullptr && !is_operator_restart(e);
}

std::string ints_text(const sim::Value* v) {
  if (v == nullptr || !std::holds_alternative<std::vector<std::int64_t>>(*v)) return "[]";
  auto xs = std::get<std::vector<std::int64_t>>(*v);
  std::sort(xs.begin(), xs.end());
  return fmt::format("[{}]", fmt::join(xs, ","));
}

// The node a control-plane event names: a broker id in ZooKeeper mode, a controller node in KRaft.
std::string node_of(const sim::HistoryEvent& e) {
  if (const sim::Value* n = e.get("node")) return sim::value_text(*n);
  return fmt::format("broker-{}", e.int_or("broker", -1));
}

}  // namespace

std::string abstract_state(const Scenario& scenario, const sim::History& history, std::size_t last) {
  const auto& events = history.events();
  if (events.empty()) return "";
  last = std::min(last, events.size() - 1);
  std::size_t end = last + 1;
  while (end < events.size() && events[end].t == events[last].t) ++end;
  const Micros now = events[last].t;

  std::map<std::string, std::string> node_status;  // broker-N / controller-N -> up, crash, power-loss, paused, exited
  for (int b = 1; b <= scenario.brokers; ++b) node_status[fmt::format("broker-{}", b)] = "down";
  std::string controller = "none";
  struct Partition {
    std::int64_t leader = -1, epoch = -1;
    std::string isr = "[]";
  };
  struct Replica {
    std::vector<std::int64_t> epochs;  // the leader epoch of each offset of its log
    std::int64_t hw = 0, role_epoch = -1, role_leader = -1;
    std::string role = "none";
  };
  std::map<std::string, Partition> partitions;
  std::map<std::pair<std::string, std::int64_t>, Replica> replicas;
  std::multiset<std::string> pending;  // the placed faults whose `for:` has not run out: "crash broker-2"
  std::vector<std::pair<Micros, std::string>> undo_at;

  for (std::size_t i = 0; i < end; ++i) {
    const auto& e = events[i];
    const std::string_view n = e.name;
    if (n == "broker-started") {
      node_status[fmt::format("broker-{}", e.int_or("broker", -1))] = "up";
    } else if (n == "broker-crashed") {
      node_status[fmt::format("broker-{}", e.int_or("broker", -1))] = e.str_or("kind", "crash");
    } else if (n == "broker-paused") {
      node_status[fmt::format("broker-{}", e.int_or("broker", -1))] = "paused";
    } else if (n == "broker-resumed") {
      node_status[fmt::format("broker-{}", e.int_or("broker", -1))] = "up";
    } else if (n == "broker-exited") {
      node_status[fmt::format("broker-{}", e.int_or("broker", -1))] = "exited";
    } else if (n == "node-crashed") {
      node_status[e.str_or("node", "?")] = e.str_or("kind", "crash");
    } else if (n == "node-started") {
      node_status[e.str_or("node", "?")] = "up";
    } else if (n == "controller-elected") {
      controller = node_of(e);
    } else if (n == "controller-resigned") {
      if (controller == node_of(e)) controller = "none";
    } else if (n == "leader-elected") {
      Partition& p = partitions[e.str_or("partition", "?")];
      p.leader = e.int_or("leader", -1);
      p.epoch = e.int_or("leader_epoch", -1);
      p.isr = ints_text(e.get("isr"));
    } else if (n == "isr-changed") {
      Partition& p = partitions[e.str_or("partition", "?")];
      p.isr = ints_text(e.get("isr"));
      p.epoch = std::max(p.epoch, e.int_or("leader_epoch", p.epoch));
    } else if (n == "became-leader" || n == "became-follower") {
      Replica& r = replicas[{e.str_or("partition", "?"), e.int_or("broker", -1)}];
      r.role = n == "became-leader" ? "leader" : "follower";
      r.role_epoch = e.int_or("leader_epoch", -1);
      r.role_leader = e.int_or("leader", -1);
    } else if (n == "appended") {
      Replica& r = replicas[{e.str_or("partition", "?"), e.int_or("broker", -1)}];
      const std::int64_t offset = e.int_or("offset", -1);
      if (offset < 0) continue;
      if (static_cast<std::size_t>(offset) >= r.epochs.size()) r.epochs.resize(static_cast<std::size_t>(offset) + 1, -1);
      r.epochs[static_cast<std::size_t>(offset)] = e.int_or("leader_epoch", -1);
    } else if (n == "truncated") {
      Replica& r = replicas[{e.str_or("partition", "?"), e.int_or("broker", -1)}];
      const std::int64_t to = std::max<std::int64_t>(0, e.int_or("to_offset", 0));
      if (static_cast<std::size_t>(to) < r.epochs.size()) r.epochs.resize(static_cast<std::size_t>(to));
      r.hw = std::min(r.hw, to);
    } else if (n == "hw-advanced") {
      replicas[{e.str_or("partition", "?"), e.int_or("broker", -1)}].hw = e.int_or("hw", 0);
    } else if (is_placed_fault(e)) {
      if (const sim::Value* f = e.get("for"); f != nullptr && std::holds_alternative<double>(*f)) {
        const Micros until = e.t + static_cast<Micros>(std::llround(std::get<double>(*f) * 1e6));
        if (until > now) pending.insert(fmt::format("{} {}", e.str_or("action", "?"), e.str_or("target", "?")));
      }
    }
  }

  std::string text = "nodes:";
  for (const auto& [node, status] : node_status) text += fmt::format(" {}={}", node, status);
  text += fmt::format("\ncontroller: {}\npending:", controller);
  for (const auto& p : pending) text += " [" + p + "]";
  // Each partition, its replicas' logs relative to the longest: offsets and epochs shift with the time a
  // state is reached, its shape (who lags, who diverges, whose HW is behind) is what the search compares.
  std::set<std::string> names;
  for (const auto& [name, p] : partitions) names.insert(name);
  for (const auto& [key, r] : replicas) names.insert(key.first);
  for (const auto& name : names) {
    const Partition p = partitions.count(name) ? partitions.at(name) : Partition{};
    text += fmt::format("\n{}: leader {} isr {}", name, p.leader, p.isr);
    const Replica* longest = nullptr;
    for (const auto& [key, r] : replicas)
      if (key.first == name && (longest == nullptr || r.epochs.size() > longest->epochs.size())) longest = &r;
    if (longest == nullptr) continue;
    const auto max_leo = static_cast<std::int64_t>(longest->epochs.size());
    for (const auto& [key, r] : replicas) {
      if (key.first != name) continue;
      const auto leo = static_cast<std::int64_t>(r.epochs.size());
      std::size_t agree = 0;
      while (agree < r.epochs.size() && r.epochs[agree] == longest->epochs[agree]) ++agree;
      const std::string diverges =
          agree < r.epochs.size() ? fmt::format("-{}", max_leo - static_cast<std::int64_t>(agree)) : "none";
      const std::int64_t last_epoch = r.epochs.empty() ? -1 : r.epochs.back();
      // Epochs as how far behind the partition's they are: the same shape one election later is one state.
      auto behind = [&](std::int64_t epoch) { return epoch < 0 ? std::string("none") : fmt::format("-{}", p.epoch - epoch); };
      text += fmt::format(" | b{} {} of {} (epoch {}) leo -{} hw -{} diverges {} last-epoch {}", key.second, r.role,
                          r.role_leader, behind(r.role_epoch), max_leo - leo, max_leo - r.hw, diverges, behind(last_epoch));
    }
  }
  return text;
}

json systematic_probe(const Scenario& scenario, const sim::History& history) {
  const auto& events = history.events();
  const std::size_t placed = scenario.events.size();
  std::size_t phase_start = 0, phase_end = events.size(), fired = 0, last_fault = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.name == "phase") {
      const std::string name = e.str_or("name", "");
      if (name == "fault") phase_start = i;
      if (name == "settle" && phase_end == events.size()) phase_end = i;
    } else if (is_placed_fault(e) && i < phase_end) {
      ++fired;
      last_fault = i;
    }
  }
  json p;
  p["placed"] = placed;
  p["fired"] = fired;
  const std::size_t at = placed == 0 || fired == 0 ? phase_start : last_fault;
  const Micros at_t = events.empty() ? 0 : events[at].t;
  p["at_us"] = at_t;
  const std::string state = abstract_state(scenario, history, at);
  p["state"] = state;
  p["state_digest"] = fnv1a(state);
  // The first occurrence of each trigger event (by pinned broker or partition) from the millisecond of the
  // last fault on: a `when:` with `since:` that millisecond fires there in the child run, whose prefix is
  // this run's.
  const Micros since = placed == 0 ? 0 : at_t / kMicrosPerMs * kMicrosPerMs;
  const ScheduleContext ctx = ScheduleContext::of(scenario);
  json triggers = json::array();
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = phase_start; i < phase_end; ++i) {
    const auto& e = events[i];
    if (e.t < since) continue;
    for (const auto& te : trigger_events(ctx)) {
      if (e.name != te.event) continue;
      std::string field, value;
      if (te.broker) {
        field = "broker";
        value = std::to_string(e.int_or("broker", -1));
      } else if (te.partition) {
        field = "partition";
        value = e.str_or("partition", "");
      } else if (te.producer) {
        field = "producer";
        value = e.str_or("producer", "");
        if (value != ctx.producers.front()) continue;
      }
      if (!seen.insert({te.event, value}).second) continue;
      triggers.push_back({{"event", te.event}, {"field", field}, {"value", value}, {"t_us", e.t}});
    }
  }
  p["triggers"] = triggers;
  return p;
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The actions the systematic search places: for each fault kind, each target with one or two canonical
// durations (a short outage, a pause past the session timeout, an isolation around the lag time).
std::vector<std::string> action_menu(const ScheduleContext& ctx, const std::vector<std::string>& kinds) {
  std::vector<std::string> menu;
  std::set<std::string> seen;
  auto add = [&](const std::string& kind, int target, int subject, int bucket, int frac, int after = 0) {
    RawEvent e;
    e.target = target;
    e.subject = subject;
    e.duration_bucket = bucket;
    e.duration_frac = frac;
    e.after_ms = after;
    std::string line = action_line(e, ctx, kind);
    if (seen.insert(line).second) menu.push_back(std::move(line));
  };
  const int partitions = static_cast<int>(ctx.partitions.size());
  const int others = static_cast<int>(ctx.brokers.size() + ctx.zookeepers.size() + ctx.controllers.size());
  for (const auto& kind : kinds) {
    const int targets = target_count(ctx, kind);
    for (int t = 0; t < targets; ++t) {
      if (kind == "crash" || kind == "power-loss" || kind == "shutdown") add(kind, t, 0, 1, 300);
      if (kind == "pause") {
        add(kind, t, 0, 1, 300);
        add(kind, t, 0, 3, 100);
      }
      if (kind == "isolate") add(kind, t, 0, 2, 500);
      if (kind == "expire-session") add(kind, t, 0, 0, 0);
      if (kind == "cut")
        for (int s = 0; s < others; ++s) add(kind, t, s, 2, 500);
      if (kind == "drop")
        for (int s = 0; s < drop_type_count(ctx); ++s) add(kind, t, s, 1, 300);
      if (kind == "delay") add(kind, t, 0, 1, 300, 5);
    }
    if (kind == "partition")
      for (int b = 0; b < static_cast<int>(ctx.brokers.size()); ++b)
        for (int s : ctx.kraft ? std::vector<int>{0, 3, 6, 9} : std::vector<int>{0, 1, 2}) add(kind, b, s, 2, 500);
    if (kind == "elect-preferred-leader")
      for (int s = 0; s <= partitions; ++s) add(kind, 0, s, 0, 0);
  }
  return menu;
}

// One placed fault: where (the trigger) and what (the action).
struct Placement {
  std::string trigger;  // `when: {event: became-follower, broker: 2}, since: 1234ms`
  std::string action;   // `crash: 'broker-2', for: 1075ms`
};

std::vector<std::string> lines_of(const std::vector<Placement>& placements) {
  std::vector<std::string> lines;
  for (const auto& p : placements) lines.push_back(fmt::format("  - {{{}, {}}}", p.trigger, p.action));
  return lines;
}

// A run that reached a new state with depth to spare: its placements, and the triggers its probe saw.
struct Expansion {
  std::vector<Placement> placements;
  std::vector<std::string> triggers;
  std::size_t next = 0;  // the next (trigger, action) pair to place: trigger next / menu, action next % menu
};

struct Node {
  std::vector<Placement> placements;
};

struct DepthStats {
  std::int64_t runs = 0, new_states = 0, seen_states = 0, not_fired = 0, violating = 0;
};

struct Violation {
  std::string property, detail;
  std::vector<std::string> properties, classes;
  std::vector<Placement> placements;
  std::int64_t run = 0;
  json file = nullptr;
  std::size_t events_after = 0;
  std::string why_no_file;
};

std::string trigger_text(const json& t, Micros since_us, bool first) {
  std::string fields = fmt::format("event: {}", t["event"].get<std::string>());
  const std::string field = t["field"].get<std::string>();
  if (!field.empty()) fields += fmt::format(", {}: {}", field, t["value"].get<std::string>());
  std::string out = fmt::format("when: {{{}}}", fields);
  if (!first) out += fmt::format(", since: {}ms", since_us / kMicrosPerMs);
  return out;
}

}  // namespace

int run_systematic(const Base& base, const ExploreOptions& options, const std::vector<std::string>& faults,
                   std::ostream& out, std::ostream& err) {
  const int depth = options.systematic_depth;
  const std::vector<std::string> menu = action_menu(base.ctx, faults);
  const std::uint64_t seed = options.seed;  // every run: the same seed, so a placement's prefix is its parent's run
  out << fmt::format("explore --systematic {} (design {}, faults {}, seed {}, depth {}, {} actions per trigger, {}, {} job{})\n",
                     base.label, base.scenario.design.label(), fmt::join(faults, ","), seed, depth, menu.size(),
                     options.runs ? fmt::format("at most {} runs", *options.runs)
                     : options.time_s ? fmt::format("at most {:g} s", *options.time_s)
                                      : std::string("until the space is covered"),
                     options.jobs, options.jobs == 1 ? "" : "s");
  out.flush();

  SignalScope signals;
  const bool live = options.progress.value_or(::isatty(STDERR_FILENO) != 0);
  Progress progress(live, err);
  const auto t0 = Clock::now();

  std::vector<DepthStats> stats(static_cast<std::size_t>(depth) + 1);
  std::set<std::uint64_t> seen_states;
  std::deque<Expansion> frontier;  // breadth first: expansions in the order their runs were made
  std::int64_t runs = 0, placements_made = 1;  // the root counts as the first
  std::map<std::string, Violation> first_of;   // by property: the first run that broke it
  std::vector<std::string> property_order;
  std::vector<json> failures;
  Coverage coverage, coverage_runs;
  std::optional<std::int64_t> class_run;
  bool root_done = false;
  std::string stopped;

  auto budget_left = [&] {
    if (g_signal) return false;
    if (class_run) return false;
    if (options.runs && runs >= *options.runs) return false;
    if (options.time_s && seconds_since(t0) >= *options.time_s) return false;
    return true;
  };
  // The next nodes to run, breadth first: the root, then each expansion's (trigger, action) pairs.
  auto next_nodes = [&](std::size_t n) {
    std::vector<Node> batch;
    if (!root_done) {
      batch.push_back(Node{});
      root_done = true;
      return batch;
    }
    while (batch.size() < n && !frontier.empty()) {
      Expansion& x = frontier.front();
      const std::size_t total = x.triggers.size() * menu.size();
      if (x.next >= total) {
        frontier.pop_front();
        continue;
      }
      Node node{x.placements};
      node.placements.push_back(Placement{x.triggers[x.next / menu.size()], menu[x.next % menu.size()]});
      ++x.next;
      batch.push_back(std::move(node));
    }
    return batch;
  };

  while (budget_left()) {
    std::size_t want = static_cast<std::size_t>(options.jobs) * 8;
    if (options.runs) want = std::min<std::size_t>(want, static_cast<std::size_t>(*options.runs - runs));
    std::vector<Node> batch = next_nodes(want);
    if (batch.empty()) break;
    std::vector<Prepared> prepared(batch.size());
    std::vector<const Prepared*> pointers;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Prepared& p = prepared[i];
      const auto lines = lines_of(batch[i].placements);
      p.events = lines.size();
      p.text = scenario_text(base, seed, lines);
      try {
        p.scenario = parse_scenario_text(p.text, fmt::format("explore-systematic-{}.yaml", runs + static_cast<std::int64_t>(i)));
      } catch (const InputError& e) {
        p.parse_error = fmt::format("a placed schedule did not parse (a bug in the systematic search): {}", e.what());
      }
      pointers.push_back(&p);
    }
    bool interrupted = false;
    std::vector<std::string> stderr_files;
    auto results = run_batch(pointers, options.jobs, base.expected, options.out_dir, &stderr_files, &interrupted, true);
    if (interrupted) break;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const RunResult& r = results[i];
      const std::int64_t run = runs++;
      const std::size_t d = batch[i].placements.size();
      DepthStats& s = stats[d];
      ++s.runs;
      if (r.failed) {
        const std::string file = fmt::format("{}/simulator-failure-systematic-{}.yaml", options.out_dir, run);
        if (!stderr_files.empty() && !stderr_files[i].empty()) keep_stderr(stderr_files[i], file, true);
        const std::string why = reports::write_file(
            file, fmt::format("# kafkasim explore --systematic: simulator failure: {}\n# replay: kafkasim run {}\n", r.failure, file) +
                      prepared[i].text);
        json entry{{"seed", seed}, {"run", run}, {"file", why.empty() ? json(std::filesystem::path(file).filename().string()) : json(nullptr)},
                   {"reason", r.failure}};
        failures.push_back(entry);
        progress.note(fmt::format("simulator failure at run {}: {} (saved as {})", run, r.failure, file));
        continue;
      }
      for (const auto& [key, n] : r.coverage) {
        coverage[key] += n;
        if (n > 0) ++coverage_runs[key];
      }
      if (!r.properties.empty()) {
        ++s.violating;
        for (std::size_t j = 0; j < r.properties.size(); ++j) {
          if (first_of.count(r.properties[j])) continue;
          property_order.push_back(r.properties[j]);
          Violation v;
          v.property = r.properties[j];
          v.detail = r.details[j];
          v.properties = r.properties;
          v.classes = r.classes;
          v.placements = batch[i].placements;
          v.run = run;
          first_of[r.properties[j]] = std::move(v);
          progress.note(fmt::format("found {} at run {} (depth {}{}): {}", r.properties[j], run, d,
                                    r.classes.empty() ? "" : fmt::format("; class {}", fmt::join(r.classes, ", ")), r.details[j]));
        }
      }
      if (options.until_class && std::count(r.classes.begin(), r.classes.end(), *options.until_class) && !class_run)
        class_run = run;
      const json& probe = r.probe;
      if (!probe.is_object() || probe.value("fired", std::size_t{0}) < probe.value("placed", std::size_t{0})) {
        ++s.not_fired;  // its last trigger never came (or came after the fault phase): the parent's state
        continue;
      }
      if (!seen_states.insert(probe["state_digest"].get<std::uint64_t>()).second) {
        ++s.seen_states;
        continue;
      }
      ++s.new_states;
      if (static_cast<int>(d) >= depth) continue;
      Expansion x{batch[i].placements, {}, 0};
      const Micros at = probe["at_us"].get<Micros>();
      for (const auto& t : probe["triggers"]) x.triggers.push_back(trigger_text(t, at, d == 0));
      placements_made += static_cast<std::int64_t>(x.triggers.size() * menu.size());
      if (!x.triggers.empty()) frontier.push_back(std::move(x));
    }
    std::int64_t left = 0;
    for (const auto& x : frontier) left += static_cast<std::int64_t>(x.triggers.size() * menu.size() - x.next);
    const double elapsed = seconds_since(t0);
    progress.show(fmt::format("explore --systematic: {} runs, {} states, {} placements waiting  {:.1f} runs/s  {} properties violated",
                              runs, seen_states.size(), left, elapsed > 0 ? static_cast<double>(runs) / elapsed : 0.0,
                              first_of.size()));
  }
  progress.clear();
  const bool interrupted = g_signal != 0;
  std::int64_t left = 0;
  for (const auto& x : frontier) left += static_cast<std::int64_t>(x.triggers.size() * menu.size() - x.next);
  if (left > 0 || !root_done) stopped = interrupted ? "interrupted" : class_run ? "the class was found" : "the budget ran out";
  const double search_wall_s = seconds_since(t0);

  // ---- the first run of each property: drop the placements it does not need, write it, replay it
  auto violates = [&](const std::vector<Placement>& placements, const std::string& property, std::vector<std::string>* classes) {
    Prepared p;
    p.text = scenario_text(base, seed, lines_of(placements));
    p.scenario = parse_scenario_text(p.text, "explore-systematic-shrink.yaml");
    bool stopped_now = false;
    auto r = run_batch({&p}, 1, base.expected, options.out_dir, nullptr, &stopped_now);
    if (classes) *classes = r[0].classes;
    return !stopped_now && !r[0].failed && std::count(r[0].properties.begin(), r[0].properties.end(), property) > 0;
  };
  std::vector<std::string> report_lines;
  for (const auto& property : property_order) {
    Violation& v = first_of[property];
    std::vector<Placement> kept = v.placements;
    const std::string keep_class = v.classes.empty() ? "" : v.classes.front();
    for (std::size_t i = kept.size(); i-- > 0 && kept.size() > 1 && !g_signal;) {
      std::vector<Placement> fewer = kept;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
      std::vector<std::string> classes;
      if (violates(fewer, property, &classes) && (keep_class.empty() || std::count(classes.begin(), classes.end(), keep_class)))
        kept = std::move(fewer);
    }
    const std::string file = fmt::format("{}/{}-{}.yaml", options.out_dir, property, seed);
    std::vector<std::string> comments = {
        fmt::format("Found by kafkasim explore --systematic: {} on design {}.", property, base.scenario.design.label()),
        fmt::format("command: {}", options.command_line.empty() ? "kafkasim explore --systematic" : options.command_line),
        fmt::format("base: {}; run {} of the systematic search (depth {}), {} placed fault{}, {} kept", base.label, v.run,
                    v.placements.size(), v.placements.size(), v.placements.size() == 1 ? "" : "s", kept.size()),
        fmt::format("first found as: {}", v.detail),
        fmt::format("replay: kafkasim run {}   (exits 1: the violation is reproduced; expect is empty)", file)};
    if (!v.classes.empty()) comments.insert(comments.end() - 1, fmt::format("bug class: {}", fmt::join(v.classes, ", ")));
    const std::string text = scenario_text(base, seed, lines_of(kept), comments, fmt::format("{}-{}", property, seed),
                                           fmt::format("{} found by kafkasim explore --systematic on {}", property,
                                                       base.scenario.design.label()));
    if (const std::string why = reports::write_file(file, text); !why.empty()) {
      v.why_no_file = why;
      continue;
    }
    bool reproduced = g_signal != 0;
    if (!g_signal) {
      const Replayed r = replay_file(file, text, base, options.out_dir);
      v.why_no_file = r.parse_error;
      reproduced = r.parse_error.empty() && (r.stopped || (!r.result.failed && std::count(r.result.properties.begin(),
                                                                                          r.result.properties.end(), property)));
    }
    if (!reproduced) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
      if (v.why_no_file.empty()) v.why_no_file = fmt::format("the counterexample did not reproduce {} from its file", property);
      failures.push_back(json{{"seed", seed}, {"run", v.run}, {"file", nullptr}, {"reason", v.why_no_file}});
      continue;
    }
    v.file = std::filesystem::path(file).filename().string();
    v.events_after = kept.size();
    report_lines.push_back(fmt::format("  {}: first at run {} (depth {}), {} placed fault{} kept{}", property, v.run,
                                       v.placements.size(), kept.size(), kept.size() == 1 ? "" : "s",
                                       v.classes.empty() ? "" : fmt::format("; bug class {}", fmt::join(v.classes, ", "))));
    report_lines.push_back(fmt::format("      {}", v.detail));
    report_lines.push_back(fmt::format("      replay: kafkasim run {}", file));
  }

  // ---- summary.json
  json summary;
  summary["design"] = reports::design_json(base.scenario.design);
  summary["faults"] = faults;
  summary["seed"] = seed;
  summary["shard"] = "0/1";
  summary["runs"] = runs;
  summary["wall_s"] = std::round(seconds_since(t0) * 1000) / 1000;
  summary["base"] = base.label;
  summary["search_wall_s"] = std::round(search_wall_s * 1000) / 1000;
  summary["strategy"] = "systematic";
  if (interrupted) summary["interrupted"] = g_signal == SIGTERM ? "SIGTERM" : "SIGINT";
  json violations = json::array();
  for (const auto& property : property_order) {
    const Violation& v = first_of[property];
    json e{{"property", property}, {"properties", v.properties}, {"seed", seed}, {"run", v.run}, {"file", v.file},
           {"events_before_shrink", v.placements.size()}, {"events_after_shrink", v.file.is_null() ? json(nullptr) : json(v.events_after)},
           {"detail", v.detail}, {"classes", v.classes}};
    if (!v.why_no_file.empty()) e["why_no_file"] = v.why_no_file;
    violations.push_back(e);
  }
  summary["violations"] = violations;
  summary["simulator_failures"] = failures;
  put_coverage(summary, coverage, coverage_runs, faults, base.scenario.design.kraft(), base.scenario.has_groups());
  json per_depth = json::array();
  for (std::size_t d = 0; d < stats.size(); ++d)
    per_depth.push_back({{"depth", d}, {"runs", stats[d].runs}, {"new_states", stats[d].new_states},
                         {"seen_states", stats[d].seen_states}, {"trigger_never_came", stats[d].not_fired},
                         {"violating", stats[d].violating}});
  summary["systematic"] = {{"depth", depth},          {"actions_per_trigger", menu.size()},
                           {"placements", placements_made}, {"runs", runs},
                           {"distinct_states", seen_states.size()}, {"placements_not_run", left},
                           {"covered", left == 0 && root_done}, {"per_depth", per_depth}};
  if (options.until_class)
    summary["until_class"] = {{"class", *options.until_class}, {"run", class_run ? json(*class_run) : json(nullptr)},
                              {"runs_to_first", class_run ? json(*class_run + 1) : json(nullptr)}};
  const std::string summary_path = options.out_dir + "/summary.json";
  const std::string summary_error = reports::write_file(summary_path, summary.dump(2) + "\n");

  // ---- what the user reads
  out << fmt::format("{} runs in {:.1f} s ({:.1f} runs/s); {} distinct cluster states\n", runs, search_wall_s,
                     search_wall_s > 0 ? static_cast<double>(runs) / search_wall_s : 0.0, seen_states.size());
  out << "depth  runs  new states  states seen before (not extended)  trigger never came  violating\n";
  for (std::size_t d = 0; d < stats.size(); ++d)
    out << fmt::format("{:>5}  {:>4}  {:>10}  {:>33}  {:>18}  {:>9}\n", d, stats[d].runs, stats[d].new_states,
                       stats[d].seen_states, stats[d].not_fired, stats[d].violating);
  out << fmt::format("space: {} placements up to depth {} (the trigger events each new state reached, times {} actions); "
                     "{} run ({:.1f}%){}\n",
                     placements_made, depth, menu.size(), runs,
                     placements_made > 0 ? 100.0 * static_cast<double>(runs) / static_cast<double>(placements_made) : 0.0,
                     left == 0 && root_done ? ": covered (every placement up to the depth was run, or pruned by its state)"
                                            : fmt::format(": {} not run ({})", left, stopped));
  if (options.until_class)
    out << (class_run ? fmt::format("class {}: first at run {}\n", *options.until_class, *class_run)
                      : fmt::format("class {}: not found in {} runs\n", *options.until_class, runs));
  if (!report_lines.empty()) {
    out << "violations:\n";
    for (const auto& l : report_lines) out << l << '\n';
  }
  for (const auto& f : failures)
    out << fmt::format("simulator failure: run {}: {}\n", f.value("run", std::int64_t{-1}), f["reason"].get<std::string>());
  out << coverage_table(coverage, coverage_runs, runs);
  return finish_search(out, err, summary_path, summary_error, runs, !failures.empty(),
                       options.until_class ? std::optional<bool>(class_run.has_value()) : std::nullopt, !first_of.empty());
}

}  // namespace kafkasim::explore

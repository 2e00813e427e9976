// The performance benchmark (issue 7): SimGrid's raw message rate on this machine as the baseline, then
// kafkasim's workloads W1 (light), W2 (busy), W3 (wide, at 300 / 3,000 / 30,000 partitions) and E1 (the
// default explore search), each in a forked child of its own, printed as one table of figures measured
// in one run. Usage: kafkasim_bench [--quick] [--only W1,W2,...] [--kafkasim PATH] [--json FILE]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checks/checkers.h"
#include "models/kafka_cluster.h"
#include "scenario/scenario.h"
#include "sim/platform.h"
#include "sim/runner.h"
#include "sim/world.h"

namespace sg4 = simgrid::s4u;
using namespace kafkasim;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

// Peak resident memory of this process (the child a workload runs in), in KiB.
std::int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Figures {
  std::string name;
  std::string what;
  double wall_s = 0;   // the simulation
  double check_s = -1;  // the checkers afterwards
  double simulated_s = 0;
  std::int64_t messages = 0;
  std::int64_t events = 0;
  std::int64_t peak_kib = 0;
  double runs_per_min = -1;
  std::string failure;
};

// ---- the baseline: SimGrid alone ---------------------------------------------------------------------

// Tokens circulate between hosts as kafkasim's messages do: a permanent receiver per host takes each off
// its mailbox and forwards it with a detached put of 100 bytes, on the same star platform and CM02 model.
#ifdef KAFKASIM_SANITIZED
constexpr bool kThreadContexts = true;  // ASan cannot follow SimGrid's raw context stacks (as sim/engine.cpp)
#else
constexpr bool kThreadContexts = false;
#endif

json baseline_body(int hosts, int tokens_per_host, std::int64_t messages) {
  auto engine = sim::create_simgrid_engine(kThreadContexts);
  std::vector<std::string> names;
  for (int h = 0; h < hosts; ++h) names.push_back(fmt::format("node-{}", h));
  sim::Platform platform = sim::create_star_platform(names, kMicrosPerMs, 1.25e9);
  std::vector<sg4::Mailbox*> mailboxes;
  for (const auto& n : names) mailboxes.push_back(sg4::Mailbox::by_name("mailbox-" + n));
  std::int64_t received = 0;
  auto done = sg4::Semaphore::create(0);
  struct Token {
    std::uint64_t hops = 0;
  };
  for (int h = 0; h < hosts; ++h) {
    sg4::ActorPtr receiver = sg4::Actor::create("receiver", platform.hosts[h], [&, h] {
      while (true) {
        auto* token = mailboxes[h]->get<Token>();
        if (++received == messages) done->release();
        const int next = static_cast<int>((h + 1 + token->hops++ % (hosts - 1)) % hosts);
        mailboxes[next]->put_init(token, 100)->detach();
      }
    });
    receiver->daemonize();
    mailboxes[h]->set_receiver(receiver);
  }
  sg4::Actor::create("main", platform.control, [&] {
    for (int h = 0; h < hosts; ++h)
      for (int t = 0; t < tokens_per_host; ++t) mailboxes[(h + 1) % hosts]->put_init(new Token{}, 100)->detach();
    done->acquire();
  });
  const auto t0 = Clock::now();
  engine->run();
  json out;
  out["wall_s"] = since(t0);
  out["simulated_s"] = sg4::Engine::get_clock();
  out["messages"] = received;
  out["events"] = received;
  out["peak_kib"] = peak_rss_kib();
  (void)engine.release();  // SimGrid is never torn down (see sim/engine.cpp); the child exits
  return out;
}

// ---- workloads ---------------------------------------------------------------------------------------

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// `group`: the consumers are members of one group (spec/consumer-groups.md), which share the partitions
// and commit automatically, in place of standalone consumers that each read every partition.
std::string workload_yaml(const std::string& name, const std::string& summary, int brokers, int partitions,
                          int producers, int rate, int consumers, int duration_s, bool group = false) {
  std::string yaml = fmt::format(
      "name: {}\nsummary: \"{}\"\nduration: {}s\nsettle: 60s\ncluster: {{brokers: {}}}\n"
      "topics: [{{name: t, partitions: {}, replication.factor: 3}}]\nproducers:\n",
      "bench-" + lower(name), summary, duration_s, brokers, partitions);
  for (int p = 1; p <= producers; ++p) yaml += fmt::format("  - {{id: p{}, topic: t, acks: all, rate: {}/s}}\n", p, rate);
  if (consumers > 0) {
    yaml += "consumers:\n";
    for (int c = 1; c <= consumers; ++c) yaml += fmt::format("  - {{id: c{}, topic: t{}}}\n", c, group ? ", group: g1" : "");
  }
  return yaml;
}

// The same workload on KRaft (kafka-4.1 with 3 controller nodes in place of ZooKeeper).
std::string kraft_yaml(std::string yaml) {
  const std::string from = "cluster: {brokers: 3}";
  const auto at = yaml.find(from);
  if (at != std::string::npos) yaml.replace(at, from.size(), "design: kafka-4.1\ncluster: {brokers: 3, controllers: 3}");
  return yaml;
}

bool g_skip_checks = false;  // --skip-checks: profile the simulation alone

json workload_body(const std::string& yaml) {
  const Scenario scenario = parse_scenario_text(yaml, "bench.yaml");
  models::KafkaCluster model;
  sim::World world(scenario, model);
  const auto t0 = Clock::now();
  const sim::RunOutcome outcome = world.run();
  const double run_s = since(t0);
  const auto t1 = Clock::now();
  const auto violations =
      g_skip_checks ? std::vector<checks::Violation>{} : checks::check_history(scenario, world.history());
  json out;
  out["wall_s"] = run_s;  // the simulation (models, SimGrid, recording the history)
  out["check_s"] = since(t1);  // then the checkers over the history
  out["simulated_s"] = to_seconds(outcome.stats.simulated);
  out["messages"] = outcome.stats.messages;
  out["events"] = outcome.stats.events;
  out["history_events"] = world.history().size();
  out["peak_kib"] = peak_rss_kib();
  out["failure"] = outcome.failure;
  out["converged"] = outcome.converged;
  out["violations"] = violations.size();
  return out;
}

Figures in_child(const std::string& name, const std::string& what, const std::function<json()>& body, double limit_s) {
  Figures f;
  f.name = name;
  f.what = what;
  const sim::ChildOutcome child = sim::run_in_child([&] { return body().dump(); }, limit_s);
  if (!child.completed) {
    f.failure = child.describe();
    return f;
  }
  const json j = json::parse(child.payload);
  f.wall_s = j["wall_s"].get<double>();
  if (j.contains("check_s")) f.check_s = j["check_s"].get<double>();
  f.simulated_s = j["simulated_s"].get<double>();
  f.messages = j["messages"].get<std::int64_t>();
  f.events = j["events"].get<std::int64_t>();
  f.peak_kib = j["peak_kib"].get<std::int64_t>();
  if (j.contains("failure") && !j["failure"].get<std::string>().empty()) f.failure = j["failure"].get<std::string>();
  else if (j.contains("converged") && !j["converged"].get<bool>()) f.failure = "did not converge";
  if (j.contains("violations") && j["violations"].get<std::size_t>() > 0)
    f.failure += fmt::format("{}{} violation(s)", f.failure.empty() ? "" : "; ", j["violations"].get<std::size_t>());
  return f;
}

// E1: the default explore search, run as a user would, for `seconds` of wall time; E1-random the same with
// `--strategy random` (the search before the guided one), so both are measured in one run.
Figures explore_figures(const std::string& kafkasim, int seconds, int max_shrink_runs, const std::string& strategy) {
  Figures f;
  f.name = strategy.empty() ? "E1" : "E1-" + strategy;
  const std::string how = strategy.empty() ? "" : " --strategy " + strategy;
  f.what = fmt::format("explore --design latest --jobs 2 --time {}s{}", seconds, how);
  const std::string dir = fmt::format("/tmp/kafkasim-bench-explore-{}", ::getpid());
  std::filesystem::remove_all(dir);
  // The search itself is what is timed (summary.json's search_wall_s); shrinking what it found follows it.
  const std::string shrink = max_shrink_runs >= 0 ? fmt::format(" --max-shrink-runs {}", max_shrink_runs) : "";
  const std::string cmd = fmt::format("'{}' explore --design latest --jobs 2 --time {}s{}{} --out '{}' > '{}.log' 2>&1",
                                      kafkasim, seconds, how, shrink, dir, dir);
  // Run through a shell in a child of our own, so that wait4 reports the peak memory of that search
  // alone (the largest of explore and its run children), not of the workloads measured before it.
  const auto t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int rc = -1;
  struct rusage usage {};
  if (pid < 0 || ::wait4(pid, &rc, 0, &usage) != pid) {
    f.failure = "could not run explore";
    return f;
  }
  const double total_s = since(t0);
  std::ifstream in(dir + "/summary.json");
  if (!in) {
    f.failure = fmt::format("no summary.json (exit {}; see {}.log)", rc, dir);
    return f;
  }
  const json summary = json::parse(in);
  const double search_s = summary.value("search_wall_s", summary["wall_s"].get<double>());
  f.wall_s = search_s;  // the search; shrinking what it found comes after it
  f.runs_per_min = summary["runs"].get<double>() / search_s * 60.0;
  f.what += fmt::format(" ({:.0f} runs; shrinking what they found took {:.0f} s more)", summary["runs"].get<double>(),
                        total_s - search_s);
  f.simulated_s = -1;
  f.peak_kib = usage.ru_maxrss;
  if (WIFEXITED(rc) && WEXITSTATUS(rc) != 0 && WEXITSTATUS(rc) != 1) f.failure = fmt::format("explore exited {}", WEXITSTATUS(rc));
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
  return f;
}

std::string rate(double v) {
  if (v < 0) return "-";
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.1f}", v);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kafkasim performance benchmark: SimGrid's baseline and the workloads of docs/performance.md"};
  bool quick = false;
  std::string only, kafkasim = KAFKASIM_BINARY, json_out;
  int explore_s = 60;
  int sim_s = 0;
  app.add_flag("--quick", quick, "a smoke run: every workload scaled down to seconds");
  app.add_option("--only", only, "comma-separated subset: baseline,W1,W1-kraft,W2,W3-300,W3-3000,W3-30000,E1,E1-random");
  app.add_option("--kafkasim", kafkasim, "the kafkasim binary E1 runs")->capture_default_str();
  app.add_option("--explore-s", explore_s, "E1's wall-clock budget in seconds")->capture_default_str();
  app.add_option("--json", json_out, "also write the figures as JSON here");
  app.add_option("--sim-s", sim_s, "simulated seconds of each workload (default 60, 5 with --quick)");
  app.add_flag("--skip-checks", g_skip_checks, "do not run the checkers after each workload (for profiling)");
  CLI11_PARSE(app, argc, argv);
  std::set<std::string> wanted;
  for (std::stringstream ss(only); ss.good();) {
    std::string item;
    std::getline(ss, item, ',');
    if (!item.empty()) wanted.insert(item);
  }
  auto want = [&](const std::string& n) { return wanted.empty() || wanted.count(n) > 0; };
  const int d = sim_s > 0 ? sim_s : quick ? 5 : 60;  // simulated seconds of each workload
  if (quick) explore_s = std::min(explore_s, 5);

  std::vector<Figures> rows;
  auto run = [&](Figures f) {
    std::cerr << fmt::format("  {:<9} {:.1f} s wall{}\n", f.name, f.wall_s, f.failure.empty() ? "" : "  (" + f.failure + ")");
    rows.push_back(std::move(f));
  };
  std::cerr << "kafkasim benchmark: each row in a child process of its own\n";
  if (want("baseline"))
    run(in_child("baseline", "SimGrid alone: 8 hosts, 32 tokens forwarded by receivers",
                 [&] { return baseline_body(8, 4, quick ? 20000 : 1000000); }, 600));
  const double limit = quick ? 120 : 900;
  if (want("W1"))
    run(in_child("W1", "3 brokers, 3 partitions RF 3, acks=all 10/s, 1 consumer",
                 [&] { return workload_body(workload_yaml("W1", "light", 3, 3, 1, 10, 1, d)); }, limit));
  // W1 on KRaft, measured beside W1 in the same run: the quorum's cost is the ratio of the two.
  if (want("W1-kraft"))
    run(in_child("W1-kraft", "W1 on kafka-4.1: 3 brokers and 3 controller nodes (the quorum in place of ZooKeeper)",
                 [&] { return workload_body(kraft_yaml(workload_yaml("W1", "light", 3, 3, 1, 10, 1, d))); }, limit));
  if (want("W2"))
    run(in_child("W2", "3 brokers, 12 partitions RF 3, 2 producers 1000/s, 2 consumers",
                 [&] { return workload_body(workload_yaml("W2", "busy", 3, 12, 2, 1000, 2, d)); }, limit));
  // A group of 4 over 12 partitions against 4 standalone consumers on the same load (issue 16: within 2x).
  if (want("W4"))
    run(in_child("W4", "3 brokers, 12 partitions RF 3, 1 producer 1000/s, 4 standalone consumers",
                 [&] { return workload_body(workload_yaml("W4", "consumers", 3, 12, 1, 1000, 4, d)); }, limit));
  if (want("W4-group"))
    run(in_child("W4-group", "W4 with the 4 consumers in one group (auto commit, __consumer_offsets RF 3)",
                 [&] { return workload_body(workload_yaml("W4-group", "group", 3, 12, 1, 1000, 4, d, true)); }, limit));
  for (int partitions : {300, 3000, 30000}) {
    const std::string name = fmt::format("W3-{}", partitions);
    if (!want(name) || (quick && partitions > 300)) continue;
    run(in_child(name, fmt::format("30 brokers, {} partitions RF 3, 1 producer 1000/s", partitions),
                 [&] { return workload_body(workload_yaml(name, "wide", 30, partitions, 1, 1000, 0, d)); }, limit));
  }
  // A smoke run bounds the shrinking after the search, so that it takes seconds.
  if (want("E1")) run(explore_figures(kafkasim, explore_s, quick ? 5 : -1, ""));
  if (want("E1-random")) run(explore_figures(kafkasim, explore_s, quick ? 5 : -1, "random"));

  const Figures* base = nullptr;
  for (const auto& f : rows)
    if (f.name == "baseline" && f.failure.empty()) base = &f;
  const double base_rate = base ? static_cast<double>(base->messages) / base->wall_s : 0;
  std::cout << fmt::format("{:<9} {:>8} {:>8} {:>7} {:>10} {:>12} {:>8} {:>9} {:>9}  {}\n", "row", "wall s", "check s",
                           "sim s", "sim s/s", "messages/s", "vs base", "events/s", "peak MiB", "what");
  json all = json::array();
  for (const auto& f : rows) {
    const double msg_rate = f.wall_s > 0 ? static_cast<double>(f.messages) / f.wall_s : 0;
    const std::string sim_per_wall = f.simulated_s >= 0 && f.wall_s > 0 ? rate(f.simulated_s / f.wall_s) : "-";
    const std::string vs = f.runs_per_min >= 0 || base_rate <= 0 ? "-" : fmt::format("{:.0f}%", 100 * msg_rate / base_rate);
    std::string what = f.what;
    if (f.runs_per_min >= 0) what += fmt::format("  [{:.0f} runs/min]", f.runs_per_min);
    if (!f.failure.empty()) what += "  FAILED: " + f.failure;
    std::cout << fmt::format("{:<9} {:>8.2f} {:>8} {:>7} {:>10} {:>12} {:>8} {:>9} {:>9.0f}  {}\n", f.name, f.wall_s,
                             f.check_s >= 0 ? fmt::format("{:.2f}", f.check_s) : "-",
                             f.simulated_s >= 0 ? fmt::format("{:.0f}", f.simulated_s) : "-", sim_per_wall,
                             f.runs_per_min >= 0 ? "-" : rate(msg_rate), vs,
                             f.runs_per_min >= 0 ? "-" : rate(f.wall_s > 0 ? f.events / f.wall_s : 0),
                             static_cast<double>(f.peak_kib) / 1024, what);
    all.push_back({{"row", f.name}, {"what", f.what}, {"wall_s", f.wall_s}, {"check_s", f.check_s}, {"simulated_s", f.simulated_s},
                   {"messages", f.messages}, {"events", f.events}, {"peak_kib", f.peak_kib},
                   {"runs_per_min", f.runs_per_min}, {"failure", f.failure},
                   {"messages_vs_baseline", base_rate > 0 && f.runs_per_min < 0 ? msg_rate / base_rate : -1}});
  }
  const Figures *w1 = nullptr, *w1_kraft = nullptr;
  for (const auto& f : rows) {
    if (f.name == "W1" && f.failure.empty()) w1 = &f;
    if (f.name == "W1-kraft" && f.failure.empty()) w1_kraft = &f;
  }
  if (w1 != nullptr && w1_kraft != nullptr && w1->wall_s > 0)
    std::cout << fmt::format("W1-kraft / W1 wall time: {:.2f} (the KRaft control plane against ZooKeeper's)\n",
                             w1_kraft->wall_s / w1->wall_s);
  if (!json_out.empty()) std::ofstream(json_out) << all.dump(2) << "\n";
  for (const auto& f : rows)
    if (!f.failure.empty()) return 1;
  return 0;
}

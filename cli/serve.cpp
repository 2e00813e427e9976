// `kafkasim serve`: the classroom. A local web server (cpp-httplib, 127.0.0.1 by default) that lists the
// lessons and the user's scenarios, runs one on request in a forked child (as `run` does, the messages
// recorded for the diagram) and shows its report; from a report's cursor it forks the run (the same seed,
// the events scheduled up to the cursor kept, one fault or produce added there), runs the fork and shows
// the two side by side from the point where they part. Every file it writes is inside its --dir folder.
#include "cli/serve.h"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "reports/html_report.h"
#include "reports/output_files.h"
#include "scenario/scenario.h"
#include "scenario/units.h"

namespace kafkasim::cli {

namespace fs = std::filesystem;

namespace {

struct Entry {
  int step = 0;         // lesson.step (0: not a lesson)
  std::string file;     // as found
  std::string name, summary;
  std::string problem;  // why it cannot run (FILE:LINE:COL: ...), or ""
};

struct Run {
  std::string name;
  int parent = -1;      // the run this one was forked from
  std::string forked;   // what the fork added, in words
  double fork_t = 0;
};

// Text from the page that goes into a scenario file: no control characters (a newline would end the
// header comment the fork is described in, and start YAML of its own).
bool plain_text(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}
bool digits(const std::string& v) {
  return !v.empty() && v.size() < 8 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<nlohmann::json> history_without_messages(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || e.value("event", "").rfind("message-", 0) == 0) continue;
    out.push_back(std::move(e));
  }
  return out;
}

const char* const kPageStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}"
    "header{padding:14px 24px;background:#fff;border-bottom:1px solid #dde}h1{font-size:20px;margin:0}"
    "main{padding:12px 24px}table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde;padding:6px 10px;text-align:left;vertical-align:top}"
    ".bad{color:#9b1c16;font:12px ui-monospace,monospace;white-space:pre-wrap}button{font-size:14px}"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:8px;padding:0 8px}.pair iframe{width:100%;height:88vh;border:1px solid #ccd;background:#fff}"
    ".part{background:#fff7d6;border:1px solid #e8d9a0;padding:8px 12px;border-radius:4px;font:12px ui-monospace,monospace}";

class Classroom {
 public:
  Classroom(const ServeOptions& o, std::vector<Entry> entries) : options_(o), entries_(std::move(entries)) {
    // A --dir used before keeps its runs: new ones are numbered after the highest there.
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(options_.dir + "/runs", ec)) {
      const std::string name = d.path().filename().string();
      if (digits(name) && name.size() < 9) next_id_ = std::max(next_id_, std::stoi(name) + 1);
    }
  }

  // Requests from this server's own pages only: the Host it listens as (not a rebound name), and for a
  // POST no Origin but its own (a page elsewhere cannot start runs here).
  void set_port(int port) { port_ = port; }
  bool allowed(const httplib::Request& req, httplib::Response& res) const {
    const std::string host = req.get_header_value("Host");
    const std::vector<std::string> ok = {fmt::format("{}:{}", options_.host, port_), fmt::format("127.0.0.1:{}", port_),
                                         fmt::format("localhost:{}", port_)};
    // Bound to this machine only, a Host of another name is a rebound DNS name; bound wider (--host), the
    // user chose to be reached by other names.
    const bool loopback = options_.host == "127.0.0.1" || options_.host == "localhost" || options_.host == "::1";
    bool good = !loopback || std::find(ok.begin(), ok.end(), host) != ok.end();
    if (good && req.method == "POST" && req.has_header("Origin")) good = req.get_header_value("Origin") == "http://" + host;
    if (!good) {
      res.status = 403;
      res.set_content("kafkasim serve answers its own pages only", "text/plain");
    }
    return good;
  }

  void routes(httplib::Server& server) {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return allowed(req, res) ? httplib::Server::HandlerResponse::Unhandled : httplib::Server::HandlerResponse::Handled;
    });
    server.Get("/", [this](const httplib::Request&, httplib::Response& res) { res.set_content(index_page(), "text/html; charset=utf-8"); });
    server.Post("/run", [this](const httplib::Request& req, httplib::Response& res) { run_entry(req, res); });
    server.Post("/api/fork", [this](const httplib::Request& req, httplib::Response& res) { fork(req, res); });
    server.Get(R"(/runs/(\d+)/(index\.html|history\.jsonl|result\.json|scenario\.yaml))",
               [this](const httplib::Request& req, httplib::Response& res) { file(req, res); });
    server.Get("/compare", [this](const httplib::Request& req, httplib::Response& res) { compare(req, res); });
  }

 private:
  std::string run_dir(int id) const { return fmt::format("{}/runs/{}", options_.dir, id); }

  static void page_headers(httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
                   "frame-src 'self'; form-action 'self'");
    res.set_header("X-Content-Type-Options", "nosniff");
  }

  std::string index_page() const {
    std::string rows;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      rows += fmt::format("<tr><td>{}<b>{}</b><br><small>{}</small></td><td>{}</td><td>",
                          e.step > 0 ? fmt::format("<small>lesson {}</small><br>", e.step) : std::string(), reports::html_escape(e.name),
                          reports::html_escape(e.file), reports::html_escape(e.summary));
      if (e.problem.empty())
        rows += fmt::format("<form method=\"post\" action=\"/run\"><input type=\"hidden\" name=\"scenario\" value=\"{}\">"
                            "<button class=\"run\" data-scenario=\"{}\">run it</button></form>", i, reports::html_escape(e.name));
      else
        rows += fmt::format("<div class=\"bad\">{}</div>", reports::html_escape(e.problem));
      rows += "</td></tr>\n";
    }
    return fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kafkasim classroom</title>"
                       "<style>{}</style></head><body><header><h1>kafkasim classroom</h1><p>Run a lesson or a scenario: its "
                       "report opens with a cursor to step through the run. From any moment, <i>Fork from here</i> adds a "
                       "fault or a write there and runs it again, the same seed, beside the first.</p></header><main>"
                       "<table><tr><th>scenario</th><th>what it shows</th><th></th></tr>\n{}</table></main></body></html>\n",
                       kPageStyle, rows);
  }

  // Runs the scenario file at `path` into a new run folder; "" and the run's id, or why it could not.
  std::string execute(const std::string& path, Run meta, int& id, bool& bad_input) {
    bad_input = false;
    Scenario s;
    try {
      s = parse_scenario_file(path);
    } catch (const InputError& e) {
      bad_input = true;
      return e.what();
    }
    // The classroom's bounds: no request runs longer, or for more events, than the server allows.
    s.config.set("sim.max.events", std::to_string(std::min(s.config.integer("sim.max.events"), options_.max_events)));
    s.config.set("sim.max.wall.ms", std::to_string(std::min(s.config.integer("sim.max.wall.ms"), options_.max_wall_ms)));
    id = next_id_++;
    const std::string dir = run_dir(id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fmt::format("cannot create {}: {}", dir, ec.message());
    if (fs::absolute(path).lexically_normal() != fs::absolute(dir + "/scenario.yaml").lexically_normal())
      if (std::string why = reports::write_file(dir + "/scenario.yaml", read_text(path)); !why.empty()) return why;
    RunOptions o;
    o.history_path = dir + "/history.jsonl";
    o.record_messages = true;
    o.failures_dir = options_.dir + "/failures";
    RunReport r = run_scenario(s, o);
    if (!r.failure.empty())
      return fmt::format("the simulator failed: {}{}", r.failure, r.saved_replay.empty() ? "" : "; saved for replay in " + r.saved_replay);
    if (!r.output_error.empty()) return r.output_error;
    if (std::string why = reports::write_html_report(dir, s, r.result, r.lines); !why.empty()) return why;
    meta.name = s.name;
    runs_[id] = meta;
    return "";
  }

  void run_entry(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    page_headers(res);
    const std::string which = req.has_param("scenario") ? req.get_param_value("scenario") : "";
    std::size_t k = entries_.size();
    if (digits(which)) k = std::stoul(which);
    if (k >= entries_.size() || !entries_[k].problem.empty()) {
      res.status = 400;
      res.set_content("no such scenario", "text/plain");
      return;
    }
    int id = -1;
    bool bad = false;
    const std::string why = execute(entries_[k].file, Run{}, id, bad);
    if (!why.empty()) {
      res.status = bad ? 400 : 500;
      res.set_content(fmt::format("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>{}</style></head><body><main>"
                                  "<p>It did not run:</p><div class=\"bad\">{}</div></main></body></html>",
                                  kPageStyle, reports::html_escape(why)),
                      "text/html; charset=utf-8");
      return;
    }
    res.set_redirect(fmt::format("/runs/{}/index.html", id), 303);
  }

  void file(const httplib::Request& req, httplib::Response& res) {
    const int id = std::stoi(req.matches[1].str().substr(0, 8));
    const std::string name = req.matches[2].str();
    std::lock_guard lock(mutex_);
    if (!runs_.count(id)) { res.status = 404; return; }
    const std::string path = run_dir(id) + "/" + name;
    if (!fs::exists(path)) { res.status = 404; return; }
    page_headers(res);
    const std::string type = name == "index.html" ? "text/html; charset=utf-8" : name.ends_with(".yaml") ? "application/yaml" : "application/json";
    if (name.ends_with(".yaml"))
      res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}.yaml\"", reports::path_component(runs_[id].name)));
    res.set_content(read_text(path), type);
  }

  // The fork: the base run's scenario with its events scheduled after `t` dropped (its `when:` triggers
  // kept: they fire on what happens), one event added at `t`, the same seed; written into the new run's
  // folder and run from there, so a mistake is reported at its line and column in that file.
  void fork(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    res.set_header("X-Content-Type-Options", "nosniff");
    auto answer = [&](int status, nlohmann::json body) { res.status = status; res.set_content(body.dump(), "application/json"); };
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0)
      return answer(415, {{"error", "a fork is sent as application/json"}});
    const nlohmann::json in = nlohmann::json::parse(req.body, nullptr, false);
    if (!in.is_object() || !in.contains("run") || !in["run"].is_number_integer() || !in.contains("t") || !in["t"].is_number() ||
        !in.contains("action") || !in["action"].is_string())
      return answer(400, {{"error", "a fork is {run: N, t: seconds, action: NAME, target: ..., for: ..., value: ...}"}});
    const int base = in["run"].get<int>();
    if (!runs_.count(base)) return answer(404, {{"error", fmt::format("no run {}", base)}});
    const double t_s = in["t"].get<double>();
    if (!(t_s >= 0) || t_s > 1e7) return answer(400, {{"error", "t: a time in seconds, from 0"}});
    const Micros t = static_cast<Micros>(t_s * kMicrosPerSecond + 0.5);
    const std::string action = in["action"].get<std::string>();
    static const std::vector<std::string> actions = {"crash", "power-loss", "pause", "restart", "shutdown", "isolate", "expire-session", "produce", "variant"};
    if (std::find(actions.begin(), actions.end(), action) == actions.end())
      return answer(400, {{"error", fmt::format("action: one of crash, power-loss, pause, restart, shutdown, isolate, expire-session, produce, variant")}});
    auto text = [&](const char* key) { return in.contains(key) && in[key].is_string() ? in[key].get<std::string>() : std::string(); };
    const std::string target = text("target"), for_text = text("for"), value = text("value"), partition = text("partition");
    if (target.empty()) return answer(400, {{"error", "target: the node (or, for produce, the producer) to act on"}});
    if (target.size() > 200 || for_text.size() > 40 || value.size() > 200 || partition.size() > 40)
      return answer(400, {{"error", "a field of the fork is too long"}});
    if (!plain_text(target) || !plain_text(for_text) || !plain_text(value) || !plain_text(partition) || !plain_text(text("design")))
      return answer(400, {{"error", "a field of the fork holds a control character"}});

    YAML::Node doc;
    try {
      doc = YAML::Load(read_text(run_dir(base) + "/scenario.yaml"));
    } catch (const YAML::Exception& e) {
      return answer(500, {{"error", fmt::format("the base scenario cannot be read again: {}", e.what())}});
    }
    std::string words;
    if (action == "variant") {
      // A lesson's question: the same scenario, every event kept, under another design or configs.
      const std::string design = text("design");
      if (design.size() > 200) return answer(400, {{"error", "design: too long"}});
      if (!design.empty()) { doc["design"] = design; words = "under design " + design; }
      if (in.contains("config") && in["config"].is_object() && !in["config"].empty()) {
        if (in["config"].size() > 20) return answer(400, {{"error", "config: too many"}});
        std::vector<std::string> parts;
        for (const auto& [k, v] : in["config"].items()) {
          if (!v.is_string() || k.size() > 100 || v.get<std::string>().size() > 100 || !plain_text(k) || !plain_text(v.get<std::string>()))
            return answer(400, {{"error", "config: names and values as text"}});
          doc["config"][k] = v.get<std::string>();
          parts.push_back(k + ": " + v.get<std::string>());
        }
        words += (words.empty() ? "with " : ", with ") + fmt::format("{}", fmt::join(parts, ", "));
      }
      if (words.empty()) return answer(400, {{"error", "a variant names a design or configs"}});
    }
    YAML::Node kept(YAML::NodeType::Sequence);
    if (action != "variant" && doc["events"] && doc["events"].IsSequence())
      for (const auto& e : doc["events"]) {
        if (e.IsMap() && e["at"] && e["at"].IsScalar()) {
          std::string error;
          const auto at = parse_duration(e["at"].Scalar(), error);
          if (at && *at > t) continue;
        }
        kept.push_back(e);
      }
    YAML::Node added(YAML::NodeType::Map);
    added["at"] = format_duration(t);
    if (action == "variant") {
    } else if (action == "produce") {
      YAML::Node p(YAML::NodeType::Map);
      p["producer"] = target;
      p["partition"] = partition.empty() ? std::string("0") : partition;
      p["value"] = value.empty() ? std::string("forked") : value;
      added["produce"] = p;
      words = fmt::format("{} sends {} to partition {}", target, value.empty() ? "forked" : value, partition.empty() ? "0" : partition);
    } else {
      added[action] = target;
      words = fmt::format("{} {}", action, target);
    }
    if (!for_text.empty() && action != "produce" && action != "restart" && action != "variant") {
      added["for"] = for_text;
      words += " for " + for_text;
    }
    if (action != "variant") {  // a variant keeps its events as they are
      kept.push_back(added);
      doc["events"] = kept;
    }
    const std::string base_name = runs_[base].name;
    // A fork of a fork says what it adds to the first one's summary, not to a growing chain of them.
    std::string base_summary = doc["summary"] && doc["summary"].IsScalar() ? doc["summary"].as<std::string>() : base_name;
    if (const auto at = base_summary.find(", forked at "); at != std::string::npos) base_summary.resize(at);
    doc["name"] = base_name.ends_with("-fork") ? base_name : base_name + "-fork";
    doc["summary"] = action == "variant" ? fmt::format("{}, forked at 0 s: {}", base_summary, words)
                                         : fmt::format("{}, forked at {} s: {}", base_summary, format_seconds(t), words);
    // A fork's expectations are those of another schedule: it is run to see what happens.
    doc.remove("expect");
    YAML::Emitter out;
    out << doc;
    const std::string yaml = fmt::format("# forked by kafkasim serve from run {} ({}) at {} s: {}\n# replay it with: kafkasim run THIS_FILE\n{}\n",
                                         base, base_name, format_seconds(t), words, out.c_str());
    const int id = next_id_;
    const std::string dir = run_dir(id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (std::string why = reports::write_file(dir + "/scenario.yaml", yaml); !why.empty()) return answer(500, {{"error", why}});
    int ran = -1;
    bool bad = false;
    Run meta;
    meta.parent = base;
    meta.forked = words;
    meta.fork_t = to_seconds(t);
    const std::string why = execute(dir + "/scenario.yaml", meta, ran, bad);
    if (!why.empty()) {
      if (!bad) return answer(500, {{"error", why}});
      // Nothing ran, so the run number is used again; the file the error names is kept, under rejected/.
      std::string kept_as;
      do kept_as = fmt::format("{}/rejected/fork-{}.yaml", options_.dir, ++rejected_);
      while (fs::exists(kept_as, ec) && rejected_ < 100000);
      fs::create_directories(options_.dir + "/rejected", ec);
      fs::rename(dir + "/scenario.yaml", kept_as, ec);
      std::string error = why;
      for (std::size_t at; !ec && (at = error.find(dir + "/scenario.yaml")) != std::string::npos;)
        error.replace(at, dir.size() + 14, kept_as);
      fs::remove_all(dir, ec);
      return answer(400, {{"error", error}});
    }
    answer(200, {{"run", ran}, {"report", fmt::format("/runs/{}/index.html", ran)}, {"scenario", fmt::format("/runs/{}/scenario.yaml", ran)},
                 {"compare", fmt::format("/compare?a={}&b={}", base, ran)}});
  }

  void compare(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    page_headers(res);
    auto id = [&](const char* key) {
      const std::string v = req.has_param(key) ? req.get_param_value(key) : "";
      return digits(v) ? std::stoi(v) : -1;
    };
    const int a = id("a"), b = id("b");
    if (!runs_.count(a) || !runs_.count(b)) { res.status = 404; res.set_content("no such runs", "text/plain"); return; }
    // Where they part: the first event (messages aside) that differs.
    const auto ha = history_without_messages(run_dir(a) + "/history.jsonl"), hb = history_without_messages(run_dir(b) + "/history.jsonl");
    std::size_t k = 0;
    while (k < ha.size() && k < hb.size() && ha[k] == hb[k]) ++k;
    double part_t = 0;
    std::string part;
    if (k == ha.size() && k == hb.size()) part = "The two runs have the same history.";
    else {
      part_t = std::min(k < ha.size() ? ha[k]["t"].get<double>() : 1e18, k < hb.size() ? hb[k]["t"].get<double>() : 1e18);
      part = fmt::format("They part at {:.6f} s, after {} events in common.\nrun {}: {}\nrun {}: {}", part_t, k, a,
                         k < ha.size() ? ha[k].dump() : "(ends)", b, k < hb.size() ? hb[k].dump() : "(ends)");
    }
    const Run& rb = runs_[b];
    const std::string title = rb.parent == a ? fmt::format("run {} and its fork, run {}: {} at {:.6g} s", a, b, rb.forked, rb.fork_t)
                                             : fmt::format("run {} beside run {}", a, b);
    res.set_content(
        fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kafkasim: {0}</title><style>{1}</style></head>"
                    "<body data-part-index=\"{2}\" data-part-t=\"{3:.6f}\"><header><h1>{0}</h1><p><a href=\"/\">all scenarios</a> · "
                    "<a id=\"download\" href=\"/runs/{5}/scenario.yaml\" download>the fork as a scenario file</a> (kafkasim run replays it)</p>"
                    "<div class=\"part\" id=\"part\">{4}</div></header>"
                    "<div class=\"pair\"><iframe id=\"left\" title=\"run {6}\" src=\"/runs/{6}/index.html#t={3:.6f}\"></iframe>"
                    "<iframe id=\"right\" title=\"run {5}\" src=\"/runs/{5}/index.html#t={3:.6f}\"></iframe></div>"
                    "<script>'use strict';\n"
                    "// Each report says where its cursor is; the other is moved to the same time.\n"
                    "const frames = [document.getElementById('left'), document.getElementById('right')];\n"
                    "window.addEventListener('message', ev => {{\n"
                    "  if (!ev.data || ev.data.kafkasim !== 'cursor') return;\n"
                    "  for (const f of frames) if (f.contentWindow !== ev.source) f.contentWindow.postMessage({{kafkasim: 'seek', t: ev.data.t}}, '*');\n"
                    "}});\n</script></body></html>\n",
                    reports::html_escape(title), kPageStyle, k, part_t, reports::html_escape(part), b, a),
        "text/html; charset=utf-8");
  }

  const ServeOptions& options_;
  std::vector<Entry> entries_;
  std::map<int, Run> runs_;
  int next_id_ = 1;
  int rejected_ = 0;  // forks refused as bad input, kept as DIR/rejected/fork-N.yaml
  int port_ = 0;
  std::mutex mutex_;  // one run at a time (each in a forked child), and the run table
};

}  // namespace

int command_serve(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  for (const auto& p : options.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // The folder's scenario files and those of its lessons/ sub-folder (the bundled guided path), in name
      // order; the lessons are put first, by step, once parsed.
      std::vector<std::string> found;
      for (const fs::path& folder : {fs::path(p), fs::path(p) / "lessons"}) {
        std::error_code walk;
        for (const auto& f : fs::directory_iterator(folder, walk))
          if (f.is_regular_file(walk) && (f.path().extension() == ".yaml" || f.path().extension() == ".yml")) found.push_back(f.path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      err << fmt::format("kafkasim serve: {}: no such file or folder\n", p);
      return kExitBadInput;
    }
  }
  if (files.empty()) {
    err << "kafkasim serve: no scenario files found (name a folder of .yaml files, or files)\n";
    return kExitBadInput;
  }
  std::vector<Entry> entries;
  for (const auto& f : files) {
    Entry e;
    e.file = f;
    e.name = fs::path(f).stem().string();
    try {
      const Scenario s = parse_scenario_file(f);
      e.name = s.name;
      e.summary = s.summary;
      if (s.lesson) e.step = s.lesson->step;
    } catch (const InputError& x) {
      e.problem = x.what();
      err << x.what() << '\n';
    }
    entries.push_back(std::move(e));
  }
  // The guided path first, by step; then the rest as found.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return (x.step > 0) != (y.step > 0) ? x.step > 0 : x.step < y.step;
  });
  std::error_code ec;
  fs::create_directories(options.dir + "/runs", ec);
  if (ec) {
    err << fmt::format("kafkasim serve: --dir {}: cannot create it: {}\n", options.dir, ec.message());
    return kExitBadInput;
  }
  Classroom room(options, std::move(entries));
  httplib::Server server;
  // One worker: runs are forked children, one at a time; a fork of a process with many threads is not safe.
  server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  server.set_payload_max_length(64 * 1024);
  server.set_read_timeout(30, 0);
  server.set_keep_alive_max_count(1);  // one worker: an idle keep-alive connection must not hold it
  room.routes(server);
  int port = options.port;
  if (port == 0) port = server.bind_to_any_port(options.host);
  else if (!server.bind_to_port(options.host, port)) port = -1;
  if (port <= 0) {
    err << fmt::format("kafkasim serve: cannot listen on {}:{} (in use, or not an address of this machine)\n", options.host, options.port);
    return kExitBadInput;
  }
  room.set_port(port);
  out << fmt::format("kafkasim serve: http://{}:{}/ ({} scenarios; runs are written in {}; Ctrl-C stops it)\n", options.host, port,
                     files.size(), options.dir)
      << std::flush;
  server.listen_after_bind();
  return 0;
}

}  // namespace kafkasim::cli

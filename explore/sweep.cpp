// `kafkasim sweep`: the Slurm array job and the Kubernetes Indexed Job of an explore sweep, generated
// from one description of a shard's task (explore/sweep.h).
#include "explore/sweep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/output_files.h"

namespace kafkasim::explore {
namespace {

// One word for sh: single-quoted unless it is plainly safe.
std::string sh_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:+@%") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurm_duration(double seconds) {
  auto s = static_cast<std::int64_t>(std::ceil(seconds));
  return fmt::format("{}-{:02}:{:02}:{:02}", s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
}

// Where the base is read from inside a task.
std::string base_path_in_task(const SweepOptions& o) {
  if (o.base_file.empty()) return "";
  return o.engine == SweepOptions::Engine::kubernetes ? "/etc/kafkasim/base.yaml" : o.base_file;
}

std::string budget_text(const SweepOptions& o) {
  return o.runs ? fmt::format("{} runs per shard", *o.runs) : fmt::format("{} per shard", *o.time);
}

// Array indices as Slurm writes them: 0-3, or 2,5,7.
std::string slurm_array(const SweepOptions& o) {
  if (o.only.empty()) return fmt::format("0-{}", o.shards - 1);
  return fmt::format("{}", fmt::join(o.only, ","));
}

}  // namespace

std::vector<int> sweep_shards(const SweepOptions& o) {
  if (!o.only.empty()) return o.only;
  std::vector<int> all;
  for (int i = 0; i < o.shards; ++i) all.push_back(i);
  return all;
}

std::string sweep_task_script(const SweepOptions& o, const std::string& index_variable) {
  std::string explore = sh_quote(o.kafkasim) + " explore";
  if (const auto base = base_path_in_task(o); !base.empty()) explore += " " + sh_quote(base);
  if (o.design) explore += " --design " + sh_quote(*o.design);
  if (o.faults) explore += " --faults " + sh_quote(*o.faults);
  explore += fmt::format(" --seed {}", o.seed);
  explore += o.runs ? fmt::format(" --runs {}", *o.runs) : " --time " + sh_quote(*o.time);
  explore += fmt::format(" --strategy {} --jobs {}", sh_quote(o.strategy), o.jobs);
  explore += fmt::format(" --shard \"${}/{}\" --no-progress --out \"$out\" $mode", index_variable, o.shards);
  // A run budget names its seeds exactly, so an interrupted shard is run again from the start (the same
  // seeds, the same findings); a time budget names none, so it is continued.
  const std::string interrupted_mode = o.runs ? "--force" : "--resume";
  std::string s;
  s += fmt::format("results={}\n", sh_quote(o.results_dir));
  s += fmt::format("out=\"$results/shard-${}\"\n", index_variable);
  s += "mkdir -p \"$results\"\n";
  s += "mode=--force\n";
  s += "if [ -f \"$out/summary.json\" ]; then\n";
  s += "  if grep -q '\"interrupted\":' \"$out/summary.json\"; then\n";
  s += fmt::format("    mode={}\n", interrupted_mode);
  s += fmt::format("    echo \"shard ${}/{}: $out was interrupted; running it again ($mode)\"\n", index_variable, o.shards);
  s += "  else\n";
  s += fmt::format("    echo \"shard ${}/{}: $out is complete; nothing to do\"\n", index_variable, o.shards);
  s += "    exit 0\n";
  s += "  fi\n";
  s += "fi\n";
  s += explore + "\n";
  s += "code=$?\n";
  s += "# 0: nothing found; 1: a violation found and written (a result, not a failure). 2: bad flags or base,\n";
  s += "# 3: a simulator failure (saved for replay), 4: an output error, 128+n: killed by signal n.\n";
  s += "case $code in\n";
  s += "  0|1) exit 0 ;;\n";
  s += "  *) echo \"kafkasim explore exited $code\" >&2; exit $code ;;\n";
  s += "esac\n";
  return s;
}

namespace {

std::string header(const SweepOptions& o, const std::string& engine, const std::string& submit, const std::string& merge) {
  std::string h;
  h += fmt::format("# A kafkasim explore sweep as a {}, written by `kafkasim sweep`", engine);
  h += o.command_line.empty() ? ".\n" : fmt::format(":\n#   {}\n", o.command_line);
  h += fmt::format("# {} shards{}; design {}; {}; seed {}: run k of shard I uses seed {} + I + k*{}.\n", o.shards,
                   o.only.empty() ? "" : fmt::format(" (this file runs only {})", fmt::join(o.only, ", ")),
                   o.design.value_or("the base's"), budget_text(o), o.seed, o.seed, o.shards);
  h += "# A shard whose summary.json is complete is skipped, an interrupted one is run again, so submitting\n";
  h += "# the file again (or with `kafkasim sweep --only I,...`) completes a sweep. Exit 1 of explore (a\n";
  h += "# finding) counts as success; 2, 3, 4 and signals fail the task. See docs/explore.md.\n";
  h += fmt::format("# Submit: {}\n# Then:   {}\n", submit, merge);
  return h;
}

std::string merge_command(const SweepOptions& o) {
  return fmt::format("kafkasim merge {}/shard-* --out {}/merged --check", o.results_dir, o.results_dir);
}

}  // namespace

std::string slurm_job_file(const SweepOptions& o) {
  const double limit_s = o.task_limit_s.value_or(o.runs ? 2 * 3600.0 : 2 * o.time_s + 600);
  std::string f = "#!/bin/sh\n";
  f += header(o, "Slurm array job (array task I is shard I)", "sbatch FILE", merge_command(o));
  f += fmt::format("#SBATCH --job-name={}\n", o.name);
  f += fmt::format("#SBATCH --array={}\n", slurm_array(o));
  f += fmt::format("#SBATCH --cpus-per-task={}\n", o.jobs);
  f += fmt::format("#SBATCH --time={}\n", slurm_duration(limit_s));
  f += fmt::format("#SBATCH --output={}/slurm-%A_%a.out\n", o.results_dir);
  f += "set -u\n";
  f += "# The shard is the array index; the shard count is fixed here, never SLURM_ARRAY_TASK_COUNT (1 when a\n";
  f += "# single index is resubmitted).\n";
  f += "shard=\"${SLURM_ARRAY_TASK_ID:?this is a Slurm array job: submit it with sbatch}\"\n";
  f += sweep_task_script(o, "shard");
  return f;
}

std::string kubernetes_job_file(const SweepOptions& o) {
  const std::vector<int> shards = sweep_shards(o);
  std::string script = "set -u\n";
  if (o.only.empty()) {
    script += "shard=\"${JOB_COMPLETION_INDEX:?this runs as a pod of an Indexed Job}\"\n";
  } else {
    // Completion index i runs the i-th shard of the list.
    script += fmt::format("set -- {}\n", fmt::join(shards, " "));
    script += "shift \"${JOB_COMPLETION_INDEX:?this runs as a pod of an Indexed Job}\"\n";
    script += "shard=\"$1\"\n";
  }
  script += sweep_task_script(o, "shard");

  YAML::Emitter y;
  y.SetIndent(2);
  const bool has_base = !o.base_file.empty();
  if (has_base) {
    y << YAML::BeginDoc << YAML::BeginMap;
    y << YAML::Key << "apiVersion" << YAML::Value << "v1";
    y << YAML::Key << "kind" << YAML::Value << "ConfigMap";
    y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << o.name + "-base"
      << YAML::EndMap;
    y << YAML::Key << "data" << YAML::Value << YAML::BeginMap << YAML::Key << "base.yaml" << YAML::Value << YAML::Literal
      << o.base_text << YAML::EndMap;
    y << YAML::EndMap;
  }
  y << YAML::BeginDoc << YAML::BeginMap;
  y << YAML::Key << "apiVersion" << YAML::Value << "batch/v1";
  y << YAML::Key << "kind" << YAML::Value << "Job";
  y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << o.name << YAML::EndMap;
  y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "completionMode" << YAML::Value << "Indexed";
  y << YAML::Key << "completions" << YAML::Value << shards.size();
  y << YAML::Key << "parallelism" << YAML::Value << shards.size();
  y << YAML::Key << "backoffLimit" << YAML::Value << shards.size();
  // Bad flags or a bad base (exit 2) fail every shard alike: stop the Job. A pod evicted or preempted is
  // retried without counting against the backoff limit.
  y << YAML::Key << "podFailurePolicy" << YAML::Value << YAML::BeginMap << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  y << YAML::BeginMap << YAML::Key << "action" << YAML::Value << "FailJob" << YAML::Key << "onExitCodes" << YAML::Value
    << YAML::BeginMap << YAML::Key << "containerName" << YAML::Value << "explore" << YAML::Key << "operator" << YAML::Value
    << "In" << YAML::Key << "values" << YAML::Value << YAML::Flow << YAML::BeginSeq << 2 << YAML::EndSeq << YAML::EndMap
    << YAML::EndMap;
  y << YAML::BeginMap << YAML::Key << "action" << YAML::Value << "Ignore" << YAML::Key << "onPodConditions" << YAML::Value
    << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "type" << YAML::Value << "DisruptionTarget" << YAML::EndMap
    << YAML::EndSeq << YAML::EndMap;
  y << YAML::EndSeq << YAML::EndMap;
  y << YAML::Key << "template" << YAML::Value << YAML::BeginMap << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "restartPolicy" << YAML::Value << "Never";
  y << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << "explore";
  y << YAML::Key << "image" << YAML::Value << o.image;
  y << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  y << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq << "/bin/sh" << "-c" << YAML::EndSeq;
  y << YAML::Key << "args" << YAML::Value << YAML::BeginSeq << YAML::Literal << script << YAML::EndSeq;
  y << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "requests" << YAML::Value << YAML::BeginMap << YAML::Key << "cpu" << YAML::Value << std::to_string(o.jobs)
    << YAML::Key << "memory" << YAML::Value << "2Gi" << YAML::EndMap;
  y << YAML::Key << "limits" << YAML::Value << YAML::BeginMap << YAML::Key << "cpu" << YAML::Value << std::to_string(o.jobs)
    << YAML::Key << "memory" << YAML::Value << "4Gi" << YAML::EndMap;
  y << YAML::EndMap;
  y << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
  y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "results" << YAML::Key << "mountPath" << YAML::Value
    << o.results_dir << YAML::EndMap;
  if (has_base)
    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "base" << YAML::Key << "mountPath" << YAML::Value
      << "/etc/kafkasim" << YAML::Key << "readOnly" << YAML::Value << true << YAML::EndMap;
  y << YAML::EndSeq;
  y << YAML::EndMap << YAML::EndSeq;  // the container, the containers
  y << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "results" << YAML::Key << "persistentVolumeClaim" << YAML::Value
    << YAML::BeginMap << YAML::Key << "claimName" << YAML::Value << "kafkasim-results" << YAML::EndMap << YAML::EndMap;
  if (has_base)
    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "base" << YAML::Key << "configMap" << YAML::Value
      << YAML::BeginMap << YAML::Key << "name" << YAML::Value << o.name + "-base" << YAML::EndMap << YAML::EndMap;
  y << YAML::EndSeq;
  y << YAML::EndMap << YAML::EndMap;  // template.spec, template
  y << YAML::EndMap << YAML::EndMap;  // spec, the Job
  std::string f = header(o, "Kubernetes Indexed Job (completion index I is shard I)",
                         "kubectl apply -f FILE  (the pods share the ReadWriteMany claim kafkasim-results)", merge_command(o));
  f += "# Image: deploy/Dockerfile.\n";
  f += y.c_str();
  f += "\n";
  return f;
}

int command_sweep(const SweepOptions& o, const std::string& out_file, std::ostream& out, std::ostream& err) {
  const bool slurm = o.engine == SweepOptions::Engine::slurm;
  const std::string text = slurm ? slurm_job_file(o) : kubernetes_job_file(o);
  if (slurm) {
    // Slurm opens each task's --output before the task starts and does not create its folder.
    std::error_code ec;
    std::filesystem::create_directories(o.results_dir, ec);
    if (ec) {
      err << fmt::format("kafkasim sweep: output error: cannot create {}: {}\n", o.results_dir, ec.message());
      return reports::kExitOutputError;
    }
  }
  if (out_file == "-") {
    out << text;
    return 0;
  }
  if (const std::string why = reports::write_file(out_file, text); !why.empty()) {
    err << "kafkasim sweep: output error: " << why << '\n';
    return reports::kExitOutputError;
  }
  const auto shards = sweep_shards(o);
  out << fmt::format("wrote {}: {} {} of {} ({}), results in {}\n", out_file, shards.size(), shards.size() == 1 ? "shard" : "shards",
                     o.shards, budget_text(o), o.results_dir);
  out << fmt::format("submit: {} {}\n", slurm ? "sbatch" : "kubectl apply -f", out_file);
  out << fmt::format("then:   {}\n", merge_command(o));
  return 0;
}

}  // namespace kafkasim::explore

// `kafkasim sweep`: writes the job file that runs an explore sweep of N shards on a cluster engine
// (a Slurm array job, a Kubernetes Indexed Job), both from one description of a shard's task, so the
// shard arithmetic, the resubmission rule and the exit-code mapping have one source.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kafkasim::explore {

struct SweepOptions {
  enum class Engine { slurm, kubernetes };
  Engine engine = Engine::slurm;
  std::string base_file;                  // empty: explore's built-in base
  std::string base_text;                  // the base file's text (Kubernetes carries it in a ConfigMap)
  std::optional<std::string> design;      // passed to explore as given
  std::optional<std::string> faults;      // comma-separated, as explore takes them
  std::uint64_t seed = 1;
  std::optional<std::int64_t> runs;       // per shard (exactly one of runs and time)
  std::optional<std::string> time;        // per shard, explore's duration syntax ("30m")
  double time_s = 0;                      // `time` in seconds
  int shards = 0;                         // N
  int jobs = 2;                           // explore --jobs, and the CPUs a task asks for
  std::string strategy = "guided";
  std::string results_dir;                // where shard-I/ folders go (Slurm: absolute; Kubernetes: in the pod)
  std::string kafkasim = "kafkasim";      // the binary (Slurm: a path on the nodes)
  std::string image = "kafkasim:latest";  // Kubernetes
  std::vector<int> only;                  // the shards to (re)submit; empty: all N
  std::optional<double> task_limit_s;     // Slurm --time; default from the budget
  std::string name = "kafkasim-explore";  // job name
  std::string command_line;               // recorded in the file's header
};

// The shards a job file runs: `only`, or 0..N-1.
std::vector<int> sweep_shards(const SweepOptions& options);

// The POSIX sh body of one shard's task, reading the shard index from `$index_variable`: it skips a
// shard whose summary.json is complete, continues an interrupted one (--resume with a time budget;
// from scratch with a run budget, the same seeds again), and maps explore's exit 1 (a finding,
// written) to 0 so the engine does not retry a shard that did its job; 2, 3, 4 and signals fail it.
std::string sweep_task_script(const SweepOptions& options, const std::string& index_variable);

std::string slurm_job_file(const SweepOptions& options);
std::string kubernetes_job_file(const SweepOptions& options);

// Writes the job file to `out_file` ("-": `out`) and says how to submit and merge it.
int command_sweep(const SweepOptions& options, const std::string& out_file, std::ostream& out, std::ostream& err);

}  // namespace kafkasim::explore

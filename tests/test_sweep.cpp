// Tests of `kafkasim sweep`: the Slurm and Kubernetes job files it writes, the shard task both run (run
// here with sh, against the real kafkasim and a stand-in that records its flags and exits as told), and
// the checked-in examples in deploy/ being exactly what the generator writes.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "explore/sweep.h"

namespace kafkasim {
namespace {

using explore::SweepOptions;
using json = nlohmann::json;

struct Result {
  int code;
  std::string out;
};

Result shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fresh(const std::string& name) {
  const std::string dir = testing::TempDir() + "/sweep-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A stand-in for kafkasim: records its arguments, exits with $FAKE_CODE.
std::string fake_kafkasim(const std::string& dir) {
  const std::string path = dir + "/fake-kafkasim";
  std::ofstream(path) << "#!/bin/sh\necho \"$@\" >> " << dir << "/calls\nexit ${FAKE_CODE:-0}\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

SweepOptions options(const std::string& dir) {
  SweepOptions o;
  o.design = "kafka-0.10";
  o.faults = "crash,pause";
  o.seed = 7;
  o.runs = 3;
  o.shards = 4;
  o.jobs = 1;
  o.strategy = "random";
  o.results_dir = dir + "/results";
  o.kafkasim = KAFKASIM_BINARY;
  return o;
}

TEST(Sweep, TheSlurmTaskRunsItsShardSkipsItWhenCompleteAndRunsItAgainWhenInterrupted) {
  const std::string dir = fresh("slurm-task");
  const SweepOptions o = options(dir);
  const std::string job = dir + "/job.sbatch";
  std::ofstream(job) << explore::slurm_job_file(o);
  const std::string text = read(job);
  EXPECT_NE(text.find("#SBATCH --array=0-3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --cpus-per-task=1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --output=" + o.results_dir + "/slurm-%A_%a.out\n"), std::string::npos) << text;

  // Array task 2 of the real kafkasim: shard 2/4, seeds 7+2+4k.
  auto first = shell("SLURM_ARRAY_TASK_ID=2 sh " + job);
  ASSERT_EQ(first.code, 0) << first.out;
  const json summary = json::parse(read(o.results_dir + "/shard-2/summary.json"));
  EXPECT_EQ(summary["shard"], "2/4");
  EXPECT_EQ(summary["runs"], 3);
  EXPECT_EQ(summary["seed"], 7);
  EXPECT_EQ(summary["strategy"], "random");
  // Submitted again: the shard is complete, nothing runs.
  auto again = shell("SLURM_ARRAY_TASK_ID=2 sh " + job);
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("is complete; nothing to do"), std::string::npos) << again.out;
  // Interrupted: a run budget names its seeds, so the shard runs again from the start.
  json cut = summary;
  cut["interrupted"] = "SIGTERM";
  cut["runs"] = 1;
  std::ofstream(o.results_dir + "/shard-2/summary.json") << cut.dump(2);
  auto rerun = shell("SLURM_ARRAY_TASK_ID=2 sh " + job);
  ASSERT_EQ(rerun.code, 0) << rerun.out;
  EXPECT_NE(rerun.out.find("was interrupted; running it again (--force)"), std::string::npos) << rerun.out;
  const json redone = json::parse(read(o.results_dir + "/shard-2/summary.json"));
  EXPECT_EQ(redone["runs"], 3);
  EXPECT_FALSE(redone.contains("interrupted"));
  // Not under Slurm: said, not run.
  auto outside = shell("sh " + job);
  EXPECT_NE(outside.code, 0);
  EXPECT_NE(outside.out.find("submit it with sbatch"), std::string::npos) << outside.out;
}

TEST(Sweep, ExitOneIsAResultAndEveryOtherCodeFailsTheTask) {
  const std::string dir = fresh("exit-codes");
  SweepOptions o = options(dir);
  o.kafkasim = fake_kafkasim(dir);
  o.runs.reset();
  o.time = "10m";
  o.time_s = 600;
  const std::string job = dir + "/job.sbatch";
  std::ofstream(job) << explore::slurm_job_file(o);
  for (auto [code, task] : {std::pair{0, 0}, {1, 0}, {2, 2}, {3, 3}, {4, 4}, {143, 143}})
    EXPECT_EQ(shell("FAKE_CODE=" + std::to_string(code) + " SLURM_ARRAY_TASK_ID=1 sh " + job).code, task) << code;
  // The flags explore gets: the shard of N (never the array's task count), the budget, the strategy.
  const std::string calls = read(dir + "/calls");
  EXPECT_NE(calls.find("explore --design kafka-0.10 --faults crash,pause --seed 7 --time 10m --strategy random --jobs 1 "
                       "--shard 1/4 --no-progress --out " + o.results_dir + "/shard-1 --force"),
            std::string::npos)
      << calls;
  // A time budget names no seeds: an interrupted shard is continued.
  std::filesystem::create_directories(o.results_dir + "/shard-1");
  std::ofstream(o.results_dir + "/shard-1/summary.json") << R"({"runs": 5, "interrupted": "SIGTERM"})";
  EXPECT_EQ(shell("SLURM_ARRAY_TASK_ID=1 sh " + job).code, 0);
  EXPECT_NE(read(dir + "/calls").find("--shard 1/4 --no-progress --out " + o.results_dir + "/shard-1 --resume"),
            std::string::npos);
}

TEST(Sweep, TheKubernetesJobIsAnIndexedJobOfTheSameTaskWithTheBaseInAConfigMap) {
  const std::string dir = fresh("kubernetes");
  SweepOptions o = options(dir);
  o.engine = SweepOptions::Engine::kubernetes;
  o.results_dir = "/results";
  o.kafkasim = "kafkasim";
  o.base_file = "bases/three.yaml";
  o.base_text = "# a base\ncluster:\n  brokers: 3\n";
  o.shards = 8;
  const std::vector<YAML::Node> docs = YAML::LoadAll(explore::kubernetes_job_file(o));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["kind"].as<std::string>(), "ConfigMap");
  EXPECT_EQ(docs[0]["data"]["base.yaml"].as<std::string>(), o.base_text);
  const YAML::Node job = docs[1];
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  const YAML::Node spec = job["spec"];
  EXPECT_EQ(spec["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(spec["completions"].as<int>(), 8);
  EXPECT_EQ(spec["parallelism"].as<int>(), 8);
  // Exit 2 (bad flags) stops the Job; podFailurePolicy needs restartPolicy Never.
  EXPECT_EQ(spec["podFailurePolicy"]["rules"][0]["action"].as<std::string>(), "FailJob");
  EXPECT_EQ(spec["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"][0].as<int>(), 2);
  EXPECT_EQ(spec["podFailurePolicy"]["rules"][0]["onExitCodes"]["containerName"].as<std::string>(), "explore");
  const YAML::Node pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "Never");
  const YAML::Node c = pod["containers"][0];
  EXPECT_EQ(c["name"].as<std::string>(), "explore");
  EXPECT_EQ(c["command"][0].as<std::string>(), "/bin/sh");
  const std::string script = c["args"][0].as<std::string>();
  // The same task as the Slurm job's, reading the completion index.
  EXPECT_NE(script.find(explore::sweep_task_script(o, "shard")), std::string::npos) << script;
  EXPECT_NE(script.find("JOB_COMPLETION_INDEX"), std::string::npos);
  EXPECT_NE(script.find("kafkasim explore /etc/kafkasim/base.yaml"), std::string::npos) << script;
  bool base_mounted = false, results_mounted = false;
  for (const auto& m : c["volumeMounts"]) {
    base_mounted |= m["name"].as<std::string>() == "base" && m["mountPath"].as<std::string>() == "/etc/kafkasim";
    results_mounted |= m["name"].as<std::string>() == "results" && m["mountPath"].as<std::string>() == "/results";
  }
  EXPECT_TRUE(base_mounted && results_mounted);
  EXPECT_EQ(pod["volumes"][1]["configMap"]["name"].as<std::string>(), docs[0]["metadata"]["name"].as<std::string>());

  // --only 2,5: two completions; index 1 runs shard 5 of 8.
  const std::string run_dir = fresh("kubernetes-only");
  o.only = {2, 5};
  o.kafkasim = fake_kafkasim(run_dir);
  o.results_dir = run_dir + "/results";
  const YAML::Node again = YAML::LoadAll(explore::kubernetes_job_file(o))[1];
  EXPECT_EQ(again["spec"]["completions"].as<int>(), 2);
  const std::string only_script = run_dir + "/task.sh";
  std::ofstream(only_script) << again["spec"]["template"]["spec"]["containers"][0]["args"][0].as<std::string>();
  ASSERT_EQ(shell("JOB_COMPLETION_INDEX=1 sh " + only_script).code, 0);
  EXPECT_NE(read(run_dir + "/calls").find("--shard 5/8 "), std::string::npos) << read(run_dir + "/calls");
}

TEST(Sweep, TheCommandChecksExploresFlagsBeforeWritingAnything) {
  const std::string dir = fresh("flags");
  auto run = [&](const std::string& args) {
    return shell("cd '" + dir + "' && '" + std::string(KAFKASIM_BINARY) + "' sweep " + args);
  };
  EXPECT_EQ(run("--slurm --runs 5 --shards 4 --faults crash,pwoer --out a.sbatch").code, 2);
  EXPECT_NE(run("--slurm --runs 5 --shards 4 --faults crash,pwoer").out.find("kafkasim sweep: --faults: unknown fault kind 'pwoer'"),
            std::string::npos);
  EXPECT_EQ(run("--slurm --kubernetes --runs 5 --shards 4").code, 2);
  EXPECT_EQ(run("--slurm --shards 4").code, 2);                      // no budget
  EXPECT_EQ(run("--slurm --runs 5 --shards 4 --only 4").code, 2);    // not a shard of 4
  EXPECT_EQ(run("--kubernetes --runs 5 --shards 4 --name Bad_Name").code, 2);
  EXPECT_EQ(run("--slurm --runs 5 --shards 4 --design kafka-9").code, 2);
  EXPECT_EQ(run("--slurm missing.yaml --runs 5 --shards 4").code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.sbatch"));
  auto ok = run("--slurm --design kafka-0.10 --runs 5 --shards 4 --only 3,1 --out b.sbatch");
  ASSERT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("submit: sbatch b.sbatch"), std::string::npos) << ok.out;
  EXPECT_NE(read(dir + "/b.sbatch").find("#SBATCH --array=1,3\n"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/results"));  // Slurm writes the task logs there
}

TEST(Sweep, TheExamplesInDeployAreWhatTheGeneratorWrites) {
  // deploy/regenerate.sh writes them with these flags.
  SweepOptions o;
  o.design = "kafka-0.10";
  o.time = "30m";
  o.time_s = 1800;
  o.shards = 16;
  o.results_dir = "/shared/kafkasim/results";
  o.kafkasim = "/shared/kafkasim/bin/kafkasim";
  o.command_line =
      "kafkasim sweep --slurm --design kafka-0.10 --time 30m --shards 16 --results /shared/kafkasim/results "
      "--kafkasim /shared/kafkasim/bin/kafkasim --out deploy/slurm/explore.sbatch";
  EXPECT_EQ(read(std::string(KAFKASIM_SOURCE_DIR) + "/deploy/slurm/explore.sbatch"), explore::slurm_job_file(o))
      << "run deploy/regenerate.sh";
  o.engine = SweepOptions::Engine::kubernetes;
  o.results_dir = "/results";
  o.kafkasim = "kafkasim";
  o.command_line = "kafkasim sweep --kubernetes --design kafka-0.10 --time 30m --shards 16 --out deploy/kubernetes/explore-job.yaml";
  EXPECT_EQ(read(std::string(KAFKASIM_SOURCE_DIR) + "/deploy/kubernetes/explore-job.yaml"), explore::kubernetes_job_file(o))
      << "run deploy/regenerate.sh";
}

}  // namespace
}  // namespace kafkasim

// The kafkasim binary as a user runs it: exit codes, FILE:LINE:COL errors, JSON, replay of failures.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

struct Result {
  int code;
  std::string out;
};

// Runs kafkasim with `args` in a scratch folder; stdout and stderr together.
Result kafkasim(const std::string& args, const std::string& cwd = testing::TempDir()) {
  std::string cmd = "cd '" + cwd + "' && NO_COLOR=1 '" + std::string(KAFKASIM_BINARY) + "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string write(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const std::string kSource = KAFKASIM_SOURCE_DIR;
const std::string kGood = "name: good\nsummary: s\nduration: 2s\nsettle: 1s\ncluster: {brokers: 2}\n"
                          "events:\n  - {at: 1s, pause: broker-1, for: 100ms}\n";

}  // namespace

TEST(Cli, CheckAcceptsTheBundledScenariosAndTheSpecExample) {
  auto r = kafkasim("check " + kSource + "/scenarios/*.yaml " + kSource + "/scenarios/lessons/*.yaml " + kSource + "/tests/data/kip101-example.yaml");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("kip101-hw-truncation"), std::string::npos);
}

TEST(Cli, BadScenarioExitsTwoWithFileLineColumn) {
  std::string f = write("bad.yaml", "name: x\nsummary: y\nduration: 10s\ncluster: {brokers: 3}\nconfig:\n  min.insync.replica: 2\n");
  auto r = kafkasim("check " + f);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, f + ":6:3: unknown config 'min.insync.replica' in config, did you mean 'min.insync.replicas'?\n");
  // run validates every file before running any
  auto run = kafkasim("run " + write("good.yaml", kGood) + " " + f);
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.out.find("verdict"), std::string::npos) << run.out;
}

TEST(Cli, EmptyFileAndDirectoryExitTwo) {
  EXPECT_EQ(kafkasim("check " + write("empty.yaml", "")).code, 2);
  auto dir = kafkasim("check " + kSource + "/scenarios");
  EXPECT_EQ(dir.code, 2);
  EXPECT_NE(dir.out.find("scenarios:1:1: is a directory"), std::string::npos) << dir.out;
}

TEST(Cli, BadFlagsExitTwo) {
  EXPECT_EQ(kafkasim("run --seed notanumber " + write("good.yaml", kGood)).code, 2);
  auto d = kafkasim("run --design kafka-9 " + write("good.yaml", kGood));
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.out.find("--design: unknown design preset 'kafka-9'"), std::string::npos) << d.out;
  EXPECT_EQ(kafkasim("frobnicate").code, 2);
  EXPECT_EQ(kafkasim("run").code, 2);
}

TEST(Cli, RunPrintsNarrativeAndVerdictAndWritesJson) {
  std::string json_path = testing::TempDir() + "/result.json";
  auto r = kafkasim("run " + write("good.yaml", kGood) + " --seed 5 --design kafka-0.10 --json " + json_path +
                    " --history " + testing::TempDir() + "/h.jsonl");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1.000 s  broker-1 pauses for 0.1 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: PASS"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(std::ifstream(json_path));
  EXPECT_EQ(j["scenario"], "good");
  EXPECT_EQ(j["seed"], 5);
  EXPECT_EQ(j["design"]["preset"], "kafka-0.10");
  EXPECT_EQ(j["design"]["truncation"], "high-watermark");
  EXPECT_EQ(j["verdict"], "pass");
  EXPECT_TRUE(j["violations"].empty());
  for (const char* k : {"simulated_s", "wall_s", "events", "messages", "acked", "lost_acks1", "lost_unclean"})
    EXPECT_TRUE(j["stats"].contains(k)) << k;
  EXPECT_DOUBLE_EQ(j["stats"]["simulated_s"].get<double>(), 2.0);
  ASSERT_TRUE(j["history"].is_string());
  std::ifstream h(j["history"].get<std::string>());
  std::string first;
  std::getline(h, first);
  EXPECT_EQ(first, R"({"t":0.0,"event":"phase","name":"fault"})");
}

TEST(Cli, ExpectedViolationThatDoesNotHappenFailsTheVerdict) {
  std::string f = write("expects.yaml", kGood + "expect: {violations: [acked-write-lost]}\n");
  auto r = kafkasim("run " + f);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("verdict: FAIL"), std::string::npos);
}

TEST(Cli, SimulatorFailureExitsThreeAndSavesTheScenarioForReplay) {
  std::string scratch = testing::TempDir() + "/failure-case";
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  std::string f = write("limited.yaml", kGood + "config: {sim.max.events: 3}\n");
  auto r = kafkasim("run " + f + " --seed 9", scratch);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("event limit"), std::string::npos) << r.out;
  std::string saved = scratch + "/kafkasim-failures/good-seed9.yaml";
  EXPECT_NE(r.out.find("kafkasim-failures/good-seed9.yaml"), std::string::npos) << r.out;
  ASSERT_TRUE(std::filesystem::exists(saved));
  // The saved file is itself a valid scenario that replays the same failure.
  auto replay = kafkasim("run kafkasim-failures/good-seed9.yaml", scratch);
  EXPECT_EQ(replay.code, 3) << replay.out;
  EXPECT_NE(replay.out.find("seed 9"), std::string::npos) << replay.out;
}

TEST(Cli, DesignsListsEveryPresetAndSwitch) {
  auto r = kafkasim("designs");
  EXPECT_EQ(r.code, 0);
  for (const char* name : {"kafka-0.10", "kafka-0.11", "kafka-2.0", "kafka-2.2", "kafka-2.8", "kafka-3.7", "latest",
                           "truncation", "truncate-before-hw", "isr-change-path", "eligible-leader-replicas"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}

TEST(Cli, BundledScenariosPassTheirExpectedVerdicts) {
  auto r = kafkasim("run " + kSource + "/scenarios/*.yaml " + kSource + "/scenarios/lessons/*.yaml");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(Cli, ASettleTooShortForALingeringSessionIsReportedAsUnavailable) {
  // The crashed broker's old ZooKeeper session outlives the 1 s settle phase, so it cannot register again.
  std::string f = write("short-settle.yaml", "name: short\nsummary: s\nduration: 2s\nsettle: 1s\ncluster: {brokers: 2}\n"
                                             "events:\n  - {at: 1s, crash: broker-1, for: 100ms}\n");
  auto r = kafkasim("run " + f);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("violated: unavailable-after-heal"), std::string::npos) << r.out;
}

TEST(Matrix, ShowsWhichDesignBreaksWhereAndWritesJson) {
  const std::string json_path = testing::TempDir() + "/matrix.json";
  auto r = kafkasim("matrix '" + kSource + "/scenarios/kip101-hw-truncation.yaml' '" + kSource +
                    "/scenarios/steady-state.yaml' --designs kafka-0.10,kafka-0.11,latest --jobs 2 --json '" + json_path +
                    "' --report '" + testing::TempDir() + "/matrix-report'");
  // kip101 expects its loss on kafka-0.10 and none where it was fixed (expect.designs): every cell passes.
  EXPECT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string header, rule, kip101, steady;
  std::getline(lines, header);
  std::getline(lines, rule);
  std::getline(lines, kip101);
  std::getline(lines, steady);
  EXPECT_NE(header.find("kafka-0.10"), std::string::npos) << r.out;
  EXPECT_EQ(kip101.rfind("kip101-hw-truncation", 0), 0u) << r.out;
  EXPECT_NE(kip101.find("acked-write-lost"), std::string::npos) << r.out;
  EXPECT_EQ(steady.find("acked-write-lost"), std::string::npos) << r.out;
  std::ifstream f(json_path);
  auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["rows"].size(), 2u);
  const auto& cells = j["rows"][0]["cells"];
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0]["violated"], nlohmann::json::array({"acked-write-lost", "unavailable-after-heal"}));
  EXPECT_TRUE(cells[1]["violated"].empty());
  EXPECT_TRUE(cells[2]["violated"].empty());
  for (const auto& c : j["rows"][1]["cells"]) EXPECT_TRUE(c["violated"].empty()) << c.dump();
  for (const auto& row : j["rows"])
    for (const auto& c : row["cells"]) EXPECT_EQ(c["verdict"], "pass") << c.dump();
  // --report: a matrix page linking to every run's own report.
  const std::string report = testing::TempDir() + "/matrix-report";
  std::ifstream page(report + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("href=\"kip101-hw-truncation/kafka-0.10/index.html\""), std::string::npos) << html;
  for (const char* d : {"kafka-0.10", "kafka-0.11", "latest"})
    for (const char* sc : {"kip101-hw-truncation", "steady-state"})
      EXPECT_TRUE(std::filesystem::exists(report + "/" + sc + "/" + d + "/index.html")) << sc << " " << d;
}

TEST(Matrix, ACellWhereTheDesignDoesNotBehaveAsExpectedSaysWhatWasExpected) {
  // kip101 without its per-design expectations: it expects the loss everywhere, so the fixed designs fail.
  std::ifstream in(kSource + "/scenarios/kip101-hw-truncation.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text = text.substr(0, text.find("  designs:"));
  auto r = kafkasim("matrix " + write("kip101-one-verdict.yaml", text) + " --designs kafka-0.10,kafka-0.11");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL ok (expected acked-write-lost, unavailable-after-heal)"), std::string::npos) << r.out;
}

TEST(Matrix, BadDesignsAndFilesAreRefusedWithExit2) {
  EXPECT_EQ(kafkasim("matrix '" + kSource + "/scenarios/steady-state.yaml' --designs kafka-9.9").code, 2);
  EXPECT_EQ(kafkasim("matrix '" + kSource + "/scenarios/steady-state.yaml' --designs latest --jobs 0").code, 2);
  auto bad = kafkasim("matrix '" + write("bad-matrix.yaml", "name: x\nsummary: s\nduration: 2s\ncluster: {brokerz: 2}\n") +
                      "' --designs latest");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("bad-matrix.yaml:4:"), std::string::npos) << bad.out;
}

// ---- the command line as a newcomer types it (issue: every message helps)

namespace {
// stdout and stderr apart.
struct Split {
  int code;
  std::string out, err;
};
Split kafkasim_split(const std::string& args, const std::string& cwd = testing::TempDir()) {
  const std::string err_path = testing::TempDir() + "/split.stderr";
  std::string cmd = "cd '" + cwd + "' && NO_COLOR=1 '" + std::string(KAFKASIM_BINARY) + "' " + args + " 2>'" + err_path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  std::ifstream e(err_path);
  std::string err((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, err};
}
}  // namespace

TEST(CliUsage, NoArgumentsAndUnknownCommandsPrintTheUsageWithASuggestion) {
  auto none = kafkasim("");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("Usage: kafkasim"), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("explore"), std::string::npos) << none.out;
  auto typo = kafkasim("rnu x.yaml");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.out.find("unknown command 'rnu', did you mean 'run'?"), std::string::npos) << typo.out;
  EXPECT_NE(typo.out.find("Usage: kafkasim"), std::string::npos) << typo.out;
  auto flag = kafkasim("run --jsn out.json " + write("good.yaml", kGood));
  EXPECT_EQ(flag.code, 2);
  EXPECT_NE(flag.out.find("unknown flag '--jsn', did you mean '--json'?"), std::string::npos) << flag.out;
  auto help = kafkasim("run --help");
  EXPECT_EQ(help.code, 0);
  for (const char* part : {"Examples:", "kafkasim run scenarios/kip101-hw-truncation.yaml", "Exit codes:", "PRESET,switch=value"})
    EXPECT_NE(help.out.find(part), std::string::npos) << part << "\n" << help.out;
  auto explore_help = kafkasim("explore --help");
  EXPECT_NE(explore_help.out.find("--max-shrink-runs INT=500"), std::string::npos) << explore_help.out;
}

TEST(CliUsage, SeedsOutsideWhatAFileCanHoldAreRefused) {
  const std::string f = write("good.yaml", kGood);
  for (const char* seed : {"-1", "18446744073709551616", "100000000000000000000000", "9223372036854775808", "1e5", "abc"}) {
    auto r = kafkasim(std::string("run --seed ") + seed + " " + f);
    EXPECT_EQ(r.code, 2) << seed << ": " << r.out;
    EXPECT_NE(r.out.find("--seed"), std::string::npos) << r.out;
  }
  EXPECT_EQ(kafkasim("run --seed 9223372036854775807 " + f).code, 0);
  EXPECT_EQ(kafkasim("explore --faults , --out " + testing::TempDir() + "/e-faults").code, 2);
  EXPECT_EQ(kafkasim("explore --check-determinism nan --out " + testing::TempDir() + "/e-nan").code, 2);
  EXPECT_EQ(kafkasim("explore --seed 9223372036854775807 --runs 2 --out " + testing::TempDir() + "/e-seed").code, 2);
}

TEST(CliJson, OneObjectPerLineForOneRunOrSeveralAndDashIsStandardOutput) {
  const std::string a = write("a.yaml", kGood), b = write("b.yaml", "name: other\n" + kGood.substr(kGood.find('\n') + 1));
  auto r = kafkasim_split("run " + a + " " + b + " --json -");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(lines, line);) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 2u) << r.out;
  EXPECT_EQ(objects[0]["scenario"], "good");
  EXPECT_EQ(objects[1]["scenario"], "other");
  EXPECT_NE(r.err.find("verdict: PASS"), std::string::npos) << "the narrative goes to stderr: " << r.err;
  // One run: the file is that one object, as the spec's example.
  const std::string one = testing::TempDir() + "/one.json";
  ASSERT_EQ(kafkasim("run " + a + " --json " + one).code, 0);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(one))["scenario"], "good");
}

TEST(CliJson, ViolationsAreToldAtTheirOwnTimeWithEveryRecordConcerned) {
  const std::string json_path = testing::TempDir() + "/kip101.json";
  auto r = kafkasim("run " + kSource + "/scenarios/kip101-hw-truncation.yaml --design kafka-0.10 --json " + json_path);
  auto j = nlohmann::json::parse(std::ifstream(json_path));
  ASSERT_FALSE(j["violations"].empty()) << r.out;
  const auto& v = j["violations"][0];
  EXPECT_EQ(v["property"], "acked-write-lost");
  // Both acknowledged records are lost in kip101 (m1 at offset 0, m2 at offset 1): both are listed.
  std::vector<nlohmann::json> lost;
  for (const auto& rec : v["records"])
    if (rec["role"] == "lost") lost.push_back(rec);
  ASSERT_EQ(lost.size(), 2u) << v.dump();
  EXPECT_EQ(lost[0]["value"], "m1");
  EXPECT_EQ(lost[0]["offset"], 0);
  EXPECT_EQ(lost[1]["value"], "m2");
  EXPECT_EQ(lost[1]["offset"], 1);
  EXPECT_EQ(lost[1]["leader_epoch"], 0);
  EXPECT_EQ(lost[1]["producer"], "p1");
  EXPECT_NE(v["detail"].get<std::string>().find("m1"), std::string::npos) << v["detail"];
  EXPECT_NE(v["detail"].get<std::string>().find("m2"), std::string::npos) << v["detail"];
  // The narrative tells the violation at its time, not at the end of the run.
  const std::string at = fmt::format("{:.3f} s  ", v["time"].get<double>());
  const auto line = r.out.find("acked-write-lost");
  ASSERT_NE(line, std::string::npos) << r.out;
  const auto start = r.out.rfind('\n', line) + 1;
  EXPECT_NE(r.out.substr(start, line - start).find(at), std::string::npos) << r.out.substr(start, line - start + 40);
  EXPECT_LT(v["time"].get<double>(), j["stats"]["simulated_s"].get<double>());
}

TEST(CliOutputs, PathsThatCannotBeWrittenAreBadInputBeforeTheRun) {
  const std::string f = write("good.yaml", kGood);
  const std::string a_file = write("plain-file.txt", "x");
  auto report = kafkasim("run " + f + " --report " + a_file);
  EXPECT_EQ(report.code, 2) << report.out;
  EXPECT_NE(report.out.find("--report " + a_file + ": is a file, not a folder"), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find("verdict"), std::string::npos) << "nothing ran";
  auto history = kafkasim("run " + f + " --history " + a_file + "/");
  EXPECT_EQ(history.code, 2) << history.out;
  auto json = kafkasim("run " + f + " --json /proc/kafkasim-no/result.json");
  EXPECT_EQ(json.code, 2) << json.out;
  EXPECT_NE(json.out.find("--json /proc/kafkasim-no/result.json: cannot create the folder"), std::string::npos) << json.out;
  auto dir = kafkasim("run " + f + " --json " + testing::TempDir());
  EXPECT_EQ(dir.code, 2) << dir.out;
}

TEST(CliOutputs, AReplayThatCannotBeSavedIsNotClaimed) {
  const std::string scratch = testing::TempDir() + "/unsaveable";
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  std::ofstream(scratch + "/kafkasim-failures") << "a file where the folder would go\n";
  auto r = kafkasim("run " + write("limited.yaml", kGood + "config: {sim.max.events: 3}\n"), scratch);
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_EQ(r.out.find("saved for replay as"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("could not save the scenario for replay"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kafkasim run " + testing::TempDir() + "/limited.yaml --seed 1 --design 'latest'"), std::string::npos)
      << r.out;
}

TEST(CliDesigns, OneOverrideSyntaxForRunAndMatrix) {
  const std::string f = write("good.yaml", kGood);
  const std::string json_path = testing::TempDir() + "/designs.json";
  auto r = kafkasim("run " + f + " --design 'kafka-2.2,isr-join-requires-epoch-start=false' --json " + json_path);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("design kafka-2.2,isr-join-requires-epoch-start=false"), std::string::npos) << r.out;
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(json_path))["design"]["isr-join-requires-epoch-start"], "false");
  const std::string mjson = testing::TempDir() + "/designs-matrix.json";
  auto m = kafkasim("matrix " + f + " --designs 'kafka-0.10,kafka-2.2,isr-join-requires-epoch-start=false;latest' --json " + mjson);
  ASSERT_EQ(m.code, 0) << m.out;
  auto j = nlohmann::json::parse(std::ifstream(mjson));
  ASSERT_EQ(j["designs"].size(), 3u) << j.dump();
  EXPECT_EQ(j["designs"][1]["isr-join-requires-epoch-start"], "false");
  EXPECT_EQ(kafkasim("run " + f + " --design 'latest,kafka-0.10'").code, 2);
}

TEST(Matrix, RunsZooKeeperAndKraftDesignsSideBySideAndSaysWhatNeedsZooKeeper) {
  const std::string json_path = testing::TempDir() + "/matrix-kraft.json";
  auto r = kafkasim("matrix '" + kSource + "/scenarios/fault-expire-session.yaml' '" + kSource +
                    "/scenarios/steady-state.yaml' '" + kSource + "/scenarios/kraft-voter-returns.yaml' --designs latest,kafka-4.1 --jobs 2 --json '" +
                    json_path + "'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("n/a (needs ZooKeeper)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("n/a (needs KRaft)"), std::string::npos) << r.out;
  std::ifstream f(json_path);
  auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0]["cells"][0]["verdict"], "pass");
  EXPECT_NE(j["rows"][0]["cells"][1]["not_applicable"].get<std::string>().find("needs ZooKeeper"), std::string::npos);
  EXPECT_EQ(j["rows"][1]["cells"][1]["verdict"], "pass");  // steady-state runs on KRaft as on ZooKeeper
  EXPECT_EQ(j["rows"][1]["cells"][1]["result"]["design"]["metadata"], "kraft");
  EXPECT_TRUE(j["rows"][2]["cells"][0].contains("not_applicable"));
  // `run --design` on such a scenario is refused before anything runs, saying why.
  auto refused = kafkasim("run --design kafka-4.1 '" + kSource + "/scenarios/fault-expire-session.yaml'");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.out.find("needs ZooKeeper"), std::string::npos) << refused.out;
}

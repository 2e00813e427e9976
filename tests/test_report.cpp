// The HTML report in a real browser: headless Chromium (Debian's, installed by the test set-up) loads the
// report of a run, which must draw its lanes and log pictures with no script error; a screenshot is
// saved in the build folder. Nothing from a scenario file can inject markup or script into it.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "reports/html_report.h"

namespace {

const std::string kSource = KAFKASIM_SOURCE_DIR;
const std::string kChromium = "/usr/bin/chromium";

std::string run(const std::string& cmd, int* code = nullptr) {
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  if (code) *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string chromium(const std::string& args) {
  // The flags the machine's notes give for a closed network, and a fresh profile each time.
  // A profile of its own per call: ctest runs tests in parallel, and two Chromiums cannot share one.
  static int calls = 0;
  const std::string profile =
      testing::TempDir() + "/chromium-profile-" + std::to_string(::getpid()) + "-" + std::to_string(++calls);
  std::filesystem::remove_all(profile);
  const std::string out = run("timeout 120 " + kChromium +
                              " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                              " --disable-background-networking --disable-component-update --disable-sync"
                              " --user-data-dir=" + profile + " " + args);
  std::filesystem::remove_all(profile);
  return out;
}

std::string attribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex("<body[^>]*\\s" + name + "=\"([^\"]*)\""))) return m[1];
  return "";
}

std::string report_of(const std::string& scenario_args, const std::string& dir) {
  std::filesystem::remove_all(dir);
  int code = 0;
  const std::string out = run("NO_COLOR=1 '" + std::string(KAFKASIM_BINARY) + "' run " + scenario_args + " --report '" + dir + "'", &code);
  EXPECT_TRUE(code == 0 || code == 1) << out;
  return out;
}

}  // namespace

namespace {
// How many times `pattern` matches in `text`.
long count_matches(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator());
}
}  // namespace

TEST(HtmlReport, RendersLanesAndLogPicturesInHeadlessChromiumWithoutErrors) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << "Chromium is part of the test set-up: bash scripts/install-deps.sh --test";
  const std::string dir = testing::TempDir() + "/report-kip101";
  const std::string out = report_of("'" + kSource + "/scenarios/kip101-hw-truncation.yaml' --design kafka-0.10", dir);
  EXPECT_NE(out.find("report: " + dir + "/index.html"), std::string::npos) << out;
  for (const char* f : {"index.html", "history.jsonl", "result.json"}) EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  // Self-contained: nothing is fetched.
  std::ifstream in(dir + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);

  const std::string dom = chromium("--dump-dom 'file://" + dir + "/index.html'");
  ASSERT_FALSE(dom.empty()) << "chromium printed nothing";
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok") << attribute(dom, "data-errors");
  EXPECT_EQ(attribute(dom, "data-errors"), "");
  EXPECT_GE(std::stoi("0" + attribute(dom, "data-lanes")), 5);  // zk-1, two brokers, controller, t-0
  EXPECT_GE(std::stoi("0" + attribute(dom, "data-log-pictures")), 1);
  EXPECT_NE(dom.find("acked-write-lost"), std::string::npos);
  EXPECT_TRUE(std::regex_search(dom, std::regex("class=\"lost( concerned)?\""))) << "the lost record is drawn as lost";
  EXPECT_NE(dom.find("class=\"hw-line\""), std::string::npos) << "the HW over time";

  const std::string shot = std::string(KAFKASIM_BINARY_DIR) + "/report-kip101.png";
  std::filesystem::remove(shot);
  chromium("--hide-scrollbars --window-size=1500,1100 --screenshot='" + shot + "' 'file://" + dir + "/index.html'");
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10000u);
}

TEST(HtmlReport, AKraftRunHasALanePerControllerNodeAndTheActiveControllerWhereTwoOverlap) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << "Chromium is part of the test set-up: bash scripts/install-deps.sh --test";
  const std::string dir = testing::TempDir() + "/report-kraft";
  report_of("'" + kSource + "/scenarios/kraft-quorum-leader-cut-off.yaml' --design kafka-3.3-kraft", dir);
  const std::string dom = chromium("--dump-dom 'file://" + dir + "/index.html'");
  ASSERT_FALSE(dom.empty()) << "chromium printed nothing";
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok") << attribute(dom, "data-errors");
  // No ZooKeeper lane; one per controller node, with its role, epoch and committed metadata.
  EXPECT_EQ(dom.find("data-lane=\"zk-1\""), std::string::npos);
  for (const char* n : {"controller-1", "controller-2", "controller-3"})
    EXPECT_NE(dom.find(std::string("data-lane=\"") + n + "\""), std::string::npos) << n;
  EXPECT_NE(dom.find("leader e1"), std::string::npos);
  EXPECT_NE(dom.find("metadata "), std::string::npos);
  // The cut-off leader of epoch 1 resigns only when the cut heals, long after the new one took over in
  // epoch 3: the controller lane goes on showing the new one, not nobody.
  EXPECT_TRUE(std::regex_search(dom, std::regex("<title>controller: controller-[0-9] epoch 3 \\([0-9.]+ s - 40.000 s\\)")))
      << "the epoch-3 controller's span runs to the end of the controller lane";
}

TEST(HtmlReport, AGroupRunHasALanePerConsumerWithItsGenerationsCommitsDuplicatesAndUnprocessedRecords) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << "Chromium is part of the test set-up: bash scripts/install-deps.sh --test";
  // A blocked member: evicted, its commit refused, its batch written twice by the next owner.
  const std::string dir = testing::TempDir() + "/report-group-duplicates";
  report_of("'" + kSource + "/scenarios/group-retry-in-place-blocks.yaml'", dir);
  std::string dom = chromium("--dump-dom 'file://" + dir + "/index.html'");
  ASSERT_FALSE(dom.empty()) << "chromium printed nothing";
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok") << attribute(dom, "data-errors");
  EXPECT_EQ(attribute(dom, "data-consumer-lanes"), "2");
  for (const char* c : {"c1", "c2"}) EXPECT_NE(dom.find(std::string("data-lane=\"") + c + "\""), std::string::npos) << c;
  EXPECT_NE(dom.find("gen 1: orders-0"), std::string::npos) << "c1 owns orders-0 in generation 1";
  EXPECT_NE(dom.find("gen 2: orders-0, orders-1"), std::string::npos) << "c2 owns both after c1's eviction";
  EXPECT_NE(dom.find("evicted (max-poll-interval)"), std::string::npos);
  EXPECT_NE(dom.find("mark-duplicate"), std::string::npos);
  EXPECT_NE(dom.find("mark-refused"), std::string::npos);
  EXPECT_NE(dom.find("mark-failed"), std::string::npos);
  EXPECT_NE(dom.find("class=\"group-position\""), std::string::npos) << "the group's committed offset under each log";
  // Commit before processing and a crash: the record committed past is marked on the lane that committed it.
  const std::string lost = testing::TempDir() + "/report-group-unprocessed";
  report_of("'" + kSource + "/scenarios/group-commit-before-process-loses.yaml'", lost);
  dom = chromium("--dump-dom 'file://" + lost + "/index.html'");
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok") << attribute(dom, "data-errors");
  EXPECT_NE(dom.find("mark-unprocessed"), std::string::npos);
  EXPECT_NE(dom.find("is committed past here by"), std::string::npos);
  // A run without groups has no consumer lane and no consumer legend.
  const std::string plain = testing::TempDir() + "/report-no-groups";
  report_of("'" + kSource + "/scenarios/steady-state.yaml'", plain);
  dom = chromium("--dump-dom 'file://" + plain + "/index.html'");
  EXPECT_EQ(attribute(dom, "data-consumer-lanes"), "0");
  EXPECT_EQ(dom.find("mark-commit"), std::string::npos);
  EXPECT_NE(dom.find("id=\"consumer-legend\" style=\"display:none"), std::string::npos) << "no consumer legend";
}

TEST(HtmlReport, DrawsEveryLostRecordDynamicFaultsATimeAxisAndParagraphs) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << "Chromium is part of the test set-up: bash scripts/install-deps.sh --test";
  // KIP-101 on 0.10: m1 and m2 are both lost; the log picture at the violation draws both as lost.
  const std::string kip = testing::TempDir() + "/report-kip101-lost";
  report_of("'" + kSource + "/scenarios/kip101-hw-truncation.yaml' --design kafka-0.10", kip);
  std::string dom = chromium("--dump-dom 'file://" + kip + "/index.html'");
  ASSERT_FALSE(dom.empty()) << "chromium printed nothing";
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok") << attribute(dom, "data-errors");
  for (const char* v : {"m1", "m2"})
    EXPECT_TRUE(std::regex_search(dom, std::regex(std::string("<td class=\"lost( concerned)?\"[^>]*><div>") + v + "</div>"))) << v << " is drawn lost";
  // The time axis, and an SVG as wide as its section (not 1000 px, clipped in a narrow window).
  EXPECT_NE(dom.find("class=\"time-axis\""), std::string::npos);
  EXPECT_GE(count_matches(dom, "class=\"tick\""), 3);
  EXPECT_TRUE(std::regex_search(dom, std::regex("<svg width=\"100%\" viewBox=\"[^\"]*\" id=\"timeline-svg\">")));
  // The description as paragraphs, without the file's hard line breaks.
  const auto desc_at = dom.find("id=\"desc\"><p>");
  ASSERT_NE(desc_at, std::string::npos) << "the description is drawn as paragraphs";
  const std::string first = dom.substr(desc_at, dom.find("</p>", desc_at) - desc_at);
  EXPECT_EQ(first.find('\n'), std::string::npos) << first;
  EXPECT_NE(first.find("KIP-101's first scenario"), std::string::npos);
  // A fault with a dynamic target (crash 'leader:__consumer_offsets-2') is in the faults lane, with what it resolved to.
  const std::string group = testing::TempDir() + "/report-dynamic-fault";
  report_of("'" + kSource + "/scenarios/group-idempotent-sink-exactly-once.yaml'", group);
  dom = chromium("--dump-dom 'file://" + group + "/index.html'");
  EXPECT_EQ(count_matches(dom, "class=\"fault\""), 2) << "crash c1 and crash leader:__consumer_offsets-2";
  EXPECT_NE(dom.find("leader:__consumer_offsets-2 = broker-"), std::string::npos);
  // A restarted broker's replica lanes say it is up (and waiting for its role), not down.
  const std::string restart = testing::TempDir() + "/report-restart";
  report_of("'" + kSource + "/scenarios/broker-restart.yaml'", restart);
  dom = chromium("--dump-dom 'file://" + restart + "/index.html'");
  EXPECT_NE(dom.find("up, no role yet"), std::string::npos);
}

TEST(HtmlReport, AScenarioCannotInjectMarkupOrScript) {
  const std::string evil = "</script><script>document.body.dataset.pwned=1</script><img src=x onerror=document.body.dataset.pwned=2>";
  const std::string file = testing::TempDir() + "/evil.yaml";
  std::ofstream(file) << "name: evil\nsummary: '" << evil << "'\ndescription: |\n  " << evil
                      << "\nduration: 2s\nsettle: 5s\ncluster: {brokers: 2}\n"
                         "topics: [{name: t, partitions: 1, replication.factor: 2}]\n"
                         "producers: [{id: p1, topic: t, acks: all, rate: 5/s}]\nevents: []\n";
  const std::string dir = testing::TempDir() + "/report-evil";
  report_of("'" + file + "'", dir);
  std::ifstream in(dir + "/index.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(html.find("<script>document.body"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "the file check passed; Chromium is not installed";
  const std::string dom = chromium("--dump-dom 'file://" + dir + "/index.html'");
  EXPECT_EQ(attribute(dom, "data-rendered"), "ok");
  EXPECT_EQ(attribute(dom, "data-pwned"), "");
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;"), std::string::npos) << "shown as text";
}

TEST(HtmlReport, EmbeddedJsonCannotCloseItsElement) {
  nlohmann::ordered_json j = {{"text", "</script><b>&\u2028"}};
  const std::string s = kafkasim::reports::json_for_script(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  EXPECT_EQ(s.find('&'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(s)["text"], "</script><b>&\u2028");
}

namespace {
std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}
bool is_message_event(const nlohmann::json& e) { return e["event"].get<std::string>().rfind("message-", 0) == 0; }
}  // namespace

TEST(MessageHistory, AReportRecordsTheMessagesAndOtherwiseTheSameHistoryEventForEvent) {
  const std::string scenario = "'" + kSource + "/scenarios/kip101-hw-truncation.yaml' --design kafka-0.11";
  const std::string dir = testing::TempDir() + "/report-messages", plain = testing::TempDir() + "/plain-history.jsonl";
  report_of(scenario, dir);
  int code = 0;
  run("'" + std::string(KAFKASIM_BINARY) + "' run " + scenario + " --history '" + plain + "'", &code);
  ASSERT_EQ(code, 0);
  const auto with = read_jsonl(dir + "/history.jsonl"), without = read_jsonl(plain);
  std::vector<nlohmann::json> filtered;
  long sent = 0, received = 0, lost = 0;
  std::set<long> ids;
  for (const auto& e : with) {
    if (!is_message_event(e)) { filtered.push_back(e); continue; }
    const std::string name = e["event"];
    if (name == "message-sent") { ++sent; EXPECT_TRUE(ids.insert(e["msg"].get<long>()).second) << e; }
    else { EXPECT_TRUE(ids.count(e["msg"].get<long>())) << "arrives or is lost before it was sent: " << e; }
    received += name == "message-received";
    lost += name == "message-lost";
  }
  EXPECT_EQ(filtered, without) << "recording the messages changed the run";
  EXPECT_TRUE(std::none_of(without.begin(), without.end(), is_message_event));
  EXPECT_GT(sent, 100);
  EXPECT_GT(received, 0);
  EXPECT_GT(lost, 0) << "the fetches to the crashed leader";
  EXPECT_LE(received + lost, sent);
}

TEST(MessageHistory, MessagesWaitingInAPausedBrokerThatCrashesAreLostNotLeftInFlight) {
  // broker-2 pauses at 5 s and crashes at 8 s: what reached it meanwhile waited, unread, and is lost with
  // the process; every message sent to it before the crash arrives or is lost, none stays in flight.
  const std::string file = testing::TempDir() + "/pause-then-crash.yaml", dir = testing::TempDir() + "/report-pause-crash";
  std::ofstream(file) << "name: pause-then-crash\nsummary: broker-2 pauses, then crashes\nseed: 1\nduration: 20s\ndesign: latest\ncluster: {brokers: 3, zookeeper: 1}\n"
                         "topics:\n  - {name: orders, partitions: 1, replication.factor: 3}\n"
                         "producers:\n  - {id: p1, topic: orders, acks: all, rate: 20/s}\n"
                         "events:\n  - {at: 5s, pause: broker-2}\n  - {at: 8s, crash: broker-2}\n";
  report_of("'" + file + "'", dir);
  const auto events = read_jsonl(dir + "/history.jsonl");
  std::map<long, double> sent_to_2;  // msg -> when sent
  std::set<long> ended;
  long process_ended = 0;
  double crash_t = -1;
  for (const auto& e : events) {
    if (e["event"] == "broker-crashed" && e["broker"] == 2) crash_t = e["t"].get<double>();
    if (e["event"] == "message-sent" && e["to"] == "broker-2") sent_to_2[e["msg"].get<long>()] = e["t"].get<double>();
    if (e["event"] == "message-received" || e["event"] == "message-lost") ended.insert(e["msg"].get<long>());
    if (e["event"] == "message-lost" && e["reason"] == "process-ended") {
      ++process_ended;
      EXPECT_EQ(e["to"], "broker-2") << e;
    }
  }
  ASSERT_GT(crash_t, 0);
  EXPECT_GT(process_ended, 0) << "fetches from the followers reached the paused broker-2 and were never read";
  for (const auto& [msg, t] : sent_to_2) {
    if (t < crash_t - 0.5) {
      EXPECT_TRUE(ended.count(msg)) << "message " << msg << " sent to broker-2 at " << t << " s is in flight forever";
    }
  }
}

TEST(MessageHistory, TheFetchThatAdmitsAFollowerIsAnsweredAfterTheLeadersIsrWriteInZooKeeperMode) {
  // Before KIP-497 Partition.maybeExpandIsr writes ZooKeeper in the request handler thread, and the fetch
  // response leaves after it (with AlterPartition, 2.7+, the leader asks the controller and answers at once).
  auto answered_after_join = [](const std::string& design, const std::string& dir) {
    report_of("'" + kSource + "/scenarios/lessons/lesson-isr-shrink-rejoin.yaml' --design " + design, dir);
    const auto events = read_jsonl(dir + "/history.jsonl");
    std::vector<int> verdicts;  // per ISR expansion by a leader: 1 if the admitting fetch was answered at or after it
    std::map<std::string, std::vector<std::int64_t>> isr;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e["event"] != "isr-changed") continue;
      const std::string p = e["partition"];
      const auto next = e["isr"].get<std::vector<std::int64_t>>();
      const auto before = isr[p];
      isr[p] = next;
      if (e.value("by", "") != "leader" || next.size() <= before.size()) continue;
      const std::int64_t joiner = next.back(), leader = e["leader"];
      const std::string from = "broker-" + std::to_string(joiner), to = "broker-" + std::to_string(leader);
      // The joiner's last fetch the leader received before the write returned, and its answer.
      long request = -1;
      for (std::size_t j = i; j-- > 0;)
        if (events[j]["event"] == "message-received" && events[j]["type"] == "Fetch" && events[j]["from"] == from &&
            events[j]["to"] == to && !events[j].contains("reply_to")) {
          request = events[j]["msg"].get<long>();
          break;
        }
      if (request < 0) continue;
      for (std::size_t j = 0; j < events.size(); ++j)
        if (events[j]["event"] == "message-sent" && events[j].value("reply_to", -1L) == request) {
          verdicts.push_back(j > i ? 1 : 0);
          break;
        }
    }
    return verdicts;
  };
  const auto zk = answered_after_join("kafka-2.2", testing::TempDir() + "/report-isr-write-zk");
  ASSERT_FALSE(zk.empty()) << "the lesson's follower rejoins the ISR";
  for (int v : zk) EXPECT_EQ(v, 1) << "kafka-2.2: the admitting fetch was answered before the ISR write returned";
}

TEST(MessageHistory, KRaftMessagesSayWhatTheyDecideOn) {
  // The quorum's and the brokers' requests to it: each type has a summary in words in the report's history.
  const std::string dir = testing::TempDir() + "/report-kraft-messages";
  report_of("'" + kSource + "/scenarios/lessons/lesson-failover-kraft.yaml'", dir);
  std::map<std::string, std::string> example;  // type -> a summary of a request of that type
  for (const auto& e : read_jsonl(dir + "/history.jsonl")) {
    if (e["event"] != "message-sent") continue;
    const std::string type = e["type"], summary = e.value("summary", "");
    EXPECT_FALSE(summary.empty()) << e;
    if (!e.contains("reply_to")) example.emplace(type, summary);
  }
  for (const char* type : {"Vote", "BeginQuorumEpoch", "Fetch", "BrokerRegistration", "BrokerHeartbeat"})
    ASSERT_TRUE(example.count(type)) << type << " is not sent in lesson-failover-kraft";
  EXPECT_TRUE(std::regex_search(example["Vote"], std::regex("epoch \\d+: my log ends at epoch \\d+, offset \\d+"))) << example["Vote"];
  EXPECT_TRUE(std::regex_search(example["BeginQuorumEpoch"], std::regex("^I lead epoch \\d+$"))) << example["BeginQuorumEpoch"];
  EXPECT_TRUE(std::regex_search(example["BrokerHeartbeat"], std::regex("^broker-\\d+ alive, broker epoch"))) << example["BrokerHeartbeat"];
}

TEST(MessageHistory, ATriggerOnAMessageFiresWhenItIsSent) {
  // KIP-101's second question: what if the leader dies the moment the follower asks where epoch 0 ends?
  std::ifstream in(kSource + "/scenarios/kip101-hw-truncation.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string marker = "  # ... and the leader dies just after";
  ASSERT_NE(text.find(marker), std::string::npos);
  text.insert(text.find(marker), "  - when: {event: message-sent, type: OffsetsForLeaderEpoch, from: broker-1}\n    crash: broker-2\n");
  const std::string file = testing::TempDir() + "/kip101-ask-then-crash.yaml", history = testing::TempDir() + "/ask-then-crash.jsonl";
  std::ofstream(file) << text;
  int code = 0;
  const std::string out = run("'" + std::string(KAFKASIM_BINARY) + "' run '" + file + "' --design kafka-0.11 --history '" + history + "'", &code);
  ASSERT_TRUE(code == 0 || code == 1) << out;
  const auto events = read_jsonl(history);
  auto ask = std::find_if(events.begin(), events.end(), [](const nlohmann::json& e) {
    return e["event"] == "message-sent" && e["type"] == "OffsetsForLeaderEpoch" && e["from"] == "broker-1";
  });
  ASSERT_NE(ask, events.end()) << "a trigger on a message event makes the run record them";
  auto crash = std::find_if(ask, events.end(), [](const nlohmann::json& e) {
    return e["event"] == "fault" && e["action"] == "crash" && e["target"] == "broker-2";
  });
  ASSERT_NE(crash, events.end());
  EXPECT_DOUBLE_EQ((*crash)["t"].get<double>(), (*ask)["t"].get<double>());
  // A message trigger's fields are checked like any other's.
  std::ofstream(file) << std::string(text).replace(text.find("type: OffsetsForLeaderEpoch"), 27, "type: OffsetsForLeaderEpok");
  const std::string bad = run("( '" + std::string(KAFKASIM_BINARY) + "' run '" + file + "' 2>&1 )", &code);
  EXPECT_EQ(code, 2) << bad;
  EXPECT_TRUE(std::regex_search(bad, std::regex(":\\d+:\\d+: .*OffsetsForLeaderEpok"))) << bad;
}

TEST(Lessons, EachLessonShowsWhatItSaysToLookForAndEachVariantRuns) {
  // The guided path: every bundled scenario with a lesson: block. Its run must show each look-for item
  // (a lesson that promises what its run lacks teaches wrong), and each question's variant must run.
  int lessons = 0;
  std::set<int> steps;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\nlesson:") == std::string::npos) continue;
    ++lessons;
    const std::string json = testing::TempDir() + "/lesson-" + entry.path().stem().string() + ".json";
    int code = 0;
    run("'" + std::string(KAFKASIM_BINARY) + "' run '" + entry.path().string() + "' --json '" + json + "'", &code);
    ASSERT_EQ(code, 0) << entry.path() << " passes as it expects";
    std::ifstream result_in(json);
    const nlohmann::json result = nlohmann::json::parse(result_in);
    ASSERT_TRUE(result.contains("lesson")) << entry.path();
    EXPECT_TRUE(steps.insert(result["lesson"]["step"].get<int>()).second) << "two lessons at step " << result["lesson"]["step"];
    EXPECT_FALSE(result["lesson"]["look_for"].empty()) << entry.path();
    for (const auto& look : result["lesson"]["look_for"])
      EXPECT_FALSE(look["seen_at"].is_null()) << entry.path() << ": its run never shows " << look["text"];
    for (const auto& q : result["lesson"]["questions"]) {
      EXPECT_FALSE(q["ask"].get<std::string>().empty());
      if (!q.contains("try_design")) continue;
      int variant = 0;
      run("'" + std::string(KAFKASIM_BINARY) + "' run '" + entry.path().string() + "' --design '" + q["try_design"].get<std::string>() + "'", &variant);
      EXPECT_TRUE(variant == 0 || variant == 1) << entry.path() << " under " << q["try_design"];
    }
  }
  EXPECT_GE(lessons, 8) << "a guided path of at least eight lessons";
}

TEST(Lessons, AMistakeInALessonBlockIsReportedAtItsLineAndColumn) {
  std::ifstream in(kSource + "/scenarios/lessons/lesson-slow-follower.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string file = testing::TempDir() + "/bad-lesson.yaml";
  for (const auto& [from, to, says] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"{event: isr-changed, partition: t-0, isr: [1, 2]}", "{event: isr-chnged}", "unknown history event 'isr-chnged'"},
           {"step: 2", "step: 0", "lesson.step"},
           {"    - ask: Why is the slow follower", "    - asks: Why is the slow follower", "asks"}}) {
    std::string bad = text;
    ASSERT_NE(bad.find(from), std::string::npos) << from;
    bad.replace(bad.find(from), from.size(), to);
    std::ofstream(file) << bad;
    int code = 0;
    const std::string out = run("( '" + std::string(KAFKASIM_BINARY) + "' check '" + file + "' 2>&1 )", &code);
    EXPECT_EQ(code, 2) << out;
    EXPECT_TRUE(std::regex_search(out, std::regex(":\\d+:\\d+: .*" + says))) << out;
  }
}

// Designs: presets resolve to the switches of spec/designs.md; overrides are checked.
#include <gtest/gtest.h>

#include "explore/classes.h"

#include <fstream>

#include "scenario/configs.h"
#include "scenario/contract.h"
#include "scenario/designs.h"
#include "scenario/suggest.h"

using namespace kafkasim;

namespace {
Design preset(const char* name) {
  std::string error;
  auto d = resolve_design(name, {}, error);
  EXPECT_TRUE(d) << error;
  return *d;
}
}  // namespace

TEST(Designs, PresetsMatchTheSpecTable) {
  EXPECT_EQ(preset("kafka-0.10").get("truncation"), "high-watermark");
  EXPECT_EQ(preset("kafka-0.11").get("truncation"), "leader-epoch");
  EXPECT_EQ(preset("kafka-2.0").get("truncation"), "leader-epoch-kip279");
  for (const char* sw : {"truncate-on-every-epoch-change", "leader-epoch-fencing", "isr-join-requires-epoch-start",
                         "controller-epoch-check", "broker-epoch"}) {
    EXPECT_FALSE(preset("kafka-2.0").on(sw)) << sw;
    EXPECT_TRUE(preset("kafka-2.2").on(sw)) << sw;
    EXPECT_TRUE(preset("kafka-2.8").on(sw)) << sw;
  }
  EXPECT_EQ(preset("kafka-2.2").get("isr-change-path"), "zookeeper-direct");
  EXPECT_EQ(preset("kafka-2.8").get("isr-change-path"), "alter-partition");
  EXPECT_EQ(preset("kafka-2.8").get("truncation"), "diverging-epoch");
  EXPECT_FALSE(preset("kafka-2.8").on("hw-requires-min-isr"));
  EXPECT_TRUE(preset("kafka-3.7").on("truncate-before-hw"));
  EXPECT_TRUE(preset("kafka-3.7").on("hw-requires-min-isr"));
  EXPECT_EQ(preset("latest").switches, preset("kafka-3.7").switches);
  for (const auto& p : all_presets()) {
    const bool kraft = p.name.find("kraft") != std::string_view::npos || p.name.rfind("kafka-4.", 0) == 0;
    EXPECT_EQ(preset(std::string(p.name).c_str()).get("metadata"), kraft ? "kraft" : "zookeeper") << p.name;
    EXPECT_EQ(p.switches.size(), all_switches().size()) << p.name;
  }
  // spec/designs.md's KRaft rows: 3.3 without check-quorum, pre-vote, KIP-903 or strict min ISR; 3.7
  // adds check-quorum, KIP-903 and the 3.7 data plane; 4.0 pre-vote with ELR off; 4.1 ELR on.
  EXPECT_FALSE(preset("kafka-3.3-kraft").on("quorum-check-quorum"));
  EXPECT_FALSE(preset("kafka-3.3-kraft").on("hw-requires-min-isr"));
  EXPECT_FALSE(preset("kafka-3.3-kraft").on("isr-join-requires-broker-epoch"));
  EXPECT_TRUE(preset("kafka-3.3-kraft").on("isr-requires-live-broker"));
  EXPECT_EQ(preset("kafka-3.3-kraft").get("isr-change-path"), "alter-partition");
  EXPECT_TRUE(preset("kafka-3.7-kraft").on("quorum-check-quorum"));
  EXPECT_TRUE(preset("kafka-3.7-kraft").on("isr-join-requires-broker-epoch"));
  EXPECT_TRUE(preset("kafka-3.7-kraft").on("hw-requires-min-isr"));
  EXPECT_FALSE(preset("kafka-3.7-kraft").on("quorum-pre-vote"));
  EXPECT_TRUE(preset("kafka-4.0").on("quorum-pre-vote"));
  EXPECT_FALSE(preset("kafka-4.0").on("eligible-leader-replicas"));
  EXPECT_TRUE(preset("kafka-4.1").on("eligible-leader-replicas"));
  // A KRaft-only switch on a ZooKeeper-mode design is refused, saying what to write instead.
  std::string error;
  EXPECT_FALSE(resolve_design("kafka-3.7", {{"quorum-pre-vote", "true"}}, error));
  EXPECT_NE(error.find("KRaft-only"), std::string::npos) << error;
  EXPECT_NE(error.find("kafka-4.1"), std::string::npos) << error;
}

TEST(Designs, OverridesAndErrors) {
  std::string error;
  auto d = resolve_design("kafka-3.7", {{"hw-requires-min-isr", "false"}}, error);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->on("hw-requires-min-isr"));
  // The label is written in the form --design takes, so it can be copied back into a command.
  EXPECT_EQ(d->label(), "kafka-3.7,hw-requires-min-isr=false");
  auto again = parse_design_flag(d->label(), error);
  ASSERT_TRUE(again) << error;
  EXPECT_TRUE(again->same_as(*d));
  EXPECT_FALSE(resolve_design("kafka-3.7", {{"hw-requires-min-isr", "maybe"}}, error));
  EXPECT_NE(error.find("takes false or true"), std::string::npos) << error;
  EXPECT_FALSE(resolve_design("kafka-3.6", {}, error));
  EXPECT_NE(error.find("did you mean 'kafka-3.7'"), std::string::npos) << error;
}

TEST(Designs, CommandLineForm) {
  std::string error;
  auto d = parse_design_flag("kafka-0.11,truncation=high-watermark,broker-epoch=true", error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->get("truncation"), "high-watermark");
  EXPECT_TRUE(d->on("broker-epoch"));
  EXPECT_FALSE(parse_design_flag("latest,truncation", error));
  EXPECT_NE(error.find("switch=value"), std::string::npos);
  // The old label form (with '+') is still read.
  auto plus = parse_design_flag("kafka-3.7+hw-requires-min-isr=false", error);
  ASSERT_TRUE(plus) << error;
  EXPECT_FALSE(plus->on("hw-requires-min-isr"));
  EXPECT_FALSE(parse_design_flag("latest,kafka-0.10", error));
  EXPECT_NE(error.find("names 2 designs"), std::string::npos) << error;
}

TEST(Designs, ListsUseOneSyntaxWithSwitchesAfterTheirPreset) {
  std::string error;
  auto list = parse_design_list("kafka-0.10,kafka-2.2,isr-join-requires-epoch-start=false;latest", error);
  ASSERT_TRUE(list) << error;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].label(), "kafka-0.10");
  EXPECT_EQ((*list)[1].label(), "kafka-2.2,isr-join-requires-epoch-start=false");
  EXPECT_EQ((*list)[2].label(), "latest");
  // The older matrix form, ';' between a preset and its switches, reads the same.
  auto old = parse_design_list("kafka-0.10;truncation=leader-epoch,latest", error);
  ASSERT_TRUE(old) << error;
  EXPECT_EQ((*old)[0].get("truncation"), "leader-epoch");
  EXPECT_FALSE(parse_design_list("truncation=leader-epoch,latest", error));
  EXPECT_NE(error.find("no preset comes before it"), std::string::npos) << error;
}

TEST(Suggest, ClosestName) {
  EXPECT_EQ(did_you_mean("min.insync.replica", {"min.insync.replicas", "acks"}), ", did you mean 'min.insync.replicas'?");
  EXPECT_EQ(did_you_mean("zzzzzz", {"acks", "retries"}), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST(Contract, EveryNameIsDocumented) {
  // Every switch, history event, property, config and error name the code defines is in the shared spec
  // or in docs/spec-additions.md, so a user can look up any name the tool prints.
  std::string docs = read_all(std::string(KAFKASIM_SOURCE_DIR) + "/docs/spec-additions.md");
  for (const char* f : {"scenario-format", "cli", "properties", "designs", "consumer-groups"})
    docs += read_all(std::string(KAFKASIM_SOURCE_DIR) + "/../shared/spec/" + f + ".md");
  docs += read_all(std::string(KAFKASIM_SOURCE_DIR) + "/../shared/reference/kafka-replication.md");
  auto documented = [&](std::string_view name) { return docs.find(std::string(name)) != std::string::npos; };
  for (const auto& s : all_switches()) EXPECT_TRUE(documented("`" + std::string(s.name) + "`")) << s.name;
  for (const auto& e : all_history_events()) EXPECT_TRUE(documented("`" + std::string(e.name) + "`")) << e.name;
  for (const auto& p : all_properties()) EXPECT_TRUE(documented("`" + std::string(p.name) + "`")) << p.name;
  for (const auto& c : all_configs()) EXPECT_TRUE(documented(c.name)) << c.name;
  for (const auto& n : all_error_names()) EXPECT_TRUE(documented(n)) << n;
  for (const auto& c : explore::all_bug_classes()) EXPECT_TRUE(documented("`" + std::string(c.name) + "`")) << c.name;
  for (const auto& m : explore::situation_marks()) EXPECT_TRUE(documented("`" + m + "`")) << m;
}

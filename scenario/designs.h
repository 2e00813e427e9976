// Protocol designs: the switches of spec/designs.md, the named presets, and resolving
// "preset" or "preset + overrides" into one full Design. `kafkasim designs` prints these tables.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkasim {

struct SwitchInfo {
  std::string_view name;
  std::vector<std::string_view> values;  // first value = the value before the change
  std::string_view what_changes;
  std::string_view history;
};
const std::vector<SwitchInfo>& all_switches();
const SwitchInfo* find_switch(std::string_view name);

struct PresetInfo {
  std::string_view name;
  std::map<std::string_view, std::string_view> switches;         // every switch, resolved
  std::map<std::string_view, std::string_view> config_defaults;  // Kafka config defaults that differ
  std::string_view summary;
};
const std::vector<PresetInfo>& all_presets();
const PresetInfo* find_preset(std::string_view name);
inline constexpr std::string_view kDefaultPreset = "latest";
// Switches that only a KRaft design may turn on (spec/designs.md marks them kraft).
inline constexpr std::string_view kKraftOnlySwitches[] = {"eligible-leader-replicas", "quorum-check-quorum",
                                                          "quorum-pre-vote"};

// A resolved design: the preset it started from and the value of every switch.
struct Design {
  std::string preset;
  std::map<std::string, std::string> switches;
  std::map<std::string, std::string> overrides;  // switches set on top of the preset

  const std::string& get(std::string_view name) const;
  bool on(std::string_view name) const { return get(name) == "true"; }
  // The control plane is a Raft controller quorum (`metadata: kraft`), not ZooKeeper.
  bool kraft() const { return get("metadata") == "kraft"; }
  // "kafka-0.10" or "kafka-3.7,hw-requires-min-isr=false": the form --design and expect.designs take.
  std::string label() const;
  // The same preset with the same value of every switch (however the overrides were written).
  bool same_as(const Design& other) const { return preset == other.preset && switches == other.switches; }
};

// Resolve a preset and overrides; on error returns nullopt and sets `error`.
std::optional<Design> resolve_design(std::string_view preset, const std::map<std::string, std::string>& overrides,
                                     std::string& error);
// The CLI form: "PRESET" or "PRESET,switch=value,..." ('+' is read as ',' too: older labels used it).
std::optional<Design> parse_design_flag(std::string_view text, std::string& error);
// A list of designs, one syntax for every command: items separated by ',' or ';'; an item with '=' is a
// switch of the design before it, an item without starts the next design. So
// "kafka-0.10,kafka-2.2,isr-join-requires-epoch-start=false;latest" is three designs.
std::optional<std::vector<Design>> parse_design_list(std::string_view text, std::string& error);

}  // namespace kafkasim

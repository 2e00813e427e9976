// The names the shared spec defines (properties, history events and their fields,
// message types, fault kinds, actions), in one place the parser, the simulator and the CLI share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkasim {

enum class PropertyKind { SafetyPerEvent, SafetyEndOfRun, Liveness };

struct PropertyInfo {
  std::string_view name;
  PropertyKind kind;
  std::string_view holds_when;
};
const std::vector<PropertyInfo>& all_properties();
bool is_property(std::string_view name);

struct HistoryEventInfo {
  std::string_view name;
  std::vector<std::string_view> fields;
};
const std::vector<HistoryEventInfo>& all_history_events();
const HistoryEventInfo* find_history_event(std::string_view name);

// Kafka API names (reference section 2) plus the ZooKeeper client protocol types.
const std::vector<std::string_view>& all_message_types();
bool is_message_type(std::string_view name);

// Fault kinds `--faults` may name (spec/cli.md).
const std::vector<std::string_view>& all_fault_kinds();

// Event actions of spec/scenario-format.md, in the spec's order.
enum class ActionKind {
  Crash, PowerLoss, Restart, Pause, Resume, Partition, Isolate, Cut, Drop, Delay, Heal,
  ExpireSession, Shutdown, ElectPreferredLeader, Produce
};
struct ActionInfo {
  ActionKind kind;
  std::string_view name;
  bool takes_for;  // whether `for:` can undo it
};
const std::vector<ActionInfo>& all_actions();
const ActionInfo& action_info(ActionKind kind);
std::optional<ActionKind> find_action(std::string_view name);

}  // namespace kafkasim

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

// What the value of a `when:` field must be, so that a trigger that could never match is refused at
// parse time rather than silently never firing.
enum class FieldKind {
  BrokerId,    // 1..N (or broker-N)
  LeaderId,    // -1 or 1..N
  Node,        // a node or client name, or '*'
  Partition,   // t-0, an existing partition
  Producer,    // an existing producer id
  Consumer,    // an existing consumer id
  Count,       // a whole number >= min
  Bool,        // true or false
  OneOf,       // one of `values`
  BrokerIds,   // a list of broker ids ([1, 2, 3]), as an ISR is recorded
  Seconds,     // a duration (written with a unit), recorded as seconds
  Probability, // a number from 0 to 1
  Text,        // any text up to the value limit
};
struct FieldRule {
  FieldKind kind = FieldKind::Text;
  std::vector<std::string_view> values;  // OneOf
  std::int64_t min = 0;                  // Count
};
FieldRule field_rule(std::string_view event, std::string_view field);
// A reason a trigger on this event (with these fields) can never fire, or "" (the violation event is
// recorded after the run, the settle and done phases begin after every fault has fired).
std::string never_fires(std::string_view event);

// Kafka error names the models record (request-rejected reason, produce-failed error).
const std::vector<std::string_view>& all_error_names();

// Kafka API names (reference section 2) plus the ZooKeeper client protocol types.
const std::vector<std::string_view>& all_message_types();
bool is_message_type(std::string_view name);

// Fault kinds `--faults` may name (spec/cli.md).
const std::vector<std::string_view>& all_fault_kinds();

// Event actions of spec/scenario-format.md, in the spec's order.
enum class ActionKind {
  Crash, PowerLoss, Restart, Pause, Resume, Partition, Isolate, Cut, Drop, Delay, Heal,
  ExpireSession, Shutdown, ElectPreferredLeader, Produce, FailProcessing
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

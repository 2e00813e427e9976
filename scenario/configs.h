// Kafka configs by their Kafka names, with Kafka's defaults, plus the simulator's own `sim.*` knobs.
// A preset may change a default (spec/designs.md); a scenario's `config:` overrides both.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kafkasim {

struct Design;

enum class ConfigType { Int, Bool, Acks, String };
enum class ConfigScope { Broker, Topic, Producer, Consumer, Simulator };

struct ConfigInfo {
  std::string_view name;
  ConfigType type;
  std::string_view kafka_default;  // as Kafka writes it
  ConfigScope scope;
  std::string_view doc;
  std::int64_t min = 0;  // Int only
  std::int64_t max = 0;  // Int only: the largest value the simulator accepts (spec: "Limits")
};
// The largest value of a Kafka time config (milliseconds) the simulator accepts: 24 h, as long as any
// scenario may last; Kafka's "never" defaults (Long.MAX_VALUE) are accepted where Kafka has them.
inline constexpr std::int64_t kMaxConfigMs = 86400000;
const std::vector<ConfigInfo>& all_configs();
// The replica selectors Kafka ships (KIP-392).
inline constexpr std::string_view kRackAwareReplicaSelector = "org.apache.kafka.common.replica.RackAwareReplicaSelector";
inline constexpr std::string_view kLeaderSelector = "org.apache.kafka.common.replica.LeaderSelector";
const ConfigInfo* find_config(std::string_view name);
std::vector<std::string_view> config_names(ConfigScope scope);
std::vector<std::string_view> all_config_names();

// Checks a value for a config; returns "" or what is wrong. Normalises `acks` (-1 -> all) and bools.
std::string validate_config_value(const ConfigInfo& info, std::string& value);

// Every config with its value: Kafka default, then the preset's default, then the scenario.
class Config {
 public:
  static Config defaults_for(const Design& design);
  void set(std::string_view name, std::string value) { values_[std::string(name)] = std::move(value); }
  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  const std::string& str(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::map<std::string, std::string>& values() const { return values_; }
  std::map<std::string, std::string> explicit_values;  // what the scenario itself set, for reports

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace kafkasim

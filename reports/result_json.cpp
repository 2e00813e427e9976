// Builds the `--json` result object: scenario, file, seed, design (every switch), verdict, expected,
// violations, stats, history; `checked` lists the properties that have a checker.
#include "reports/result_json.h"

namespace kafkasim::reports {

nlohmann::ordered_json design_json(const Design& design) {
  nlohmann::ordered_json j;
  j["preset"] = design.preset;
  for (const auto& s : all_switches()) j[std::string(s.name)] = design.get(s.name);
  return j;
}

nlohmann::ordered_json violation_json(const checks::Violation& v) {
  nlohmann::ordered_json j;
  j["property"] = v.property;
  j["time"] = to_seconds(v.time);
  j["partition"] = v.partition.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v.partition);
  j["brokers"] = v.brokers;
  j["detail"] = v.detail;
  j["records"] = nlohmann::ordered_json::array();
  for (const auto& r : v.records) {
    nlohmann::ordered_json record;
    record["role"] = r.role;
    record["offset"] = r.offset;
    record["value"] = r.value;
    record["leader_epoch"] = r.leader_epoch >= 0 ? nlohmann::ordered_json(r.leader_epoch) : nlohmann::ordered_json(nullptr);
    if (r.broker >= 0) record["broker"] = r.broker;
    if (!r.producer.empty()) record["producer"] = r.producer;
    j["records"].push_back(record);
  }
  return j;
}

nlohmann::ordered_json result_json(const Scenario& scenario, const std::vector<checks::Violation>& violations,
                                   const sim::RunStats& stats, const std::string& history_path,
                                   const checks::LossStats& losses,
                                   const std::map<std::string, checks::ProducerAccount>& accounts) {
  nlohmann::ordered_json j;
  j["scenario"] = scenario.name;
  j["file"] = scenario.file;
  j["seed"] = scenario.seed;
  j["design"] = design_json(scenario.design);
  j["verdict"] = checks::verdict_pass(violations, scenario.expected()) ? "pass" : "fail";
  j["expected"] = scenario.expected();
  j["violations"] = nlohmann::ordered_json::array();
  for (const auto& v : violations) j["violations"].push_back(violation_json(v));
  j["stats"] = {{"simulated_s", to_seconds(stats.simulated)},
                {"wall_s", stats.wall_s},
                {"events", stats.events},
                {"messages", stats.messages},
                {"acked", losses.acked},
                {"lost_acks1", losses.lost_acks1},
                {"lost_unclean", losses.lost_unclean},
                {"duplicates", losses.duplicates}};
  nlohmann::ordered_json producers = nlohmann::ordered_json::object();
  for (const auto& [id, a] : accounts) {
    nlohmann::ordered_json errors = nlohmann::ordered_json::object();
    for (const auto& [error, n] : a.errors) errors[error] = n;
    producers[id] = {{"sent", a.sent}, {"acked", a.acked}, {"failed", a.failed}, {"failed_by_error", errors},
                     {"pending", a.pending()}, {"refused", a.refused}};
  }
  j["stats"]["producers"] = producers;
  j["history"] = history_path.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(history_path);
  j["checked"] = checks::checked_properties();
  return j;
}

}  // namespace kafkasim::reports

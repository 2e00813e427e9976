// The checker registry and the verdict rule of spec/properties.md.
#include "checks/checkers.h"

#include <algorithm>
#include <set>

namespace kafkasim::checks {

std::unique_ptr<Checker> make_single_leader_per_epoch();
std::unique_ptr<Checker> make_leader_in_isr();
std::unique_ptr<Checker> make_hw_within_isr();
std::unique_ptr<Checker> make_hw_monotonic();
std::unique_ptr<Checker> make_epoch_monotonic();
std::unique_ptr<Checker> make_stale_controller_obeyed();
std::unique_ptr<Checker> make_quorum_single_leader_per_epoch();
std::unique_ptr<Checker> make_metadata_committed_lost();
std::unique_ptr<Checker> make_committed_record_changed();
std::unique_ptr<Checker> make_acked_write_lost();
std::unique_ptr<Checker> make_log_divergence();
std::unique_ptr<Checker> make_phantom_read();
std::unique_ptr<Checker> make_consumer_order();
std::unique_ptr<Checker> make_producer_order();
std::unique_ptr<Checker> make_unavailable_after_heal();
std::unique_ptr<Checker> make_record_not_processed();
std::unique_ptr<Checker> make_duplicate_processing();
std::unique_ptr<Checker> make_offset_commit_regressed();
std::unique_ptr<Checker> make_commit_beyond_processed();
std::unique_ptr<Checker> make_zombie_sink_write();

std::vector<std::unique_ptr<Checker>> all_checkers() {
  std::vector<std::unique_ptr<Checker>> out;
  out.push_back(make_single_leader_per_epoch());
  out.push_back(make_leader_in_isr());
  out.push_back(make_hw_within_isr());
  out.push_back(make_hw_monotonic());
  out.push_back(make_epoch_monotonic());
  out.push_back(make_stale_controller_obeyed());
  out.push_back(make_quorum_single_leader_per_epoch());
  out.push_back(make_metadata_committed_lost());
  out.push_back(make_committed_record_changed());
  out.push_back(make_acked_write_lost());
  out.push_back(make_log_divergence());
  out.push_back(make_phantom_read());
  out.push_back(make_consumer_order());
  out.push_back(make_producer_order());
  out.push_back(make_unavailable_after_heal());
  // spec/consumer-groups.md
  out.push_back(make_record_not_processed());
  out.push_back(make_duplicate_processing());
  out.push_back(make_offset_commit_regressed());
  out.push_back(make_commit_beyond_processed());
  out.push_back(make_zombie_sink_write());
  return out;
}

std::vector<std::string> checked_properties() {
  std::vector<std::string> out;
  for (const auto& c : all_checkers()) out.emplace_back(c->property());
  return out;
}

std::vector<Violation> check_history(const Scenario& scenario, const sim::History& history) {
  std::vector<Violation> out;
  for (const auto& c : all_checkers()) {
    auto found = c->check(scenario, history);
    out.insert(out.end(), found.begin(), found.end());
  }
  std::stable_sort(out.begin(), out.end(), [](const Violation& a, const Violation& b) { return a.time < b.time; });
  return out;
}

bool verdict_pass(const std::vector<Violation>& violations, const std::vector<std::string>& expected) {
  std::set<std::string> found;
  for (const auto& v : violations) found.insert(v.property);
  return found == std::set<std::string>(expected.begin(), expected.end());
}

}  // namespace kafkasim::checks

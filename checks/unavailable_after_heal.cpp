// Liveness, `unavailable-after-heal`: the settle phase must end converged, not by running out of time.
#include "checks/checkers.h"

#include <fmt/format.h>

namespace kafkasim::checks {

namespace {
class UnavailableAfterHeal : public Checker {
 public:
  std::string_view property() const override { return "unavailable-after-heal"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    Micros settle_start = -1;
    for (const auto& e : history.events()) {
      if (e.name != "phase") continue;
      const std::string name = e.str_or("name", "");
      if (name == "settle") settle_start = e.t;
      if (name != "done") continue;
      const sim::Value* converged = e.get("converged");
      if (converged != nullptr && std::get_if<bool>(converged) && !std::get<bool>(*converged))
        return {Violation{std::string(property()), e.t, "", {},
                          fmt::format("the cluster had not converged {} after the faults were healed at {} s{}",
                                      format_duration(scenario.settle), format_seconds(settle_start),
                                      e.str_or("detail", "").empty() ? "" : ": " + e.str_or("detail", ""))}};
    }
    return {};
  }
};
}  // namespace

std::unique_ptr<Checker> make_unavailable_after_heal() { return std::make_unique<UnavailableAfterHeal>(); }

}  // namespace kafkasim::checks

// Closest-name suggestions for unknown keys, switches, presets, properties and nodes.
#include "scenario/suggest.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace kafkasim {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view wrong, const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = SIZE_MAX;
  for (auto k : known) {
    std::size_t d = edit_distance(wrong, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  // Close enough: a third of the name, at least 2 edits (`acks` vs `ack`), or a prefix (`min.insync` of
  // `min.insync.replicas`).
  std::size_t limit = std::max<std::size_t>(2, wrong.size() / 3);
  bool prefix = !best.empty() && wrong.size() >= 4 && best.substr(0, wrong.size()) == wrong;
  if (best.empty() || (best_distance > limit && !prefix)) return "";
  return fmt::format(", did you mean '{}'?", best);
}

std::string join_names(const std::vector<std::string_view>& names, std::string_view last_sep) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? std::string(last_sep) : std::string(", ");
    out += names[i];
  }
  return out;
}

}  // namespace kafkasim

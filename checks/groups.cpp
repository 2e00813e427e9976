// Helpers of the consumer-group checkers.
#include "checks/groups.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kafkasim::checks {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}
}  // namespace

const ConsumerSpec* find_consumer(const Scenario& scenario, std::string_view id) {
  for (const auto& c : scenario.consumers)
    if (c.id == id) return &c;
  return nullptr;
}

std::string group_of(const Scenario& scenario, const sim::HistoryEvent& e) {
  std::string group = e.str_or("group", "");
  if (!group.empty()) return group;
  const ConsumerSpec* c = find_consumer(scenario, e.str_or("consumer", ""));
  return c == nullptr ? "" : c->group;
}

std::map<std::string, std::vector<std::string>> parse_assignment(std::string_view text) {
  std::map<std::string, std::vector<std::string>> out;
  text = trim(text);
  if (!text.empty() && text.front() == '{') text.remove_prefix(1);
  if (!text.empty() && text.back() == '}') text.remove_suffix(1);
  while (true) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) break;
    const std::string member(trim(text.substr(0, colon)));
    text.remove_prefix(colon + 1);
    const auto open = text.find('[');
    const auto close = text.find(']');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) break;
    auto& partitions = out[member];
    std::string_view list = text.substr(open + 1, close - open - 1);
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view item = trim(list.substr(0, comma));
      if (!item.empty()) partitions.emplace_back(item);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    text.remove_prefix(close + 1);
    const auto next = text.find(',');
    if (next == std::string_view::npos) break;
    text.remove_prefix(next + 1);
  }
  return out;
}

std::map<std::string, std::string> owners(const std::map<std::string, std::vector<std::string>>& assignment) {
  std::map<std::string, std::string> out;
  for (const auto& [member, partitions] : assignment)
    for (const auto& p : partitions) out[p] = member;
  return out;
}

std::string offsets_text(std::vector<std::int64_t> offsets, std::size_t max_parts) {
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  std::vector<std::string> parts;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < offsets.size() && parts.size() < max_parts;) {
    std::size_t j = i;
    while (j + 1 < offsets.size() && offsets[j + 1] == offsets[j] + 1) ++j;
    if (j - i >= 2) {
      parts.push_back(fmt::format("{}-{}", offsets[i], offsets[j]));
    } else {
      j = i;
      parts.push_back(fmt::format("{}", offsets[i]));
    }
    shown = j + 1;
    i = j + 1;
  }
  std::string out = fmt::format("{}", fmt::join(parts, ", "));
  if (shown < offsets.size()) out += fmt::format(" and {} more", offsets.size() - shown);
  return out;
}

}  // namespace kafkasim::checks

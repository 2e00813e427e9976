// RangeAssignor and CooperativeStickyAssignor, as the group leader runs them.
#include "models/groups/assignors.h"

#include <algorithm>
#include <deque>
#include <set>

#include "models/partition_state.h"

namespace kafkasim::models::groups {

namespace {
std::vector<std::string> subscribers(const std::map<std::string, Subscription>& members, const std::string& topic,
                                     Assignment& out) {
  std::vector<std::string> ids;
  for (const auto& [id, s] : members) {
    out[id];
    if (s.topic == topic) ids.push_back(id);
  }
  return ids;
}
}  // namespace

Assignment range_assign(const std::map<std::string, Subscription>& members, const std::string& topic, int partitions) {
  Assignment out;
  const std::vector<std::string> ids = subscribers(members, topic, out);
  if (ids.empty()) return out;
  const int per = partitions / static_cast<int>(ids.size());
  const int extra = partitions % static_cast<int>(ids.size());
  for (int i = 0; i < static_cast<int>(ids.size()); ++i) {
    const int start = per * i + std::min(i, extra);
    const int length = per + (i + 1 > extra ? 0 : 1);
    for (int p = start; p < start + length; ++p) out[ids[static_cast<std::size_t>(i)]].push_back(partition_name(topic, p));
  }
  return out;
}

Assignment cooperative_sticky_assign(const std::map<std::string, Subscription>& members, const std::string& topic,
                                     int partitions) {
  Assignment out;
  const std::vector<std::string> ids = subscribers(members, topic, out);
  if (ids.empty() || partitions <= 0) return out;
  std::map<std::string, int> index;  // partition -> its number, for the topic's partitions only
  for (int p = 0; p < partitions; ++p) index[partition_name(topic, p)] = p;
  const auto by_number = [&](const std::string& a, const std::string& b) { return index.at(a) < index.at(b); };

  // Owned partitions: only the highest generation's claims count, and a partition two of them claim is nobody's.
  std::int32_t max_generation = -1;
  for (const auto& id : ids) max_generation = std::max(max_generation, members.at(id).owned_generation);
  std::map<std::string, std::string> previous_owner;
  std::set<std::string> claimed_twice;
  if (max_generation >= 0)
    for (const auto& id : ids) {
      const Subscription& s = members.at(id);
      if (s.owned_generation != max_generation) continue;
      for (const auto& p : s.owned) {
        if (index.count(p) == 0) continue;
        if (!previous_owner.emplace(p, id).second) claimed_twice.insert(p);
      }
    }
  std::map<std::string, std::vector<std::string>> owned;
  for (const auto& [p, id] : previous_owner)
    if (claimed_twice.count(p) == 0) owned[id].push_back(p);
  for (auto& [id, list] : owned) std::sort(list.begin(), list.end(), by_number);

  const int count = static_cast<int>(ids.size());
  const std::size_t min_quota = static_cast<std::size_t>(partitions / count);
  const std::size_t max_quota = static_cast<std::size_t>((partitions + count - 1) / count);
  const int expected_over_min = partitions % count;
  int over_min = 0;
  std::vector<std::string> under_min;    // unfilledMembersWithUnderMinQuotaPartitions
  std::deque<std::string> exactly_min;   // unfilledMembersWithExactlyMinQuotaPartitions
  std::set<std::string> revoked, assigned;
  for (const auto& id : ids) {
    const std::vector<std::string>& mine = owned[id];
    std::vector<std::string>& share = out[id];
    std::size_t keep = mine.size();
    if (mine.size() < min_quota) {
      under_min.push_back(id);
    } else if (mine.size() >= max_quota && over_min < expected_over_min) {
      keep = max_quota;
      if (++over_min == expected_over_min) exactly_min.clear();
    } else {
      keep = min_quota;
      if (over_min < expected_over_min) exactly_min.push_back(id);
    }
    for (std::size_t i = 0; i < mine.size(); ++i) {
      if (i < keep) {
        share.push_back(mine[i]);
        assigned.insert(mine[i]);
      } else {
        revoked.insert(mine[i]);
      }
    }
  }
  // The rest, round-robin to the members under the minimum quota, then one each to members at it.
  std::map<std::string, std::string> transferring;  // partition -> its new owner
  std::size_t next = 0;
  for (int p = 0; p < partitions; ++p) {
    const std::string name = partition_name(topic, p);
    if (assigned.count(name) > 0) continue;
    std::string member;
    if (!under_min.empty()) {
      if (next >= under_min.size()) next = 0;
      member = under_min[next];
    } else if (!exactly_min.empty()) {
      member = exactly_min.front();
      exactly_min.pop_front();
    } else {
      break;  // cannot happen: the quotas cover every partition
    }
    std::vector<std::string>& share = out[member];
    share.push_back(name);
    if (revoked.count(name) > 0 || claimed_twice.count(name) > 0) transferring[name] = member;
    if (!under_min.empty() && under_min[next] == member) {
      if (share.size() == min_quota) {
        under_min.erase(under_min.begin() + static_cast<std::ptrdiff_t>(next));
        exactly_min.push_back(member);
      } else {
        ++next;
      }
    } else if (share.size() == max_quota) {
      ++over_min;
    }
  }
  // adjustAssignment: a partition changing hands waits one rebalance, until its old owner has revoked it.
  for (const auto& [p, member] : transferring) {
    auto& share = out[member];
    share.erase(std::remove(share.begin(), share.end(), p), share.end());
  }
  for (auto& [id, share] : out) std::sort(share.begin(), share.end(), by_number);
  return out;
}

}  // namespace kafkasim::models::groups

// The consumer's partition assignors, run by the group leader (ConsumerPartitionAssignor): RangeAssignor,
// and CooperativeStickyAssignor (KIP-429), which keeps what members own where the balance allows and
// leaves a partition that moves between two members unassigned for one rebalance, so its old owner
// revokes it first.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kafkasim::models::groups {

// What the leader knows of each member from its JoinGroup: the topic it subscribes to, the partitions it
// owns and the generation it owned them in (-1: none).
struct Subscription {
  std::string topic;
  std::vector<std::string> owned;
  std::int32_t owned_generation = -1;
};
using Assignment = std::map<std::string, std::vector<std::string>>;  // member id -> partitions

// RangeAssignor: members sorted by id, each a range of the topic's partitions, the first ones one more.
Assignment range_assign(const std::map<std::string, Subscription>& members, const std::string& topic, int partitions);
// CooperativeStickyAssignor (AbstractStickyAssignor.constrainedAssign, then adjustAssignment): owned
// partitions count only from the members of the highest generation, and one claimed twice from neither;
// each member keeps its owned partitions up to its quota (partitions / members, the first
// partitions % members of them one more), the rest are dealt round-robin to members under quota; a
// partition taken from one member for another is left out of the new owner's share this round.
// Kafka walks its members in hash order; here they go in id order, so the answer is reproducible.
Assignment cooperative_sticky_assign(const std::map<std::string, Subscription>& members, const std::string& topic,
                                     int partitions);

}  // namespace kafkasim::models::groups

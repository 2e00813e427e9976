// What the harness reads of a KRaft control plane from outside (dynamic targets, convergence, stats):
// the quorum leader now, the newest committed metadata, and whether the cluster has converged.
#pragma once

#include <optional>
#include <string>

#include "models/kraft/metadata.h"
#include "models/partition_state.h"

namespace kafkasim::sim {
class World;
}

namespace kafkasim::models::kraft {

class QuorumController;

// The running controller node that leads the quorum in the highest epoch (a cut-off leader of an older
// epoch may still believe it leads: the one in the newest epoch is the quorum's).
QuorumController* quorum_leader(sim::World& world);
// The committed image of the controller node that has committed the most (nullptr before any commit).
const MetadataImage* newest_committed(sim::World& world);
// "" when converged (spec/properties.md), else the first thing that is not, in words.
std::string convergence_gap(sim::World& world, const PartitionCatalog& catalog);

}  // namespace kafkasim::models::kraft

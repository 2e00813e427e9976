// The KRaft control plane seen from outside the processes.
#include "models/kraft/cluster_view.h"

#include <fmt/format.h>

#include "models/broker.h"
#include "models/clients.h"
#include "models/kraft/quorum_controller.h"
#include "sim/world.h"

namespace kafkasim::models::kraft {

namespace {
QuorumController* running_controller(sim::World& world, int node) {
  if (world.node_kind(node) != NodeKind::Controller) return nullptr;
  const auto state = world.state(node);
  if (state != sim::ProcessState::Up && state != sim::ProcessState::Paused) return nullptr;
  return static_cast<QuorumController*>(world.process(node));
}
}  // namespace

QuorumController* quorum_leader(sim::World& world) {
  QuorumController* best = nullptr;
  for (int i = 0; i < world.controller_count(); ++i) {
    QuorumController* c = running_controller(world, world.controller_node(i));
    if (c == nullptr || !c->raft().is_leader()) continue;
    if (best == nullptr || c->raft().epoch() > best->raft().epoch()) best = c;
  }
  return best;
}

const MetadataImage* newest_committed(sim::World& world) {
  const MetadataImage* best = nullptr;
  for (int i = 0; i < world.controller_count(); ++i) {
    QuorumController* c = running_controller(world, world.controller_node(i));
    if (c == nullptr) continue;
    if (best == nullptr || c->committed().applied > best->applied) best = &c->committed();
  }
  return best;
}

std::string convergence_gap(sim::World& world, const PartitionCatalog& catalog) {
  // One quorum leader, active, every voter running and caught up with its log.
  QuorumController* leader = quorum_leader(world);
  if (leader == nullptr || !leader->active()) return "no controller node is the active controller";
  for (int i = 0; i < world.controller_count(); ++i) {
    const int n = world.controller_node(i);
    if (world.state(n) != sim::ProcessState::Up) return fmt::format("{} is not running", world.node_name(n));
    auto* c = static_cast<QuorumController*>(world.process(n));
    if (c != leader && c->raft().is_leader())
      return fmt::format("{} still acts as quorum leader in epoch {}", world.node_name(n), c->raft().epoch());
    if (c->raft().high_watermark() < leader->raft().end_offset())
      return fmt::format("{} has committed metadata to {}, the leader's log ends at {}", world.node_name(n),
                         c->raft().high_watermark(), leader->raft().end_offset());
  }
  const MetadataImage& image = leader->committed();
  // Every broker running, registered, unfenced, and its metadata caught up.
  for (int n = 0; n < world.node_count(); ++n) {
    if (world.node_kind(n) != NodeKind::Broker) continue;
    if (world.state(n) != sim::ProcessState::Up) return fmt::format("{} is not running", world.node_name(n));
    auto* broker = static_cast<Broker*>(world.process(n));
    const BrokerLifecycle* life = broker->kraft();
    auto reg = image.brokers.find(broker->broker_id());
    if (life == nullptr || !life->registered() || reg == image.brokers.end() ||
        reg->second.broker_epoch != life->broker_epoch())
      return fmt::format("{} is not registered with the active controller", world.node_name(n));
    if (reg->second.fenced) return fmt::format("{} is fenced", world.node_name(n));
    if (life->raft().delivered() < leader->raft().high_watermark())
      return fmt::format("{} has applied metadata to {}, the quorum has committed {}", world.node_name(n),
                         life->raft().delivered(), leader->raft().high_watermark());
  }
  for (const auto& p : catalog.all()) {
    auto it = image.partitions.find(p.name);
    if (it == image.partitions.end()) return fmt::format("{} has not been created", p.name);
    const PartitionImage& state = it->second;
    if (state.leader < 1) return fmt::format("{} has no leader in the committed metadata", p.name);
    auto* lb = static_cast<Broker*>(world.process(world.broker_node(state.leader)));
    const auto& replicas = lb->replica_manager().replicas();
    auto r = replicas.find(p.name);
    if (r == replicas.end() || !r->second.is_leader || r->second.leader_epoch != state.leader_epoch)
      return fmt::format("{}: the metadata names broker-{} leader in epoch {}, which it has not taken up", p.name,
                         state.leader, state.leader_epoch);
    if (state.isr.size() != p.replicas.size() || r->second.pending_isr)
      return fmt::format("{}: the ISR is {} of {} replicas{}", p.name, state.isr.size(), p.replicas.size(),
                         r->second.pending_isr ? " (an ISR change is pending)" : "");
    const std::int64_t leo = lb->replica_manager().leo(p.name);
    if (r->second.hw != leo) return fmt::format("{}: the leader's HW {} is below its LEO {}", p.name, r->second.hw, leo);
    for (int b : p.replicas) {
      auto* f = static_cast<Broker*>(world.process(world.broker_node(b)));
      if (f->replica_manager().leo(p.name) != leo)
        return fmt::format("{}: broker-{}'s LEO {} differs from the leader's {}", p.name, b, f->replica_manager().leo(p.name), leo);
    }
  }
  return "";
}

}  // namespace kafkasim::models::kraft

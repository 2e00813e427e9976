// Wiring: which process runs on which node, and the admin actions the models know how to perform.
#include "models/kafka_cluster.h"

#include <fmt/format.h>

#include "models/broker.h"
#include "models/idle_models.h"
#include "models/zookeeper/server.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
zk::ServerState& zookeeper_state(sim::World& world) {
  return static_cast<zk::ServerState&>(*world.durable(world.zookeeper_node()));
}
}  // namespace

std::unique_ptr<sim::Node> KafkaCluster::start_process(sim::World& world, int node) {
  switch (world.node_kind(node)) {
    case NodeKind::Broker: return std::make_unique<Broker>(world, node, world.zookeeper_node());
    case NodeKind::ZooKeeper: return std::make_unique<zk::Server>(world, node, zookeeper_state(world));
    case NodeKind::Client: return std::make_unique<IdleProcess>(world, node);
  }
  return nullptr;
}

std::unique_ptr<sim::DurableState> KafkaCluster::create_durable(sim::World& world, int node) {
  if (world.node_kind(node) == NodeKind::ZooKeeper) return std::make_unique<zk::ServerState>();
  return nullptr;
}

std::optional<int> KafkaCluster::resolve(sim::World&, const Target&) {
  return std::nullopt;  // no controller and no partition leaders are modelled yet
}

std::string KafkaCluster::expire_session(sim::World& world, int broker_node) {
  const int zk_node = world.zookeeper_node();
  bool has_session = false;
  for (const auto& [id, s] : zookeeper_state(world).sessions) has_session |= s.client_node == broker_node;
  if (!has_session) return fmt::format("{} has no ZooKeeper session now", world.node_name(broker_node));
  if (!world.up(zk_node)) return "the ZooKeeper server is not running";
  world.on_node(zk_node, 0, [&world, zk_node, broker_node] {
    static_cast<zk::Server*>(world.process(zk_node))->expire_client_session(broker_node);
  });
  return "";
}

std::string KafkaCluster::shutdown(sim::World& world, int broker_node) {
  return world.stop(broker_node);  // controlled shutdown moves leadership first once leaders exist
}

std::string KafkaCluster::elect_preferred_leader(sim::World&, const std::string&) {
  return "no controller model yet";
}

std::string KafkaCluster::produce(sim::World&, const ProduceSpec&) { return "no producer model yet"; }

void KafkaCluster::stop_producers(sim::World&) {}

bool KafkaCluster::converged(sim::World& world) {
  // Every broker running and registered under the ZooKeeper session it holds now.
  zk::ServerState& zk = zookeeper_state(world);
  for (int n = 0; n < world.node_count(); ++n) {
    if (world.node_kind(n) != NodeKind::Broker) continue;
    if (world.state(n) != sim::ProcessState::Up) return false;
    auto* broker = static_cast<Broker*>(world.process(n));
    auto stat = zk.tree.exists(fmt::format("/brokers/ids/{}", broker->broker_id()));
    if (!stat || broker->broker_epoch() != stat->czxid || zk.sessions.count(stat->ephemeral_owner) == 0)
      return false;
  }
  return true;
}

}  // namespace kafkasim::models

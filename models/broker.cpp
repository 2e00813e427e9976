// Broker start-up as KafkaServer does it in ZooKeeper mode: connect, make sure the persistent paths
// exist, register the ephemeral /brokers/ids/<id>. When the node of an older session of this broker is
// still there (a fast restart), creating it fails with NODEEXISTS and the broker retries until that
// session expires and the node goes (the old ZkUtils createEphemeralPathExpectConflictHandleZKBug loop).
#include "models/broker.h"

#include <fmt/format.h>

#include "models/control_requests.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
const std::vector<std::string> kTopLevelPaths = {"/brokers", "/brokers/ids", "/brokers/topics"};
constexpr Micros kRegistrationRetry = kMicrosPerSecond;
}  // namespace

Broker::Broker(sim::World& world, int node, int zookeeper_node)
    : sim::Node(world, node),
      zk_(*this, zookeeper_node, from_ms(world.scenario().config.integer("zookeeper.session.timeout.ms")),
          [this](zk::Client::State s, zk::SessionId id) { on_zk_state(s, id); }) {}

void Broker::on_start() { zk_.start_session(); }

void Broker::on_message(const sim::Envelope& envelope) {
  if (const auto* w = dynamic_cast<const zk::ZkWatch*>(envelope.body.get())) zk_.on_watch(*w);
  else if (const auto* c = dynamic_cast<const ControlRequest*>(envelope.body.get())) on_control_request(envelope, *c);
}

void Broker::on_control_request(const sim::Envelope& envelope, const ControlRequest& request) {
  // KafkaApis / ReplicaManager fencing: a request from an older controller epoch than the highest seen is
  // refused; with KIP-380 so is one addressed to an earlier registration of this broker.
  const std::string name(request.type());
  std::string error;
  if (request.controller_epoch < controller_epoch_seen_) error = "STALE_CONTROLLER_EPOCH";
  else if (world().scenario().design.on("broker-epoch") && request.broker_epoch != -1 &&
           request.broker_epoch < broker_epoch_)
    error = "STALE_BROKER_EPOCH";
  auto response = std::make_unique<ControlResponse>();
  response->request = name;
  if (!error.empty()) {
    record("request-rejected", {{"broker", std::int64_t{broker_id()}},
                                {"request", name},
                                {"from", std::int64_t{request.controller_id}},
                                {"reason", error},
                                {"controller_epoch", request.controller_epoch}});
    response->error = error;
    reply(envelope, std::move(response));
    return;
  }
  controller_epoch_seen_ = request.controller_epoch;
  record("control-applied", {{"broker", std::int64_t{broker_id()}},
                             {"request", name},
                             {"from", std::int64_t{request.controller_id}},
                             {"controller_epoch", request.controller_epoch},
                             {"sent", to_seconds(request.sent_at)}});
  if (const auto* um = dynamic_cast<const UpdateMetadata*>(&request)) metadata_live_brokers_ = um->live_brokers;
  reply(envelope, std::move(response));
}

void Broker::on_zk_state(zk::Client::State state, zk::SessionId session) {
  switch (state) {
    case zk::Client::State::Connected:
      if (registered_in_ == session) controller_.startup();  // back in the same session: a request may have
                                                             // been lost, elect() checks again
      else maybe_register();
      break;
    case zk::Client::State::Expired:
      // KafkaZkClient's session-expiry handler: resign, a new session, then register again (a new broker
      // epoch) and take part in the election again.
      controller_.session_expired();
      registered_in_ = 0;
      broker_epoch_ = -1;
      zk_.start_session();
      break;
    case zk::Client::State::Connecting:
    case zk::Client::State::Disconnected: break;
  }
}

void Broker::maybe_register() {
  if (registering_ || registered_in_ == zk_.session() || zk_.state() != zk::Client::State::Connected) return;
  create_top_level_paths(0);
}

void Broker::registration_failed() {
  // Lost the connection mid-way. The client may already be connected again (its Connected came while
  // this attempt was still under way), so try again shortly rather than wait for the next Connected.
  registering_ = false;
  after(kRegistrationRetry, [this] { maybe_register(); });
}

void Broker::create_top_level_paths(std::size_t next) {
  registering_ = true;
  if (next == kTopLevelPaths.size()) {
    register_broker();
    return;
  }
  zk_.create(kTopLevelPaths[next], "", zk::CreateMode::Persistent, [this, next](zk::Error e, const zk::ZkResponse*) {
    if (e == zk::Error::Ok || e == zk::Error::NodeExists) create_top_level_paths(next + 1);
    else registration_failed();
  });
}

void Broker::register_broker() {
  const zk::SessionId session = zk_.session();
  const std::string path = fmt::format("/brokers/ids/{}", broker_id());
  const std::string data = fmt::format(R"({{"host":"{}","port":9092,"version":5}})", name());
  zk_.create(path, data, zk::CreateMode::Ephemeral, [this, session](zk::Error e, const zk::ZkResponse* resp) {
    if (session != zk_.session()) {
      registering_ = false;
      return;  // that session is over; its successor registers afresh
    }
    if (e == zk::Error::Ok) {
      registering_ = false;
      registered_in_ = session;
      broker_epoch_ = resp->result.stat.czxid;
      record("broker-registered", {{"broker", std::int64_t{broker_id()}}, {"broker_epoch", broker_epoch_}});
      controller_.startup();
      return;
    }
    if (e == zk::Error::NodeExists) {
      after(kRegistrationRetry, [this, session] {
        if (session == zk_.session() && zk_.state() == zk::Client::State::Connected) register_broker();
        else registration_failed();
      });
      return;
    }
    registration_failed();
  });
}

}  // namespace kafkasim::models

// Broker start-up as KafkaServer does it in ZooKeeper mode: connect, make sure the persistent paths
// exist, register the ephemeral /brokers/ids/<id>. When the node of an older session of this broker is
// still there (a restart faster than the session timeout), the registration fails with NodeExists and
// start-up fails: the process exits (0.10.2 ZkUtils.registerBrokerInZk: "A broker is already registered
// on the path ... you have shutdown this broker and restarted it faster than the zookeeper timeout";
// 2.x KafkaZkClient.checkedEphemeralCreate throws NodeExistsException), and the operator starts it again.
// Requests are dispatched to the controller role or to the ReplicaManager.
#include "models/broker.h"

#include <fmt/format.h>

#include "models/control_requests.h"
#include "models/kafka_protocol.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
const std::vector<std::string> kTopLevelPaths = {"/brokers", "/brokers/ids", "/brokers/topics"};
constexpr Micros kRegistrationRetry = kMicrosPerSecond;
}  // namespace

Broker::Broker(sim::World& world, int node, int zookeeper_node, BrokerStorage& storage, const PartitionCatalog& catalog)
    : sim::Node(world, node),
      catalog_(catalog),
      storage_(storage),
      zk_(*this, zookeeper_node, from_ms(world.scenario().config.integer("zookeeper.session.timeout.ms")),
          [this](zk::Client::State s, zk::SessionId id) { on_zk_state(s, id); }),
      replicas_(*this, storage) {
  if (world.scenario().design.kraft()) kraft_ = std::make_unique<kraft::BrokerLifecycle>(*this, storage.metadata);
}

void Broker::on_start() {
  if (kraft_) kraft_->start();
  else zk_.start_session();
  replicas_.start();
}

bool Broker::serves_requests_at_start() const {
  // KRaft: BrokerServer enables request processing after the initial metadata catch-up.
  return !kraft_ && !world().scenario().design.on("requests-after-registration");
}

int Broker::controller_node() const {
  if (kraft_) return kraft_->controller_node();
  return known_controller_ < 1 ? -1 : world().broker_node(known_controller_);
}

void Broker::on_message(const sim::Envelope& envelope) {
  if (kraft_ && kraft_->on_message(envelope)) return;
  const sim::Message* body = envelope.body.get();
  if (const auto* w = dynamic_cast<const zk::ZkWatch*>(body)) zk_.on_watch(*w);
  else if (const auto* f = dynamic_cast<const FetchRequest*>(body)) replicas_.on_fetch(envelope, *f);
  else if (const auto* p = dynamic_cast<const ProduceRequest*>(body)) replicas_.on_produce(envelope, *p);
  else if (const auto* o = dynamic_cast<const OffsetsForLeaderEpochRequest*>(body))
    replicas_.on_offsets_for_leader_epoch(envelope, *o);
  else if (const auto* m = dynamic_cast<const MetadataRequest*>(body)) replicas_.on_metadata(envelope, *m);
  else if (const auto* c = dynamic_cast<const ControlRequest*>(body)) on_control_request(envelope, *c);
  else if (const auto* a = dynamic_cast<const AlterPartitionRequest*>(body)) controller_.on_alter_partition(envelope, *a);
  else if (const auto* s = dynamic_cast<const ControlledShutdownRequest*>(body))
    controller_.on_controlled_shutdown(envelope, *s);
  else if (dynamic_cast<const InitProducerIdRequest*>(body) != nullptr) {
    // ProducerIdManager hands out ids from a block of its own (ZooKeeper's /latest_producer_id_block);
    // here the block is the broker and its process, so no two ever hand out the same id.
    auto resp = std::make_unique<InitProducerIdResponse>();
    resp->producer_id = (static_cast<std::int64_t>(broker_id()) << 40) |
                        (static_cast<std::int64_t>(world().incarnation(node())) << 20) | ++producer_ids_;
    resp->producer_epoch = 0;
    reply(envelope, std::move(resp));
  } else {
    coordinator_.on_message(envelope);
  }
}

void Broker::controlled_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  if (kraft_) kraft_->begin_controlled_shutdown();
  else shutdown_attempt(0);
}

void Broker::shutdown_attempt(int attempt) {
  // KafkaServer.controlledShutdown: up to controlled.shutdown.max.retries attempts, then stop anyway.
  const auto& config = world().scenario().config;
  if (!config.boolean("controlled.shutdown.enable") || attempt > config.integer("controlled.shutdown.max.retries") ||
      known_controller_ < 1)
    return finish_shutdown();
  auto ask = std::make_unique<ControlledShutdownRequest>();
  ask->broker = broker_id();
  ask->broker_epoch = broker_epoch_;
  const Micros timeout = from_ms(config.integer("controller.socket.timeout.ms"));
  request(world().broker_node(known_controller_), std::move(ask), timeout,
          [this, attempt](sim::Failure f, const sim::Message* m) {
            const auto* resp = static_cast<const ControlledShutdownResponse*>(m);
            if (f == sim::Failure::None && resp->error.empty() && resp->partitions_remaining.empty())
              return finish_shutdown();
            after(from_ms(world().scenario().config.integer("controlled.shutdown.retry.backoff.ms")),
                  [this, attempt] { shutdown_attempt(attempt + 1); });
          });
}

void Broker::finish_shutdown() {
  // KafkaServer.shutdown: ReplicaManager.shutdown(checkpointHW = true) writes the HW checkpoint and
  // LogManager.shutdown flushes every log (fsync): a clean stop loses nothing to a later power loss.
  replicas_.checkpoint_hw();
  replicas_.flush_logs();
  if (kraft_) {
    // LogManager.shutdown writes the clean-shutdown file with the broker epoch (KIP-966 reads it back).
    storage_.metadata.clean_shutdown_epoch = broker_epoch_;
    return end_process();
  }
  // The session is closed, so the registration goes at once, and the process stops.
  zk_.close_session([this] { end_process(); });
}

void Broker::end_process() {
  const int n = node();
  sim::World& w = world();
  if (exit_reason_.empty()) w.on_control(0, [&w, n] { w.stop(n); });
  else w.on_control(0, [&w, n, reason = exit_reason_] { w.exit_process(n, reason); });
}

void Broker::fatal_exit(const std::string& reason) {
  // FatalExitError: Exit.exit runs the shutdown hook (KafkaServer.shutdown, a controlled shutdown first
  // where enabled), and the process ends with an error status, which the operator restarts.
  if (!exit_reason_.empty()) return;
  exit_reason_ = reason;  // a shutdown already under way ends in this exit (finish_shutdown reads it)
  controlled_shutdown();
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
  known_controller_ = request.controller_id;
  record("control-applied", {{"broker", std::int64_t{broker_id()}},
                             {"request", name},
                             {"from", std::int64_t{request.controller_id}},
                             {"controller_epoch", request.controller_epoch},
                             {"sent", to_seconds(request.sent_at)}});
  if (const auto* um = dynamic_cast<const UpdateMetadata*>(&request)) {
    metadata_live_brokers_ = um->live_brokers;
    replicas_.apply_update_metadata(*um);
  } else if (const auto* li = dynamic_cast<const LeaderAndIsr*>(&request)) {
    replicas_.apply_leader_and_isr(*li);
  } else if (const auto* st = dynamic_cast<const StopReplica*>(&request)) {
    replicas_.stop_replicas(st->partitions);
  }
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
      registered_in_ = 0;
      broker_epoch_ = -1;
      awaiting_expire_ = true;
      zk_.start_session();
      controller_.session_expired([this] {
        awaiting_expire_ = false;
        maybe_register();
      });
      break;
    case zk::Client::State::Connecting:
    case zk::Client::State::Disconnected:
    case zk::Client::State::Closed: break;
  }
}

void Broker::maybe_register() {
  if (registering_ || awaiting_expire_ || registered_in_ == zk_.session() || zk_.state() != zk::Client::State::Connected)
    return;
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
  zk_.create(path, data, zk::CreateMode::Ephemeral, [this, session, path](zk::Error e, const zk::ZkResponse* resp) {
    if (session != zk_.session()) {
      registering_ = false;
      return;  // that session is over; its successor registers afresh
    }
    if (e == zk::Error::Ok) return registered(session, resp->result.stat.czxid);
    if (e == zk::Error::NodeExists) {
      // KafkaZkClient.CheckedEphemeral: the node may be this session's own, created by an attempt whose
      // reply was lost; then the registration stands. Another session's node is waited out.
      zk_.exists(path, nullptr, [this, session](zk::Error e2, const zk::ZkResponse* r2) {
        if (session != zk_.session()) {
          registering_ = false;
          return;
        }
        if (e2 == zk::Error::Ok && r2->exists && r2->stat.ephemeral_owner == session) return registered(session, r2->stat.czxid);
        if (e2 == zk::Error::Ok && r2->exists && broker_epoch_ < 0 && !ever_registered_) {
          // Start-up fails: KafkaServer.startup's fatal error runs shutdown(), which closes the new
          // ZooKeeper session, and the process exits.
          registering_ = false;
          zk_.close_session([this] {
            const int n = node();
            sim::World& w = world();
            w.on_control(0, [&w, n] { w.exit_process(n, "NODE_EXISTS"); });
          });
          return;
        }
        after(kRegistrationRetry, [this, session] {
          if (session == zk_.session() && zk_.state() == zk::Client::State::Connected) register_broker();
          else registration_failed();
        });
      });
      return;
    }
    registration_failed();
  });
}

void Broker::registered(zk::SessionId session, std::int64_t czxid) {
  registering_ = false;
  ever_registered_ = true;
  registered_in_ = session;
  broker_epoch_ = czxid;
  record("broker-registered", {{"broker", std::int64_t{broker_id()}}, {"broker_epoch", broker_epoch_}});
  world().open_for_requests(node());  // the start-up is done: what waited is handled now
  controller_.startup();
}

}  // namespace kafkasim::models

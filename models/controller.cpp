// KafkaController's election and tenure (core/src/main/scala/kafka/controller/KafkaController.scala,
// KafkaZkClient.registerControllerAndIncrementControllerEpoch).
#include "models/controller.h"

#include <charconv>
#include <memory>

#include <fmt/format.h>

#include "models/broker.h"
#include "models/control_requests.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
std::int64_t parse_int(const std::string& s, std::int64_t fallback) {
  std::int64_t v = fallback;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}
// /controller holds {"version":1,"brokerid":N,"timestamp":"..."}.
int controller_id_of(const std::string& data) {
  auto at = data.find("\"brokerid\":");
  return at == std::string::npos ? -1 : static_cast<int>(parse_int(data.substr(at + 11), -1));
}
}  // namespace

Controller::Controller(Broker& broker, zk::Client& zk) : broker_(broker), zk_(zk) {}

void Controller::startup() { elect(); }

void Controller::elect() {
  // registerZNodeChangeHandlerAndCheckExistence(controllerChangeHandler), then getControllerId.
  const std::uint64_t gen = generation_;
  zk_.exists("/controller", [this, gen](zk::WatchType, const std::string&) {
                 if (gen == generation_) on_controller_change();
               },
             [this, gen](zk::Error e, const zk::ZkResponse* r) {
               if (gen != generation_) return;
               if (e != zk::Error::Ok) return retry_later();
               if (!r->exists) read_epoch_then_elect();
               else check_controller_and_epoch();  // someone is controller: perhaps us (a lost reply)
             });
}

void Controller::retry_later() {
  const std::uint64_t gen = generation_;
  broker_.after(kMicrosPerSecond, [this, gen] {
    if (gen == generation_ && !active_) elect();
  });
}

void Controller::check_controller_and_epoch() {
  // KafkaZkClient.checkControllerAndEpoch: our own multi may have succeeded with its reply lost; then
  // /controller names us and /controller_epoch holds the epoch we wrote.
  const std::uint64_t gen = generation_;
  zk_.get_data("/controller", nullptr, [this, gen](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_ || active_) return;
    if (e == zk::Error::NoNode) return elect();
    if (e != zk::Error::Ok) return retry_later();
    if (controller_id_of(r->data) != broker_.broker_id() || r->stat.ephemeral_owner != zk_.session()) return;
    zk_.get_data("/controller_epoch", nullptr, [this, gen](zk::Error e2, const zk::ZkResponse* r2) {
      if (gen != generation_ || active_) return;
      if (e2 != zk::Error::Ok) return retry_later();
      become_controller(parse_int(r2->data, 0), r2->stat.version);
    });
  });
}

void Controller::on_controller_change() {
  // Reelect: maybeResign, then elect (the watch was one-shot; elect sets it again).
  zk_.get_data("/controller", nullptr, [this](zk::Error e, const zk::ZkResponse* r) {
    if (active_ && (e == zk::Error::NoNode || (e == zk::Error::Ok && controller_id_of(r->data) != broker_.broker_id())))
      resign();
    if (e == zk::Error::Ok || e == zk::Error::NoNode) elect();
  });
}

void Controller::read_epoch_then_elect() {
  const std::uint64_t gen = generation_;
  zk_.get_data("/controller_epoch", nullptr, [this, gen](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_) return;
    if (e == zk::Error::Ok) {
      try_elect(parse_int(r->data, 0), r->stat.version);
    } else if (e != zk::Error::NoNode) {
      retry_later();
    } else {
      // maybeCreateControllerEpochZNode: the first controller of the cluster starts from epoch 0.
      zk_.create("/controller_epoch", "0", zk::CreateMode::Persistent, [this, gen](zk::Error e2, const zk::ZkResponse*) {
        if (gen != generation_) return;
        if (e2 == zk::Error::Ok) try_elect(0, 0);
        else if (e2 == zk::Error::NodeExists) read_epoch_then_elect();
        else retry_later();
      });
    }
  });
}

void Controller::try_elect(std::int64_t epoch, std::int32_t epoch_version) {
  const std::uint64_t gen = generation_;
  const std::int64_t next = epoch + 1;
  std::vector<zk::Op> ops = {
      zk::Op{zk::Op::Kind::Create, "/controller",
             fmt::format(R"({{"version":1,"brokerid":{},"timestamp":"{}"}})", broker_.broker_id(), broker_.now() / 1000),
             -1, zk::CreateMode::Ephemeral},
      zk::Op{zk::Op::Kind::SetData, "/controller_epoch", std::to_string(next), epoch_version, zk::CreateMode::Persistent}};
  zk_.multi(ops, [this, gen, next](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_) return;
    if (e == zk::Error::Ok) {
      become_controller(next, r->results[1].stat.version);
      return;
    }
    // NODEEXISTS or BADVERSION: someone else won (ControllerMovedException); watch it again. A lost
    // reply is checked the same way: elect() finds out whether /controller names us.
    elect();
  });
}

void Controller::become_controller(std::int64_t epoch, std::int32_t epoch_version) {
  active_ = true;
  epoch_ = epoch;
  epoch_zk_version_ = epoch_version;
  broker_.record("controller-elected", {{"broker", std::int64_t{broker_.broker_id()}}, {"controller_epoch", epoch}});
  watch_brokers();
}

void Controller::watch_brokers() {
  // BrokerChange: the children of /brokers/ids are the live brokers.
  const std::uint64_t gen = generation_;
  zk_.get_children("/brokers/ids", [this, gen](zk::WatchType, const std::string&) {
                       if (gen == generation_ && active_) watch_brokers();
                     },
                   [this, gen](zk::Error e, const zk::ZkResponse* r) {
                     if (gen != generation_ || e != zk::Error::Ok) return;
                     read_broker_epochs(r->children);
                   });
}

void Controller::read_broker_epochs(const std::vector<std::string>& ids) {
  // getAllBrokerAndEpochsInCluster: each registration's czxid is that broker's epoch.
  const std::uint64_t gen = generation_;
  auto epochs = std::make_shared<std::map<int, std::int64_t>>();
  auto left = std::make_shared<std::size_t>(ids.size());
  if (ids.empty()) {
    live_brokers_.clear();
    broker_epochs_.clear();
    return;
  }
  for (const auto& id : ids) {
    const int broker = static_cast<int>(parse_int(id, -1));
    zk_.exists("/brokers/ids/" + id, nullptr, [this, gen, broker, epochs, left](zk::Error e, const zk::ZkResponse* r) {
      if (gen != generation_) return;
      if (e == zk::Error::Ok && r->exists) (*epochs)[broker] = r->stat.czxid;
      if (--*left > 0) return;
      broker_epochs_ = *epochs;
      live_brokers_.clear();
      for (const auto& [b, epoch] : broker_epochs_) live_brokers_.insert(b);
      send_update_metadata();
    });
  }
}

void Controller::send_update_metadata() {
  // sendUpdateMetadataRequest to every live broker, on taking office and on every broker change.
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.socket.timeout.ms"));
  for (const auto& [broker, epoch] : broker_epochs_) {
    auto request = std::make_unique<UpdateMetadata>();
    request->controller_id = broker_.broker_id();
    request->controller_epoch = epoch_;
    request->broker_epoch = epoch;
    request->sent_at = broker_.now();
    request->live_brokers = live_brokers_;
    broker_.request(broker_.world().broker_node(broker), std::move(request), timeout,
                    [](sim::Failure, const sim::Message*) {});
  }
}

void Controller::resign() {
  if (!active_) return;
  active_ = false;
  ++generation_;
  live_brokers_.clear();
  broker_.record("controller-resigned", {{"broker", std::int64_t{broker_.broker_id()}}, {"controller_epoch", epoch_}});
}

void Controller::session_expired() {
  resign();
  ++generation_;  // nothing of the old session's election goes on
}

}  // namespace kafkasim::models

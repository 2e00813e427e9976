// ZooKeeper client session handling (ClientCnxn's behaviour, reduced to one server).
#include "models/zookeeper/client.h"

#include <algorithm>

#include "sim/world.h"

namespace kafkasim::models::zk {

const char* state_name(Client::State s) {
  switch (s) {
    case Client::State::Connecting: return "connecting";
    case Client::State::Connected: return "connected";
    case Client::State::Disconnected: return "disconnected";
    case Client::State::Expired: return "expired";
    case Client::State::Closed: return "closed";
  }
  return "?";
}

Client::Client(sim::Node& owner, int server_node, Micros session_timeout, StateHandler on_state)
    : owner_(owner), server_(server_node), session_timeout_(session_timeout), on_state_(std::move(on_state)) {}

void Client::set_state(State s) {
  state_ = s;
  on_state_(s, session_);
}

void Client::start_session() { resume_session(0); }

void Client::resume_session(SessionId session) {
  session_ = session;
  last_zxid_ = 0;
  watches_.clear();
  default_watches_.clear();
  state_ = State::Connecting;
  connect();
}

void Client::connect() {
  const std::uint64_t attempt = connection_ = owner_.world().next_connection_id();
  auto r = std::make_unique<ZkRequest>();
  r->connection = static_cast<std::uint32_t>(attempt);  // a new connection for every attempt
  r->kind = ZkRequest::Kind::Connect;
  r->session = session_;
  r->session_timeout = session_timeout_;
  r->last_zxid = last_zxid_;
  std::set<std::pair<int, std::string>> outstanding = default_watches_;
  for (const auto& entry : watches_) outstanding.insert(entry.first);
  for (const auto& [kind, path] : outstanding) {
    auto& list = kind == static_cast<int>(WatchKind::Data)    ? r->data_watches
                 : kind == static_cast<int>(WatchKind::Exist) ? r->exist_watches
                                                              : r->child_watches;
    list.push_back(path);
  }
  owner_.request(server_, std::move(r), request_timeout(), [this, attempt](sim::Failure f, const sim::Message* m) {
    if (attempt != connection_) return;
    if (f != sim::Failure::None) {
      // No answer: try again shortly (one server, so no other to try).
      owner_.after(std::min<Micros>(session_timeout_ / 3, kMicrosPerSecond), [this, attempt] {
        if (attempt == connection_) connect();
      });
      return;
    }
    const auto& resp = static_cast<const ZkResponse&>(*m);
    if (resp.error == Error::SessionExpired) {
      watches_.clear();
      default_watches_.clear();
      set_state(State::Expired);  // the owner decides when to start a new session
      return;
    }
    session_ = resp.session;
    last_zxid_ = std::max(last_zxid_, resp.zxid);
    set_state(State::Connected);
    owner_.after(session_timeout_ / 3, [this, attempt] {
      if (attempt == connection_) ping();
    });
  });
}

void Client::ping() {
  if (state_ != State::Connected) return;
  const std::uint64_t attempt = connection_;
  auto p = std::make_unique<ZkPing>();
  p->connection = static_cast<std::uint32_t>(attempt);
  p->session = session_;
  owner_.request(server_, std::move(p), request_timeout(), [this, attempt](sim::Failure f, const sim::Message* m) {
    if (attempt != connection_ || state_ != State::Connected) return;
    if (f != sim::Failure::None) {
      lost_connection();
      return;
    }
    if (static_cast<const ZkPing&>(*m).expired) {
      connection_ = owner_.world().next_connection_id();
      watches_.clear();
      default_watches_.clear();
      set_state(State::Expired);
      return;
    }
    owner_.after(session_timeout_ / 3, [this, attempt] {
      if (attempt == connection_) ping();
    });
  });
}

void Client::lost_connection() {
  if (state_ != State::Connected) return;
  set_state(State::Disconnected);
  // ClientCnxn.startConnect: a reconnect (not the first connect) waits a random time below a second.
  const std::uint64_t lost = connection_ = owner_.world().next_connection_id();
  owner_.after(owner_.rng().between(0, 999) * kMicrosPerMs, [this, lost] {
    if (lost == connection_ && state_ == State::Disconnected) connect();
  });
}

void Client::send_op(std::unique_ptr<ZkRequest> r, ResponseHandler done) {
  if (state_ != State::Connected) {
    owner_.after(0, [done] { done(Error::ConnectionLoss, nullptr); });
    return;
  }
  r->session = session_;
  const std::uint64_t attempt = connection_;
  r->connection = static_cast<std::uint32_t>(attempt);
  owner_.request(server_, std::move(r), request_timeout(),
                 [this, attempt, done](sim::Failure f, const sim::Message* m) {
                   if (f != sim::Failure::None) {
                     if (attempt == connection_) lost_connection();
                     done(Error::ConnectionLoss, nullptr);
                     return;
                   }
                   const auto& resp = static_cast<const ZkResponse&>(*m);
                   last_zxid_ = std::max(last_zxid_, resp.zxid);
                   if (resp.error == Error::SessionExpired && attempt == connection_) {
                     connection_ = owner_.world().next_connection_id();
                     watches_.clear();
                     default_watches_.clear();
                     set_state(State::Expired);
                   }
                   done(resp.error, &resp);
                 });
}

void Client::close_session(std::function<void()> done) {
  const bool connected = state_ == State::Connected;
  auto closed = [this, done] {
    connection_ = owner_.world().next_connection_id();  // no more pings or reconnects
    watches_.clear();
    default_watches_.clear();
    state_ = State::Closed;
    done();
  };
  if (!connected) {
    owner_.after(0, closed);
    return;
  }
  auto r = std::make_unique<ZkRequest>();
  r->kind = ZkRequest::Kind::Close;
  send_op(std::move(r), [closed](Error, const ZkResponse*) { closed(); });
}

void Client::watch(WatchKind kind, const std::string& path, WatchHandler handler) {
  if (!handler) return;
  auto key = std::make_pair(static_cast<int>(kind), path);
  if (handler.target<DefaultWatch>() != nullptr) default_watches_.insert(std::move(key));
  else watches_.emplace(std::move(key), std::move(handler));
}

namespace {
std::unique_ptr<ZkRequest> make(ZkRequest::Kind kind, const std::string& path) {
  auto r = std::make_unique<ZkRequest>();
  r->kind = kind;
  r->path = path;
  return r;
}
}  // namespace

void Client::create(const std::string& path, const std::string& data, CreateMode mode, ResponseHandler done) {
  auto r = make(ZkRequest::Kind::Create, path);
  r->data = data;
  r->mode = mode;
  send_op(std::move(r), std::move(done));
}

void Client::remove(const std::string& path, std::int32_t version, ResponseHandler done) {
  auto r = make(ZkRequest::Kind::Delete, path);
  r->version = version;
  send_op(std::move(r), std::move(done));
}

void Client::set_data(const std::string& path, const std::string& data, std::int32_t version, ResponseHandler done) {
  auto r = make(ZkRequest::Kind::SetData, path);
  r->data = data;
  r->version = version;
  send_op(std::move(r), std::move(done));
}

void Client::read(ZkRequest::Kind kind, const std::string& path, WatchHandler w,
                  std::function<WatchKind(const ZkResponse&)> watch_kind, ResponseHandler done) {
  auto r = make(kind, path);
  r->watch = static_cast<bool>(w);
  send_op(std::move(r), [this, path, w, watch_kind, done](Error e, const ZkResponse* resp) {
    if (e == Error::Ok && resp != nullptr && w) watch(watch_kind(*resp), path, w);
    done(e, resp);
  });
}

void Client::exists(const std::string& path, WatchHandler w, ResponseHandler done) {
  // The watch is a data watch if the node exists, an exist watch if not: known only from the answer.
  read(ZkRequest::Kind::Exists, path, std::move(w),
       [](const ZkResponse& r) { return r.exists ? WatchKind::Data : WatchKind::Exist; }, std::move(done));
}

void Client::get_data(const std::string& path, WatchHandler w, ResponseHandler done) {
  read(ZkRequest::Kind::GetData, path, std::move(w), [](const ZkResponse&) { return WatchKind::Data; }, std::move(done));
}

void Client::get_children(const std::string& path, WatchHandler w, ResponseHandler done) {
  read(ZkRequest::Kind::GetChildren, path, std::move(w), [](const ZkResponse&) { return WatchKind::Child; },
       std::move(done));
}

void Client::multi(const std::vector<Op>& ops, ResponseHandler done) {
  auto r = make(ZkRequest::Kind::Multi, "");
  r->ops = ops;
  send_op(std::move(r), std::move(done));
}

void Client::on_watch(const ZkWatch& w) {
  // Which registrations this event consumes (ZooKeeper's ZKWatchManager.materialize).
  std::vector<WatchKind> kinds;
  switch (w.watch_type) {
    case WatchType::NodeCreated:
    case WatchType::NodeDataChanged: kinds = {WatchKind::Data, WatchKind::Exist}; break;
    case WatchType::NodeChildrenChanged: kinds = {WatchKind::Child}; break;
    case WatchType::NodeDeleted: kinds = {WatchKind::Data, WatchKind::Exist, WatchKind::Child}; break;
  }
  std::vector<WatchHandler> fire;
  bool fire_default = false;
  for (WatchKind k : kinds) {
    const auto key = std::make_pair(static_cast<int>(k), w.path);
    auto range = watches_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) fire.push_back(std::move(it->second));
    watches_.erase(range.first, range.second);
    fire_default = default_watches_.erase(key) > 0 || fire_default;
  }
  if (fire_default && default_watcher_) fire.push_back(default_watcher_);
  for (auto& handler : fire) handler(w.watch_type, w.path);
}

}  // namespace kafkasim::models::zk

// The ZooKeeper server: requests applied to the tree in arrival order, watch notifications sent before
// the reply that follows them (connections are FIFO, so a client sees a watch before newer data), and
// session expiry driven by the last time the server heard from the client.
#include "models/zookeeper/server.h"

#include "sim/world.h"

namespace kafkasim::models::zk {

Server::Server(sim::World& world, int node, ServerState& state) : sim::Node(world, node), state_(state) {}

std::optional<SessionId> Server::session_of(int client_node) const {
  for (const auto& [id, s] : state_.sessions)
    if (s.client_node == client_node) return id;
  return std::nullopt;
}

bool Server::expire_client_session(int client_node) {
  auto s = session_of(client_node);
  if (!s) return false;
  expire(*s);
  return true;
}

void Server::record_session(std::string_view event, SessionId s, int client_node) {
  record(event, {{"broker", std::int64_t{world().broker_id(client_node)}}, {"session", std::int64_t{s}}});
}

void Server::touch(SessionId s) {
  auto it = state_.sessions.find(s);
  if (it != state_.sessions.end()) it->second.last_heard = now();
}

void Server::arm_expiry(SessionId s) {
  auto it = state_.sessions.find(s);
  if (it == state_.sessions.end()) return;
  const Micros due = it->second.last_heard + it->second.timeout;
  after(std::max<Micros>(0, due - now()), [this, s] {
    auto it = state_.sessions.find(s);
    if (it == state_.sessions.end()) return;
    if (now() - it->second.last_heard >= it->second.timeout) expire(s);
    else arm_expiry(s);  // heard from meanwhile: check again when the new deadline is due
  });
}

void Server::expire(SessionId s) {
  auto it = state_.sessions.find(s);
  if (it == state_.sessions.end()) return;
  const ServerState::Session session = it->second;
  state_.sessions.erase(it);
  record_session("zk-session-expired", s, session.client_node);
  state_.tree.close_session(s);
  deliver_watches();
  // NIOServerCnxnFactory.closeSession: the expired session's connection is closed, so a client that
  // is still connected learns of the expiry when it reconnects, not at its next ping. That connection
  // only: a new process on the client's machine, or the same client's newer connection of another
  // session, is not touched (the World knows a connection of an earlier process is gone already).
  world().close_connection(node(), session.client_node, sim::channel::kZooKeeper + session.connection);
}

void Server::deliver_watches() {
  for (const WatchEvent& w : state_.tree.take_watch_events()) {
    auto it = state_.sessions.find(w.session);
    if (it == state_.sessions.end()) continue;  // its session is gone
    auto msg = std::make_unique<ZkWatch>();
    msg->connection = it->second.connection;
    msg->watch_type = w.type;
    msg->path = w.path;
    send(it->second.client_node, std::move(msg));
  }
}

void Server::on_message(const sim::Envelope& e) {
  if (const auto* ping = dynamic_cast<const ZkPing*>(e.body.get())) {
    auto reply_msg = std::make_unique<ZkPing>();
    reply_msg->session = ping->session;
    reply_msg->expired = state_.sessions.count(ping->session) == 0;
    touch(ping->session);
    reply(e, std::move(reply_msg));
    return;
  }
  if (const auto* r = dynamic_cast<const ZkRequest*>(e.body.get())) handle(e, *r);
}

void Server::handle(const sim::Envelope& e, const ZkRequest& r) {
  auto resp = std::make_unique<ZkResponse>();
  ZnodeTree& tree = state_.tree;
  if (r.kind == ZkRequest::Kind::Connect) {
    if (r.session != 0) {
      auto it = state_.sessions.find(r.session);
      if (it == state_.sessions.end()) {
        resp->error = Error::SessionExpired;  // the client must start a new session
      } else {
        // ZooKeeperServer.processConnectRequest: a session reconnecting on a new connection has its old
        // connection closed (CLIENT_RECONNECT), so two handles never share one session.
        if (it->second.client_node != e.from || it->second.connection != r.connection)
          world().close_connection(node(), it->second.client_node, sim::channel::kZooKeeper + it->second.connection);
        it->second.client_node = e.from;
        it->second.connection = r.connection;
        it->second.client_incarnation = e.from_incarnation;
        touch(r.session);
        resp->session = r.session;
        resp->session_timeout = it->second.timeout;
        tree.forget_watches(r.session);
        tree.set_watches(r.session, r.last_zxid, r.data_watches, r.exist_watches, r.child_watches);
        deliver_watches();
      }
    } else {
      const SessionId id = state_.next_session++;
      state_.sessions[id] = ServerState::Session{e.from, r.session_timeout, now(), r.connection, e.from_incarnation};
      record_session("zk-session-created", id, e.from);
      arm_expiry(id);
      resp->session = id;
      resp->session_timeout = r.session_timeout;
    }
    resp->zxid = tree.last_zxid();
    reply(e, std::move(resp));
    return;
  }
  if (state_.sessions.count(r.session) == 0) {
    resp->error = Error::SessionExpired;
    reply(e, std::move(resp));
    return;
  }
  touch(r.session);
  const std::optional<SessionId> watcher = r.watch ? std::optional<SessionId>(r.session) : std::nullopt;
  switch (r.kind) {
    case ZkRequest::Kind::Connect: break;
    case ZkRequest::Kind::Close:
      state_.sessions.erase(r.session);
      tree.close_session(r.session);
      break;
    case ZkRequest::Kind::Create:
      resp->result = tree.create(r.session, r.path, r.data, r.mode);
      resp->error = resp->result.error;
      break;
    case ZkRequest::Kind::Delete: resp->error = tree.remove(r.path, r.version); break;
    case ZkRequest::Kind::SetData:
      resp->result = tree.set_data(r.path, r.data, r.version);
      resp->error = resp->result.error;
      break;
    case ZkRequest::Kind::Exists: {
      auto stat = tree.exists(r.path, watcher);
      resp->exists = stat.has_value();
      if (stat) resp->stat = *stat;
      break;
    }
    case ZkRequest::Kind::GetData: resp->error = tree.get_data(r.path, resp->data, resp->stat, watcher); break;
    case ZkRequest::Kind::GetChildren: resp->error = tree.get_children(r.path, resp->children, watcher); break;
    case ZkRequest::Kind::Multi: resp->results = tree.multi(r.session, r.ops, resp->error); break;
  }
  deliver_watches();  // before the reply: the client learns of a change before it can read past it
  resp->zxid = tree.last_zxid();
  reply(e, std::move(resp));
}

}  // namespace kafkasim::models::zk

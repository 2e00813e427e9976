// The znode tree: ZooKeeper's DataTree semantics for the operations Kafka uses (see
// ../shared/reference/kafka-replication.md section 1), with multi applied all-or-nothing.
#include "models/zookeeper/znode_tree.h"

#include <algorithm>

#include <fmt/format.h>

namespace kafkasim::models::zk {

const char* error_name(Error e) {
  switch (e) {
    case Error::Ok: return "OK";
    case Error::RuntimeInconsistency: return "RUNTIMEINCONSISTENCY";
    case Error::NoNode: return "NONODE";
    case Error::BadVersion: return "BADVERSION";
    case Error::NoChildrenForEphemerals: return "NOCHILDRENFOREPHEMERALS";
    case Error::NodeExists: return "NODEEXISTS";
    case Error::NotEmpty: return "NOTEMPTY";
    case Error::SessionExpired: return "SESSIONEXPIRED";
    case Error::BadArguments: return "BADARGUMENTS";
    case Error::ConnectionLoss: return "CONNECTIONLOSS";
  }
  return "?";
}

const char* watch_type_name(WatchType t) {
  switch (t) {
    case WatchType::NodeCreated: return "NodeCreated";
    case WatchType::NodeDeleted: return "NodeDeleted";
    case WatchType::NodeDataChanged: return "NodeDataChanged";
    case WatchType::NodeChildrenChanged: return "NodeChildrenChanged";
  }
  return "?";
}

ZnodeTree::ZnodeTree() { nodes_["/"] = Znode{}; }

bool ZnodeTree::valid_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/' || path.find("//") != std::string::npos) return false;
  return true;
}

std::string ZnodeTree::parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string ZnodeTree::name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

void ZnodeTree::save(const std::string& path) {
  if (!in_multi_ || undo_.count(path)) return;
  auto it = nodes_.find(path);
  undo_[path] = it == nodes_.end() ? std::nullopt : std::optional<Znode>(it->second);
}

void ZnodeTree::fire_now(std::map<std::string, std::set<SessionId>>& watches, const std::string& path,
                         WatchType type) {
  auto it = watches.find(path);
  if (it == watches.end()) return;
  for (SessionId s : it->second) fired_.push_back(WatchEvent{s, type, path});
  watches.erase(it);  // one-shot
}

void ZnodeTree::fire(std::map<std::string, std::set<SessionId>>& watches, const std::string& path, WatchType type) {
  if (in_multi_) pending_fires_.push_back(PendingFire{&watches == &data_watches_, path, type});
  else fire_now(watches, path, type);
}

OpResult ZnodeTree::apply_create(SessionId session, const std::string& path, const std::string& data,
                                 CreateMode mode, std::int64_t zxid) {
  if (!valid_path(path) || path == "/") return {Error::BadArguments, "", {}};
  const std::string parent = parent_of(path);
  auto p = nodes_.find(parent);
  if (p == nodes_.end()) return {Error::NoNode, "", {}};
  if (p->second.stat.ephemeral_owner != 0) return {Error::NoChildrenForEphemerals, "", {}};
  std::string actual = path;
  const bool sequential = mode == CreateMode::PersistentSequential || mode == CreateMode::EphemeralSequential;
  // ZooKeeper numbers a sequential node with the parent's stored cversion, which counts child creations
  // only (the cversion a client reads is derived: 2 * creations - children, so deletions count there).
  // Found by the conformance test: create, delete, create-sequential gives ...0001, not ...0002.
  if (sequential) actual += fmt::format("{:010d}", p->second.child_creates);
  if (nodes_.count(actual)) return {Error::NodeExists, "", {}};
  save(parent);
  save(actual);
  Znode n;
  n.data = data;
  n.stat.czxid = n.stat.mzxid = n.stat.pzxid = zxid;
  const bool ephemeral = mode == CreateMode::Ephemeral || mode == CreateMode::EphemeralSequential;
  n.stat.ephemeral_owner = ephemeral ? session : 0;
  Znode& parent_node = nodes_[parent];
  parent_node.children.insert(name_of(actual));
  parent_node.child_creates += 1;
  parent_node.stat.cversion += 1;
  parent_node.stat.pzxid = zxid;
  parent_node.stat.num_children = static_cast<std::int32_t>(parent_node.children.size());
  nodes_[actual] = n;
  fire(data_watches_, actual, WatchType::NodeCreated);
  fire(child_watches_, parent, WatchType::NodeChildrenChanged);
  return {Error::Ok, actual, n.stat};
}

Error ZnodeTree::apply_remove(const std::string& path, std::int32_t version, std::int64_t zxid) {
  if (!valid_path(path) || path == "/") return Error::BadArguments;
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Error::NoNode;
  if (version != -1 && it->second.stat.version != version) return Error::BadVersion;
  if (!it->second.children.empty()) return Error::NotEmpty;
  const std::string parent = parent_of(path);
  save(parent);
  save(path);
  nodes_.erase(it);
  Znode& parent_node = nodes_[parent];
  parent_node.children.erase(name_of(path));
  parent_node.stat.cversion += 1;
  parent_node.stat.pzxid = zxid;
  parent_node.stat.num_children = static_cast<std::int32_t>(parent_node.children.size());
  fire(data_watches_, path, WatchType::NodeDeleted);
  fire(child_watches_, path, WatchType::NodeDeleted);
  fire(child_watches_, parent, WatchType::NodeChildrenChanged);
  return Error::Ok;
}

OpResult ZnodeTree::apply_set(const std::string& path, const std::string& data, std::int32_t version,
                              std::int64_t zxid) {
  if (!valid_path(path)) return {Error::BadArguments, "", {}};
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return {Error::NoNode, "", {}};
  if (version != -1 && it->second.stat.version != version) return {Error::BadVersion, "", {}};
  save(path);
  Znode& n = nodes_[path];
  n.data = data;
  n.stat.version += 1;
  n.stat.mzxid = zxid;
  fire(data_watches_, path, WatchType::NodeDataChanged);
  return {Error::Ok, path, n.stat};
}

OpResult ZnodeTree::create(SessionId session, const std::string& path, const std::string& data, CreateMode mode) {
  OpResult r = apply_create(session, path, data, mode, zxid_ + 1);
  if (r.error == Error::Ok) ++zxid_;
  return r;
}

Error ZnodeTree::remove(const std::string& path, std::int32_t version) {
  Error e = apply_remove(path, version, zxid_ + 1);
  if (e == Error::Ok) ++zxid_;
  return e;
}

OpResult ZnodeTree::set_data(const std::string& path, const std::string& data, std::int32_t version) {
  OpResult r = apply_set(path, data, version, zxid_ + 1);
  if (r.error == Error::Ok) ++zxid_;
  return r;
}

std::optional<Stat> ZnodeTree::exists(const std::string& path, std::optional<SessionId> watcher) {
  auto it = nodes_.find(path);
  if (watcher) data_watches_[path].insert(*watcher);  // on a missing node: fires when it is created
  if (it == nodes_.end()) return std::nullopt;
  return it->second.stat;
}

Error ZnodeTree::get_data(const std::string& path, std::string& data, Stat& stat, std::optional<SessionId> watcher) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Error::NoNode;
  if (watcher) data_watches_[path].insert(*watcher);
  data = it->second.data;
  stat = it->second.stat;
  return Error::Ok;
}

Error ZnodeTree::get_children(const std::string& path, std::vector<std::string>& children,
                              std::optional<SessionId> watcher) {
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return Error::NoNode;
  if (watcher) child_watches_[path].insert(*watcher);
  children.assign(it->second.children.begin(), it->second.children.end());
  return Error::Ok;
}

std::vector<OpResult> ZnodeTree::multi(SessionId session, const std::vector<Op>& ops, Error& first_error) {
  const std::int64_t zxid = zxid_ + 1;
  in_multi_ = true;
  undo_.clear();
  pending_fires_.clear();
  std::vector<OpResult> results;
  first_error = Error::Ok;
  for (const Op& op : ops) {
    OpResult r;
    switch (op.kind) {
      case Op::Kind::Create: r = apply_create(session, op.path, op.data, op.mode, zxid); break;
      case Op::Kind::Delete: r.error = apply_remove(op.path, op.version, zxid); break;
      case Op::Kind::SetData: r = apply_set(op.path, op.data, op.version, zxid); break;
      case Op::Kind::Check: {
        auto it = nodes_.find(op.path);
        r.error = it == nodes_.end() ? Error::NoNode
                  : (op.version != -1 && it->second.stat.version != op.version) ? Error::BadVersion
                                                                                 : Error::Ok;
        break;
      }
    }
    results.push_back(r);
    if (r.error != Error::Ok) {
      first_error = r.error;
      break;
    }
  }
  in_multi_ = false;
  if (first_error != Error::Ok) {
    for (auto& [path, before] : undo_) {
      if (before) nodes_[path] = *before;
      else nodes_.erase(path);
    }
    for (std::size_t i = 0; i + 1 < results.size(); ++i) results[i] = OpResult{Error::Ok, "", {}};
    while (results.size() < ops.size()) results.push_back(OpResult{Error::RuntimeInconsistency, "", {}});
    undo_.clear();
    pending_fires_.clear();
    return results;
  }
  zxid_ = zxid;
  for (const auto& f : pending_fires_) fire_now(f.data ? data_watches_ : child_watches_, f.path, f.type);
  undo_.clear();
  pending_fires_.clear();
  return results;
}

void ZnodeTree::close_session(SessionId session) {
  std::vector<std::string> doomed = ephemerals_of(session);
  if (!doomed.empty()) {
    const std::int64_t zxid = ++zxid_;  // closeSession is one transaction
    for (const auto& path : doomed) apply_remove(path, -1, zxid);
  }
  forget_watches(session);
}

void ZnodeTree::forget_watches(SessionId session) {
  for (auto* watches : {&data_watches_, &child_watches_})
    for (auto it = watches->begin(); it != watches->end();) {
      it->second.erase(session);
      it = it->second.empty() ? watches->erase(it) : std::next(it);
    }
}

void ZnodeTree::set_watches(SessionId session, std::int64_t last_zxid, const std::vector<std::string>& data,
                            const std::vector<std::string>& exist, const std::vector<std::string>& child) {
  // DataTree.setWatches.
  for (const auto& path : data) {
    auto it = nodes_.find(path);
    if (it == nodes_.end()) fired_.push_back(WatchEvent{session, WatchType::NodeDeleted, path});
    else if (it->second.stat.mzxid > last_zxid) fired_.push_back(WatchEvent{session, WatchType::NodeDataChanged, path});
    else data_watches_[path].insert(session);
  }
  for (const auto& path : exist) {
    auto it = nodes_.find(path);
    if (it != nodes_.end()) fired_.push_back(WatchEvent{session, WatchType::NodeCreated, path});
    else data_watches_[path].insert(session);
  }
  for (const auto& path : child) {
    auto it = nodes_.find(path);
    if (it == nodes_.end()) fired_.push_back(WatchEvent{session, WatchType::NodeDeleted, path});
    else if (it->second.stat.pzxid > last_zxid)
      fired_.push_back(WatchEvent{session, WatchType::NodeChildrenChanged, path});
    else child_watches_[path].insert(session);
  }
}

std::vector<WatchEvent> ZnodeTree::take_watch_events() {
  std::vector<WatchEvent> out;
  out.swap(fired_);
  return out;
}

std::vector<std::string> ZnodeTree::ephemerals_of(SessionId session) const {
  std::vector<std::string> out;
  for (const auto& [path, n] : nodes_)
    if (n.stat.ephemeral_owner == session && session != 0) out.push_back(path);
  return out;
}

std::vector<std::string> ZnodeTree::all_paths() const {
  std::vector<std::string> out;
  for (const auto& [path, n] : nodes_) out.push_back(path);
  return out;
}

}  // namespace kafkasim::models::zk

// The data of a ZooKeeper server: the znode tree with stats and zxids, sequential and ephemeral nodes,
// atomic multi-ops, and one-shot watches. Pure data (no simulation): the server node drives it, and it
// is tested on its own against a reference model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kafkasim::models::zk {

using SessionId = std::int64_t;

// ZooKeeper's error codes (KeeperException.Code), the ones this model can return.
enum class Error {
  Ok = 0,
  RuntimeInconsistency = -2,  // an op of a failed multi that was not the one that failed
  NoNode = -101,
  BadVersion = -103,
  NoChildrenForEphemerals = -108,
  NodeExists = -110,
  NotEmpty = -111,
  SessionExpired = -112,
  BadArguments = -8,
  ConnectionLoss = -4,
};
const char* error_name(Error e);

struct Stat {
  std::int64_t czxid = 0, mzxid = 0, pzxid = 0;
  std::int32_t version = 0, cversion = 0;
  SessionId ephemeral_owner = 0;  // 0: persistent
  std::int32_t num_children = 0;
  bool operator==(const Stat&) const = default;
};

enum class CreateMode { Persistent, Ephemeral, PersistentSequential, EphemeralSequential };

struct Op {
  enum class Kind { Create, Delete, SetData, Check } kind = Kind::Check;
  std::string path;
  std::string data;
  std::int32_t version = -1;  // -1: any version
  CreateMode mode = CreateMode::Persistent;
};

struct OpResult {
  Error error = Error::Ok;
  std::string path;  // Create: the path created (with the sequence suffix)
  Stat stat;
};

enum class WatchType { NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged };
const char* watch_type_name(WatchType t);

struct WatchEvent {
  SessionId session;
  WatchType type;
  std::string path;
};

class ZnodeTree {
 public:
  ZnodeTree();

  OpResult create(SessionId session, const std::string& path, const std::string& data, CreateMode mode);
  Error remove(const std::string& path, std::int32_t version);
  OpResult set_data(const std::string& path, const std::string& data, std::int32_t version);
  // Reads; `watcher` (when set) leaves a one-shot watch: exists on a missing node watches its creation.
  std::optional<Stat> exists(const std::string& path, std::optional<SessionId> watcher = std::nullopt);
  Error get_data(const std::string& path, std::string& data, Stat& stat, std::optional<SessionId> watcher = std::nullopt);
  Error get_children(const std::string& path, std::vector<std::string>& children,
                     std::optional<SessionId> watcher = std::nullopt);
  // All or nothing, one zxid. On failure the failed op has its error, the others RuntimeInconsistency
  // after it and Ok before it, as ZooKeeper reports them; nothing changes and no watch fires.
  std::vector<OpResult> multi(SessionId session, const std::vector<Op>& ops, Error& first_error);
  // The session ends (closed or expired): its ephemeral nodes are deleted in one transaction and its
  // watches are forgotten.
  void close_session(SessionId session);

  // Re-registers the watches of a reconnecting session as ZooKeeper's SetWatches does: a watch whose
  // node changed after `last_zxid` fires now, the others are set again. Missed create-then-delete pairs
  // stay missed.
  void set_watches(SessionId session, std::int64_t last_zxid, const std::vector<std::string>& data,
                   const std::vector<std::string>& exist, const std::vector<std::string>& child);
  void forget_watches(SessionId session);
  // Watch events fired since the last call, in the order they fired.
  std::vector<WatchEvent> take_watch_events();
  std::int64_t last_zxid() const { return zxid_; }
  std::vector<std::string> ephemerals_of(SessionId session) const;
  std::vector<std::string> all_paths() const;

 private:
  struct Znode {
    std::string data;
    Stat stat;
    std::set<std::string> children;  // names, ordered: getChildren answers in a stable order
    std::int32_t child_creates = 0;  // ZooKeeper's stored cversion: children ever created (sequence numbers)
  };
  static bool valid_path(const std::string& path);
  static std::string parent_of(const std::string& path);
  static std::string name_of(const std::string& path);
  // The mutations, without zxid increment or watch firing decisions outside them.
  OpResult apply_create(SessionId session, const std::string& path, const std::string& data, CreateMode mode,
                        std::int64_t zxid);
  Error apply_remove(const std::string& path, std::int32_t version, std::int64_t zxid);
  OpResult apply_set(const std::string& path, const std::string& data, std::int32_t version, std::int64_t zxid);
  void fire(std::map<std::string, std::set<SessionId>>& watches, const std::string& path, WatchType type);
  void fire_now(std::map<std::string, std::set<SessionId>>& watches, const std::string& path, WatchType type);
  void save(const std::string& path);  // inside a multi: remember a node as it was, to undo

  std::map<std::string, Znode> nodes_;
  std::int64_t zxid_ = 0;
  std::map<std::string, std::set<SessionId>> data_watches_;
  std::map<std::string, std::set<SessionId>> child_watches_;
  std::vector<WatchEvent> fired_;
  // Inside a multi: nodes as they were before it (nullopt: absent), and the watches it would fire.
  bool in_multi_ = false;
  std::map<std::string, std::optional<Znode>> undo_;
  struct PendingFire {
    bool data;
    std::string path;
    WatchType type;
  };
  std::vector<PendingFire> pending_fires_;
};

}  // namespace kafkasim::models::zk

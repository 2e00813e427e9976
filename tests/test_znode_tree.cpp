// The ZooKeeper znode tree: hand-written cases for each operation, and a RapidCheck stateful test
// against a plain reference model (random create/delete/setData/multi/session close).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>

#include "models/zookeeper/znode_tree.h"

using namespace kafkasim::models::zk;

TEST(ZnodeTree, CreateReadSetDeleteWithVersionsAndZxids) {
  ZnodeTree t;
  EXPECT_EQ(t.create(1, "/brokers", "", CreateMode::Persistent).error, Error::Ok);
  EXPECT_EQ(t.create(1, "/brokers", "", CreateMode::Persistent).error, Error::NodeExists);
  EXPECT_EQ(t.create(1, "/a/b", "", CreateMode::Persistent).error, Error::NoNode);
  OpResult r = t.create(1, "/brokers/ids", "x", CreateMode::Persistent);
  EXPECT_EQ(r.stat.czxid, 2);
  EXPECT_EQ(t.set_data("/brokers/ids", "y", 1).error, Error::BadVersion);
  OpResult s = t.set_data("/brokers/ids", "y", 0);
  EXPECT_EQ(s.stat.version, 1);
  EXPECT_EQ(s.stat.mzxid, 3);
  EXPECT_EQ(s.stat.czxid, 2);
  std::string data;
  Stat stat;
  EXPECT_EQ(t.get_data("/brokers/ids", data, stat), Error::Ok);
  EXPECT_EQ(data, "y");
  EXPECT_EQ(t.remove("/brokers", -1), Error::NotEmpty);
  EXPECT_EQ(t.remove("/brokers/ids", 0), Error::BadVersion);
  EXPECT_EQ(t.remove("/brokers/ids", 1), Error::Ok);
  EXPECT_EQ(t.remove("/brokers/ids", -1), Error::NoNode);
  auto parent = t.exists("/brokers");
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->cversion, 2);  // one child created, one deleted
  EXPECT_EQ(parent->pzxid, 4);
  EXPECT_EQ(t.last_zxid(), 4);
  EXPECT_EQ(t.create(1, "bad", "", CreateMode::Persistent).error, Error::BadArguments);
}

TEST(ZnodeTree, SequentialNamesCountChildCreationsNotDeletions) {
  // As ZooKeeper 3.8 answers (tests/test_zk_conformance.cpp found it): the suffix is the parent's stored
  // cversion, which deletions do not move; the cversion a client reads counts both.
  ZnodeTree t;
  t.create(1, "/q", "", CreateMode::Persistent);
  EXPECT_EQ(t.create(1, "/q/n-", "", CreateMode::PersistentSequential).path, "/q/n-0000000000");
  EXPECT_EQ(t.create(1, "/q/n-", "", CreateMode::EphemeralSequential).path, "/q/n-0000000001");
  t.remove("/q/n-0000000000", -1);
  EXPECT_EQ(t.exists("/q")->cversion, 3);
  EXPECT_EQ(t.create(1, "/q/n-", "", CreateMode::PersistentSequential).path, "/q/n-0000000002");
  EXPECT_EQ(t.exists("/q")->cversion, 4);
}

TEST(ZnodeTree, EphemeralsDieWithTheirSessionAndCannotHaveChildren) {
  ZnodeTree t;
  t.create(0, "/brokers", "", CreateMode::Persistent);
  t.create(7, "/brokers/1", "", CreateMode::Ephemeral);
  t.create(8, "/brokers/2", "", CreateMode::Ephemeral);
  EXPECT_EQ(t.create(7, "/brokers/1/x", "", CreateMode::Persistent).error, Error::NoChildrenForEphemerals);
  EXPECT_EQ(t.exists("/brokers/1")->ephemeral_owner, 7);
  t.close_session(7);
  EXPECT_FALSE(t.exists("/brokers/1"));
  EXPECT_TRUE(t.exists("/brokers/2"));
  EXPECT_EQ(t.ephemerals_of(8), (std::vector<std::string>{"/brokers/2"}));
}

TEST(ZnodeTree, WatchesFireOnceInOrder) {
  ZnodeTree t;
  t.create(0, "/brokers", "", CreateMode::Persistent);
  std::vector<std::string> children;
  t.get_children("/brokers", children, SessionId{5});
  EXPECT_FALSE(t.exists("/controller", SessionId{6}));  // an exists watch on a missing node
  t.create(9, "/controller", "1", CreateMode::Ephemeral);
  t.create(9, "/brokers/1", "", CreateMode::Ephemeral);
  t.create(9, "/brokers/2", "", CreateMode::Ephemeral);  // the child watch was one-shot
  std::string data;
  Stat stat;
  t.get_data("/controller", data, stat, SessionId{6});
  t.close_session(9);
  auto events = t.take_watch_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].session, 6);
  EXPECT_EQ(events[0].type, WatchType::NodeCreated);
  EXPECT_EQ(events[1].session, 5);
  EXPECT_EQ(events[1].type, WatchType::NodeChildrenChanged);
  EXPECT_EQ(events[1].path, "/brokers");
  EXPECT_EQ(events[2].type, WatchType::NodeDeleted);  // the controller's session ended
  EXPECT_EQ(events[2].path, "/controller");
  EXPECT_TRUE(t.take_watch_events().empty());
}

TEST(ZnodeTree, ControllerElectionMultiIsAtomic) {
  // Kafka: multi{create /controller (ephemeral), setData /controller_epoch = epoch+1 at its version}.
  ZnodeTree t;
  t.create(0, "/controller_epoch", "0", CreateMode::Persistent);
  auto elect = [&](SessionId s, const std::string& epoch, std::int32_t version, Error& e) {
    return t.multi(s, {Op{Op::Kind::Create, "/controller", "{\"brokerid\":1}", -1, CreateMode::Ephemeral},
                       Op{Op::Kind::SetData, "/controller_epoch", epoch, version}},
                   e);
  };
  Error e;
  auto r = elect(1, "1", 0, e);
  EXPECT_EQ(e, Error::Ok);
  EXPECT_EQ(r[1].stat.version, 1);
  const auto zxid = t.last_zxid();
  EXPECT_EQ(t.exists("/controller")->czxid, zxid);  // both ops in one transaction
  EXPECT_EQ(t.exists("/controller_epoch")->mzxid, zxid);
  // A second candidate loses on NODEEXISTS; nothing of its multi is applied.
  r = elect(2, "2", 1, e);
  EXPECT_EQ(e, Error::NodeExists);
  EXPECT_EQ(r[0].error, Error::NodeExists);
  EXPECT_EQ(r[1].error, Error::RuntimeInconsistency);
  EXPECT_EQ(t.exists("/controller_epoch")->version, 1);
  // After the controller's session ends, a candidate with a stale epoch version loses on BADVERSION and
  // its create is rolled back.
  t.close_session(1);
  r = elect(2, "1", 0, e);
  EXPECT_EQ(e, Error::BadVersion);
  EXPECT_EQ(r[0].error, Error::Ok);
  EXPECT_FALSE(t.exists("/controller"));
  EXPECT_EQ(t.last_zxid(), zxid + 1);  // only the session close
  // Check ops: the controller-epoch-check form of a write.
  r = t.multi(3, {Op{Op::Kind::Check, "/controller_epoch", "", 1}, Op{Op::Kind::SetData, "/controller_epoch", "x", -1}}, e);
  EXPECT_EQ(e, Error::Ok);
  r = t.multi(3, {Op{Op::Kind::Check, "/controller_epoch", "", 1}, Op{Op::Kind::SetData, "/controller_epoch", "y", -1}}, e);
  EXPECT_EQ(e, Error::BadVersion);
}

TEST(ZnodeTree, AFailedMultiFiresNoWatch) {
  ZnodeTree t;
  EXPECT_FALSE(t.exists("/x", SessionId{4}));
  Error e;
  t.multi(1, {Op{Op::Kind::Create, "/x", "", -1, CreateMode::Persistent}, Op{Op::Kind::Delete, "/nope", "", -1}}, e);
  EXPECT_EQ(e, Error::NoNode);
  EXPECT_TRUE(t.take_watch_events().empty());
  t.create(1, "/x", "", CreateMode::Persistent);
  EXPECT_EQ(t.take_watch_events().size(), 1u);  // the watch survived the failed multi
}

// ---- stateful property test against a reference model -------------------------------------------

namespace {

struct RefNode {
  std::int32_t version = 0;
  SessionId owner = 0;
};
struct RefModel {
  std::map<std::string, RefNode> nodes{{"/", {}}};
  static std::string parent(const std::string& p) {
    auto s = p.rfind('/');
    return s == 0 ? "/" : p.substr(0, s);
  }
  // NONODE or BADVERSION for an op on `path` at `version` (-1: any), or Ok.
  Error version_check(const std::string& path, std::int32_t version) const {
    auto n = nodes.find(path);
    if (n == nodes.end()) return Error::NoNode;
    if (version != -1 && version != n->second.version) return Error::BadVersion;
    return Error::Ok;
  }
  bool has_children(const std::string& p) const {
    for (const auto& [q, n] : nodes)
      if (q != "/" && q != p && parent(q) == p) return true;
    return false;
  }
};

const std::vector<std::string> kPaths = {"/a", "/b", "/a/x", "/a/y", "/b/x"};

void check_same(const RefModel& m, ZnodeTree& t);

// After a command ran on the tree: the tree must equal the model with the command applied.
template <typename Command>
void check_after(const Command& c, const RefModel& m, ZnodeTree& t) {
  RefModel next = m;
  c.apply(next);
  check_same(next, t);
}

void check_same(const RefModel& m, ZnodeTree& t) {
  RC_ASSERT(t.all_paths().size() == m.nodes.size());
  for (const auto& [path, n] : m.nodes) {
    auto stat = t.exists(path);
    RC_ASSERT(stat.has_value());
    RC_ASSERT(stat->version == n.version);
    RC_ASSERT(stat->ephemeral_owner == n.owner);
  }
}

struct Create : rc::state::Command<RefModel, ZnodeTree> {
  std::string path = *rc::gen::elementOf(kPaths);
  SessionId session = *rc::gen::inRange<SessionId>(1, 3);
  bool ephemeral = *rc::gen::arbitrary<bool>();
  Error expected(const RefModel& m) const {
    auto p = m.nodes.find(RefModel::parent(path));
    if (p == m.nodes.end()) return Error::NoNode;
    if (p->second.owner != 0) return Error::NoChildrenForEphemerals;
    if (m.nodes.count(path)) return Error::NodeExists;
    return Error::Ok;
  }
  void apply(RefModel& m) const override {
    if (expected(m) == Error::Ok) m.nodes[path] = RefNode{0, ephemeral ? session : 0};
  }
  void run(const RefModel& m, ZnodeTree& t) const override {
    RC_ASSERT(t.create(session, path, "", ephemeral ? CreateMode::Ephemeral : CreateMode::Persistent).error ==
              expected(m));
    check_after(*this, m, t);
  }
  void show(std::ostream& os) const override { os << "create " << path << (ephemeral ? " ephemeral of " : " by ") << session; }
};

struct Delete : rc::state::Command<RefModel, ZnodeTree> {
  std::string path = *rc::gen::elementOf(kPaths);
  std::int32_t version = *rc::gen::inRange(-1, 3);
  Error expected(const RefModel& m) const {
    Error e = m.version_check(path, version);
    if (e == Error::Ok && m.has_children(path)) return Error::NotEmpty;
    return e;
  }
  void apply(RefModel& m) const override {
    if (expected(m) == Error::Ok) m.nodes.erase(path);
  }
  void run(const RefModel& m, ZnodeTree& t) const override {
    RC_ASSERT(t.remove(path, version) == expected(m));
    check_after(*this, m, t);
  }
  void show(std::ostream& os) const override { os << "delete " << path << " at version " << version; }
};

struct SetData : rc::state::Command<RefModel, ZnodeTree> {
  std::string path = *rc::gen::elementOf(kPaths);
  std::int32_t version = *rc::gen::inRange(-1, 3);
  Error expected(const RefModel& m) const { return m.version_check(path, version); }
  void apply(RefModel& m) const override {
    if (expected(m) == Error::Ok) m.nodes[path].version += 1;
  }
  void run(const RefModel& m, ZnodeTree& t) const override {
    RC_ASSERT(t.set_data(path, "d", version).error == expected(m));
    check_after(*this, m, t);
  }
  void show(std::ostream& os) const override { os << "setData " << path << " at version " << version; }
};

// check(path, version) + setData(other, -1): both or neither.
struct CheckedSet : rc::state::Command<RefModel, ZnodeTree> {
  std::string checked = *rc::gen::elementOf(kPaths);
  std::int32_t version = *rc::gen::inRange(-1, 3);
  std::string target = *rc::gen::elementOf(kPaths);
  bool ok(const RefModel& m) const { return m.version_check(checked, version) == Error::Ok && m.nodes.count(target) > 0; }
  void apply(RefModel& m) const override {
    if (ok(m)) m.nodes[target].version += 1;
  }
  void run(const RefModel& m, ZnodeTree& t) const override {
    Error e;
    t.multi(1, {Op{Op::Kind::Check, checked, "", version}, Op{Op::Kind::SetData, target, "m", -1}}, e);
    RC_ASSERT((e == Error::Ok) == ok(m));
    check_after(*this, m, t);
  }
  void show(std::ostream& os) const override { os << "multi{check " << checked << "@" << version << ", set " << target << "}"; }
};

struct CloseSession : rc::state::Command<RefModel, ZnodeTree> {
  SessionId session = *rc::gen::inRange<SessionId>(1, 3);
  void apply(RefModel& m) const override {
    for (auto it = m.nodes.begin(); it != m.nodes.end();) it = it->second.owner == session ? m.nodes.erase(it) : std::next(it);
  }
  void run(const RefModel& m, ZnodeTree& t) const override {
    t.close_session(session);
    check_after(*this, m, t);
    RC_ASSERT(t.ephemerals_of(session).empty());  // ephemerals exist exactly while their session lives
  }
  void show(std::ostream& os) const override { os << "close session " << session; }
};

}  // namespace

RC_GTEST_PROP(ZnodeTreeModel, MatchesTheReferenceModel, ()) {
  RefModel model;
  ZnodeTree tree;
  rc::state::check(model, tree,
                   rc::state::gen::execOneOfWithArgs<Create, Delete, SetData, CheckedSet, CloseSession>());
}

// The quorum protocol of KafkaRaftClient, QuorumState and LeaderState, as one state machine per replica.
#include "models/kraft/raft_client.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "sim/world.h"

namespace kafkasim::models::kraft {

namespace {
sim::Envelope reply_address(const sim::Envelope& e) {
  sim::Envelope a;
  a.from = e.from;
  a.id = e.id;
  a.channel = e.channel;
  return a;
}
}  // namespace

const char* quorum_role_name(QuorumRole role) {
  switch (role) {
    case QuorumRole::Unattached: return "unattached";
    case QuorumRole::Voted: return "voted";
    case QuorumRole::Prospective: return "prospective";
    case QuorumRole::Candidate: return "candidate";
    case QuorumRole::Leader: return "leader";
    case QuorumRole::Follower: return "follower";
    case QuorumRole::Resigned: return "resigned";
  }
  return "?";
}

RaftClient::RaftClient(sim::Node& host, MetadataLog& log, QuorumStore& store, bool voter, Listener& listener)
    : host_(host), log_(log), store_(store), voter_(voter), listener_(listener) {
  const sim::World& w = host.world();
  for (int i = 0; i < w.controller_count(); ++i) voters_.push_back(w.controller_node(i));
  const auto& design = w.scenario().design;
  pre_vote_ = design.on("quorum-pre-vote");
  check_quorum_ = design.on("quorum-check-quorum");
  const auto& c = w.scenario().config;
  election_timeout_ = from_ms(c.integer("controller.quorum.election.timeout.ms"));
  fetch_timeout_ = from_ms(c.integer("controller.quorum.fetch.timeout.ms"));
  backoff_max_ = from_ms(c.integer("controller.quorum.election.backoff.max.ms"));
  request_timeout_ = from_ms(c.integer("controller.quorum.request.timeout.ms"));
  retry_backoff_ = from_ms(c.integer("controller.quorum.retry.backoff.ms"));
  fetch_max_wait_ = from_ms(c.integer("sim.quorum.fetch.max.wait.ms"));
}

void RaftClient::start() {
  // QuorumState.initialize: the persisted epoch and vote; a voter that voted stays voted in that epoch.
  if (voter_ && store_.voted_for >= 0) transition(QuorumRole::Voted, store_.epoch, -1, store_.voted_for);
  else transition(QuorumRole::Unattached, store_.epoch, -1);
}

// ---- states ----------------------------------------------------------------------------------------

void RaftClient::transition(QuorumRole role, std::int64_t epoch, int leader, int voted_for) {
  assert(epoch >= store_.epoch);
  const bool was_leader = role_ == QuorumRole::Leader;
  // QuorumState.transitionToUnattached: a replica already waiting for an election (unattached, voted,
  // candidate, prospective) keeps the time it has left; otherwise a new random election timeout.
  const bool waiting = role_ == QuorumRole::Unattached || role_ == QuorumRole::Voted ||
                       role_ == QuorumRole::Candidate || role_ == QuorumRole::Prospective;
  const Micros remaining = waiting && election_deadline_ > host_.now() ? election_deadline_ - host_.now() : -1;
  if (epoch != store_.epoch || (role == QuorumRole::Voted && voted_for != store_.voted_for) ||
      (role == QuorumRole::Candidate)) {
    store_.epoch = epoch;
    store_.voted_for = role == QuorumRole::Voted ? voted_for : role == QuorumRole::Candidate ? host_.node() : -1;
  }
  role_ = role;
  leader_ = leader;
  has_fetched_ = false;  // from the leader of this state (FollowerState.hasFetchedFromLeader)
  ++gen_;
  if (fetch_timer_ != 0) host_.cancel(fetch_timer_);
  fetch_timer_ = 0;
  fetch_in_flight_ = false;
  votes_.clear();
  rejections_.clear();
  if (was_leader) {
    // Parked fetches are answered with the new state (they will learn of it).
    std::map<std::uint64_t, Parked> parked;
    parked.swap(parked_);
    for (auto& [id, p] : parked) answer_fetch(p.reply_to, p.request, true);
    voter_end_.clear();
    fetched_since_check_.clear();
    begun_.clear();
  }
  record_state();
  switch (role) {
    case QuorumRole::Unattached:
    case QuorumRole::Voted:
      if (voter_) {
        const Micros wait = role == QuorumRole::Unattached && remaining >= 0 ? remaining : election_timeout();
        election_deadline_ = host_.now() + wait;
        schedule(wait, [this] { start_election(); });
      } else {
        schedule(0, [this] { fetch(); });  // an observer finds the leader by asking a voter
      }
      break;
    case QuorumRole::Follower:
      reset_fetch_timer();
      schedule(0, [this] { fetch(); });
      break;
    case QuorumRole::Resigned:
      send_end_epoch();
      schedule(election_timeout(), [this] { start_election(); });
      break;
    case QuorumRole::Candidate:
    case QuorumRole::Prospective:
    case QuorumRole::Leader: break;  // their own functions set them up
  }
  listener_.on_quorum_change();
}

void RaftClient::record_state() {
  if (!voter_) return;
  host_.record("quorum-state",
               {{"node", host_.name()},
                {"state", std::string(quorum_role_name(role_))},
                {"epoch", store_.epoch},
                {"leader", leader_ >= 0 ? sim::Value(host_.world().node_name(leader_)) : sim::Value(sim::Null{})}});
}

void RaftClient::schedule(Micros delay, std::function<void()> fn) {
  host_.after(delay, [this, gen = gen_, fn = std::move(fn)] {
    if (gen == gen_) fn();
  });
}

Micros RaftClient::election_timeout() {
  // QuorumConfig: a random timeout in [election timeout, 2 x election timeout).
  return election_timeout_ + host_.rng().between(0, std::max<Micros>(election_timeout_ - 1, 0));
}

Micros RaftClient::election_backoff() {
  // RaftUtil.binaryExponentialElectionBackoffMs: RETRY_BACKOFF_BASE_MS (100) x a random integer below
  // 2^retries, capped at controller.quorum.election.backoff.max.ms.
  constexpr Micros kBackoffBase = 100 * kMicrosPerMs;
  const int retries = std::clamp(election_attempts_, 1, 20);
  const Micros drawn = kBackoffBase * host_.rng().between(0, (std::int64_t{1} << retries) - 1);
  return std::min<Micros>(drawn, backoff_max_);
}

void RaftClient::count_election_attempt() {
  // QuorumState.transitionToCandidate: retries + 1 when already campaigning, else 1.
  election_attempts_ = role_ == QuorumRole::Candidate || role_ == QuorumRole::Prospective ? election_attempts_ + 1 : 1;
}

void RaftClient::start_election() {
  if (!voter_) return;
  if (pre_vote_) become_prospective();
  else become_candidate();
}

void RaftClient::become_prospective() {
  // KIP-996: ask first whether an election could succeed; the epoch does not change.
  count_election_attempt();
  transition(QuorumRole::Prospective, store_.epoch, -1);
  votes_.insert(host_.node());
  if (static_cast<int>(votes_.size()) * 2 > static_cast<int>(voters_.size())) return become_candidate();
  send_votes(true);
  const Micros wait = election_timeout();
  election_deadline_ = host_.now() + wait;
  schedule(wait, [this] { schedule(election_backoff(), [this] { become_prospective(); }); });
}

void RaftClient::become_candidate() {
  if (role_ != QuorumRole::Prospective) count_election_attempt();  // a won pre-vote is the same attempt
  transition(QuorumRole::Candidate, store_.epoch + 1, -1);
  votes_.insert(host_.node());
  if (static_cast<int>(votes_.size()) * 2 > static_cast<int>(voters_.size())) return become_leader();
  send_votes(false);
  // CandidateState: the election lasts the election timeout, then backs off and starts over.
  const Micros wait = election_timeout();
  election_deadline_ = host_.now() + wait;
  schedule(wait, [this] { schedule(election_backoff(), [this] { start_election(); }); });
}

void RaftClient::send_votes(bool pre_vote) {
  for (int v : voters_)
    if (v != host_.node()) send_vote(v, pre_vote);
}

void RaftClient::send_vote(int voter, bool pre_vote) {
  auto req = std::make_unique<VoteRequest>();
  req->candidate_epoch = pre_vote ? store_.epoch + 1 : store_.epoch;
  req->candidate = host_.node();
  req->last_epoch = log_.last_epoch();
  req->end_offset = log_.end_offset();
  req->pre_vote = pre_vote;
  host_.request(voter, std::move(req), request_timeout_,
                [this, voter, gen = gen_, sent = store_.epoch, pre_vote](sim::Failure f, const sim::Message* m) {
                  if (gen == gen_) on_vote_response(voter, sent, pre_vote, f, m);
                });
}

void RaftClient::on_vote_response(int voter, std::int64_t epoch_sent, bool pre_vote, sim::Failure f,
                                  const sim::Message* m) {
  if (f != sim::Failure::None) {
    // KafkaRaftClient retries an unanswered Vote after the retry backoff while the election lasts.
    schedule(retry_backoff_, [this, voter, pre_vote] { send_vote(voter, pre_vote); });
    return;
  }
  const auto& resp = static_cast<const VoteResponse&>(*m);
  if (maybe_newer_epoch(resp.epoch, resp.leader)) return;
  if (epoch_sent != store_.epoch) return;
  if (resp.granted) votes_.insert(voter);
  else rejections_.insert(voter);
  const int majority = static_cast<int>(voters_.size()) / 2 + 1;
  if (static_cast<int>(votes_.size()) >= majority) {
    if (role_ == QuorumRole::Prospective) become_candidate();
    else if (role_ == QuorumRole::Candidate) become_leader();
  } else if (static_cast<int>(rejections_.size()) >= majority) {
    // Lost: back off, then try again (CandidateState.isVoteRejected). The election's timers and the
    // answers still to come are of no use any more.
    ++gen_;
    votes_.clear();
    rejections_.clear();
    const Micros backoff = election_backoff();
    election_deadline_ = host_.now() + backoff;
    schedule(backoff, [this] { start_election(); });
  }
}

void RaftClient::become_leader() {
  transition(QuorumRole::Leader, store_.epoch, host_.node());
  // The new leader's first record: LeaderChange; the HW may pass nothing of this epoch before it.
  epoch_start_ = log_.end_offset();
  MetadataRecord change;
  change.type = RecordType::LeaderChange;
  change.node = host_.node();
  for (int v : voters_) voter_end_[v] = v == host_.node() ? 0 : -1;
  append({change});
  for (int v : voters_)
    if (v != host_.node()) send_begin_epoch(v);
  if (check_quorum_) {
    // LeaderState's check-quorum timer: 1.5 x the fetch timeout, reset the moment a majority of voters
    // (the leader counting itself) has fetched since the last reset; it expiring makes the leader resign.
    check_deadline_ = host_.now() + check_window();
    arm_check_quorum();
  }
}

Micros RaftClient::check_window() const { return fetch_timeout_ * 3 / 2; }

void RaftClient::arm_check_quorum() {
  host_.after(std::max<Micros>(check_deadline_ - host_.now(), 0), [this, gen = gen_] {
    if (gen != gen_ || role_ != QuorumRole::Leader) return;
    if (host_.now() < check_deadline_) return arm_check_quorum();  // a majority fetched: the timer moved
    host_.record("quorum-check-failed", {{"node", host_.name()},
                                         {"epoch", store_.epoch},
                                         {"fetched", static_cast<std::int64_t>(fetched_since_check_.size())}});
    transition(QuorumRole::Resigned, store_.epoch, host_.node());
  });
}

void RaftClient::send_begin_epoch(int voter) {
  auto req = std::make_unique<BeginQuorumEpochRequest>();
  req->epoch = store_.epoch;
  req->leader = host_.node();
  host_.request(voter, std::move(req), request_timeout_, [this, voter, gen = gen_](sim::Failure f, const sim::Message* m) {
    if (gen != gen_) return;
    if (f == sim::Failure::None) {
      const auto& ack = static_cast<const QuorumAck&>(*m);
      if (maybe_newer_epoch(ack.epoch, ack.leader)) return;
      begun_.insert(voter);
      return;
    }
    // Resent until the voter has it (or fetches from this leader).
    schedule(retry_backoff_, [this, voter] {
      if (begun_.count(voter) == 0) send_begin_epoch(voter);
    });
  });
}

void RaftClient::send_end_epoch() {
  for (int v : voters_) {
    if (v == host_.node()) continue;
    auto req = std::make_unique<EndQuorumEpochRequest>();
    req->epoch = store_.epoch;
    req->leader = host_.node();
    host_.request(v, std::move(req), request_timeout_, [](sim::Failure, const sim::Message*) {});
  }
}

bool RaftClient::maybe_newer_epoch(std::int64_t epoch, int leader) {
  if (epoch < store_.epoch) return false;
  if (epoch == store_.epoch) {
    // The same epoch with a leader this replica did not know: follow it.
    if (leader >= 0 && leader != host_.node() && leader_ != leader &&
        (role_ == QuorumRole::Unattached || role_ == QuorumRole::Voted || role_ == QuorumRole::Candidate ||
         role_ == QuorumRole::Prospective)) {
      transition(QuorumRole::Follower, epoch, leader);
      return true;
    }
    return false;
  }
  if (leader >= 0 && leader != host_.node()) transition(QuorumRole::Follower, epoch, leader);
  else transition(QuorumRole::Unattached, epoch, -1);
  return true;
}

// ---- requests --------------------------------------------------------------------------------------

bool RaftClient::on_message(const sim::Envelope& e) {
  const sim::Message* body = e.body.get();
  if (const auto* v = dynamic_cast<const VoteRequest*>(body)) handle_vote(e, *v);
  else if (const auto* b = dynamic_cast<const BeginQuorumEpochRequest*>(body)) handle_begin_epoch(e, *b);
  else if (const auto* x = dynamic_cast<const EndQuorumEpochRequest*>(body)) handle_end_epoch(e, *x);
  else if (const auto* f = dynamic_cast<const QuorumFetchRequest*>(body)) handle_fetch(e, *f);
  else return false;
  return true;
}

bool RaftClient::log_at_least(std::int64_t last_epoch, std::int64_t end_offset) const {
  return last_epoch > log_.last_epoch() || (last_epoch == log_.last_epoch() && end_offset >= log_.end_offset());
}

void RaftClient::handle_vote(const sim::Envelope& e, const VoteRequest& r) {
  auto resp = std::make_unique<VoteResponse>();
  if (!voter_) {
    resp->error = "INCONSISTENT_VOTER_SET";
  } else if (r.pre_vote) {
    // KIP-996: granted when this voter has not heard from a leader within the fetch timeout and the
    // candidate's log is at least as up to date; nothing here changes.
    // FollowerState: refused while it has fetched from this leader within the fetch timeout; a leader
    // and a resigned leader always refuse.
    const bool leader_alive = role_ == QuorumRole::Leader || role_ == QuorumRole::Resigned ||
                              (role_ == QuorumRole::Follower && has_fetched_ &&
                               host_.now() - last_leader_contact_ < fetch_timeout_);
    resp->granted = r.candidate_epoch > store_.epoch && !leader_alive && log_at_least(r.last_epoch, r.end_offset);
  } else if (r.candidate_epoch < store_.epoch) {
    resp->error = "FENCED_LEADER_EPOCH";
  } else {
    // A higher epoch moves this voter to it first, whatever it was doing: a leader steps down here.
    if (r.candidate_epoch > store_.epoch) transition(QuorumRole::Unattached, r.candidate_epoch, -1);
    // unattachedOrProspectiveCanGrantVote: no vote yet in this epoch and no leader known.
    const bool may_vote = role_ == QuorumRole::Unattached ||
                          (role_ == QuorumRole::Prospective && store_.voted_for < 0 && leader_ < 0) ||
                          (role_ == QuorumRole::Voted && store_.voted_for == r.candidate);
    resp->granted = may_vote && log_at_least(r.last_epoch, r.end_offset);
    if (resp->granted && role_ != QuorumRole::Voted) transition(QuorumRole::Voted, store_.epoch, -1, r.candidate);
  }
  resp->epoch = store_.epoch;
  resp->leader = leader_;
  host_.reply(e, std::move(resp));
}

void RaftClient::acknowledge(const sim::Envelope& e, const char* request, bool fenced) {
  auto ack = std::make_unique<QuorumAck>();
  ack->request = request;
  if (fenced) ack->error = "FENCED_LEADER_EPOCH";
  ack->epoch = store_.epoch;
  ack->leader = leader_;
  host_.reply(e, std::move(ack));
}

void RaftClient::handle_begin_epoch(const sim::Envelope& e, const BeginQuorumEpochRequest& r) {
  const bool fenced = r.epoch < store_.epoch;
  if (!fenced && (r.epoch > store_.epoch || role_ != QuorumRole::Follower || leader_ != r.leader) &&
      !(r.epoch == store_.epoch && role_ == QuorumRole::Leader))
    transition(QuorumRole::Follower, r.epoch, r.leader);
  acknowledge(e, "BeginQuorumEpoch", fenced);
}

void RaftClient::handle_end_epoch(const sim::Envelope& e, const EndQuorumEpochRequest& r) {
  const bool fenced = r.epoch < store_.epoch;
  if (!fenced && voter_ && (r.epoch > store_.epoch || (role_ == QuorumRole::Follower && leader_ == r.leader))) {
    // The leader is stepping down: wait briefly (by place among its preferred successors), then elect.
    if (r.epoch > store_.epoch) transition(QuorumRole::Unattached, r.epoch, -1);
    auto at = std::find(r.preferred_successors.begin(), r.preferred_successors.end(), host_.node());
    const Micros wait = at != r.preferred_successors.end()
                            ? retry_backoff_ * static_cast<Micros>(at - r.preferred_successors.begin())
                            : election_backoff();
    schedule(wait, [this] { start_election(); });
  }
  acknowledge(e, "EndQuorumEpoch", fenced);
}

void RaftClient::handle_fetch(const sim::Envelope& e, const QuorumFetchRequest& r) {
  // validateLeaderOnlyRequest: an older epoch is fenced, a newer one is not known here yet.
  if (r.epoch == store_.epoch && role_ == QuorumRole::Leader && r.voter && voter_end_.count(r.replica)) {
    begun_.insert(r.replica);
    fetched_since_check_.insert(r.replica);
    const std::size_t majority = voters_.size() / 2 + 1;
    if (fetched_since_check_.size() + 1 >= majority) {  // LeaderState.updateCheckQuorumForFollowingVoter
      fetched_since_check_.clear();
      check_deadline_ = host_.now() + check_window();
    }
  }
  if (answer_fetch(reply_address(e), r, false)) return;
  // Nothing new: the leader holds the fetch up to its max wait (or until it has something).
  const std::uint64_t id = next_parked_++;
  parked_.emplace(id, Parked{reply_address(e), r});
  host_.after(fetch_max_wait_, [this, id, gen = gen_] {
    if (gen != gen_) return;
    auto it = parked_.find(id);
    if (it == parked_.end()) return;
    Parked p = std::move(it->second);
    parked_.erase(it);
    answer_fetch(p.reply_to, p.request, true);
  });
}

bool RaftClient::answer_fetch(const sim::Envelope& to, const QuorumFetchRequest& r, bool final) {
  auto resp = std::make_unique<QuorumFetchResponse>();
  resp->epoch = store_.epoch;
  resp->leader = leader_;
  if (r.epoch < store_.epoch) resp->error = "FENCED_LEADER_EPOCH";
  else if (r.epoch > store_.epoch) resp->error = "UNKNOWN_LEADER_EPOCH";
  else if (role_ != QuorumRole::Leader) resp->error = "NOT_LEADER_OR_FOLLOWER";
  if (!resp->error.empty()) {
    host_.reply(to, std::move(resp));
    return true;
  }
  // ReplicatedLog.validateOffsetAndEpoch: the fetcher's last epoch must end where it says.
  if (r.fetch_offset > 0) {
    auto [epoch, end] = log_.end_offset_for_epoch(r.last_fetched_epoch);
    if (epoch != r.last_fetched_epoch || end < r.fetch_offset) {
      resp->diverging = std::make_pair(epoch, end);
      resp->high_watermark = hw_;
      host_.reply(to, std::move(resp));
      return true;
    }
  }
  if (r.voter) {
    auto it = voter_end_.find(r.replica);
    if (it != voter_end_.end() && r.fetch_offset > it->second) {
      it->second = r.fetch_offset;
      maybe_advance_hw();
    }
  }
  const std::int64_t end = log_.end_offset();
  const bool has_records = r.fetch_offset < end;
  if (!has_records && !final) return false;
  resp->high_watermark = hw_;
  resp->base_offset = r.fetch_offset;
  for (std::int64_t o = r.fetch_offset; o < end && o < r.fetch_offset + 500; ++o) resp->records.push_back(log_.at(o));
  host_.reply(to, std::move(resp));
  return true;
}

void RaftClient::wake_parked() {
  std::map<std::uint64_t, Parked> parked;
  parked.swap(parked_);
  for (auto& [id, p] : parked)
    if (!answer_fetch(p.reply_to, p.request, false)) parked_.emplace(id, std::move(p));
}

std::int64_t RaftClient::append(std::vector<MetadataRecord> records) {
  if (role_ != QuorumRole::Leader) return -1;
  for (auto& r : records) {
    r.epoch = store_.epoch;
    if (r.type == RecordType::RegisterBroker) r.broker_epoch = log_.end_offset();
    log_.append(std::move(r), host_.now());
  }
  log_.flush();  // flushLeaderLog
  voter_end_[host_.node()] = log_.end_offset();  // flushed on append: the leader's own end counts
  maybe_advance_hw();
  wake_parked();
  return log_.end_offset() - 1;
}

void RaftClient::maybe_advance_hw() {
  // LeaderState.maybeUpdateHighWatermark: the offset a majority of voters has reached, once it is past
  // this epoch's start (the LeaderChange record is committed).
  std::vector<std::int64_t> ends;
  for (const auto& [v, end] : voter_end_) ends.push_back(end);
  std::sort(ends.rbegin(), ends.rend());
  const std::size_t majority = voters_.size() / 2 + 1;
  if (ends.size() < majority) return;
  const std::int64_t candidate = ends[majority - 1];
  if (candidate > epoch_start_ && candidate > hw_) {
    set_hw(candidate);
    wake_parked();
  }
}

void RaftClient::set_hw(std::int64_t hw) {
  hw_ = std::min(hw, log_.end_offset());
  deliver();
}

void RaftClient::deliver() {
  while (delivered_ < hw_ && delivered_ < log_.end_offset()) {
    const std::int64_t o = delivered_++;
    const MetadataRecord rec = log_.at(o);  // a copy: the listener may append, which moves the log's records
    host_.record("metadata-committed", {{"node", host_.name()},
                                        {"offset", o},
                                        {"epoch", rec.epoch},
                                        {"record", std::string(record_type_name(rec.type))},
                                        {"detail", rec.detail()}});
    listener_.on_commit(o, rec);
  }
}

// ---- following -------------------------------------------------------------------------------------

void RaftClient::reset_fetch_timer() {
  if (fetch_timer_ != 0) host_.cancel(fetch_timer_);
  fetch_timer_ = host_.after(fetch_timeout_, [this, gen = gen_] {
    if (gen != gen_) return;
    fetch_timer_ = 0;
    // The leader has not answered for the fetch timeout: elect (a voter) or look for one (an observer).
    if (voter_) start_election();
    else transition(QuorumRole::Unattached, store_.epoch, -1);
  });
}

void RaftClient::fetch() {
  if (fetch_in_flight_) return;
  int target = leader_;
  if (role_ != QuorumRole::Follower) {
    if (voter_) return;
    // An observer without a leader asks a random voter (controller.quorum.bootstrap.servers).
    target = voters_[static_cast<std::size_t>(host_.rng().between(0, static_cast<std::int64_t>(voters_.size()) - 1))];
  }
  if (target < 0 || target == host_.node()) return;
  auto req = std::make_unique<QuorumFetchRequest>();
  req->epoch = store_.epoch;
  req->replica = host_.node();
  req->voter = voter_;
  req->fetch_offset = log_.end_offset();
  req->last_fetched_epoch = log_.last_epoch();
  fetch_in_flight_ = true;
  host_.request(target, std::move(req), request_timeout_ + fetch_max_wait_,
                [this, target, gen = gen_](sim::Failure f, const sim::Message* m) {
                  if (gen != gen_) return;
                  fetch_in_flight_ = false;
                  on_fetch_response(target, gen, f, m);
                });
}

void RaftClient::on_fetch_response(int from, std::uint64_t gen, sim::Failure f, const sim::Message* m) {
  if (f != sim::Failure::None) {
    schedule(retry_backoff_, [this] { fetch(); });
    return;
  }
  const auto& resp = static_cast<const QuorumFetchResponse&>(*m);
  if (maybe_newer_epoch(resp.epoch, resp.leader)) return;
  if (gen != gen_) return;
  if (!resp.error.empty()) {
    // An observer told who leads this epoch follows it; else it tries again shortly.
    if (!voter_ && role_ != QuorumRole::Follower && resp.leader >= 0 && resp.epoch == store_.epoch) {
      transition(QuorumRole::Follower, resp.epoch, resp.leader);
      return;
    }
    if (!voter_ && role_ == QuorumRole::Follower && resp.error == "NOT_LEADER_OR_FOLLOWER" && resp.leader != leader_) {
      transition(QuorumRole::Unattached, store_.epoch, -1);
      return;
    }
    schedule(retry_backoff_, [this] { fetch(); });
    return;
  }
  if (role_ != QuorumRole::Follower) {
    // An observer's bootstrap fetch reached the leader itself.
    if (!voter_ && resp.leader == from) transition(QuorumRole::Follower, resp.epoch, from);
    return;
  }
  if (from != leader_) return;
  last_leader_contact_ = host_.now();
  has_fetched_ = true;
  reset_fetch_timer();
  if (resp.diverging) {
    // KafkaRaftClient.handleFetchResponse: truncate to where the leader's log and this one part.
    auto [epoch, end] = *resp.diverging;
    std::int64_t to = std::min(end, log_.end_offset());
    auto [own_epoch, own_end] = log_.end_offset_for_epoch(epoch);
    (void)own_epoch;
    to = std::min(to, own_end);
    const std::int64_t from_offset = log_.end_offset();
    log_.truncate_to(to);
    host_.record("metadata-truncated", {{"node", host_.name()}, {"from_offset", from_offset}, {"to_offset", to}});
    if (hw_ > to) hw_ = to;
  } else {
    for (std::size_t i = 0; i < resp.records.size(); ++i) {
      const std::int64_t o = resp.base_offset + static_cast<std::int64_t>(i);
      if (o == log_.end_offset()) log_.append(resp.records[i], host_.now());
    }
    if (voter_) log_.flush();  // appendAsFollower: only voters flush
    if (resp.high_watermark >= 0 && resp.high_watermark > hw_) set_hw(resp.high_watermark);
  }
  fetch();
}

}  // namespace kafkasim::models::kraft

// The HTML report: the run's data embedded as JSON (escaped so that nothing in a scenario can close the
// element or inject markup), and a script that draws the timeline lanes, the logs as rows of cells at
// chosen moments, and the narrative. The script only ever sets textContent and SVG attributes.
#include "reports/html_report.h"

#include <sstream>

#include "reports/output_files.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace kafkasim::reports {

namespace {

const char* const kStyle = R"CSS(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dde}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 8px}
.summary{color:#445}.desc{color:#556;max-width:70em}.desc p{margin:4px 0}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:600;margin-right:8px}
.pass{background:#dcf5e3;color:#17652f}.fail{background:#fde2e1;color:#9b1c16}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(300px,1.3fr);gap:16px;padding:16px 24px}
section{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 12px;overflow:auto}
svg text{font:11px system-ui,sans-serif}
.lane-label{fill:#334}.moment{cursor:pointer}
#narrative{max-height:80vh;overflow:auto;font:12px/1.5 ui-monospace,monospace}
#narrative div{cursor:pointer;padding:1px 4px;border-radius:3px}#narrative div:hover{background:#eef}
#narrative .sel{background:#dde6ff}.tone-1{color:#8a4b00}.tone-2{color:#17652f}.tone-3{color:#9b1c16;font-weight:600}
.logs table{border-collapse:collapse;margin:4px 0 10px}.logs td{border:1px solid #ccd;padding:1px 3px;white-space:nowrap;
 font:11px ui-monospace,monospace;text-align:center;min-width:34px}
.logs td.name{border:none;text-align:right;padding-right:8px;font-weight:600;white-space:nowrap}
.logs td.name .role{font-weight:400;font-size:10px;color:#445}.logs td .mark{font-size:9px;color:#2458c8;text-align:left}
.truncation-note{color:#8a4b00}
.logs td.c{background:#d7ecff}.logs td.u{background:#fff7d6}.logs td.lost{background:#fde2e1}
.logs .epoch{color:#667;font-size:10px}.legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #ccd}
#moments button{margin:0 4px 4px 0}#moments button.sel{background:#dde6ff}
.violation{color:#9b1c16}
.lesson{margin-top:8px;padding:6px 10px;border:1px solid #d9e3c6;background:#f6faef;border-radius:4px;max-width:80em}
.lesson h2{margin:0 0 4px;font-size:15px}.lesson-head{font-weight:600;margin-top:4px}.look{margin:2px 4px 2px 0}
.look.unseen{color:#9b1c16}.question summary{cursor:pointer}.question code{display:block;margin:2px 0 4px 12px;font-size:12px}
.fork{border:1px solid #c9d3f0;background:#f4f6fd;margin-bottom:10px}.fork-error{color:#9b1c16;white-space:pre-wrap;font:12px ui-monospace,monospace}
html{scroll-padding-top:90px}
.cursor-bar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;align-items:center;gap:4px;padding:6px 24px;
 background:#eef1fa;border-bottom:1px solid #ccd}
.cursor-bar button{font-size:14px;min-width:34px}#c-scrub{flex:1 1 240px}
#c-readout{flex:1 1 100%;font:12px ui-monospace,monospace;color:#223;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.logs td.struck{text-decoration:line-through;color:#777;background:#f1f1f1}
.logs td.hw-edge{border-left:3px solid #2458c8}.logs td.leo-edge{border-left:3px dashed #555}
.logs p{margin:2px 0;font-size:12px}.seq-type{display:inline-block;font-size:12px;margin-right:6px;white-space:nowrap}
.logs td.cp-edge{border-left:3px dotted #009e73}.logs td.concerned{outline:2px solid #c0261d;outline-offset:-2px}
.logs td.point{background:#fbe3c9;font-weight:600}.logs td.diverges{box-shadow:inset 0 -3px #d55e00}
.why-records{border-collapse:collapse;margin:6px 0}.why-records td,.why-records th{border:1px solid #ccd;padding:2px 6px;font-size:12px;text-align:left}
.why-records td.has{background:#eaf7ee}.why-records td.lacks{background:#fde9e8}.why-records td.jump,.why-chain li{cursor:pointer}
.why-chain{font:12px/1.5 ui-monospace,monospace;margin:4px 0;padding-left:28px}.why-chain li.key{font-weight:700}.why-chain li:hover{background:#eef}
.trunc summary{cursor:pointer;font:12px ui-monospace,monospace}.op{cursor:pointer}
.msg{cursor:pointer}.msg-label{font-size:10px;fill:#334}.tick{fill:#556;font-size:10px}#narrative .future{color:#99a}
@media print{.cursor-bar,#moments{display:none}main{display:block}section{break-inside:avoid;border:0}
 #narrative{max-height:none;overflow:visible}body{background:#fff}}
)CSS";

const char* const kScript = R"JS(
'use strict';
const errors = [];
window.addEventListener('error', e => { errors.push(String(e.message)); document.body.dataset.errors = errors.join(' | '); });
const data = JSON.parse(document.getElementById('kafkasim-data').textContent);
const SVG = 'http://www.w3.org/2000/svg';
function el(tag, attrs, text, parent) {
  const n = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
  if (text !== undefined && text !== null) n.textContent = String(text);
  if (parent) parent.appendChild(n);
  return n;
}
const fmtT = t => t.toFixed(3) + ' s';
const events = data.events;
const end = events.length ? events[events.length - 1].t : 1;
const brokers = [], partitions = [];
for (const e of events) {
  if (e.broker !== undefined && typeof e.broker === 'number' && !brokers.includes(e.broker)) brokers.push(e.broker);
  if (e.partition && !partitions.includes(e.partition)) partitions.push(e.partition);
}
brokers.sort((a, b) => a - b); partitions.sort();

// ---- header
document.getElementById('title').textContent = data.scenario.name;
document.getElementById('summary').textContent = data.scenario.summary;
// The description as paragraphs: the YAML file's line breaks inside a paragraph are not the author's
// layout, a blank line is; a line starting with "- " starts a list item.
{
  const box = document.getElementById('desc');
  for (const para of String(data.scenario.description || '').split(/\n\s*\n/)) {
    if (!para.trim()) continue;
    const lines = para.split('\n').map(l => l.trim()).filter(l => l);
    const parts = [];
    for (const l of lines) {
      if (l.startsWith('- ') || !parts.length) parts.push(l);
      else parts[parts.length - 1] += ' ' + l;
    }
    for (const part of parts) el('p', {}, part, box);
  }
}
const v = document.getElementById('verdict');
v.textContent = data.result.verdict === 'pass' ? 'PASS' : 'FAIL';
v.className = 'verdict ' + (data.result.verdict === 'pass' ? 'pass' : 'fail');
const props = [...new Set(data.result.violations.map(x => x.property))];
document.getElementById('verdict-text').textContent =
  (props.length ? 'violated: ' + props.join(', ') : 'no violation') + '; expected: ' +
  (data.result.expected.length ? data.result.expected.join(', ') : 'none') + ' — design ' + data.scenario.design +
  ', seed ' + data.result.seed + ', ' + data.result.stats.simulated_s + ' s simulated';

// ---- the cluster just after history event `idx`, rebuilt from the history as the checkers' replay does:
// every replica's log (and the records its last truncation removed), HW and role, each broker's process
// and ZooKeeper session, what ZooKeeper (or the metadata log) says of each partition, the active
// controller, the quorum, each producer's sends and each consumer's position and group commits.
const freshState = () => ({logs: {}, hw: {}, cp: {}, role: {}, struck: {}, proc: {}, session: {}, view: {}, controller: null,
                            quorum: {}, producers: {}, positions: {}, committed: {}});
// A copy of the state after every SNAP events, so that a step rebuilds at most SNAP events, not the run.
const SNAP = 256, snapshots = [];
function stateAt(idx) {
  idx = Math.min(idx, events.length - 1);
  const k = Math.floor((idx + 1) / SNAP);
  while (snapshots.length < k) {
    const j = snapshots.length, base = j ? structuredClone(snapshots[j - 1]) : freshState();
    for (let i = j * SNAP; i < (j + 1) * SNAP; i++) applyEvent(base, events[i]);
    snapshots.push(base);
  }
  const s = k ? structuredClone(snapshots[k - 1]) : freshState();
  for (let i = k * SNAP; i <= idx; i++) applyEvent(s, events[i]);
  return s;
}
function applyEvent(s, e) {
  const downAll = (b, text) => { for (const p of partitions) s.role[b + '/' + p] = {r: text}; };
  const key = e.broker + '/' + e.partition;
  {
    switch (e.event) {
      case 'appended': {
        const log = s.logs[key] = s.logs[key] || [];
        log.length = Math.min(log.length, e.offset);
        log[e.offset] = {v: e.value, e: e.leader_epoch};
        if (s.struck[key]) delete s.struck[key][e.offset];
        break;
      }
      case 'truncated': {
        const log = s.logs[key] = s.logs[key] || [];
        const removed = [];
        for (let o = e.to_offset; o < log.length; o++) removed[o] = {...log[o], t: e.t, reason: e.reason};
        if (log.length > e.to_offset) log.length = e.to_offset;
        s.struck[key] = removed;
        s.hw[key] = Math.min(s.hw[key] || 0, e.to_offset);
        break;
      }
      case 'hw-advanced': case 'hw-lowered': s.hw[key] = e.hw; break;
      case 'hw-checkpointed': s.cp[key] = e.hw; break;
      case 'became-leader': case 'became-follower':
        s.role[key] = {r: e.event === 'became-leader' ? 'leader' : 'follower', epoch: e.leader_epoch, leader: e.leader};
        if (e.hw !== undefined) s.hw[key] = e.hw;
        break;
      case 'broker-started': s.proc[e.broker] = 'up'; if (e.t > 0) downAll(e.broker, 'no role yet'); break;
      case 'broker-crashed': s.proc[e.broker] = e.kind === 'power-loss' ? 'powered off' : 'crashed'; downAll(e.broker, 'down'); break;
      case 'broker-shutdown': s.proc[e.broker] = 'stopped'; downAll(e.broker, 'down'); break;
      case 'broker-exited': s.proc[e.broker] = 'exited (' + e.reason + ')'; downAll(e.broker, 'down'); break;
      case 'broker-paused': s.proc[e.broker] = 'paused'; break;
      case 'broker-resumed': s.proc[e.broker] = 'up'; break;
      case 'zk-session-created': s.session[e.broker] = 'session ' + e.session; break;
      case 'zk-session-expired': if (s.session[e.broker] === 'session ' + e.session) s.session[e.broker] = 'session ' + e.session + ' expired'; break;
      case 'broker-fenced': s.session[e.broker] = 'fenced (' + e.reason + ')'; break;
      case 'broker-unfenced': s.session[e.broker] = 'unfenced, broker epoch ' + e.broker_epoch; break;
      case 'leader-elected': s.view[e.partition] = {leader: e.leader, epoch: e.leader_epoch, isr: e.isr, clean: e.clean, elr: (s.view[e.partition] || {}).elr}; break;
      case 'isr-changed': if (s.view[e.partition]) { s.view[e.partition].isr = e.isr; if (e.leader_epoch !== undefined) s.view[e.partition].epoch = e.leader_epoch; } break;
      case 'elr-changed': if (s.view[e.partition]) s.view[e.partition].elr = e.elr; break;
      case 'controller-elected': s.controller = {who: e.node || 'broker-' + e.broker, epoch: e.controller_epoch}; break;
      case 'controller-resigned': if (s.controller && s.controller.who === (e.node || 'broker-' + e.broker)) s.controller = null; break;
      case 'quorum-state': s.quorum[e.node] = e.state + ' e' + e.epoch; break;
      case 'node-crashed': s.quorum[e.node] = 'down'; break;
      case 'node-stopped': s.quorum[e.node] = 'stopped'; break;
      case 'produce-sent': case 'produce-acked': case 'produce-failed': {
        const pr = s.producers[e.producer] = s.producers[e.producer] || {acks: e.acks, sent: 0, acked: 0, failed: 0, waiting: [], last: ''};
        if (e.event === 'produce-sent') { pr.sent++; pr.waiting.push(e.value); break; }
        pr.waiting = pr.waiting.filter(v => v !== e.value);
        if (e.event === 'produce-acked') { pr.acked++; pr.last = e.value + ' acknowledged at ' + e.partition + ' offset ' + e.offset; }
        else { pr.failed++; pr.last = e.value + ' failed: ' + e.error; }
        break;
      }
      case 'consumed': (s.positions[e.consumer] = s.positions[e.consumer] || {})[e.partition] = e.offset + 1; break;
      case 'consumer-position-reset': (s.positions[e.consumer] = s.positions[e.consumer] || {})[e.partition] = e.to_offset; break;
      case 'offset-committed': (s.committed[e.group] = s.committed[e.group] || {})[e.partition] = e.offset + ' (by ' + e.consumer + ', generation ' + e.generation + ')'; break;
    }
  }
}

// ---- losses: acknowledged records the final log of their partition (its last leader's, the leader of
// the highest epoch) does not hold at their offset, as the acked-write-lost checker finds them. acks=all
// ones are violations; acks=1 ones, and those an unclean election of a later epoch took, are losses
// Kafka allows; all are drawn, each saying which it is.
const losses = [], lossOf = new Map();  // partition + value -> its loss
{
  const last = stateAt(events.length - 1), leaderOf = {}, topEpoch = {}, epochOf = new Map(), unclean = {};
  for (const e of events) {
    if (e.event === 'became-leader' && (topEpoch[e.partition] === undefined || e.leader_epoch >= topEpoch[e.partition])) {
      topEpoch[e.partition] = e.leader_epoch; leaderOf[e.partition] = e.broker;
    }
    if (e.event === 'appended' && !epochOf.has(e.partition + '/' + e.offset + '/' + e.value)) epochOf.set(e.partition + '/' + e.offset + '/' + e.value, e.leader_epoch);
    if (e.event === 'leader-elected' && e.clean === false) (unclean[e.partition] = unclean[e.partition] || []).push({t: e.t, epoch: e.leader_epoch});
  }
  const seen = new Set();
  for (const e of events) {
    if (e.event !== 'produce-acked' || seen.has(e.producer + '/' + e.value)) continue;
    seen.add(e.producer + '/' + e.value);
    const log = last.logs[leaderOf[e.partition] + '/' + e.partition] || [];
    if (log[e.offset] && log[e.offset].v === e.value) continue;
    const epoch = epochOf.has(e.partition + '/' + e.offset + '/' + e.value) ? epochOf.get(e.partition + '/' + e.offset + '/' + e.value) : -1;
    const afterUnclean = (unclean[e.partition] || []).some(u => epoch >= 0 ? u.epoch > epoch : u.t >= e.t);
    const l = {value: e.value, producer: e.producer, partition: e.partition, offset: e.offset, acks: String(e.acks), t: e.t,
               epoch, kind: afterUnclean ? 'unclean' : String(e.acks) === '1' ? 'acks=1' : 'acks=all',
               holds: log[e.offset] ? log[e.offset].v : null, leader: leaderOf[e.partition]};
    losses.push(l); lossOf.set(e.partition + '/' + e.value, l);
  }
}
const lossText = l => 'acknowledged to ' + l.producer + ' (acks=' + l.acks + ') at ' + fmtT(l.t) + ' at offset ' + l.offset +
  ', not in the final log of ' + l.partition + ' (broker-' + l.leader + (l.holds ? ' holds ' + l.holds + ' there' : ' ends before it') + '): ' +
  (l.kind === 'unclean' ? 'lost to an unclean election (allowed when unclean.leader.election.enable is on)'
   : l.kind === 'acks=1' ? 'lost with acks=1 (allowed: only the leader had it)' : 'an acks=all record lost (a violation)');

// ---- timeline: lanes for ZooKeeper, each broker, the controller, and each partition's leadership
const W = 1000, X0 = 150, LANE = 22;
const x = t => X0 + (W - X0 - 10) * (t / Math.max(end, 0.001));
const lanes = [];
// KRaft: one lane per controller node (its quorum role and epoch, and the metadata it had committed when
// the span ended) in place of ZooKeeper's.
const quorumNodes = [...new Set(events.filter(e => e.event === 'quorum-state').map(e => e.node))].sort();
if (!quorumNodes.length) lanes.push({label: 'zk-1', spans: [{from: 0, to: end, text: 'up', cls: '#cfe8d4'}]});
const roleColour = {leader: '#b9d3f5', follower: '#cfe8d4', candidate: '#f9dcc4', prospective: '#f7f2c4',
                    resigned: '#eedcf5', voted: '#e4e4e4', unattached: '#eeeeee'};
for (const n of quorumNodes) {
  const spans = []; let cur = null, role = 'unattached', epoch = 0, committed = 0, down = false;
  const open = (t, text, cls) => {
    if (cur) spans.push({...cur, to: t, text: cur.text + (cur.quorum ? ' \u00b7 metadata ' + committed : '')});
    cur = {from: t, text, cls, quorum: cls !== '#f3b9b5' && cls !== '#ffe5a8'};
  };
  open(0, 'unattached e0', roleColour.unattached);
  for (const e of events) {
    if (e.node !== n) continue;
    if (e.event === 'quorum-state') { role = e.state; epoch = e.epoch; if (!down) open(e.t, role + ' e' + epoch, roleColour[role] || '#eeeeee'); }
    else if (e.event === 'node-crashed') { down = true; open(e.t, e.kind === 'power-loss' ? 'powered off' : 'down', '#f3b9b5'); }
    else if (e.event === 'node-stopped') { down = true; open(e.t, 'stopped', '#f3b9b5'); }
    else if (e.event === 'node-paused') open(e.t, 'paused (' + role + ' e' + epoch + ')', '#ffe5a8');
    else if (e.event === 'node-resumed') open(e.t, role + ' e' + epoch, roleColour[role] || '#eeeeee');
    else if (e.event === 'node-started') down = false;
    else if (e.event === 'metadata-committed') committed = e.offset + 1;
  }
  open(end, '', '');
  lanes.push({label: n, spans: spans.filter(sp => sp.to > sp.from)});
}
for (const b of brokers) {
  const spans = []; let state = 'up', since = 0;
  const close = (t, next) => { if (t > since || state !== 'up') spans.push({from: since, to: t, text: state, cls: state === 'up' ? '#cfe8d4' : state === 'paused' ? '#ffe5a8' : '#f3b9b5'}); state = next; since = t; };
  for (const e of events) {
    if (e.broker !== b) continue;
    if (e.event === 'broker-crashed') close(e.t, e.kind === 'power-loss' ? 'powered off' : 'down');
    else if (e.event === 'broker-shutdown') close(e.t, 'stopped');
    else if (e.event === 'broker-exited') close(e.t, 'exited');
    else if (e.event === 'broker-paused') close(e.t, 'paused');
    else if (e.event === 'broker-resumed' || (e.event === 'broker-started' && e.t > 0)) close(e.t, 'up');
  }
  close(end, state);
  lanes.push({label: 'broker-' + b, spans});
}
{
  const spans = []; let cur = null;
  for (const e of events) {
    const who = e.node || 'b' + e.broker;
    if (e.event === 'controller-elected') { if (cur) spans.push({...cur, to: e.t}); cur = {from: e.t, who, text: who + ' epoch ' + e.controller_epoch, cls: '#d9def7'}; }
    // Only the controller that holds the lane leaves it: a deposed one resigning late changes nothing.
    else if (e.event === 'controller-resigned' && cur && cur.who === who) { spans.push({...cur, to: e.t}); cur = null; }
  }
  if (cur) spans.push({...cur, to: end});
  lanes.push({label: 'controller', spans});
}
const palette = ['#cde4f7', '#f9dcc4', '#d9f2d0', '#eedcf5', '#f7f2c4', '#d4f0f0'];
for (const p of partitions) {
  const spans = []; let cur = null;
  for (const e of events) {
    if (e.event === 'isr-changed' && e.partition === p && cur) {
      // The same leader with a new ISR: a new span, so the lane shows every ISR the partition had.
      spans.push({...cur, to: e.t});
      // An ISR change can come with a new leader epoch (AlterPartition, KRaft): the span says the epoch of now.
      let text = cur.text.replace(/isr \[[^\]]*\]/, 'isr [' + e.isr.join(',') + ']');
      if (e.leader_epoch !== undefined) text = text.replace(/ e\d+ /, ' e' + e.leader_epoch + ' ');
      cur = {...cur, from: e.t, text};
      continue;
    }
    if (e.event !== 'leader-elected' || e.partition !== p) continue;
    if (cur) spans.push({...cur, to: e.t});
    cur = {from: e.t, text: (e.leader > 0 ? 'b' + e.leader : 'none') + ' e' + e.leader_epoch + ' isr [' + e.isr.join(',') + ']' + (e.clean === false ? ' UNCLEAN' : ''),
           cls: e.leader > 0 ? palette[e.leader % palette.length] : '#f3b9b5'};
  }
  if (cur) spans.push({...cur, to: end});
  lanes.push({label: p + ' leader', spans});
}
// Per partition and replica: its role (leader or follower, with the epoch, or down) over time.
for (const p of partitions) for (const b of brokers) {
  const spans = []; let cur = null;
  const open = (t, text, cls) => { if (cur) spans.push({...cur, to: t}); cur = text ? {from: t, text, cls} : null; };
  for (const e of events) {
    if (e.broker !== b) continue;
    // The label names the role and epoch; LEO and HW change all the time, so they are in the tooltip as they
    // were when the role began, and in the log pictures at any moment.
    if ((e.event === 'became-leader' || e.event === 'became-follower') && e.partition === p) {
      open(e.t, (e.event === 'became-leader' ? 'leader' : 'follower') + ' e' + e.leader_epoch,
           e.event === 'became-leader' ? '#bcd7f5' : '#e4ecf5');
      cur.note = 'LEO ' + e.leo + ', HW ' + e.hw + ' when it began';
    }
    else if (e.event === 'broker-crashed' || e.event === 'broker-shutdown' || e.event === 'broker-exited') open(e.t, 'down', '#f3b9b5');
    // Running again, not yet told its role (waiting for its registration, its old session, a LeaderAndIsr).
    else if (e.event === 'broker-started' && e.t > 0 && cur && cur.text === 'down') open(e.t, 'up, no role yet', '#eeeeee');
  }
  open(end, null);
  if (spans.length) lanes.push({label: p + ' b' + b, spans});
}
// Per group consumer: the partitions it owns in each generation, or down, paused, evicted; with marks for
// its commits (green), refused commits (red), retriable processing errors (orange), records it wrote to
// a sink twice (red dots) and records its group committed past without processing them (red crosses).
const groupOf = {};
for (const e of events) if (e.event === 'group-rebalance') for (const m of e.members) groupOf[m] = e.group;
const members = Object.keys(groupOf).sort();
const consumerMarks = [];
const escapeRe = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
for (const c of members) {
  const spans = []; let cur = null, inGroup = '', down = false;
  const open = (t, text, cls) => { if (cur) spans.push({...cur, to: t}); cur = text ? {from: t, text, cls} : null; };
  const owns = new RegExp('(?:^|[{ ,])' + escapeRe(c) + ': \\[([^\\]]*)\\]');
  open(0, 'joining ' + groupOf[c], '#eeeeee');
  for (const e of events) {
    if (e.event === 'group-rebalance' && e.group === groupOf[c]) {
      if (!e.members.includes(c)) { if (inGroup && !down) open(e.t, 'out of ' + e.group, '#eeeeee'); inGroup = ''; continue; }
      const m = String(e.assignment).match(owns);
      inGroup = 'gen ' + e.generation + ': ' + (m && m[1] ? m[1] : 'nothing');
      if (!down) open(e.t, inGroup, palette[e.generation % palette.length]);
      continue;
    }
    if (e.consumer === c && e.event === 'consumer-evicted') {
      inGroup = '';
      open(e.t, (down ? 'down, evicted (' : 'evicted (') + e.reason + ')', down ? '#f3b9b5' : '#e8c4c4');
    }
    else if (e.consumer === c && e.event === 'offset-committed')
      consumerMarks.push({c, t: e.t, kind: 'commit', text: 'commits ' + e.partition + ' at ' + e.offset + ' (generation ' + e.generation + ')'});
    else if (e.consumer === c && e.event === 'offset-commit-failed' && ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS'].includes(e.error))
      consumerMarks.push({c, t: e.t, kind: 'refused', text: 'commit of ' + e.partition + ' at ' + e.offset + ' refused: ' + e.error});
    else if (e.consumer === c && e.event === 'processing-failed')
      consumerMarks.push({c, t: e.t, kind: 'failed', text: 'processing of ' + e.value + ' (' + e.partition + ' offset ' + e.offset + ') failed, attempt ' + e.attempt + ': ' + e.handling});
    else if (e.consumer === c && e.event === 'sink-write' && e.applied === 'duplicate')
      consumerMarks.push({c, t: e.t, kind: 'duplicate', text: 'writes ' + e.value + ' (' + e.partition + ' offset ' + e.offset + ') to ' + e.sink + ' again: a duplicate'});
    else if (e.node === c && e.event === 'node-crashed') { down = true; open(e.t, 'down', '#f3b9b5'); }
    else if (e.node === c && e.event === 'node-paused') { down = true; open(e.t, 'paused', '#ffe5a8'); }
    else if (e.node === c && (e.event === 'node-resumed' || e.event === 'node-started')) {
      down = false; open(e.t, e.event === 'node-started' ? 'restarted: rejoining as a new member' : (inGroup || 'rejoining'), e.event === 'node-started' ? '#eeeeee' : '#e4ecf5');
      if (e.event === 'node-started') inGroup = '';
    }
  }
  open(end, null);
  lanes.push({label: c, spans: spans.filter(sp => sp.to > sp.from), consumer: true});
}
// An unprocessed record is marked where its group's committed offset first passed it, on the lane of the
// member that made that commit.
for (const vi of data.result.violations) {
  if (vi.property !== 'record-not-processed') continue;
  for (const r of vi.records) {
    const past = events.find(e => e.event === 'offset-committed' && e.partition === vi.partition && e.offset > r.offset);
    if (past) consumerMarks.push({c: past.consumer, t: past.t, kind: 'unprocessed',
      text: vi.partition + ' offset ' + r.offset + ' (' + r.value + ') is committed past here by ' + past.consumer + ' and never processed'});
  }
}
// Client lanes, as Jepsen draws operations: per producer each send an interval from its sending to its
// answer (acknowledged, failed, or still pending at the end), stacked in rows when they overlap; a loss is
// crossed at its end; the leader's refusals (request-rejected) are red ticks. Per consumer outside a group,
// each record it read is a tick and each position reset a diamond.
const clientOps = {}, clientMarks = [];
{
  const waiting = {};
  events.forEach((e, i) => {
    if (e.producer === undefined) return;
    const k = e.producer + '\u0000' + e.value;
    if (e.event === 'produce-sent') {
      const op = {p: e.producer, value: e.value, partition: e.partition, acks: e.acks, t0: e.t, i};
      (clientOps[e.producer] = clientOps[e.producer] || []).push(op);
      (waiting[k] = waiting[k] || []).push(op);
    } else if (e.event === 'produce-acked' || e.event === 'produce-failed') {
      const op = (waiting[k] || []).shift();
      if (!op) return;  // a second answer, to a retry of a request answered already
      op.t1 = e.t; op.i1 = i; op.offset = e.offset; op.error = e.error;
      op.outcome = e.event === 'produce-failed' ? 'failed' : lossOf.has(e.partition + '/' + e.value) ? 'lost' : 'acked';
    } else if (e.event === 'request-rejected') {
      clientMarks.push({c: e.producer, t: e.t, i, kind: 'refused', text: 'broker-' + e.broker + ' refuses ' + (e.request || 'the request') +
                        (e.partition ? ' for ' + e.partition : '') + ': ' + e.reason});
    }
  });
  for (const p of Object.keys(clientOps).sort()) lanes.push({label: p, spans: [], client: 'producer'});
  const readers = [...new Set(events.filter(e => e.event === 'consumed' && !groupOf[e.consumer]).map(e => e.consumer))].sort();
  events.forEach((e, i) => {
    if (!readers.includes(e.consumer)) return;
    if (e.event === 'consumed') clientMarks.push({c: e.consumer, t: e.t, i, kind: 'read', text: 'reads ' + e.value + ' (' + e.partition + ' offset ' + e.offset + ')'});
    else if (e.event === 'consumer-position-reset')
      clientMarks.push({c: e.consumer, t: e.t, i, kind: 'reset', text: 'moves its position in ' + e.partition + ' from ' + e.from_offset + ' to ' + e.to_offset + ' (' + e.reason + ')'});
  });
  for (const c of readers) lanes.push({label: c, spans: [], client: 'consumer'});
}
// Scheduled faults, dynamic targets included (their detail says what the target resolved to); not the
// undo of a `for:`, not a no-op, not the operator restarting a broker that exited.
const isScheduledFault = e => e.event === 'fault' && !e.undo && !e.noop && !(e.action === 'restart' && e.detail);
// Partitioned: a broker named in a partition, isolate or cut fault, until it heals (the settle phase heals all).
const settleAt = (events.find(e => e.event === 'phase' && e.name === 'settle') || {t: end}).t;
const cutOff = [];
for (const e of events) {
  if (!isScheduledFault(e) || !['partition', 'isolate', 'cut'].includes(e.action)) continue;
  const names = (String(e.target) + ' ' + String(e.detail || '')).match(/broker-\d+/g) || [];
  const until = Math.min(e.for ? e.t + e.for : settleAt, settleAt);
  for (const n of new Set(names)) cutOff.push({lane: n, from: e.t, to: until, text: e.action + ' ' + e.target});
}
const faults = events.filter(isScheduledFault);
const violations = data.result.violations;
const H = 30 + lanes.length * LANE + 40;
// As wide as its section (the viewBox scales it), never clipped at a narrow window.
const svg = el('svg:svg', {width: '100%', viewBox: '0 0 ' + W + ' ' + H, id: 'timeline-svg'}, null, document.getElementById('timeline'));
{
  const defs = el('svg:defs', {}, null, svg);
  const pat = el('svg:pattern', {id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'}, null, defs);
  el('svg:rect', {width: 6, height: 6, fill: 'rgba(120,90,200,0.15)'}, null, pat);
  el('svg:line', {x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#7a5ac8', 'stroke-width': 2}, null, pat);
}
lanes.forEach((lane, i) => {
  const y = 20 + i * LANE;
  const g = el('svg:g', {class: 'lane', 'data-lane': lane.label}, null, svg);
  el('svg:text', {x: 4, y: y + 15, class: 'lane-label'}, lane.label, g);
  for (const s of lane.spans) {
    const r = el('svg:rect', {x: x(s.from), y: y + 2, width: Math.max(1, x(s.to) - x(s.from)), height: LANE - 4, fill: s.cls, rx: 2}, null, g);
    el('svg:title', {}, lane.label + ': ' + s.text + (s.note ? '; ' + s.note : '') + ' (' + fmtT(s.from) + ' - ' + fmtT(s.to) + ')', r);
    if (x(s.to) - x(s.from) > s.text.length * 6) el('svg:text', {x: x(s.from) + 3, y: y + 15}, s.text, g);
  }
});
for (const c of cutOff) {
  const i = lanes.findIndex(l => l.label === c.lane);
  if (i < 0) continue;
  const r = el('svg:rect', {x: x(c.from), y: 20 + i * LANE + 2, width: Math.max(2, x(c.to) - x(c.from)), height: LANE - 4,
                            fill: 'url(#hatch)', class: 'partitioned'}, null, svg);
  el('svg:title', {}, c.lane + ' partitioned (' + c.text + ')', r);
}
const markStyle = {commit: ['#2e8b57', 'bottom'], refused: ['#c0261d', 'bottom'], failed: ['#e07b00', 'middle'],
                   duplicate: ['#c0261d', 'top'], unprocessed: ['#c0261d', 'cross']};
for (const m of consumerMarks) {
  const i = lanes.findIndex(l => l.label === m.c);
  if (i < 0) continue;
  const y = 20 + i * LANE, [colour, where] = markStyle[m.kind];
  let shape;
  if (where === 'bottom') shape = el('svg:rect', {x: x(m.t) - 0.5, y: y + LANE - 7, width: 1.5, height: 5, fill: colour}, null, svg);
  else if (where === 'cross') shape = el('svg:text', {x: x(m.t) - 4, y: y + 16, fill: colour, 'font-weight': 'bold'}, '\u00d7', svg);
  else shape = el('svg:circle', {cx: x(m.t), cy: where === 'top' ? y + 5 : y + LANE / 2, r: 2.5, fill: colour}, null, svg);
  shape.setAttribute('class', 'consumer-mark mark-' + m.kind);
  el('svg:title', {}, fmtT(m.t) + ' ' + m.c + ': ' + m.text, shape);
}
const opStyle = {acked: '#8fcf9f', lost: '#8fcf9f', failed: '#e69f00', pending: '#dddddd'};
for (const [p, ops] of Object.entries(clientOps)) {
  const li = lanes.findIndex(l => l.label === p && l.client);
  if (li < 0) continue;
  // Rows: each send in the first row free at its start (at most four; then the emptiest).
  const rowsEnd = [], ROWS = 4;
  const placed = ops.map(op => {
    const t1 = op.t1 === undefined ? end : op.t1;
    let r = rowsEnd.findIndex(t => t <= op.t0);
    if (r < 0) r = rowsEnd.length < ROWS ? rowsEnd.length : rowsEnd.indexOf(Math.min(...rowsEnd));
    rowsEnd[r] = Math.max(rowsEnd[r] || 0, t1);
    return {op, r, t1};
  });
  const n = Math.max(1, rowsEnd.length), h = (LANE - 4) / n, y0 = 20 + li * LANE + 2;
  const g = el('svg:g', {class: 'client-ops', 'data-producer': p}, null, svg);
  for (const {op, r, t1} of placed) {
    const outcome = op.outcome || 'pending';
    const rect = el('svg:rect', {x: x(op.t0), y: y0 + r * h, width: Math.max(1.5, x(t1) - x(op.t0)), height: Math.max(1, h - 1),
                                 fill: opStyle[outcome], stroke: outcome === 'pending' ? '#888' : outcome === 'lost' ? '#c0261d' : 'none',
                                 'stroke-dasharray': outcome === 'pending' ? '2 2' : '', class: 'op op-' + outcome,
                                 'data-value': op.value, 'data-outcome': outcome}, null, g);
    el('svg:title', {}, p + ' sends ' + op.value + ' to ' + op.partition + ' (acks=' + op.acks + ') at ' + fmtT(op.t0) + ': ' +
       (outcome === 'pending' ? 'no answer by the end' : outcome === 'failed' ? 'failed at ' + fmtT(op.t1) + ': ' + op.error
        : 'acknowledged at ' + fmtT(op.t1) + ' at offset ' + op.offset + (outcome === 'lost' ? '; ' + lossText(lossOf.get(op.partition + '/' + op.value)) : '')), rect);
    rect.addEventListener('click', ev => { ev.stopPropagation(); setCursor(op.i, p + ' sends ' + op.value); });
    if (outcome === 'lost')
      el('svg:text', {x: x(t1) - 3, y: y0 + r * h + h, fill: '#c0261d', 'font-weight': 'bold', class: 'op-lost-mark'}, '\u00d7', g);
  }
}
for (const m of clientMarks) {
  const li = lanes.findIndex(l => l.label === m.c && l.client);
  if (li < 0) continue;
  const y = 20 + li * LANE;
  const shape = m.kind === 'reset'
    ? el('svg:polygon', {points: [[0, -4], [4, 0], [0, 4], [-4, 0]].map(([a, b]) => (x(m.t) + a) + ',' + (y + LANE / 2 + b)).join(' '), fill: '#d55e00'}, null, svg)
    : el('svg:rect', {x: x(m.t) - 0.5, y: m.kind === 'refused' ? y + 1 : y + 5, width: 1.5, height: m.kind === 'refused' ? LANE - 2 : LANE - 10,
                      fill: m.kind === 'refused' ? '#c0261d' : '#0072b2'}, null, svg);
  shape.setAttribute('class', 'client-mark mark-' + m.kind);
  el('svg:title', {}, fmtT(m.t) + ' ' + m.c + ': ' + m.text, shape);
}
// Each partition's leader lane also carries its log end (grey) and high watermark (blue) over time, as the
// leaders of the time saw them, scaled to the partition's largest offset.
lanes.forEach((lane, i) => {
  if (!lane.label.endsWith(' leader')) return;
  const p = lane.label.slice(0, -' leader'.length);
  const leo = [], hwp = []; let leader = -1, epoch = -1, top = 1;
  for (const e of events) {
    if (e.partition !== p) continue;
    if (e.event === 'became-leader' && e.leader_epoch >= epoch) { leader = e.broker; epoch = e.leader_epoch; }
    if (e.broker !== leader) continue;
    if (e.event === 'appended') { leo.push([e.t, e.offset + 1]); top = Math.max(top, e.offset + 1); }
    else if (e.event === 'hw-advanced') hwp.push([e.t, e.hw]);
    else if (e.event === 'truncated') leo.push([e.t, e.to_offset]);
  }
  const y0 = 20 + i * LANE + LANE - 3, span = LANE - 6;
  const path = pts => pts.map(([t, v]) => x(t).toFixed(1) + ',' + (y0 - span * v / top).toFixed(1)).join(' ');
  if (leo.length) { const l = el('svg:polyline', {points: path(leo), fill: 'none', stroke: '#777', 'stroke-dasharray': '2 2', class: 'leo-line'}, null, svg); el('svg:title', {}, p + ': the leader\'s log end over time (up to ' + top + ')', l); }
  if (hwp.length) { const l = el('svg:polyline', {points: path(hwp), fill: 'none', stroke: '#2458c8', 'stroke-width': 1.5, class: 'hw-line'}, null, svg); el('svg:title', {}, p + ': the leader\'s high watermark over time', l); }
});
const fy = 20 + lanes.length * LANE;
for (const f of faults) {
  const len = f.for ? x(f.t + f.for) - x(f.t) : 2;
  const r = el('svg:rect', {x: x(f.t), y: fy + 2, width: Math.max(2, len), height: 10, fill: '#f0a35e', opacity: 0.8, class: 'fault'}, null, svg);
  el('svg:title', {}, fmtT(f.t) + ' ' + f.action + ' ' + f.target + (f.detail ? ' (' + f.detail + ')' : '') +
     (f.for ? ' for ' + f.for + ' s' : ''), r);
}
el('svg:text', {x: 4, y: fy + 12, class: 'lane-label'}, 'faults', svg);
// The time axis: a tick every 1, 2 or 5 x 10^k seconds, at most about ten of them.
{
  const ay = fy + 20, g = el('svg:g', {class: 'time-axis'}, null, svg);
  el('svg:line', {x1: X0, x2: x(end), y1: ay, y2: ay, stroke: '#99a'}, null, g);
  let step = 0.001;
  for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]) {
    step = m / 1000;
    if (end / step <= 10) break;
  }
  for (let t = 0, i = 0; t <= end + 1e-9 && i < 200; t = ++i * step) {
    el('svg:line', {x1: x(t), x2: x(t), y1: ay, y2: ay + 4, stroke: '#99a'}, null, g);
    const anchor = t === 0 ? 'start' : end - t < step / 2 ? 'end' : 'middle';
    el('svg:text', {x: x(t), y: ay + 15, class: 'tick', 'text-anchor': anchor}, (Math.round(t * 1000) / 1000) + ' s', g);
  }
}
for (const vi of violations) {
  const l = el('svg:line', {x1: x(vi.time), x2: x(vi.time), y1: 10, y2: fy, stroke: '#c0261d', 'stroke-width': 2, class: 'violation-mark'}, null, svg);
  el('svg:title', {}, fmtT(vi.time) + ' ' + vi.property + ': ' + vi.detail, l);
}
const cursor = el('svg:line', {x1: X0, x2: X0, y1: 10, y2: fy + 14, stroke: '#3050d0', 'stroke-dasharray': '3 3'}, null, svg);
svg.addEventListener('click', ev => {
  const box = svg.getBoundingClientRect();
  const px = (ev.clientX - box.left) * (W / box.width);
  if (px >= X0) select((px - X0) / (W - X0 - 10) * end, 'the moment you clicked');
});

// ---- the cursor: one history event at a time; the timeline's dashed line, the cluster panel, the log
// pictures and the narrative all show the run just after it. Keys: <- and -> step one event, Shift with
// them jumps to the previous or next key moment (a fault, an election, a truncation, a violation...),
// Home and End, Space plays at the chosen speed. The address keeps it (#event=N, N from 1), to share.
const N = events.length;
let cur = N - 1, playing = null;
const isKey = e => ['fault', 'violation', 'truncated', 'leader-elected', 'controller-elected', 'controller-resigned',
  'broker-crashed', 'broker-paused', 'broker-resumed', 'broker-shutdown', 'became-leader', 'zk-session-expired',
  'node-crashed', 'quorum-state', 'group-rebalance', 'produce-failed', 'consumer-position-reset', 'consumer-evicted',
  'hw-lowered', 'isr-changed', 'broker-fenced', 'elr-changed', 'phase'].includes(e.event) &&
  !(e.event === 'fault' && (e.undo || e.noop));
function describe(e) {
  if (!e) return 'nothing has happened yet';
  const parts = [];
  for (const [k, val] of Object.entries(e)) {
    if (k === 't' || k === 'event') continue;
    parts.push(k + ' ' + (Array.isArray(val) ? '[' + val.join(',') + ']' : val !== null && typeof val === 'object' ? JSON.stringify(val) : val));
  }
  return e.event + (parts.length ? ': ' + parts.join(', ') : '');
}
const epochColour = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442'];  // Okabe-Ito: colour-blind safe
const scrub = document.getElementById('c-scrub');
scrub.max = String(Math.max(0, N - 1));
function setCursor(i, why) {
  cur = Math.max(0, Math.min(N - 1, i));
  const e = events[cur] || {t: 0};
  scrub.value = String(cur);
  cursor.setAttribute('x1', x(e.t)); cursor.setAttribute('x2', x(e.t));
  document.getElementById('c-readout').textContent = 'event ' + (cur + 1) + ' of ' + N + ' at ' + fmtT(e.t) + ' \u2014 ' +
    describe(events[cur]) + (why ? '  (' + why + ')' : '');
  drawLogs(cur);
  drawSequence();
  for (const b of mbox.children) b.classList.toggle('sel', Number(b.dataset.i) === cur);
  let first = null;
  for (const d of nar.children) {
    const on = Math.abs(Number(d.dataset.t) - e.t) < 1e-9;
    d.classList.toggle('sel', on);
    d.classList.toggle('future', Number(d.dataset.t) > e.t + 1e-9);
    if (on && !first) first = d;
  }
  if (first && nar.scrollHeight > nar.clientHeight) nar.scrollTop = first.offsetTop - nar.offsetTop - nar.clientHeight / 3;
  document.body.dataset.cursor = String(cur);
  if (window.parent !== window && !seeking) window.parent.postMessage({kafkasim: 'cursor', t: e.t}, '*');
  const forkAt = document.getElementById('fork-at');
  if (forkAt) {
    // The settle phase heals and restarts everything; a fork adds its event within the fault phase only.
    const late = settleAt < end && e.t >= settleAt - 1e-9;
    forkAt.textContent = fmtT(e.t) + (late ? ' (the settle phase, from ' + fmtT(settleAt) + ': step back before it to fork)' : '');
    document.getElementById('fork-run').disabled = late;
  }
  if (history.replaceState) try { history.replaceState(null, '', '#event=' + (cur + 1)); } catch (err) { /* file: with no history */ }
}
// The history is in time order: a binary search for the last event at or before t.
const lastAtOrBefore = t => {
  let lo = 0, hi = N;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (events[mid].t <= t + 1e-9) lo = mid + 1; else hi = mid; }
  return Math.max(lo - 1, 0);
};
function select(t, why) { setCursor(lastAtOrBefore(t), why); }
// Beside another report (kafkasim serve's comparison, matrix --report's pairs): the other one moves, this
// one follows to the same time, without telling back.
let seeking = false;
window.addEventListener('message', ev => {
  if (!ev.data || ev.data.kafkasim !== 'seek' || typeof ev.data.t !== 'number') return;
  seeking = true;
  try { select(ev.data.t, 'the same time as the run beside it'); } finally { seeking = false; }
});
// The address: #event=N (from 1), or #t=SECONDS (the last event at or before it).
function fromAddress() {
  const m = location.hash.match(/event=(\d+)/), t = location.hash.match(/[#&]t=([0-9.eE+-]+)/);
  if (m) { setCursor(Number(m[1]) - 1); return true; }
  if (t) { select(Number(t[1]), 'the time the address names'); return true; }
  return false;
}
// One step: to the next event that is not a message, unless the page is asked to step through those too.
const isMessage = e => e.event.startsWith('message-');
function nextStep(dir) {
  const all = document.getElementById('c-messages').checked;
  for (let i = cur + dir; i >= 0 && i < N; i += dir) if (all || !isMessage(events[i])) return i;
  return -1;
}
function step(dir) { const i = nextStep(dir); if (i >= 0) setCursor(i); }
function jumpKey(dir) {
  for (let i = cur + dir; i >= 0 && i < N; i += dir) if (isKey(events[i])) return setCursor(i);
  setCursor(dir > 0 ? N - 1 : 0);
}
function play(on) {
  if (playing) { clearInterval(playing); playing = null; }
  if (on) {
    // At the last step already (messages may follow it): start again from the beginning.
    if (nextStep(1) < 0) setCursor(0);
    playing = setInterval(() => { const i = nextStep(1); if (i < 0) play(false); else setCursor(i); },
                          1000 / Number(document.getElementById('c-speed').value));
  }
  document.getElementById('c-play').textContent = playing ? '|| pause' : '\u25b6 play';
  document.body.dataset.playing = playing ? '1' : '';
}
const on = (id, f) => document.getElementById(id).addEventListener('click', f);
on('c-first', () => setCursor(0)); on('c-last', () => setCursor(N - 1));
on('c-prev', () => step(-1)); on('c-next', () => step(1));
on('c-prev-key', () => jumpKey(-1)); on('c-next-key', () => jumpKey(1));
on('c-play', () => play(!playing));
document.getElementById('c-speed').addEventListener('change', () => { if (playing) play(true); });
scrub.addEventListener('input', () => setCursor(Number(scrub.value)));
document.addEventListener('keydown', ev => {
  const tag = ev.target && ev.target.tagName;
  // Keys typed into a field, the scrubber or a menu are theirs; a ticked box leaves the keys to the page.
  const theirs = tag === 'SELECT' || tag === 'TEXTAREA' || (tag === 'INPUT' && ev.target.type !== 'checkbox');
  if (theirs || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === 'ArrowRight') ev.shiftKey ? jumpKey(1) : step(1);
  else if (ev.key === 'ArrowLeft') ev.shiftKey ? jumpKey(-1) : step(-1);
  else if (ev.key === 'Home') setCursor(0);
  else if (ev.key === 'End') setCursor(N - 1);
  else if (ev.key === ' ') play(!playing);
  else return;
  ev.preventDefault();
});
window.addEventListener('hashchange', fromAddress);

// ---- key moments, as buttons: each violation, each truncation, the end
const moments = [];
events.forEach((e, i) => {
  if (e.event === 'violation') moments.push({i, why: 'violation: ' + e.property});
  else if (e.event === 'truncated') moments.push({i, why: 'broker-' + e.broker + ' truncates ' + e.partition + ' (' + e.reason + ')'});
});
moments.push({i: N - 1, why: 'the end'});
const mbox = document.getElementById('moments');
moments.slice(0, 60).forEach(m => {
  const b = el('button', {class: 'moment', 'data-i': m.i, 'data-t': (events[m.i] || {t: 0}).t}, fmtT((events[m.i] || {t: 0}).t) + ' ' + m.why, mbox);
  b.addEventListener('click', () => setCursor(m.i, m.why));
});

// ---- the cluster panel and the logs as rows of cells, at the cursor
const MAXCELLS = 40;
const lostValues = new Set();
for (const vi of violations)
  if (vi.property === 'acked-write-lost' || vi.property === 'committed-record-changed')
    for (const r of vi.records || []) if (r.role === 'lost' && r.value) lostValues.add(r.value);
// Records a violation names (lost, changed, processed twice...): outlined in every log that has them.
const concerned = new Set();
for (const vi of violations) for (const r of vi.records || []) if (r.value) concerned.add(vi.partition + '/' + r.value);
// One partition's logs as rows of cells over offsets [from, to): each replica's role, LEO, HW and
// checkpointed HW; each record with its leader epoch as a colour and as text; HW, LEO and the checkpoint
// marked in words and as edges; what the last truncation removed struck through; `opts.point` marks a
// column (the truncation point) and `opts.diverges` the first offset where a follower's log differs.
function logTable(box, st, p, from, to, opts) {
  const table = el('table', {class: opts.cls, 'data-partition': p}, null, box);
  const head = el('tr', {}, null, table);
  el('td', {class: 'name'}, 'offset', head);
  if (from > 0) el('td', {}, '\u2026', head);
  for (let o = from; o < to; o++) {
    const td = el('td', {}, o, head);
    if (o === opts.point) { td.className = 'point'; td.title = 'the truncation point'; td.textContent = o + ' \u2193'; }
    if (o === opts.diverges) { td.className += ' diverges'; td.title = 'the first offset where the logs differ'; }
  }
  for (const b of brokers) {
    const key = b + '/' + p, log = st.logs[key] || [], hw = st.hw[key] || 0, role = st.role[key], struck = st.struck[key] || [];
    const cp = st.cp[key];
    const roleText = !role ? 'no role yet' : role.epoch === undefined ? role.r : role.r + ' e' + role.epoch +
      (role.r === 'follower' && role.leader > 0 ? ' of broker-' + role.leader : '');
    const tr = el('tr', {'data-replica': key, 'data-leo': log.length, 'data-hw': hw, 'data-role': roleText,
                         'data-checkpoint': cp === undefined ? '' : cp}, null, table);
    const name = el('td', {class: 'name'}, null, tr);
    el('div', {}, 'broker-' + b, name);
    el('div', {class: 'role'}, roleText + ' \u00b7 LEO ' + log.length + ' \u00b7 HW ' + hw +
       (cp === undefined ? '' : ' \u00b7 checkpoint ' + cp), name);
    if (from > 0) el('td', {}, '\u2026', tr);
    for (let o = from; o < to; o++) {
      const r = log[o], gone = !r && struck[o];
      const loss = r && lossOf.get(p + '/' + r.v);
      let cls = r ? (lostValues.has(r.v) || loss ? 'lost' : o < hw ? 'c' : 'u') : gone ? 'struck' : '';
      if (o === hw) cls += ' hw-edge';
      if (o === log.length) cls += ' leo-edge';
      if (o === cp && cp !== hw) cls += ' cp-edge';
      const rec = r || gone;
      if (rec && concerned.has(p + '/' + rec.v)) cls += ' concerned';
      const td = el('td', {class: cls.trim()}, null, tr);
      // HW, LEO and the checkpoint are named in words as well as drawn (edges): they often coincide.
      const marks = [o === hw ? 'HW' : '', o === log.length ? 'LEO' : '', o === cp ? 'CP' : ''].filter(m => m).join(' ');
      if (marks) el('div', {class: 'mark'}, marks + ' \u25b8', td);
      if (rec) {
        td.dataset.offset = o; td.dataset.value = rec.v; td.dataset.epoch = rec.e;
        if (gone) td.dataset.struck = '1';
        td.style.borderBottom = '4px solid ' + epochColour[rec.e % epochColour.length];
        el('div', {}, rec.v, td); el('div', {class: 'epoch'}, 'e' + rec.e, td);
        td.title = 'offset ' + o + ', leader epoch ' + rec.e + ', ' + rec.v +
          (gone ? ': removed by a truncation at ' + fmtT(gone.t) + ' (' + gone.reason + ')' : o < hw ? ' (below the HW: committed here)' : ' (above the HW)') +
          (loss ? '; ' + lossText(loss) : '');
      }
    }
  }
  return table;
}
function drawLogs(idx) {
  const box = document.getElementById('logs');
  box.textContent = '';
  const at = events[idx] || {t: 0};
  const st = stateAt(idx);
  el('h2', {}, 'The cluster after event ' + (idx + 1) + ' (' + fmtT(at.t) + ')', box);
  // The control plane: who is controller, and (KRaft) each controller node's quorum role.
  const cp = el('p', {class: 'control-plane'}, null, box);
  cp.textContent = 'active controller: ' + (st.controller ? st.controller.who + ' (epoch ' + st.controller.epoch + ')' : 'none') +
    (quorumNodes.length ? ' \u00b7 quorum: ' + quorumNodes.map(n => n + ' ' + (st.quorum[n] || 'unattached')).join(', ') : '');
  const bp = el('p', {class: 'brokers'}, null, box);
  bp.textContent = brokers.map(b => 'broker-' + b + ' ' + (st.proc[b] || 'not started') + (st.session[b] ? ' (' + st.session[b] + ')' : '')).join(' \u00b7 ');
  for (const p of partitions) {
    el('h3', {}, p, box);
    // What ZooKeeper (or the metadata log) says, beside what each broker believes (its row's label).
    const view = st.view[p];
    el('p', {class: 'partition-view', 'data-partition': p},
       (quorumNodes.length ? 'the metadata log says: ' : 'ZooKeeper says: ') +
       (view ? 'leader ' + (view.leader > 0 ? 'broker-' + view.leader : 'none') + ', leader epoch ' + view.epoch +
               ', ISR [' + view.isr.join(',') + ']' + (view.elr && view.elr.length ? ', ELR [' + view.elr.join(',') + ']' : '') +
               (view.clean === false ? ' (an unclean election)' : '')
             : 'no leader elected yet'), box);
    let longest = 0, focus = Infinity;
    for (const b of brokers) {
      const key = b + '/' + p;
      longest = Math.max(longest, (st.logs[key] || []).length + 1, (st.struck[key] || []).length);
      if (st.role[key] && st.role[key].r === 'leader') focus = Math.min(focus, st.hw[key] || 0);
    }
    // The window: around the truncation point when the cursor is a truncation, else the leaders' HW.
    if (at.event === 'truncated' && at.partition === p) focus = at.to_offset;
    if (!isFinite(focus)) focus = longest;
    const from = Math.max(0, Math.min(focus - 8, longest - MAXCELLS)), to = Math.min(longest, from + MAXCELLS);
    logTable(box, st, p, from, to, {cls: 'log-picture', point: at.event === 'truncated' && at.partition === p ? at.to_offset : undefined});
    if (at.event === 'truncated' && at.partition === p)
      el('p', {class: 'truncation-note'}, 'broker-' + at.broker + ' has just truncated ' + p + ' from offset ' + at.from_offset + ' to ' +
         at.to_offset + ' (' + at.reason + '): ' + (at.from_offset - at.to_offset) + ' record(s) removed, struck through above; ' +
         'the step before shows its log as it was (\u2190)', box);
    // The groups and consumers reading the partition: committed offsets and positions.
    const readers = Object.keys(st.positions).filter(c => st.positions[c][p] !== undefined).sort();
    const groups = [...new Set([...Object.keys(st.committed).filter(g => st.committed[g][p] !== undefined),
                                ...readers.filter(c => groupOf[c]).map(c => groupOf[c])])].sort();
    for (const g of groups) {
      const rs = readers.filter(c => groupOf[c] === g).map(c => c + ' at ' + st.positions[c][p]);
      el('p', {class: 'group-position', 'data-group': g}, 'group ' + g + ': committed ' + ((st.committed[g] || {})[p] || 'nothing yet') +
         (rs.length ? '; positions: ' + rs.join(', ') : ''), box);
    }
    const alone = readers.filter(c => !groupOf[c]);
    if (alone.length) el('p', {class: 'consumer-position'}, 'read up to: ' + alone.map(c => c + ' at ' + st.positions[c][p]).join(', '), box);
  }
  for (const id of Object.keys(st.producers).sort()) {
    const pr = st.producers[id];
    el('p', {class: 'producer-state', 'data-producer': id}, id + ' (acks=' + pr.acks + '): ' + pr.sent + ' sent, ' + pr.acked +
       ' acknowledged, ' + pr.failed + ' failed' + (pr.waiting.length ? '; waiting for an answer: ' + pr.waiting.join(', ') : '') +
       (pr.last ? '; last answer: ' + pr.last : ''), box);
  }
}

// ---- the message sequence diagram: one vertical line per node, time downwards, an arrow per message
// from its sending to its arrival (crossed where it was lost, dashed while still in flight), in a time
// window around the cursor; filtered by type; aggregated per type and link when the window holds more
// than a few hundred. Messages are in the history when the run recorded them (run --report does).
const msgs = [], msgById = {};
events.forEach((e, i) => {
  if (e.event === 'message-sent') {
    const m = {id: e.msg, from: e.from, to: e.to, type: e.type, t0: e.t, i, summary: e.summary || '', reply: e.reply_to};
    msgs.push(m); msgById[e.msg] = m;
  } else if (e.event === 'message-received' || e.event === 'message-lost') {
    const m = msgById[e.msg];
    if (m && m.t1 === undefined) { m.t1 = e.t; m.i1 = i; if (e.event === 'message-lost') m.lost = e.reason; }
  }
});
const nodeRank = n => (n.startsWith('zk-') ? 0 : n.startsWith('controller-') ? 1 : n.startsWith('broker-') ? 2 : 3);
const naturalKey = n => n.replace(/\d+/g, d => d.padStart(6, '0'));
const seqNodes = [...new Set(msgs.flatMap(m => [m.from, m.to]))].sort((a, b) => nodeRank(a) - nodeRank(b) || (naturalKey(a) < naturalKey(b) ? -1 : 1));
const seqTypes = [...new Set(msgs.map(m => m.type))].sort();
const quietTypes = new Set(['ZkPing', 'Heartbeat', 'BrokerHeartbeat']);  // hidden at first: they drown the rest
const shownTypes = new Set(seqTypes.filter(t => !quietTypes.has(t)));
const SW = 1000, SH = 520, SY0 = 30, MAXARROWS = 300;
const shownCache = {key: null, list: []};
function drawSequence() {
  const box = document.getElementById('sequence');
  if (!box) return;
  box.textContent = '';
  if (!msgs.length) { el('p', {}, 'This history has no messages: run the scenario with --report to record them.', box); return; }
  const at = (events[cur] || {t: 0}).t;
  const choice = document.getElementById('seq-span').value;
  const colX = n => 90 + (SW - 160) * (seqNodes.length > 1 ? seqNodes.indexOf(n) / (seqNodes.length - 1) : 0.5);
  // The messages to draw: in order mode the `count` shown messages sent nearest the cursor, one row per
  // send and per arrival (a Lamport diagram: order, not scale); in time mode those of a time window
  // around the cursor on a time scale, aggregated per type and link and slice when there are many.
  // The shown messages, filtered again only when the ticked types change (not at every step).
  const typesKey = [...shownTypes].sort().join(',');
  if (shownCache.key !== typesKey) { shownCache.key = typesKey; shownCache.list = msgs.filter(m => shownTypes.has(m.type)); }
  const shown = shownCache.list;
  let rows = [], window = [], yOf, cursorY, aggregate = false, w0 = 0, w1 = 0, SHnow = SH;
  if (choice.endsWith('m')) {
    const count = Number(choice.slice(0, -1));
    let lo = 0, hi = shown.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (shown[mid].i <= cur) lo = mid + 1; else hi = mid; }
    const first = Math.max(0, Math.min(lo - Math.floor(count / 2), shown.length - count));
    window = shown.slice(first, first + count);
    for (const m of window) { rows.push({i: m.i, t: m.t0}); if (m.i1 !== undefined) rows.push({i: m.i1, t: m.t1}); }
    rows.sort((a, b) => a.i - b.i);
    const rowOf = new Map(rows.map((r, k) => [r.i, k]));
    const rowH = Math.max(9, Math.min(20, 900 / Math.max(rows.length, 1)));
    SHnow = SY0 + rows.length * rowH + 24;
    yOf = (i, fallbackEnd) => SY0 + (i === undefined ? (fallbackEnd ? rows.length : 0) : rowOf.get(i) + 0.5) * rowH;
    let k = 0; while (k < rows.length && rows[k].i <= cur) k++;
    cursorY = SY0 + k * rowH;
  } else {
    const span = choice === 'all' ? Math.max(end, 0.001) : Number(choice);
    w0 = Math.max(0, at - span / 2); w1 = w0 + span;
    if (w1 > end) { w1 = Math.max(end, span); w0 = Math.max(0, w1 - span); }
    window = shown.filter(m => m.t0 <= w1 && (m.t0 >= w0 || m.t1 === undefined || m.t1 >= w0));
    const yt = t => SY0 + (SH - SY0 - 10) * Math.min(1, Math.max(0, (t - w0) / (w1 - w0)));
    yOf = (i, fallbackEnd, t) => t === undefined ? yt(fallbackEnd ? w1 : w0) : yt(t);
    cursorY = yt(at);
    aggregate = window.length > MAXARROWS;
  }
  const svg = el('svg:svg', {width: '100%', viewBox: '0 0 ' + SW + ' ' + SHnow, id: 'sequence-svg'}, null, box);
  const defs = el('svg:defs', {}, null, svg);
  const mk = el('svg:marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse'}, null, defs);
  el('svg:path', {d: 'M0,0 L10,5 L0,10 z', fill: '#445'}, null, mk);
  for (const n of seqNodes) {
    el('svg:text', {x: colX(n), y: 14, 'text-anchor': 'middle', class: 'lane-label'}, n, svg);
    el('svg:line', {x1: colX(n), x2: colX(n), y1: 20, y2: SHnow - 8, stroke: '#bbc', 'stroke-dasharray': '4 3'}, null, svg);
  }
  if (rows.length) {
    // The time of every few rows, on the left.
    const every = Math.max(1, Math.ceil(rows.length / 30));
    rows.forEach((r, k) => { if (k % every === 0) el('svg:text', {x: 4, y: yOf(r.i) + 3, class: 'tick'}, fmtT(r.t), svg); });
  } else if (w1 > w0) {
    el('svg:text', {x: 4, y: SY0 + 4, class: 'tick'}, fmtT(w0), svg);
    el('svg:text', {x: 4, y: SH - 12, class: 'tick'}, fmtT(w1), svg);
  }
  const arrow = (m, count) => {
    const x0 = colX(m.from), x1 = colX(m.to), y0 = yOf(m.i, false, m.t0), y1 = yOf(m.i1, true, m.t1);
    const past = m.i <= cur;
    const g = el('svg:g', {class: 'msg' + (m.lost ? ' msg-lost' : '') + (m.t1 === undefined ? ' msg-in-flight' : '') + (count > 1 ? ' msg-aggregate' : ''),
                           'data-type': m.type, 'data-msg': m.id, opacity: past ? 1 : 0.4}, null, svg);
    const xe = m.lost ? x0 + (x1 - x0) * 0.6 : x1, ye = m.lost ? y0 + (y1 - y0) * 0.6 : y1;
    const colour = m.lost ? '#c0261d' : m.reply ? '#2e6b3a' : '#2a3a8c';
    const line = el('svg:line', {x1: x0, y1: y0, x2: xe, y2: ye, stroke: colour, 'stroke-width': count > 1 ? Math.min(6, 1 + Math.log2(count)) : 1.2,
                                 'marker-end': m.lost ? '' : 'url(#arrow)'}, null, g);
    if (m.t1 === undefined) line.setAttribute('stroke-dasharray', '5 4');
    if (m.lost) el('svg:text', {x: xe - 4, y: ye + 4, fill: '#c0261d', 'font-weight': 'bold', class: 'lost-mark'}, '\u00d7', g);
    let label = count > 1 ? m.type + ' \u00d7' + count : m.type + (m.summary && rows.length ? ' ' + m.summary : '');
    const room = Math.abs(x1 - x0) / 5.5;
    if (label.length > room) label = label.slice(0, Math.max(0, Math.floor(room) - 1)) + '\u2026';
    if (room > 6) el('svg:text', {x: (x0 + xe) / 2, y: (y0 + ye) / 2 - 3, 'text-anchor': 'middle', class: 'msg-label'}, label, g);
    el('svg:title', {}, (count > 1 ? count + ' ' + m.type + ' messages ' + m.from + ' \u2192 ' + m.to + ' around ' + fmtT(m.t0)
      : fmtT(m.t0) + ' ' + m.from + ' \u2192 ' + m.to + ' ' + m.type + (m.reply ? ' (answer)' : '') + (m.summary ? ': ' + m.summary : '') +
        (m.lost ? '; lost (' + m.lost + ') at ' + fmtT(m.t1) : m.t1 === undefined ? '; still in flight' : '; arrives at ' + fmtT(m.t1))), g);
    g.addEventListener('click', () => setCursor(m.i, m.type + ' sent'));
  };
  let groups = 0;
  if (!aggregate) window.forEach(m => arrow(m, 1));
  else {
    // Zoomed out: one arrow per type and link per slice of the window, as thick as it is many; as many
    // slices as keep the arrows under MAXARROWS.
    const links = new Set(window.map(m => m.from + '|' + m.to + '|' + m.type + '|' + (m.lost ? 'x' : ''))).size;
    const slice = (w1 - w0) / Math.max(1, Math.min(40, Math.floor(MAXARROWS / links))), byKey = new Map();
    for (const m of window) {
      const key = m.from + '|' + m.to + '|' + m.type + '|' + Math.floor((m.t0 - w0) / slice) + '|' + (m.lost ? 'x' : '');
      const gr = byKey.get(key);
      if (gr) gr.n++; else byKey.set(key, {m, n: 1});
    }
    for (const {m, n} of byKey.values()) arrow(m, n);
    groups = byKey.size;
  }
  el('svg:line', {x1: 60, x2: SW - 10, y1: cursorY, y2: cursorY, stroke: '#3050d0', 'stroke-dasharray': '3 3', class: 'seq-cursor'}, null, svg);
  document.body.dataset.messagesDrawn = String(window.length);
  document.body.dataset.messagesAggregated = String(groups);
}

{
  const filters = document.getElementById('seq-types');
  for (const t of seqTypes) {
    const label = el('label', {class: 'seq-type'}, null, filters);
    const box = el('input', {type: 'checkbox', 'data-type': t}, null, label);
    box.checked = shownTypes.has(t);
    label.appendChild(document.createTextNode(' ' + t + ' '));
    box.addEventListener('change', () => { if (box.checked) shownTypes.add(t); else shownTypes.delete(t); drawSequence(); });
  }
  document.getElementById('seq-span').addEventListener('change', drawSequence);
  document.body.dataset.messages = String(msgs.length);
}

// ---- the narrative, each line linked to its moment
const nar = document.getElementById('narrative');
const sentenceOf = new Map();  // history event index -> its narrative sentence
for (const [t, text, tone, i] of data.narrative) {
  // A line that tells one event moves the cursor to that event; a closing summary line, to its time.
  const exact = i !== undefined && i >= 0 && events[i] && Math.abs(events[i].t - t) < 1e-9;
  if (exact) sentenceOf.set(i, text);
  const d = el('div', {'data-t': t, 'data-i': exact ? i : '', class: 'tone-' + tone}, fmtT(t) + '  ' + text, nar);
  d.addEventListener('click', () => exact ? setCursor(i, text) : select(t, text));
}
const tell = i => sentenceOf.get(i) || describe(events[i]);

// ---- why it broke: for each violation, a button to its moment, the records it names in every log (what
// each broker holds there at the violation and when it got or lost it), and the chain of events that led
// there: from the first of those records being written, the faults, the process and session events, the
// partition's elections, ISR changes and truncations, and the acknowledgements of the records.
{
  const box = document.getElementById('why');
  const vIdx = events.map((e, i) => e.event === 'violation' ? i : -1).filter(i => i >= 0);
  // What an event is, without its time and counters: two turns of a loop have the same signatures.
  const signature = i => {
    const e = events[i];
    return [e.event, e.broker, e.node, e.action, e.target, e.reason, e.kind, e.partition, e.leader, e.session === undefined ? '' : 's'].join('|');
  };
  // The chain with each run of three or more turns of the same cycle (1 to 4 events) kept as its first
  // and last turns and, between them, {cycle, repeats, until}.
  const foldRepeats = chain => {
    const out = [];
    for (let pos = 0; pos < chain.length;) {
      let best = null;
      for (let p = 1; p <= 4 && !best; p++) {
        let turns = 1;
        while (pos + (turns + 1) * p <= chain.length &&
               chain.slice(pos + turns * p, pos + (turns + 1) * p).every((c, j) => signature(c) === signature(chain[pos + j]))) turns++;
        if (turns >= 3) best = {p, turns};
      }
      if (!best) { out.push(chain[pos++]); continue; }
      const {p, turns} = best, last = pos + (turns - 1) * p;
      out.push(...chain.slice(pos, pos + p));
      out.push({cycle: p, repeats: turns - 2, until: events[chain[last - 1]].t});
      out.push(...chain.slice(last, last + p));
      pos += turns * p;
    }
    return out;
  };
  violations.forEach((vi, k) => {
    const at = vIdx.find(i => events[i].property === vi.property && Math.abs(events[i].t - vi.time) < 1e-6 &&
                              (events[i].partition || '') === (vi.partition || ''));
    const idx = at === undefined ? (vIdx[k] !== undefined ? vIdx[k] : N - 1) : at;
    const div = el('div', {class: 'why', 'data-property': vi.property}, null, box);
    el('h3', {class: 'violation'}, vi.property + (vi.partition ? ' (' + vi.partition + ')' : '') + ' at ' + fmtT(vi.time), div);
    el('p', {}, vi.detail, div);
    const go = el('button', {class: 'why-go'}, 'go to the moment', div);
    go.addEventListener('click', () => setCursor(idx, 'violation: ' + vi.property));
    const P = vi.partition, recs = (vi.records || []).filter(r => r.value);
    const values = new Set(recs.map(r => r.value));
    if (recs.length && P) {
      const st = stateAt(idx);
      const t = el('table', {class: 'why-records'}, null, div);
      const hr = el('tr', {}, null, t);
      el('th', {}, 'record', hr);
      for (const b of brokers) el('th', {}, 'broker-' + b, hr);
      for (const r of recs.slice(0, 12)) {
        const tr = el('tr', {'data-value': r.value}, null, t);
        el('th', {}, r.value + ' @' + r.offset + (r.leader_epoch !== null && r.leader_epoch !== undefined ? ' e' + r.leader_epoch : '') + ' (' + r.role + ')', tr);
        for (const b of brokers) {
          const key = b + '/' + P, log = st.logs[key] || [];
          const here = log.findIndex(c => c && c.v === r.value);
          const got = events.findIndex((e, i) => i <= idx && e.event === 'appended' && e.broker === b && e.partition === P && e.value === r.value);
          const lost = events.findIndex((e, i) => i <= idx && e.event === 'truncated' && e.broker === b && e.partition === P &&
                                                   got >= 0 && i > got && e.to_offset <= (events[got].offset) && e.from_offset > events[got].offset);
          const held = log[r.offset];
          const text = here >= 0 ? 'holds it at ' + here + (here < (st.hw[key] || 0) ? ', below its HW' : ', above its HW')
            : lost >= 0 ? 'removed at ' + fmtT(events[lost].t) + ' (' + events[lost].reason + ')' +
                          (held ? '; holds ' + held.v + ' e' + held.e + ' there' : '')
            : got >= 0 ? 'had it (' + fmtT(events[got].t) + ')'
            : held ? 'never had it; holds ' + held.v + ' e' + held.e + ' there' : 'never had it';
          const td = el('td', {class: here >= 0 ? 'has' : 'lacks'}, text, tr);
          const jump = lost >= 0 ? lost : got;
          if (jump >= 0) { td.classList.add('jump'); td.addEventListener('click', () => setCursor(jump, 'broker-' + b + ' and ' + r.value)); }
        }
      }
    }
    // The chain of events.
    const first = events.findIndex(e => e.event === 'appended' && e.partition === P && values.has(e.value));
    const from = first >= 0 ? first : 0;
    const chain = [];
    const touches = e => values.has(e.value) || (e.event === 'truncated' && recs.some(r => e.to_offset <= r.offset && e.from_offset > r.offset));
    const seenAppend = new Set();
    for (let i = from; i <= idx && i < N; i++) {
      const e = events[i];
      let pick = false;
      if (e.event === 'fault') pick = !e.undo && !e.noop;
      else if (['broker-crashed', 'broker-exited', 'zk-session-expired', 'controller-elected', 'broker-fenced', 'node-crashed'].includes(e.event)) pick = true;
      else if (e.event === 'broker-started') pick = e.incarnation > 1;
      else if (P && e.partition === P && ['leader-elected', 'isr-changed', 'truncated', 'hw-lowered', 'elr-changed'].includes(e.event)) pick = true;
      else if (e.event === 'appended' && e.partition === P && values.has(e.value) && !seenAppend.has(e.value)) { pick = true; seenAppend.add(e.value); }
      else if (e.event === 'produce-acked' && e.partition === P && values.has(e.value)) pick = true;
      else if (i === idx) pick = true;
      if (pick) chain.push(i);
    }
    el('div', {class: 'lesson-head'}, 'What led there (' + chain.length + ' event' + (chain.length === 1 ? '' : 's') + '; the ones touching these records in bold):', div);
    const ol = el('ol', {class: 'why-chain'}, null, div);
    // A loop (a broker restarted, exiting, restarted again...) is told once, then how often it repeats.
    const folded = foldRepeats(chain);
    const hidden = folded.length > 40 ? folded.slice(5, -34) : [];
    const more = hidden.reduce((n, x) => n + (x.repeats ? x.cycle * x.repeats : 1), 0);
    const shown = hidden.length ? [...folded.slice(0, 5), {more}, ...folded.slice(-34)] : folded;
    for (const i of shown) {
      if (i.more) { el('li', {class: 'gap'}, '\u2026 ' + i.more + ' more event' + (i.more === 1 ? '' : 's'), ol); continue; }
      if (i.repeats) {
        el('li', {class: 'gap'}, '\u2026 the ' + (i.cycle === 1 ? 'same event' : 'same ' + i.cycle + ' events') + ' again ' +
           i.repeats + ' more time' + (i.repeats === 1 ? '' : 's') + ', to ' + fmtT(i.until), ol);
        continue;
      }
      const li = el('li', {'data-i': i, class: touches(events[i]) || i === idx ? 'key' : ''}, fmtT(events[i].t) + '  ' + tell(i), ol);
      li.addEventListener('click', () => setCursor(i, 'a step on the way to ' + vi.property));
    }
  });
  if (violations.length) document.getElementById('why-section').style.display = '';
  document.body.dataset.whyPanels = String(violations.length);
}

// ---- truncations, before and after: each drawn on demand (open its line) around the offsets that
// matter, from just below the truncation point, the HW and the checkpoint to the longest log end, with
// the truncation point and the first offset where the truncating follower's log differs from its
// leader's marked.
{
  const box = document.getElementById('truncations');
  const list = events.map((e, i) => e.event === 'truncated' ? i : -1).filter(i => i >= 0);
  list.slice(0, 60).forEach((i, k) => {
    const e = events[i], P = e.partition, key = e.broker + '/' + P;
    const d = el('details', {class: 'trunc', 'data-i': i}, null, box);
    el('summary', {}, fmtT(e.t) + '  ' + tell(i), d);
    const draw = () => {
      if (d.dataset.drawn) return;
      d.dataset.drawn = '1';
      const before = stateAt(i - 1), after = stateAt(i);
      const mine = before.logs[key] || [], role = before.role[key] || {};
      const leaderLog = role.leader > 0 ? before.logs[role.leader + '/' + P] || [] : [];
      let diverges;
      for (let o = 0; o < Math.min(mine.length, leaderLog.length); o++)
        if (!mine[o] || !leaderLog[o] || mine[o].v !== leaderLog[o].v || mine[o].e !== leaderLog[o].e) { diverges = o; break; }
      let longest = 0;
      for (const b of brokers) longest = Math.max(longest, (before.logs[b + '/' + P] || []).length + 1);
      const low = Math.min(e.to_offset, before.hw[key] || 0, before.cp[key] === undefined ? Infinity : before.cp[key], diverges === undefined ? Infinity : diverges);
      const lo = Math.max(0, low - 2), hi = Math.min(longest, Math.max(lo + 6, e.from_offset + 2), lo + 30);
      const go = el('button', {class: 'why-go'}, 'go to it', d);
      go.addEventListener('click', () => setCursor(i, 'the truncation'));
      el('div', {class: 'lesson-head'}, 'before (event ' + i + ')', d);
      logTable(d, before, P, lo, hi, {cls: 'trunc-before', point: e.to_offset, diverges});
      el('div', {class: 'lesson-head'}, 'after: broker-' + e.broker + ' keeps offsets below ' + e.to_offset +
         (diverges !== undefined ? '; its log differed from its leader\'s from offset ' + diverges : ''), d);
      logTable(d, after, P, lo, hi, {cls: 'trunc-after', point: e.to_offset, diverges});
    };
    d.addEventListener('toggle', () => { if (d.open) draw(); });
    if (k < 3) { d.open = true; draw(); }
  });
  if (list.length > 60) el('p', {}, (list.length - 60) + ' more truncations: step to them with Shift+\u2192', box);
  if (list.length) document.getElementById('trunc-section').style.display = '';
  document.body.dataset.truncations = String(list.length);
}
{
  // The first violation, or the end; or the event the address names.
  const firstViolation = events.findIndex(e => e.event === 'violation');
  if (!fromAddress()) setCursor(firstViolation >= 0 ? firstViolation : N - 1, firstViolation >= 0 ? 'the first violation' : 'the end');
}
document.body.dataset.events = String(N);
// ---- a lesson: what to look for (each a button to the moment it happens) and the questions to ask
if (data.result.lesson) {
  const L = data.result.lesson, box = document.getElementById('lesson');
  box.style.display = 'block';
  el('h2', {}, 'Lesson, step ' + L.step, box);
  if (L.look_for.length) {
    el('div', {class: 'lesson-head'}, 'Look for:', box);
    const list = el('div', {class: 'look-for'}, null, box);
    for (const item of L.look_for) {
      const b = el('button', {class: 'look' + (item.seen_at === null ? ' unseen' : ''), 'data-seen-at': item.seen_at === null ? '' : item.seen_at},
                   item.text + (item.seen_at === null ? ' (not in this run)' : ' \u2014 ' + fmtT(item.seen_at)), list);
      if (item.seen_at !== null) b.addEventListener('click', () => {
        // The first event of that name and those values at that time.
        const k = events.findIndex(e => e.event === item.event && Math.abs(e.t - item.seen_at) < 1e-9 &&
                                        Object.entries(item.fields).every(([f, v]) => String(Array.isArray(e[f]) ? '[' + e[f].join(',') + ']' : e[f]) === v));
        setCursor(k >= 0 ? k : lastAtOrBefore(item.seen_at), 'look for: ' + item.text);
      });
    }
  }
  if (L.questions.length) {
    el('div', {class: 'lesson-head'}, 'Questions:', box);
    for (const q of L.questions) {
      const d = el('details', {class: 'question'}, null, box);
      el('summary', {}, q.ask, d);
      if (q.answer) el('p', {}, q.answer, d);
      const file = data.scenario.file.split('/').pop();
      if (q.try_design) el('code', {}, 'kafkasim run ' + file + ' --design ' + q.try_design, d);
      if (q.try_config) el('code', {}, 'under config: ' + Object.entries(q.try_config).map(([k, v]) => k + ': ' + v).join(', '), d);
      const served = location.protocol.startsWith('http') && location.pathname.match(/^\/runs\/(\d+)\/index\.html$/);
      if (served && (q.try_design || q.try_config)) {
        const b = el('button', {class: 'try-it'}, 'try it beside this run', d);
        b.addEventListener('click', async () => {
          b.disabled = true; b.textContent = 'running\u2026';
          const res = await fetch('/api/fork', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({run: Number(served[1]), t: 0, action: 'variant', target: 'all', design: q.try_design || '', config: q.try_config || {}})});
          const answer = await res.json();
          if (res.ok) location.href = answer.compare; else { b.textContent = answer.error || 'failed'; }
        });
      }
    }
  }
}
// ---- fork from here (only when kafkasim serve serves this report: /runs/N/index.html over http)
{
  const served = location.protocol.startsWith('http') && location.pathname.match(/^\/runs\/(\d+)\/index\.html$/);
  const panel = document.getElementById('fork');
  if (served && panel) {
    panel.style.display = 'block';
    const run = Number(served[1]);
    const target = document.getElementById('fork-target'), action = document.getElementById('fork-action');
    const nodes = [...new Set([...brokers.map(b => 'broker-' + b), ...quorumNodes, ...seqNodes])];
    const producers = [...new Set(events.filter(e => e.producer).map(e => e.producer))].sort();
    const fill = () => {
      const wanted = action.value === 'produce' ? producers : [...nodes, ...partitions.map(p => 'leader:' + p), 'controller'];
      const was = target.value;
      target.textContent = '';
      for (const n of wanted) el('option', {value: n}, n, target);
      if (wanted.includes(was)) target.value = was;
      document.getElementById('fork-produce').style.display = action.value === 'produce' ? 'inline' : 'none';
    };
    action.addEventListener('change', fill);
    fill();
    // Clicking a node (its timeline lane, its line in the message diagram) makes it the target.
    const pick = name => { if ([...target.options].some(o => o.value === name)) { target.value = name; panel.scrollIntoView({block: 'nearest'}); } };
    document.getElementById('timeline').addEventListener('click', ev => {
      const g = ev.target.closest && ev.target.closest('g.lane');
      if (g) pick(g.dataset.lane);
    });
    document.getElementById('sequence').addEventListener('click', ev => {
      if (ev.target.classList && ev.target.classList.contains('lane-label')) pick(ev.target.textContent);
    });
    document.getElementById('fork-run').addEventListener('click', async () => {
      const out = document.getElementById('fork-result');
      out.textContent = 'running the fork\u2026';
      out.className = '';
      const body = {run, t: (events[cur] || {t: 0}).t, action: action.value, target: target.value,
                    for: document.getElementById('fork-for').value.trim(), value: document.getElementById('fork-value').value.trim(),
                    partition: document.getElementById('fork-partition').value.trim()};
      try {
        const res = await fetch('/api/fork', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
        const answer = await res.json();
        if (!res.ok) { out.textContent = answer.error || ('the server answered ' + res.status); out.className = 'fork-error'; return; }
        out.textContent = '';
        el('a', {href: answer.compare, id: 'fork-compare'}, 'see the fork beside this run', out);
        out.appendChild(document.createTextNode(' \u00b7 '));
        el('a', {href: answer.scenario, download: ''}, 'the fork as a scenario file', out);
        location.href = answer.compare;
      } catch (err) { out.textContent = 'the server did not answer: ' + err; out.className = 'fork-error'; }
    });
  }
}
document.body.dataset.lanes = String(document.querySelectorAll('g.lane').length);
document.body.dataset.consumerLanes = String(members.length);
if (members.length) document.getElementById('consumer-legend').style.display = 'inline';
if (lanes.some(l => l.client)) document.getElementById('client-legend').style.display = 'inline';
document.body.dataset.clientLanes = String(lanes.filter(l => l.client).length);
document.body.dataset.losses = String(losses.length);
document.body.dataset.logPictures = String(document.querySelectorAll('table.log-picture').length);
document.body.dataset.rendered = errors.length ? 'with-errors' : 'ok';
)JS";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string path_component(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

namespace {
// One scenario under two designs, each report in a frame, their cursors at the same time: a student sees
// where kafka-0.10 and kafka-0.11 part ways. Each report says where its cursor is (postMessage); this page
// moves the other to the same time.
std::string side_by_side_page(const std::string& scenario, const std::vector<std::pair<std::string, std::string>>& linked) {
  std::string options;
  for (std::size_t k = 0; k < linked.size(); ++k)
    options += fmt::format("<option value=\"{}\">{}</option>", html_escape(linked[k].second), html_escape(linked[k].first));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-src 'self' file:\">\n"
      "<title>kafkasim: {0} under two designs</title><style>body{{font:14px system-ui,sans-serif;margin:0;color:#1d2330}}"
      "header{{padding:10px 16px;border-bottom:1px solid #dde}}h1{{font-size:18px;margin:0 0 6px}}"
      ".pair{{display:grid;grid-template-columns:1fr 1fr;gap:8px;padding:8px}}iframe{{width:100%;height:88vh;border:1px solid #ccd}}</style></head>\n"
      "<body><header><h1>{0}</h1><a href=\"index.html\">the matrix</a> &middot; left <select id=\"left-design\" aria-label=\"the left design\">{1}</select>"
      " right <select id=\"right-design\" aria-label=\"the right design\">{1}</select> &middot; step either report: the other follows to the same time</header>"
      "<div class=\"pair\"><iframe id=\"left\" title=\"left design\"></iframe><iframe id=\"right\" title=\"right design\"></iframe></div>\n"
      "<script>'use strict';\n"
      "const frames = [document.getElementById('left'), document.getElementById('right')];\n"
      "const picks = [document.getElementById('left-design'), document.getElementById('right-design')];\n"
      "picks[1].selectedIndex = Math.min(1, picks[1].options.length - 1);\n"
      "let t = null;\n"
      "picks.forEach((p, k) => {{ const load = () => {{ frames[k].src = p.value + (t === null ? '' : '#t=' + t); }}; p.addEventListener('change', load); load(); }});\n"
      "window.addEventListener('message', ev => {{\n"
      "  if (!ev.data || ev.data.kafkasim !== 'cursor') return;\n"
      "  t = ev.data.t;\n"
      "  for (const f of frames) if (f.contentWindow !== ev.source) f.contentWindow.postMessage({{kafkasim: 'seek', t}}, '*');\n"
      "}});\n</script></body></html>\n",
      html_escape(scenario), options);
}
}  // namespace

std::string write_matrix_report(const std::string& dir, const std::vector<std::string>& designs,
                                const std::vector<std::string>& scenarios, const std::vector<std::vector<MatrixCell>>& cells) {
  if (const std::string why = check_output_dir(dir, "--report"); !why.empty()) return why;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
       << "<title>kafkasim matrix</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:6px 10px;text-align:left}"
          "th{background:#f1f3f8}td.ok{background:#eaf7ee}td.bad{background:#fde9e8}a{color:inherit}</style></head><body>\n"
       << "<h1>Which design breaks where</h1><p>Rows are scenarios, columns designs; each cell lists the violated "
          "properties and links to that run's report. Green: the design behaves as the scenario expects of it "
          "(<code>expect</code>, <code>expect.designs</code>); red: it does not.</p>\n<table><tr><th>scenario</th>";
  for (const auto& d : designs) html << "<th>" << html_escape(d) << "</th>";
  html << "</tr>\n";
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    html << "<tr><th>" << html_escape(scenarios[i]);
    std::vector<std::pair<std::string, std::string>> linked;  // (design, report) of the cells that have one
    for (std::size_t d = 0; d < cells[i].size() && d < designs.size(); ++d)
      if (!cells[i][d].link.empty()) linked.emplace_back(designs[d], cells[i][d].link);
    if (linked.size() >= 2) {
      const std::string page = fmt::format("side-by-side-{}.html", i + 1);
      if (std::string why = write_file(dir + "/" + page, side_by_side_page(scenarios[i], linked)); !why.empty()) return why;
      html << "<br><a class=\"pair-link\" href=\"" << page << "\">two designs side by side</a>";
    }
    html << "</th>";
    for (const auto& c : cells[i]) {
      html << "<td class=\"" << (c.bad ? "bad" : "ok") << "\">";
      if (!c.link.empty()) html << "<a href=\"" << html_escape(c.link) << "\">" << html_escape(c.text) << "</a>";
      else html << html_escape(c.text);
      html << "</td>";
    }
    html << "</tr>\n";
  }
  html << "</table></body></html>\n";
  return write_file(dir + "/index.html", html.str());
}

std::string json_for_script(const nlohmann::ordered_json& value) {
  const std::string raw = value.dump();
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xe2' && i + 2 < raw.size() && raw[i + 1] == '\x80' && (raw[i + 2] == '\xa8' || raw[i + 2] == '\xa9')) {
      out += raw[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else out += c;
  }
  return out;
}

std::string write_html_report(const std::string& dir, const Scenario& scenario, const nlohmann::ordered_json& result,
                              const std::vector<NarrativeLine>& narrative) {
  if (const std::string why = check_output_dir(dir, "--report"); !why.empty()) return why;
  if (const std::string why = write_file(dir + "/result.json", result.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
      !why.empty())
    return why;
  nlohmann::ordered_json data;
  data["scenario"] = {{"name", scenario.name},     {"summary", scenario.summary}, {"description", scenario.description},
                      {"file", scenario.file},     {"design", scenario.design.label()}};
  data["result"] = result;
  data["events"] = nlohmann::ordered_json::array();
  std::ifstream history(dir + "/history.jsonl");
  if (!history) return fmt::format("{}/history.jsonl is missing", dir);
  for (std::string line; std::getline(history, line);)
    if (!line.empty()) data["events"].push_back(nlohmann::ordered_json::parse(line));
  data["narrative"] = nlohmann::ordered_json::array();
  for (const auto& l : narrative)
    data["narrative"].push_back({static_cast<double>(l.t) / kMicrosPerSecond, l.text, static_cast<int>(l.tone), l.event});
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'; connect-src 'self'\">\n"
       << "<title>kafkasim report</title>\n<style>" << kStyle << "</style></head>\n<body>\n"
       << "<header><h1 id=\"title\"></h1><div class=\"summary\" id=\"summary\"></div>"
       << "<p><span id=\"verdict\"></span><span id=\"verdict-text\"></span></p><div class=\"desc\" id=\"desc\"></div><div id=\"lesson\" class=\"lesson\" style=\"display:none\"></div></header>\n"
       << "<nav class=\"cursor-bar\" aria-label=\"step through the run\">"
          "<button id=\"c-first\" title=\"the first event (Home)\">|&#9664;</button>"
          "<button id=\"c-prev-key\" title=\"the previous key moment: a fault, an election, a truncation, a violation (Shift+&#8592;)\">&#9664;&#9664;</button>"
          "<button id=\"c-prev\" title=\"the previous event (&#8592;)\">&#9664;</button>"
          "<button id=\"c-play\" title=\"play or pause (Space)\">&#9654; play</button>"
          "<button id=\"c-next\" title=\"the next event (&#8594;)\">&#9654;</button>"
          "<button id=\"c-next-key\" title=\"the next key moment (Shift+&#8594;)\">&#9654;&#9654;</button>"
          "<button id=\"c-last\" title=\"the last event (End)\">&#9654;|</button>"
          "<label>speed <select id=\"c-speed\"><option value=\"1\">1 event/s</option><option value=\"4\" selected>4 events/s</option>"
          "<option value=\"16\">16 events/s</option><option value=\"64\">64 events/s</option></select></label>"
          "<label title=\"step through the messages too (they are in the history of a run with --report)\"><input type=\"checkbox\" id=\"c-messages\"> messages</label>"
          "<input type=\"range\" id=\"c-scrub\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"scrub through the history\">"
          "<div id=\"c-readout\" aria-live=\"polite\"></div></nav>\n"
       << "<main><div><section><h2>Timeline</h2><div class=\"legend\"><span style=\"background:#cfe8d4\">up</span>"
          "<span style=\"background:#ffe5a8\">paused</span><span style=\"background:#f3b9b5\">down</span>"
          "<span style=\"background:#e6def7\">partitioned</span><span style=\"color:#2458c8\">&#8213; HW</span><span style=\"color:#777\">- - LEO</span><span style=\"background:#f0a35e\">fault</span><span style=\"color:#c0261d\">| violation</span><span id=\"consumer-legend\" style=\"display:none;border:0;padding:0;margin:0\"><span style=\"color:#2e8b57\">| commit</span><span style=\"color:#c0261d\">| refused commit</span><span style=\"color:#e07b00\">&#9679; processing failed</span><span style=\"color:#c0261d\">&#9679; duplicate</span><span style=\"color:#c0261d\">&#215; unprocessed</span></span>"
          "<span id=\"client-legend\" style=\"display:none;border:0;padding:0;margin:0\"><span style=\"background:#8fcf9f\">send, acknowledged</span><span style=\"background:#e69f00\">failed</span><span style=\"border:1px dashed #888\">no answer</span><span style=\"color:#c0261d\">&#215; acknowledged, then lost</span><span style=\"color:#c0261d\">| refused</span></span>"
          " click the timeline, a moment or a narrative line to move the cursor there; &#8592; &#8594; step, Shift jumps to key moments</div><div id=\"timeline\"></div></section>\n"
          "<section id=\"why-section\" style=\"display:none\"><h2>Why it broke</h2><div id=\"why\"></div></section>\n"
       << "<section class=\"logs\"><div id=\"moments\"></div><div class=\"legend\"><span class=\"c\" "
          "style=\"background:#d7ecff\">below the replica's HW</span><span style=\"background:#fff7d6\">above it</span>"
          "<span style=\"background:#fde2e1\">acknowledged, then lost</span><span style=\"text-decoration:line-through;color:#777\">removed by a truncation</span>"
          "<span style=\"border-left:3px solid #2458c8\">HW</span><span style=\"border-left:3px dashed #555\">LEO</span>"
          "<span style=\"border-left:3px dotted #009e73\">checkpointed HW (CP)</span><span style=\"outline:2px solid #c0261d\">a record a violation names</span>"
          "<span style=\"border-bottom:4px solid #0072b2\">leader epoch, by colour</span></div><div id=\"logs\"></div></section>\n"
          "<section id=\"trunc-section\" class=\"logs\" style=\"display:none\"><h2>Truncations, before and after</h2><div id=\"truncations\"></div></section>\n"
          "<section class=\"sequence\"><h2>Messages</h2><div class=\"legend\"><span style=\"color:#2a3a8c\">&#8594; request</span>"
          "<span style=\"color:#2e6b3a\">&#8594; answer</span><span style=\"color:#c0261d\">&#215; lost</span><span>- - in flight</span>"
          " around the cursor: <select id=\"seq-span\" aria-label=\"the window of the diagram\"><option value=\"16m\">16 messages, in order</option>"
          "<option value=\"40m\" selected>40 messages, in order</option><option value=\"120m\">120 messages, in order</option>"
          "<option value=\"2\">2 s, to scale</option><option value=\"10\">10 s, to scale</option><option value=\"60\">60 s, to scale</option>"
          "<option value=\"all\">the whole run, to scale</option></select></div>"
          "<div id=\"seq-types\"></div><div id=\"sequence\"></div></section></div>\n"
       << "<section><section id=\"fork\" style=\"display:none\" class=\"fork\"><h2>Fork from here</h2>"
          "<p>What if, at <b id=\"fork-at\"></b>, &hellip; The run is repeated with the same seed, keeping the events scheduled "
          "up to the cursor, with this one added; then shown beside this one. Click a lane or a node to choose it.</p>"
          "<select id=\"fork-action\" aria-label=\"what happens\"><option value=\"crash\">crash</option>"
          "<option value=\"power-loss\">power loss</option><option value=\"pause\">pause</option><option value=\"restart\">restart</option>"
          "<option value=\"shutdown\">clean shutdown</option><option value=\"isolate\">isolate from the network</option>"
          "<option value=\"expire-session\">expire its ZooKeeper session</option><option value=\"produce\">a producer sends a record</option></select> "
          "<select id=\"fork-target\" aria-label=\"to whom\"></select> "
          "<input id=\"fork-for\" size=\"6\" placeholder=\"for: 5s\" aria-label=\"for how long (optional)\"> "
          "<span id=\"fork-produce\" style=\"display:none\"><input id=\"fork-value\" size=\"8\" placeholder=\"value\" aria-label=\"the record\">"
          " <input id=\"fork-partition\" size=\"4\" placeholder=\"partition 0\" aria-label=\"the partition\"></span> "
          "<button id=\"fork-run\">run the fork</button><div id=\"fork-result\"></div></section>"
          "<h2>Narrative</h2><div id=\"narrative\"></div></section></main>\n"
       << "<script id=\"kafkasim-data\" type=\"application/json\">" << json_for_script(data) << "</script>\n"
       << "<script>" << kScript << "</script>\n</body></html>\n";
  return write_file(dir + "/index.html", html.str());
}

}  // namespace kafkasim::reports

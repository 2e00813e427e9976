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
.logs table{border-collapse:collapse;margin:4px 0 10px}.logs td{border:1px solid #ccd;padding:1px 3px;
 font:11px ui-monospace,monospace;text-align:center;min-width:34px}
.logs td.name{border:none;text-align:right;padding-right:8px;font-weight:600}
.logs td.c{background:#d7ecff}.logs td.u{background:#fff7d6}.logs td.lost{background:#fde2e1}
.logs .epoch{color:#667;font-size:10px}.legend span{display:inline-block;padding:0 6px;margin-right:6px;border:1px solid #ccd}
#moments button{margin:0 4px 4px 0}#moments button.sel{background:#dde6ff}
.violation{color:#9b1c16}
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

// ---- state at a time: logs, HWs, roles (rebuilt from the history, as the checkers do)
function stateAt(t) {
  const logs = {}, hw = {}, role = {};
  for (const e of events) {
    if (e.t > t) break;
    const key = e.broker + '/' + e.partition;
    if (e.event === 'appended') { (logs[key] = logs[key] || [])[e.offset] = {v: e.value, e: e.leader_epoch}; }
    else if (e.event === 'truncated') { if (logs[key]) logs[key].length = Math.min(logs[key].length, e.to_offset); hw[key] = Math.min(hw[key] || 0, e.to_offset); }
    else if (e.event === 'hw-advanced' || e.event === 'hw-lowered') hw[key] = e.hw;
    else if (e.event === 'became-leader') { role[key] = 'leader e' + e.leader_epoch; if (e.hw !== undefined) hw[key] = e.hw; }
    else if (e.event === 'became-follower') { role[key] = 'follower e' + e.leader_epoch; if (e.hw !== undefined) hw[key] = e.hw; }
    else if (e.event === 'broker-crashed' || e.event === 'broker-shutdown' || e.event === 'broker-exited') {
      for (const p of partitions) role[e.broker + '/' + p] = 'down';
    }
  }
  return {logs, hw, role};
}

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

// ---- logs as pictures at chosen moments
const moments = [];
for (const vi of violations) moments.push({t: vi.time, why: 'violation: ' + vi.property});
for (const e of events) if (e.event === 'truncated') moments.push({t: e.t, why: 'broker-' + e.broker + ' truncates ' + e.partition + ' (' + e.reason + ')'});
moments.push({t: end, why: 'the end'});
const mbox = document.getElementById('moments');
moments.slice(0, 60).forEach((m, i) => {
  const b = el('button', {class: 'moment', 'data-t': m.t}, fmtT(m.t) + ' ' + m.why, mbox);
  b.addEventListener('click', () => select(m.t, m.why));
});
const MAXCELLS = 40;
function drawLogs(t, why) {
  const box = document.getElementById('logs');
  box.textContent = '';
  el('h2', {}, 'Logs at ' + fmtT(t) + ' (' + why + ')', box);
  const st = stateAt(t);
  // Every record a violation names as lost (not only the first one its detail mentions).
  const lostValues = new Set();
  for (const v of violations)
    if (v.property === 'acked-write-lost' || v.property === 'committed-record-changed')
      for (const r of v.records || []) if (r.role === 'lost' && r.value) lostValues.add(r.value);
  for (const p of partitions) {
    el('h3', {}, p, box);
    const table = el('table', {class: 'log-picture', 'data-partition': p}, null, box);
    let longest = 0;
    for (const b of brokers) longest = Math.max(longest, (st.logs[b + '/' + p] || []).length);
    const from = Math.max(0, longest - MAXCELLS);
    const head = el('tr', {}, null, table);
    el('td', {class: 'name'}, 'offset', head);
    if (from > 0) el('td', {}, '…', head);
    for (let o = from; o < longest; o++) el('td', {}, o, head);
    for (const b of brokers) {
      const key = b + '/' + p, log = st.logs[key] || [], hw = st.hw[key] || 0;
      const tr = el('tr', {'data-replica': key}, null, table);
      el('td', {class: 'name'}, 'broker-' + b + (st.role[key] ? ' (' + st.role[key] + ', HW ' + hw + ')' : ''), tr);
      if (from > 0) el('td', {}, '…', tr);
      for (let o = from; o < longest; o++) {
        const r = log[o];
        const td = el('td', {class: r ? (lostValues.has(r.v) ? 'lost' : o < hw ? 'c' : 'u') : ''}, null, tr);
        if (r) { el('div', {}, r.v, td); el('div', {class: 'epoch'}, 'e' + r.e, td); td.title = 'offset ' + o + ', epoch ' + r.e + ', ' + r.v + (o < hw ? ' (below the HW: committed here)' : ''); }
      }
    }
    // The groups reading the partition: their committed offset and each member's position, at t.
    const committed = {}, read = {};
    for (const e of events) {
      if (e.t > t) break;
      if (e.partition !== p) continue;
      if (e.event === 'offset-committed') committed[e.group] = e.offset + ' (by ' + e.consumer + ', generation ' + e.generation + ')';
      else if (e.event === 'consumed' && groupOf[e.consumer]) read[e.consumer] = e.offset + 1;
      else if (e.event === 'consumer-position-reset' && groupOf[e.consumer]) read[e.consumer] = e.to_offset;
    }
    const groups = [...new Set([...Object.keys(committed), ...Object.keys(read).map(c => groupOf[c])])].sort();
    for (const g of groups) {
      const readers = Object.keys(read).filter(c => groupOf[c] === g).sort().map(c => c + ' at ' + read[c]);
      el('p', {class: 'group-position', 'data-group': g}, 'group ' + g + ': committed ' + (committed[g] || 'nothing yet') +
         (readers.length ? '; positions: ' + readers.join(', ') : ''), box);
    }
  }
}
function select(t, why) {
  cursor.setAttribute('x1', x(t)); cursor.setAttribute('x2', x(t));
  drawLogs(t, why);
  for (const b of mbox.children) b.classList.toggle('sel', Math.abs(Number(b.dataset.t) - t) < 1e-9);
  for (const d of document.getElementById('narrative').children) d.classList.toggle('sel', Math.abs(Number(d.dataset.t) - t) < 1e-9);
}

// ---- the narrative, each line linked to its moment
const nar = document.getElementById('narrative');
for (const [t, text, tone] of data.narrative) {
  const d = el('div', {'data-t': t, class: 'tone-' + tone}, fmtT(t) + '  ' + text, nar);
  d.addEventListener('click', () => select(t, text));
}
select(violations.length ? violations[0].time : end, violations.length ? 'violation: ' + violations[0].property : 'the end');
document.body.dataset.lanes = String(document.querySelectorAll('g.lane').length);
document.body.dataset.consumerLanes = String(members.length);
if (members.length) document.getElementById('consumer-legend').style.display = 'inline';
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
    html << "<tr><th>" << html_escape(scenarios[i]) << "</th>";
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
    data["narrative"].push_back({static_cast<double>(l.t) / kMicrosPerSecond, l.text, static_cast<int>(l.tone)});
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'\">\n"
       << "<title>kafkasim report</title>\n<style>" << kStyle << "</style></head>\n<body>\n"
       << "<header><h1 id=\"title\"></h1><div class=\"summary\" id=\"summary\"></div>"
       << "<p><span id=\"verdict\"></span><span id=\"verdict-text\"></span></p><div class=\"desc\" id=\"desc\"></div></header>\n"
       << "<main><div><section><h2>Timeline</h2><div class=\"legend\"><span style=\"background:#cfe8d4\">up</span>"
          "<span style=\"background:#ffe5a8\">paused</span><span style=\"background:#f3b9b5\">down</span>"
          "<span style=\"background:#e6def7\">partitioned</span><span style=\"color:#2458c8\">&#8213; HW</span><span style=\"color:#777\">- - LEO</span><span style=\"background:#f0a35e\">fault</span><span style=\"color:#c0261d\">| violation</span><span id=\"consumer-legend\" style=\"display:none;border:0;padding:0;margin:0\"><span style=\"color:#2e8b57\">| commit</span><span style=\"color:#c0261d\">| refused commit</span><span style=\"color:#e07b00\">&#9679; processing failed</span><span style=\"color:#c0261d\">&#9679; duplicate</span><span style=\"color:#c0261d\">&#215; unprocessed</span></span>"
          " click the timeline, a moment or a narrative line to see the logs then</div><div id=\"timeline\"></div></section>\n"
       << "<section class=\"logs\"><div id=\"moments\"></div><div class=\"legend\"><span class=\"c\" "
          "style=\"background:#d7ecff\">below the replica's HW</span><span style=\"background:#fff7d6\">above it</span>"
          "<span style=\"background:#fde2e1\">acknowledged, then lost</span></div><div id=\"logs\"></div></section></div>\n"
       << "<section><h2>Narrative</h2><div id=\"narrative\"></div></section></main>\n"
       << "<script id=\"kafkasim-data\" type=\"application/json\">" << json_for_script(data) << "</script>\n"
       << "<script>" << kScript << "</script>\n</body></html>\n";
  return write_file(dir + "/index.html", html.str());
}

}  // namespace kafkasim::reports

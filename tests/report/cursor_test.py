#!/usr/bin/python3
# The report's time cursor in a real browser (headless Chromium driven by Selenium): keys and buttons move
# it, and at every cursor the logs the page draws equal the replicas' logs rebuilt here, independently,
# from history.jsonl. Saves a screenshot of each lesson at its key moment in the build folder.
# Usage: cursor_test.py KAFKASIM SOURCE_DIR WORK_DIR
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from chromium import chromium

KAFKASIM, SOURCE, WORK = sys.argv[1:4]
del sys.argv[1:4]


def make_report(scenario, design, name):
    out = os.path.join(WORK, name)
    shutil.rmtree(out, ignore_errors=True)
    args = [KAFKASIM, "run", os.path.join(SOURCE, "scenarios", scenario), "--report", out]
    if design:
        args += ["--design", design]
    code = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"}).returncode
    assert code in (0, 1), f"{scenario}: kafkasim run exited {code}"
    with open(os.path.join(out, "history.jsonl")) as f:
        events = [json.loads(line) for line in f if line.strip()]
    return "file://" + os.path.join(out, "index.html"), events


def replicas_after(events, idx):
    """Each replica's log [(value, leader epoch)] and HW just after events[idx]: appends, truncations, HW moves."""
    logs, hws, _ = replicas_with_checkpoints(events, idx)
    return logs, hws


def replicas_with_checkpoints(events, idx):
    """replicas_after, with each replica's checkpointed HW (the last hw-checkpointed) as well."""
    cps = {}
    logs, hws = {}, {}
    for e in events[: idx + 1]:
        key = f"{e.get('broker')}/{e.get('partition')}"
        name = e["event"]
        if name == "appended":
            log = logs.setdefault(key, [])
            del log[e["offset"]:]
            log.append((e["value"], e["leader_epoch"]))
        elif name == "truncated":
            del logs.setdefault(key, [])[e["to_offset"]:]
            hws[key] = min(hws.get(key, 0), e["to_offset"])
        elif name in ("hw-advanced", "hw-lowered"):
            hws[key] = e["hw"]
        elif name in ("became-leader", "became-follower") and "hw" in e:
            hws[key] = e["hw"]
        elif name == "hw-checkpointed":
            cps[key] = e["hw"]
    return logs, hws, cps


def losses(events):
    """Acknowledged records the final log of their partition (the leader of the highest epoch's) lacks at their offset."""
    logs, _ = replicas_after(events, len(events) - 1)
    leader, top = {}, {}
    for e in events:
        if e["event"] == "became-leader" and (e["partition"] not in top or e["leader_epoch"] >= top[e["partition"]]):
            top[e["partition"]], leader[e["partition"]] = e["leader_epoch"], e["broker"]
    lost, seen = {}, set()
    for e in events:
        if e["event"] != "produce-acked" or (e["producer"], e["value"]) in seen:
            continue
        seen.add((e["producer"], e["value"]))
        log = logs.get(f"{leader[e['partition']]}/{e['partition']}", [])
        if e["offset"] >= len(log) or log[e["offset"]][0] != e["value"]:
            lost[e["value"]] = e
    return lost


SHOWN = """
const out = {cursor: Number(document.body.dataset.cursor), replicas: {}};
for (const tr of document.querySelectorAll('table.log-picture tr[data-replica]')) {
  const cells = [];
  for (const td of tr.querySelectorAll('td[data-offset]'))
    cells.push([Number(td.dataset.offset), td.dataset.value, Number(td.dataset.epoch), td.dataset.struck === '1']);
  out.replicas[tr.dataset.replica] = {leo: Number(tr.dataset.leo), hw: Number(tr.dataset.hw), cp: tr.dataset.checkpoint, cells};
}
return out;
"""


class Browser:
    def __init__(self):
        self.driver = chromium(os.path.join(WORK, f"profile-{os.getpid()}"))

    def open(self, url):
        self.driver.get(url)
        body = self.driver.find_element(By.TAG_NAME, "body")
        assert body.get_attribute("data-rendered") == "ok", body.get_attribute("data-errors")
        return body

    def keys(self, *keys):
        chain = ActionChains(self.driver)
        for k in keys:
            chain.send_keys(k)
        chain.perform()

    def cursor(self):
        return int(self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-cursor"))


class CursorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.driver.quit()

    def assert_logs_match(self, events, where, shown=None, idx=None):
        shown = shown or self.browser.driver.execute_script(SHOWN)
        logs, hws, cps = replicas_with_checkpoints(events, shown["cursor"] if idx is None else idx)
        self.assertTrue(shown["replicas"], where)
        for key, row in shown["replicas"].items():
            log = logs.get(key, [])
            self.assertEqual(row["leo"], len(log), f"{where}: {key}'s LEO")
            self.assertEqual(row["hw"], hws.get(key, 0), f"{where}: {key}'s HW")
            self.assertEqual(row["cp"], str(cps[key]) if key in cps else "", f"{where}: {key}'s checkpointed HW")
            held = [c for c in row["cells"] if not c[3]]
            for offset, value, epoch, _ in held:
                self.assertLess(offset, len(log), f"{where}: {key} drawn with offset {offset} past its log end")
                self.assertEqual((value, epoch), log[offset], f"{where}: {key} offset {offset}")
            for offset, *_ in (c for c in row["cells"] if c[3]):
                self.assertGreaterEqual(offset, len(log), f"{where}: {key} offset {offset} struck through but held")
            if held:  # a window of the log: every offset in it is drawn
                lo = min(c[0] for c in held)
                self.assertEqual(sorted(c[0] for c in held), list(range(lo, min(len(log), lo + len(held)))), f"{where}: {key}")

    def test_stepping_through_kip101_shows_every_replica_log_as_the_history_has_it(self):
        url, events = make_report("kip101-hw-truncation.yaml", "kafka-0.10", "cursor-kip101")
        body = self.browser.open(url)
        n = int(body.get_attribute("data-events"))
        self.assertEqual(n, len(events))
        first_violation = next(i for i, e in enumerate(events) if e["event"] == "violation")
        self.assertEqual(self.browser.cursor(), first_violation, "the report opens at the first violation")
        self.browser.keys(Keys.HOME)
        self.assertEqual(self.browser.cursor(), 0)
        # A step goes to the next event that is not a message (the report's history has them too).
        steps = [i for i, e in enumerate(events) if not e["event"].startswith("message-")]
        self.assertGreater(len(steps), 100)
        self.assertLess(len(steps), n, "a report's history records the messages")
        for k, i in enumerate(steps):
            self.assertEqual(self.browser.cursor(), i)
            self.assert_logs_match(events, f"event {i + 1}")
            if k + 1 < len(steps):
                self.browser.keys(Keys.ARROW_RIGHT)
        self.browser.keys(Keys.ARROW_RIGHT)
        self.assertEqual(self.browser.cursor(), steps[-1], "stepping past the end stays at the end")
        self.browser.keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
        self.assertEqual(self.browser.cursor(), steps[-3])
        # Asked to, it steps through the messages too.
        self.browser.driver.find_element(By.ID, "c-messages").click()
        self.browser.keys(Keys.HOME, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        self.assertEqual(self.browser.cursor(), 2)
        self.browser.driver.find_element(By.ID, "c-messages").click()
        # The truncation: the record it removed is drawn struck through, and the window holds the point.
        trunc = next(i for i, e in enumerate(events) if e["event"] == "truncated")
        self.browser.driver.execute_script(f"location.hash = '#event={trunc + 1}'")
        self.assertEqual(self.browser.cursor(), trunc)
        shown = self.browser.driver.execute_script(SHOWN)
        t = events[trunc]
        row = shown["replicas"][f"{t['broker']}/{t['partition']}"]
        struck = [c for c in row["cells"] if c[3]]
        self.assertEqual(len(struck), t["from_offset"] - t["to_offset"], "each removed record is struck through")
        self.assert_logs_match(events, "the truncation")

    def test_the_message_diagram_shows_the_epoch_question_and_its_answer_and_lost_messages(self):
        url, events = make_report("kip101-hw-truncation.yaml", "kafka-0.11", "cursor-kip101-fixed")
        ask = next(i for i, e in enumerate(events) if e["event"] == "message-sent" and e["type"] == "OffsetsForLeaderEpoch")
        question = events[ask]
        answer = next(e for e in events if e["event"] == "message-sent" and e.get("reply_to") == question["msg"])
        self.assertEqual(question["summary"], "t-0: where does leader epoch 0 end?")
        self.browser.open(url + f"#event={ask + 1}")
        driver = self.browser.driver
        self.assertEqual(self.browser.cursor(), ask)
        titles = {g.get_attribute("data-msg"): g.find_element(By.TAG_NAME, "title").get_attribute("textContent")
                  for g in driver.find_elements(By.CSS_SELECTOR, "#sequence-svg g.msg")}
        self.assertIn(str(question["msg"]), titles)
        self.assertIn("where does leader epoch 0 end", titles[str(question["msg"])])
        self.assertIn(str(answer["msg"]), titles)
        self.assertIn(answer["summary"], titles[str(answer["msg"])])
        # The narrative says it in words.
        narrative = driver.find_element(By.ID, "narrative").text
        self.assertIn(f"{question['from']} asks {question['to']}: t-0: where does leader epoch 0 end?", narrative)
        # A lost message is drawn crossed: the fetches to the crashed leader.
        lost = next(i for i, e in enumerate(events) if e["event"] == "message-lost" and i > ask)
        driver.execute_script(f"location.hash = '#event={lost + 1}'")
        lost_msg = str(events[lost]["msg"])
        crossed = [g for g in driver.find_elements(By.CSS_SELECTOR, "#sequence-svg g.msg-lost") if g.get_attribute("data-msg") == lost_msg]
        self.assertEqual(len(crossed), 1)
        # Clicking an arrow moves the cursor to its sending.
        driver.execute_script(f"document.querySelector('#sequence-svg g.msg[data-msg=\"{question['msg']}\"]').dispatchEvent(new MouseEvent('click'))")
        self.assertEqual(self.browser.cursor(), ask)
        # Filtered by type: unticking Fetch leaves none drawn.
        driver.find_element(By.CSS_SELECTOR, "#seq-types input[data-type=Fetch]").click()
        self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "#sequence-svg g.msg[data-type=Fetch]"))

    def test_a_long_run_s_diagram_is_aggregated_when_zoomed_out(self):
        url, events = make_report("kip101-hw-truncation.yaml", "kafka-0.10", "cursor-kip101-long")
        sent = sum(1 for e in events if e["event"] == "message-sent" and e["type"] not in ("ZkPing", "Heartbeat", "BrokerHeartbeat"))
        self.assertGreater(sent, 300)
        self.browser.open(url)
        driver = self.browser.driver
        driver.execute_script("const s = document.getElementById('seq-span'); s.value = 'all'; s.dispatchEvent(new Event('change'))")
        body = driver.find_element(By.TAG_NAME, "body")
        self.assertEqual(int(body.get_attribute("data-messages-drawn")), sent)
        groups = int(body.get_attribute("data-messages-aggregated"))
        self.assertGreater(groups, 0)
        self.assertLessEqual(len(driver.find_elements(By.CSS_SELECTOR, "#sequence-svg g.msg")), 300)
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, "#sequence-svg g.msg-aggregate"))

    def test_buttons_key_moments_play_and_the_address(self):
        url, events = make_report("unclean-election.yaml", None, "cursor-unclean")
        n = len(events)
        self.browser.open(url + "#event=5")
        self.assertEqual(self.browser.cursor(), 4, "the address names the event")
        driver = self.browser.driver
        driver.find_element(By.ID, "c-next").click()
        after = next(i for i in range(5, n) if not events[i]["event"].startswith("message-"))
        self.assertEqual(self.browser.cursor(), after)
        driver.find_element(By.ID, "c-prev").click()
        before = next(i for i in range(after - 1, -1, -1) if not events[i]["event"].startswith("message-"))
        self.assertEqual(self.browser.cursor(), before)
        driver.find_element(By.ID, "c-last").click()
        self.assertEqual(self.browser.cursor(), n - 1)
        driver.find_element(By.ID, "c-first").click()
        self.assertEqual(self.browser.cursor(), 0)
        # Shift+-> jumps over routine events to the next key moment.
        ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ARROW_RIGHT).key_up(Keys.SHIFT).perform()
        k = self.browser.cursor()
        self.assertGreater(k, 0)
        key_names = {"fault", "violation", "truncated", "leader-elected", "controller-elected", "broker-crashed",
                     "became-leader", "isr-changed", "phase", "zk-session-expired", "broker-paused", "broker-resumed",
                     "controller-resigned", "broker-shutdown", "hw-lowered"}
        self.assertIn(events[k]["event"], key_names)
        self.assertTrue(all(events[i]["event"] not in key_names or events[i]["event"] == "fault" for i in range(1, k)))
        driver.find_element(By.ID, "c-play").click()
        self.assertEqual(driver.find_element(By.TAG_NAME, "body").get_attribute("data-playing"), "1")
        driver.execute_script("document.getElementById('c-speed').value = '64'; document.getElementById('c-speed').dispatchEvent(new Event('change'))")
        before = self.browser.cursor()
        time.sleep(0.5)  # a wall-clock wait only to let the page play; the assertion is on order, not speed
        self.browser.keys(" ")
        self.assertGreater(self.browser.cursor(), before, "playing moves the cursor")
        self.assertEqual(driver.find_element(By.TAG_NAME, "body").get_attribute("data-playing"), "")
        for i in sorted({0, n // 3, n // 2, n - 1} | {i for i, e in enumerate(events) if e["event"] in ("truncated", "leader-elected", "violation")}):
            driver.execute_script(f"location.hash = '#event={i + 1}'")
            self.assertEqual(self.browser.cursor(), i)
            self.assert_logs_match(events, f"unclean-election event {i + 1}")
        # Clicking a narrative line moves the cursor to the event it tells; a closing summary line, to its time.
        lines = driver.find_elements(By.CSS_SELECTOR, "#narrative div")
        told = [d for d in lines if d.get_attribute("data-i")]
        self.assertGreater(len(told), 3)
        for line in (told[3], told[-1]):
            driver.execute_script("arguments[0].scrollIntoView()", line)
            line.click()
            i = int(line.get_attribute("data-i"))
            self.assertEqual(self.browser.cursor(), i)
            self.assertAlmostEqual(events[i]["t"], float(line.get_attribute("data-t")), places=6)
        summary = lines[-1]
        self.assertEqual(summary.get_attribute("data-i"), "")
        driver.execute_script("arguments[0].scrollIntoView()", summary)
        summary.click()
        t = float(summary.get_attribute("data-t"))
        c = self.browser.cursor()
        self.assertLessEqual(events[c]["t"], t + 1e-9)
        self.assertTrue(c == n - 1 or events[c + 1]["t"] > t + 1e-9)

    def test_client_lanes_why_it_broke_and_truncations_before_and_after(self):
        url, events = make_report("kip101-hw-truncation.yaml", "kafka-0.10", "cursor-kip101-why")
        with open(os.path.join(WORK, "cursor-kip101-why", "result.json")) as f:
            result = json.load(f)
        body = self.browser.open(url)
        driver = self.browser.driver
        # A lane per producer: each send an interval, its outcome as the history has it.
        sends = {}
        for e in events:
            if e["event"] == "produce-sent":
                sends.setdefault(e["producer"], []).append(e["value"])
        self.assertTrue(sends)
        self.assertEqual(int(body.get_attribute("data-client-lanes")), len(sends))
        lost = losses(events)
        self.assertTrue(lost, "kip101 on kafka-0.10 loses acknowledged records")
        self.assertEqual(int(body.get_attribute("data-losses")), len(lost))
        for producer, values in sends.items():
            ops = driver.find_elements(By.CSS_SELECTOR, f"g.client-ops[data-producer='{producer}'] rect.op")
            self.assertEqual([o.get_attribute("data-value") for o in ops], values)
            for o in ops:
                v = o.get_attribute("data-value")
                answers = [e["event"] for e in events if e.get("producer") == producer and e.get("value") == v
                           and e["event"] in ("produce-acked", "produce-failed")]
                want = ("lost" if v in lost else "acked") if answers and answers[0] == "produce-acked" else \
                       "failed" if answers else "pending"
                self.assertEqual(o.get_attribute("data-outcome"), want, f"{producer} {v}")
        # Clicking a send moves the cursor to it.
        first = driver.find_elements(By.CSS_SELECTOR, "rect.op")[0]
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", first)
        sent = next(i for i, e in enumerate(events) if e["event"] == "produce-sent")
        self.assertEqual(self.browser.cursor(), sent)
        # Why it broke: a panel per violation; its chain holds the truncation that removed a lost record,
        # and its button goes to the violation.
        self.assertEqual(int(body.get_attribute("data-why-panels")), len(result["violations"]))
        panel = driver.find_element(By.CSS_SELECTOR, "div.why[data-property='acked-write-lost']")
        chain = [int(li.get_attribute("data-i")) for li in panel.find_elements(By.CSS_SELECTOR, "ol.why-chain li[data-i]")]
        value, ack = next(iter(lost.items()))
        removed = [i for i, e in enumerate(events) if e["event"] == "truncated" and e["partition"] == ack["partition"]
                   and e["to_offset"] <= ack["offset"] < e["from_offset"]]
        self.assertTrue(removed)
        self.assertTrue(set(removed) & set(chain), f"the chain {chain} names a truncation of {value}")
        acked_at = next(i for i, e in enumerate(events) if e["event"] == "produce-acked" and e["value"] == value)
        self.assertIn(acked_at, chain)
        row = panel.find_element(By.CSS_SELECTOR, f"table.why-records tr[data-value='{value}']")
        self.assertIn("removed at", row.text)
        # broker-2's restart loop (restarted, starts, exits: 40 times) is told once with how often it repeats,
        # and every event of the chain is either shown or counted.
        loop = driver.find_element(By.CSS_SELECTOR, "div.why[data-property='unavailable-after-heal']")
        total = int(re.search(r"What led there \((\d+) event", loop.text).group(1))
        told = len(loop.find_elements(By.CSS_SELECTOR, "ol.why-chain li[data-i]"))
        folded = 0
        for gap in loop.find_elements(By.CSS_SELECTOR, "ol.why-chain li.gap"):
            m = re.search(r"the same (?:(\d+) events|event) again (\d+) more times?", gap.text) or re.search(r"(\d+) more events?$", gap.text)
            self.assertTrue(m, gap.text)
            folded += int(m.group(1) or 1) * int(m.group(2)) if m.lastindex == 2 else int(m.group(1))
        self.assertTrue(any("again" in g.text for g in loop.find_elements(By.CSS_SELECTOR, "li.gap")), loop.text[:2000])
        self.assertEqual(told + folded, total)
        self.assertLess(told, 40)
        panel.find_element(By.CSS_SELECTOR, "button.why-go").click()
        violation = next(i for i, e in enumerate(events) if e["event"] == "violation" and e["property"] == "acked-write-lost")
        self.assertEqual(self.browser.cursor(), violation)
        # Truncations: before and after, as the history has them, with the truncation point marked.
        truncs = [i for i, e in enumerate(events) if e["event"] == "truncated"]
        self.assertEqual(int(body.get_attribute("data-truncations")), len(truncs))
        for k, d in enumerate(driver.find_elements(By.CSS_SELECTOR, "details.trunc")[:4]):
            if not d.get_attribute("open"):
                driver.execute_script("arguments[0].open = true", d)
            i = int(d.get_attribute("data-i"))
            self.assertEqual(i, truncs[k])
            for cls, at in (("trunc-before", i - 1), ("trunc-after", i)):
                shown = driver.execute_script(SHOWN.replace("table.log-picture", "details.trunc[data-i=\"%d\"] table.%s" % (i, cls)))
                self.assert_logs_match(events, f"truncation {i}, {cls}", shown=shown, idx=at)
            e = events[i]
            point = d.find_elements(By.CSS_SELECTOR, "table.trunc-after td.point")
            self.assertEqual([p.text.split()[0] for p in point], [str(e["to_offset"])])

    def test_an_acks1_loss_is_drawn_on_the_producer_lane(self):
        url, events = make_report("lessons/lesson-acks1-loss.yaml", None, "cursor-acks1")
        body = self.browser.open(url)
        lost = losses(events)
        self.assertTrue(lost)
        self.assertEqual(int(body.get_attribute("data-losses")), len(lost))
        marked = self.browser.driver.find_elements(By.CSS_SELECTOR, "rect.op-lost")
        self.assertEqual(sorted(m.get_attribute("data-value") for m in marked), sorted(lost))
        title = marked[0].find_element(By.TAG_NAME, "title").get_attribute("textContent")
        self.assertIn("acks=1", title)

    def test_the_panel_shows_zookeeper_producers_and_groups_at_the_cursor(self):
        url, events = make_report("group-commit-before-process-loses.yaml", None, "cursor-group")
        self.browser.open(url + f"#event={len(events)}")
        driver = self.browser.driver
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, "p.partition-view"))
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, "p.group-position"))
        producers = {e["producer"] for e in events if e["event"] == "produce-sent"}
        shown = {p.get_attribute("data-producer") for p in driver.find_elements(By.CSS_SELECTOR, "p.producer-state")}
        self.assertEqual(shown, producers)
        acked = sum(1 for e in events if e["event"] == "produce-acked")
        text = " ".join(p.text for p in driver.find_elements(By.CSS_SELECTOR, "p.producer-state"))
        self.assertIn(f"{acked} acknowledged" if len(producers) == 1 else "acknowledged", text)
        self.assert_logs_match(events, "the group run's end")

    def test_each_lesson_renders_and_keeps_a_screenshot_of_its_key_moment(self):
        shots = os.path.join(WORK, "lesson-screenshots")
        os.makedirs(shots, exist_ok=True)
        # Every file with a lesson: block, in scenarios/lessons/ and the historical bugs in scenarios/.
        lessons = []
        for sub in ("lessons", "."):
            for f in sorted(os.listdir(os.path.join(SOURCE, "scenarios", sub))):
                if f.endswith(".yaml"):
                    with open(os.path.join(SOURCE, "scenarios", sub, f)) as fh:
                        if "\nlesson:" in fh.read():
                            lessons.append(os.path.normpath(os.path.join(sub, f)))
        self.assertGreaterEqual(len(lessons), 8)
        for f in lessons:
            url, events = make_report(f, None, "cursor-" + os.path.basename(f)[:-5])
            self.browser.open(url)
            # The key moment: the first moment the page offers (a violation, a truncation, else the end).
            self.browser.driver.find_element(By.CSS_SELECTOR, "#moments button").click()
            self.assert_logs_match(events, f)
            path = os.path.join(shots, os.path.basename(f)[:-5] + ".png")
            self.browser.driver.save_screenshot(path)
            self.assertGreater(os.path.getsize(path), 10000, path)
            driver = self.browser.driver
            driver.set_window_size(1400, min(6000, driver.execute_script("return document.body.scrollHeight") + 200))
            panel = driver.find_element(By.CSS_SELECTOR, "section.logs")
            panel.screenshot(os.path.join(shots, os.path.basename(f)[:-5] + "-logs.png"))
            driver.set_window_size(1400, 1000)


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    unittest.main(verbosity=2)

#!/usr/bin/python3
# `kafkasim serve` in a real browser (headless Chromium through Selenium): the classroom lists the
# lessons, runs one, and forks it from the report's cursor; the fork is shown beside the run from where
# they part, its scenario file replays with `kafkasim run` to the same history, bad input from the page
# comes back as FILE:LINE:COL, and nothing is written outside the server's folder or served from it.
# Also matrix --report's two designs side by side, their cursors at the same time.
# Usage: serve_test.py KAFKASIM SOURCE_DIR WORK_DIR
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from chromium import chromium

KAFKASIM, SOURCE, WORK = sys.argv[1:4]
del sys.argv[1:4]


def without_messages(text):
    return [json.loads(l) for l in text.splitlines() if l.strip() and not json.loads(l)["event"].startswith("message-")]


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read().decode()


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(os.path.join(WORK, "cwd"))
        cls.room = os.path.join(WORK, "classroom")
        cls.server = subprocess.Popen([KAFKASIM, "serve", os.path.join(SOURCE, "scenarios"), "--port", "0", "--dir", cls.room],
                                      cwd=os.path.join(WORK, "cwd"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.server.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, f"the server said: {line!r}"
        cls.base = m.group(0).rstrip("/")
        cls.driver = chromium(os.path.join(WORK, "profile"), page_load_timeout_s=120)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.terminate()
        cls.server.wait(timeout=30)

    def body(self):
        return self.driver.find_element(By.TAG_NAME, "body")

    def wait_rendered(self):
        WebDriverWait(self.driver, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"))
        self.assertEqual(self.body().get_attribute("data-rendered"), "ok", self.body().get_attribute("data-errors"))

    def run_lesson(self, name):
        self.driver.get(self.base + "/")
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "button.run")
        names = [b.get_attribute("data-scenario") for b in buttons]
        self.assertEqual(names[0], "lesson-isr-shrink-rejoin", "the lessons come first, by step")
        buttons[names.index(name)].click()
        WebDriverWait(self.driver, 120).until(lambda d: "/runs/" in d.current_url)
        self.wait_rendered()
        return int(re.search(r"/runs/(\d+)/", self.driver.current_url).group(1))

    def test_a_lesson_runs_forks_from_the_cursor_and_the_fork_replays(self):
        run = self.run_lesson("kip101-hw-truncation")
        _, text = get(f"{self.base}/runs/{run}/history.jsonl")
        events = [json.loads(l) for l in text.splitlines() if l.strip()]
        self.assertTrue(any(e["event"] == "message-sent" for e in events), "served runs record the messages")
        # The cursor at m1's acknowledgement; fork: broker-2 (the leader) crashes there.
        acked = next(i for i, e in enumerate(events) if e["event"] == "produce-acked")
        self.driver.execute_script(f"location.hash = '#event={acked + 1}'")
        self.assertEqual(int(self.body().get_attribute("data-cursor")), acked)
        panel = self.driver.find_element(By.ID, "fork")
        self.assertTrue(panel.is_displayed())
        # Choosing the target by clicking its lane.
        self.driver.find_element(By.CSS_SELECTOR, "g.lane[data-lane='broker-2'] text").click()
        self.assertEqual(self.driver.find_element(By.ID, "fork-target").get_attribute("value"), "broker-2")
        self.driver.find_element(By.ID, "fork-action").send_keys("crash")
        self.driver.find_element(By.ID, "fork-run").click()
        WebDriverWait(self.driver, 120).until(lambda d: "/compare" in d.current_url)
        part_index = int(self.body().get_attribute("data-part-index"))
        part_t = float(self.body().get_attribute("data-part-t"))
        self.assertIn("They part at", self.driver.find_element(By.ID, "part").text)
        fork = int(re.search(r"b=(\d+)", self.driver.current_url).group(1))
        _, fork_text = get(f"{self.base}/runs/{fork}/history.jsonl")
        a, b = without_messages(text), without_messages(fork_text)
        self.assertEqual(a[:part_index], b[:part_index], "the same seed: the same run up to the cursor")
        self.assertNotEqual(a[part_index:part_index + 1], b[part_index:part_index + 1])
        self.assertLessEqual(events[acked]["t"], part_t + 1e-9)
        self.assertTrue(any(e["event"] == "fault" and e["action"] == "crash" and e["target"] == "broker-2" and
                            abs(e["t"] - events[acked]["t"]) < 1e-6 for e in b))
        # Side by side, the two cursors follow each other.
        frames = self.driver.find_elements(By.TAG_NAME, "iframe")
        self.assertEqual(len(frames), 2)
        self.driver.switch_to.frame(frames[0])
        self.wait_rendered()
        self.driver.execute_script("location.hash = '#t=5'")
        left_t = self.driver.execute_script("return events[Number(document.body.dataset.cursor)].t")
        self.driver.switch_to.default_content()
        self.driver.switch_to.frame(frames[1])
        WebDriverWait(self.driver, 30).until(lambda d: d.execute_script(
            "const c = Number(document.body.dataset.cursor); return events[c].t <= 5 + 1e-9 && (c + 1 >= events.length || events[c + 1].t > 5 + 1e-9)"))
        self.driver.switch_to.default_content()
        self.assertLessEqual(left_t, 5 + 1e-9)
        # The fork as a scenario file: kafkasim run replays it, to the same history.
        href = self.driver.find_element(By.ID, "download").get_attribute("href")
        _, yaml_text = get(href)
        self.assertIn("# forked by kafkasim serve", yaml_text)
        path = os.path.join(WORK, "fork.yaml")
        with open(path, "w") as f:
            f.write(yaml_text)
        hist = os.path.join(WORK, "fork-replay.jsonl")
        code = subprocess.run([KAFKASIM, "run", path, "--history", hist], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
        self.assertIn(code, (0, 1))
        with open(hist) as f:
            self.assertEqual(without_messages(f.read()), b, "the downloaded fork replays to the same history")

    def test_zz_a_folder_used_again_keeps_its_runs(self):
        # A second server on the same --dir numbers its runs after those there: nothing is overwritten.
        run = self.run_lesson("lesson-acks1-loss")
        before = sorted(int(d) for d in os.listdir(os.path.join(self.room, "runs")) if d.isdigit())
        self.assertIn(run, before)
        with open(os.path.join(self.room, "runs", str(run), "history.jsonl")) as f:
            kept = f.read()
        again = subprocess.Popen([KAFKASIM, "serve", os.path.join(SOURCE, "scenarios"), "--port", "0", "--dir", self.room],
                                 cwd=os.path.join(WORK, "cwd"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            base = re.search(r"http://127\.0\.0\.1:(\d+)", again.stdout.readline()).group(0)
            _, page = get(base + "/")
            k = re.search(r'name="scenario" value="(\d+)"', page).group(1)
            req = urllib.request.Request(base + "/run", data=f"scenario={k}".encode(), method="POST")
            with urllib.request.urlopen(req, timeout=120) as r:
                new = int(re.search(r"/runs/(\d+)/", r.geturl()).group(1))
            self.assertGreater(new, max(before))
            with open(os.path.join(self.room, "runs", str(run), "history.jsonl")) as f:
                self.assertEqual(f.read(), kept, "the earlier run is untouched")
        finally:
            again.terminate()
            again.wait(timeout=30)

    def test_bad_input_from_the_page_comes_back_at_its_line_and_column(self):
        run = self.run_lesson("lesson-acks1-loss")
        self.driver.execute_script("""
            const t = document.getElementById('fork-target');
            const o = document.createElement('option'); o.value = 'broker-9'; o.textContent = 'broker-9'; t.appendChild(o); t.value = 'broker-9';""")
        self.driver.find_element(By.ID, "fork-run").click()
        WebDriverWait(self.driver, 60).until(lambda d: d.find_element(By.ID, "fork-result").get_attribute("class") == "fork-error")
        error = self.driver.find_element(By.ID, "fork-result").text
        m = re.search(r"(\S*rejected/fork-\d+\.yaml):\d+:\d+: .*broker-9", error)
        self.assertTrue(m, error)
        self.assertTrue(os.path.isfile(m.group(1)), "the file the error names is kept: " + m.group(1))
        self.assertIn("/runs/", self.driver.current_url, "the page stays")
        # Hostile requests: junk, a run that does not exist, paths out of the folder.
        for url in [f"{self.base}/runs/{run}/../../../../etc/passwd", f"{self.base}/runs/999/index.html",
                    f"{self.base}/runs/{run}/secret.txt", f"{self.base}/runs/%2e%2e/%2e%2e/etc/passwd"]:
            with self.assertRaises(urllib.error.HTTPError, msg=url) as e:
                get(url)
            self.assertIn(e.exception.code, (400, 404))
        for body in [b"not json", b'{"run": 1}', json.dumps({"run": run, "t": 1, "action": "rm -rf", "target": "x"}).encode(),
                     json.dumps({"run": run, "t": -1, "action": "crash", "target": "broker-1"}).encode()]:
            req = urllib.request.Request(self.base + "/api/fork", data=body, headers={"Content-Type": "application/json"})
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=60)
            self.assertEqual(e.exception.code, 400, body)
        # Another site's page cannot start runs, a rebound name is refused, and no field can add YAML.
        for headers in [{"Content-Type": "application/json", "Origin": "http://evil.example"},
                        {"Content-Type": "application/json", "Host": "evil.example:80"}, {"Content-Type": "text/plain"}]:
            req = urllib.request.Request(self.base + "/api/fork", headers=headers,
                                         data=json.dumps({"run": run, "t": 1, "action": "crash", "target": "broker-1"}).encode())
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=60)
            self.assertIn(e.exception.code, (403, 415), headers)
        req = urllib.request.Request(self.base + "/api/fork", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"run": run, "t": 1, "action": "produce", "target": "p1", "value": "m\nseed: 7"}).encode())
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=60)
        self.assertEqual(e.exception.code, 400)
        # Everything it wrote is in its folder.
        self.assertEqual(os.listdir(os.path.join(WORK, "cwd")), [])

    def test_matrix_report_shows_two_designs_side_by_side_at_the_same_time(self):
        out = os.path.join(WORK, "matrix")
        code = subprocess.run([KAFKASIM, "matrix", os.path.join(SOURCE, "scenarios", "kip101-hw-truncation.yaml"),
                               "--designs", "kafka-0.10,kafka-0.11", "--report", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
        self.assertIn(code, (0, 1))
        self.driver.get("file://" + os.path.join(out, "index.html"))
        link = self.driver.find_element(By.CSS_SELECTOR, "a.pair-link")
        link.click()
        frames = self.driver.find_elements(By.TAG_NAME, "iframe")
        self.assertEqual(len(frames), 2)
        self.driver.switch_to.frame(frames[1])
        self.wait_rendered()
        self.driver.switch_to.default_content()
        self.driver.switch_to.frame(frames[0])
        self.wait_rendered()
        self.driver.execute_script("location.hash = '#t=8.5'")
        self.driver.switch_to.default_content()
        self.driver.switch_to.frame(frames[1])
        WebDriverWait(self.driver, 30).until(lambda d: d.execute_script(
            "const c = Number(document.body.dataset.cursor); return events[c].t <= 8.5 + 1e-9 && (c + 1 >= events.length || events[c + 1].t > 8.5 + 1e-9)"))
        self.driver.switch_to.default_content()


if __name__ == "__main__":
    unittest.main(verbosity=2)

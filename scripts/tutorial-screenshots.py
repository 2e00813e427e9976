#!/usr/bin/python3
# Remakes the screenshots in docs/images/ that docs/tutorial.md shows: three lessons' reports opened in
# headless Chromium (Debian's chromium and chromium-driver, python3-selenium) at the moments the tutorial
# talks about. Usage: scripts/tutorial-screenshots.py [BUILD_DIR]   (default: build)
import os
import shutil
import subprocess
import sys
import tempfile

from selenium.webdriver.common.by import By

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, "tests", "report"))
from chromium import chromium  # noqa: E402
kafkasim = os.path.join(top, sys.argv[1] if len(sys.argv) > 1 else "build", "kafkasim")
images = os.path.join(top, "docs", "images")
work = tempfile.mkdtemp(prefix="kafkasim-shots-")

# (lesson, design or None, address, [(section selector, image name)])
SHOTS = [
    ("lessons/lesson-leader-failover.yaml", None, "", [("main > div > section:first-child", "failover-timeline.png")]),
    ("lessons/lesson-acks1-loss.yaml", None, "", [("main > div > section:first-child", "acks1-timeline.png"),
                                          ("#trunc-section", "acks1-truncation.png")]),
    ("kip101-hw-truncation.yaml", "kafka-0.10", "", [("#why-section", "kip101-why.png"),
                                                     ("#trunc-section", "kip101-truncations.png"),
                                                     ("section.logs", "kip101-logs-at-violation.png")]),
]


def main():
    driver = chromium(os.path.join(work, "profile"), width=1280, height=900)
    try:
        os.makedirs(images, exist_ok=True)
        for scenario, design, address, shots in SHOTS:
            out = os.path.join(work, scenario[:-5])
            args = [kafkasim, "run", os.path.join(top, "scenarios", scenario), "--report", out]
            if design:
                args += ["--design", design]
            subprocess.run(args, stdout=subprocess.DEVNULL, check=False)
            driver.set_window_size(1280, 900)
            driver.get("file://" + os.path.join(out, "index.html") + address)
            assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == "ok", scenario
            # Tall enough for every section to be drawn whole.
            driver.set_window_size(1280, min(8000, driver.execute_script("return document.body.scrollHeight") + 100))
            for selector, name in shots:
                section = driver.find_element(By.CSS_SELECTOR, selector)
                section.screenshot(os.path.join(images, name))
                print(os.path.join("docs", "images", name))
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

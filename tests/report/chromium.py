# Headless Chromium for the browser tests and the tutorial's screenshots: Debian's chromium and
# chromium-driver through python3-selenium, with nothing reaching the network and a profile of its own.
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(profile_dir, width=1400, height=1000, page_load_timeout_s=60):
    options = webdriver.ChromeOptions()
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--window-size={width},{height}", "--user-data-dir=" + profile_dir]:
        options.add_argument(a)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(page_load_timeout_s)
    return driver

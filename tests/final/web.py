"""The web view's test helpers: Debian's Chromium driven by Selenium (nothing downloaded), signing
in, waiting for what the page shows, and screenshots under ``test-output/web/``.
"""
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.final.s3 import USERS

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("UI_SCREENSHOTS", REPO / "test-output" / "web"))
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000")


def chromium(downloads: Path) -> webdriver.Chrome:
    """Headless Chromium from Debian's packages (``bash scripts/test.sh`` installs them)."""
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.fail("Chromium is missing: `sudo apt-get install -y chromium chromium-driver` "
                    "(bash scripts/test.sh installs them)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='osd-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def sign_in(driver, front: str, user: str = "alice") -> None:
    access, secret = USERS[user]
    driver.get(f"http://{front}/ui/signin")
    driver.find_element(By.NAME, "access_key").send_keys(access)
    driver.find_element(By.NAME, "secret_key").send_keys(secret)
    screenshot(driver, "signin")
    driver.find_element(By.CSS_SELECTOR, "#signin button").click()
    wait(driver, lambda d: d.find_element(By.ID, "user").text == user, "signed in")


def wait(driver, condition, what: str, timeout: float = 20):
    """Until ``condition(driver)``; an element htmx swapped out meanwhile is looked for again."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)) \
        .until(condition, f"waited {timeout} s for {what}")


def screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def csp_violations(driver) -> list[str]:
    """What the browser refused under the page's Content-Security-Policy (its console says so)."""
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def session(front: str, user: str = "alice") -> tuple[requests.Session, str]:
    """A requests session signed in to the web view as ``user``, and its CSRF token."""
    http = requests.Session()
    page = http.get(f"http://{front}/ui/signin", timeout=10)
    access, secret = USERS[user]
    answer = http.post(f"http://{front}/ui/signin", timeout=10, data={
        "csrf_token": token_of(page.text), "access_key": access, "secret_key": secret})
    assert answer.status_code == 200 and answer.url.endswith("/ui/buckets"), answer.text[:300]
    return http, token_of(answer.text)


def token_of(page: str) -> str:
    start = page.index('name="csrf-token" content="') + len('name="csrf-token" content="')
    return page[start:page.index('"', start)]


def downloaded(folder: Path, name: str, timeout: float = 30) -> bytes:
    """The bytes of a finished download of ``name`` into ``folder``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = folder / name
        if path.exists() and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return path.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded within {timeout} s: {sorted(os.listdir(folder))}")

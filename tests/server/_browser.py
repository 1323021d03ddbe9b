"""Headless Chromium for the dashboard tests: Debian's ``chromium`` and
``chromium-driver`` at explicit paths, Selenium Manager never asked (no download)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = os.environ.get("CURRICULUM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CURRICULUM_CHROMEDRIVER", "/usr/bin/chromedriver")


def unavailable_reason() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the dev extra)"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager, should anything call it: no network
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--disable-extensions", "--disable-sync",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def wait_for(driver: Any, condition: Any, timeout: float = 60.0, what: str = "") -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: condition(d), message=f"timed out waiting for {what}")


class Student(threading.Thread):
    """A test client playing a student: asks for tasks, reports returns (a fixed function
    of the task, so the teacher has progress to find), until stopped or ``episodes``."""

    def __init__(self, url: str, cid: str, token: str | None = None, *, episodes: int = 10_000,
                 batch: int = 8, worker: str = "w1", pause_s: float = 0.02,
                 eval_every: int = 0):
        super().__init__(daemon=True)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=url, headers=headers, timeout=30)
        self.cid, self.episodes, self.batch, self.worker = cid, episodes, batch, worker
        self.pause_s = pause_s
        self.eval_every = eval_every
        self.stop_event = threading.Event()
        self.done = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop_event.is_set() and self.done < self.episodes:
                r = self.client.post(f"/v1/curricula/{self.cid}/tasks",
                                     json={"count": self.batch})
                r.raise_for_status()
                results = [{"task_id": t["task_id"], "worker": self.worker,
                            "return": 100.0 * sum(t["params"].values())}
                           for t in r.json()["tasks"]]
                self.client.post(f"/v1/curricula/{self.cid}/results",
                                 json={"results": results}).raise_for_status()
                self.done += len(results)
                if self.eval_every and self.done % self.eval_every < len(results):
                    self._evaluate(r.json()["tasks"][0]["params"])
                time.sleep(self.pause_s)
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def _evaluate(self, like: dict[str, float]) -> None:
        """A round of 9 test episodes: the first and last parameters on a 3 x 3 grid
        (0.5, 1.5, 2.5 each), returns from the same function as training."""
        names = list(like)
        evals = []
        for a in (0.5, 1.5, 2.5):
            for b in (0.5, 1.5, 2.5):
                params = {**like, names[0]: a, names[-1]: b}
                evals.append({"params": params, "test_set": "grid", "step": self.done,
                              "return": 100.0 * sum(params.values())})
        self.client.post(f"/v1/curricula/{self.cid}/evaluations",
                         json={"evaluations": evals}).raise_for_status()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(30)
        self.client.close()
        if self.error is not None:
            raise self.error


def screenshot(driver: Any, default_dir: Path, name: str) -> Path:
    """Save a screenshot in CURRICULUM_SCREENSHOTS when set (``make screenshots`` points
    it at docs/img), else in ``default_dir`` (the test's temporary folder)."""
    folder = Path(os.environ.get("CURRICULUM_SCREENSHOTS") or default_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    driver.save_screenshot(str(path))
    return path

"""The dashboard in a real headless Chromium against a real server (uvicorn on a free
loopback port), driven by Selenium. Waits are on conditions, never on time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _browser
import pytest
from _browser import Student, chromium, console_errors, screenshot, wait_for
from _server_testlib import LiveServer, create

pytestmark = pytest.mark.browser

TOKEN = "dash-s3cret"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _browser.unavailable_reason()
    if reason is not None:
        if os.environ.get("CURRICULUM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required (CURRICULUM_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(f"browser tests need Chromium: {reason}")
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("dash") / "curricula.db"
    srv = LiveServer(db, env={"CURRICULUM_API_TOKEN": TOKEN}).start()
    try:
        yield srv
    finally:
        srv.kill()


def _text(driver: Any, element_id: str) -> str:
    return str(driver.find_element("id", element_id).text)


def test_token_prompt_then_the_list_shows_a_new_curriculum(browser, server, tmp_path):
    with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        cid = create(c, "dash-list")
    browser.get(server.url + "/ui")
    wait_for(browser, lambda d: d.find_element("id", "token-form").is_displayed(),
             what="the token prompt")
    assert "/ui" in browser.current_url and TOKEN not in browser.current_url
    field = browser.find_element("id", "token-input")
    field.send_keys("wrong")
    browser.find_element("id", "token-submit").click()
    wait_for(browser, lambda d: "refused" in _text(d, "token-error"), what="the refusal")
    field.send_keys(TOKEN)
    browser.find_element("id", "token-submit").click()
    row = wait_for(browser, lambda d: d.find_elements("css selector", f"tr[data-id='{cid}']"),
                   what="the curriculum's row")[0]
    cells = [td.text for td in row.find_elements("tag name", "td")]
    assert cells[:3] == ["dash-list", "alp-gmm", "0"]
    assert TOKEN not in browser.current_url  # the token is never in a URL
    screenshot(browser, tmp_path, "dashboard-list.png")
    # the 401 answers to the wrong token are the only console errors
    errors = [e for e in console_errors(browser) if "401" not in e["message"]]
    assert errors == []


def test_curriculum_page_updates_live_without_reload(browser, server, tmp_path):
    with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        cid = create(c, "dash-live", teacher_params={"fit_rate": 40})
    browser.get(server.url + "/ui#/")  # the token from the previous test is in the session
    if not browser.execute_script("return sessionStorage.getItem('curriculum-token')"):
        browser.execute_script(f"sessionStorage.setItem('curriculum-token', '{TOKEN}')")
    browser.get(f"{server.url}/ui#/c/{cid}")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready")
             == "curriculum", what="the curriculum page")
    browser.execute_script("window.__sameDocument = true")  # gone if the page reloads
    canvas = browser.find_element("id", "tasks-canvas")
    assert canvas.get_attribute("data-points") == "0"
    assert canvas.get_attribute("data-fit") == "0"
    student = Student(server.url, cid, TOKEN, episodes=20_000, batch=8, eval_every=96)
    student.start()
    try:
        wait_for(browser, lambda d: int(canvas.get_attribute("data-points")) >= 80,
                 what="tasks in the scatter")
        first = int(wait_for(browser, lambda d: int(canvas.get_attribute("data-fit")),
                             timeout=120, what="a first mixture"))
        wait_for(browser, lambda d: int(canvas.get_attribute("data-fit")) > first,
                 timeout=120, what="a newer mixture")
    finally:
        student.stop()
    assert browser.execute_script("return window.__sameDocument") is True
    assert "Mixture of fit" in _text(browser, "teacher-state")
    assert "ALP" in _text(browser, "src-alp")
    browser.set_window_size(1400, 1300)  # the whole page in the screenshot
    screenshot(browser, tmp_path, "dashboard-curriculum.png")
    assert console_errors(browser) == []


def test_teacher_without_mixture_declares_its_state(browser, server, tmp_path: Path):
    with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        cid = create(c, "dash-riac", teacher="riac", teacher_params={})
    student = Student(server.url, cid, TOKEN, episodes=300, batch=16, pause_s=0.0)
    student.run()
    assert student.error is None
    browser.get(f"{server.url}/ui#/c/{cid}")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready")
             == "curriculum", what="the curriculum page")
    assert "regions (rectangles, shaded by ALP)" in _text(browser, "teacher-state")
    assert console_errors(browser) == []

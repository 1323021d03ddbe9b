"""The dashboard's page, assets and downsampled data endpoints (in-process app over a
real SQLite file); the browser tests drive the page itself."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from _server_testlib import create, settings_for
from fastapi.testclient import TestClient

from server.app import create_app
from server.ui import _data


def _play(client: TestClient, cid: str, episodes: int, worker: str = "w1") -> None:
    done = 0
    while done < episodes:
        tasks = client.post(f"/v1/curricula/{cid}/tasks", json={"count": 10}).json()["tasks"]
        results = [{"task_id": t["task_id"], "worker": worker,
                    "return": 100.0 * t["params"]["stump_height"]} for t in tasks]
        assert client.post(f"/v1/curricula/{cid}/results",
                           json={"results": results}).status_code == 200
        done += len(tasks)


def test_page_and_assets_are_public_data_needs_the_token(db_path: Path) -> None:
    with TestClient(create_app(settings_for(db_path, api_token="t0k"))) as client:
        for path, kind in [("/ui", "text/html"), ("/ui/", "text/html"),
                           ("/ui/app.js", "text/javascript"),
                           ("/ui/charts.js", "text/javascript"), ("/ui/style.css", "text/css")]:
            r = client.get(path)
            assert r.status_code == 200 and r.headers["content-type"].startswith(kind), path
        assert 'src="/ui/app.js"' in client.get("/ui").text
        for path in ("/ui/api/curricula", "/ui/api/curricula/x/overview",
                     "/ui/api/curricula/x/recent", "/ui/secret.txt"):
            assert client.get(path).status_code == 401, path
        ok = {"Authorization": "Bearer t0k"}
        assert client.get("/ui/api/curricula", headers=ok).json() == {"curricula": []}
        assert client.get("/ui/secret.txt", headers=ok).status_code == 404
        r = client.get("/ui/api/curricula/nope/overview", headers=ok)
        assert r.status_code == 404 and "nope" in r.json()["detail"]
        assert client.get("/ui/api/curricula/nope/recent", headers=ok).status_code == 404


def test_views_match_the_live_curriculum_and_the_log(client: TestClient) -> None:
    cid = create(client, "dash", teacher_params={"fit_rate": 20})
    _play(client, cid, 150, worker="w1")
    _play(client, cid, 50, worker="w2")
    played = 200
    deadline = time.monotonic() + 300
    # The fit is computed in a worker process and installs at a later request: on a busy
    # machine 200 episodes may come before it, so play on until there is a mixture.
    while client.get(f"/v1/curricula/{cid}").json()["gmm"] is None:
        assert time.monotonic() < deadline, "no fit installed after 300 s"
        time.sleep(0.1)
        _play(client, cid, 10, worker="w2")
        played += 10
    for step in (1000, 2000):
        evals = [{"params": {"stump_height": h, "obstacle_spacing": 1.0}, "return": r,
                  "test_set": "t", "step": step} for h, r in ((0.1, 300.0), (2.0, 0.0))]
        client.post(f"/v1/curricula/{cid}/evaluations", json={"evaluations": evals})
    info = client.get(f"/v1/curricula/{cid}").json()
    ov = client.get(f"/ui/api/curricula/{cid}/overview").json()
    assert (ov["episodes"], ov["fits"], ov["pending"]) == (played, info["counts"]["fits"], 0)
    mix = ov["mixture"]
    assert mix["fit_index"] == info["gmm"]["fit_index"]
    assert [c["alp"] for c in mix["components"]] == info["gmm"]["alp"]
    assert [c["mean"] for c in mix["components"]] == info["gmm"]["means"]
    alps = client.app.state.service.get(cid).cur.teacher.record_.alps  # type: ignore[attr-defined]
    assert ov["alp"]["episodes"] == played
    assert ov["alp"]["episode"] == list(range(1, played + 1))
    assert np.allclose(ov["alp"]["mean"], np.nan_to_num(alps), rtol=1e-5)
    assert ov["mastery"] == [{"test_set": "t", "step": [1000, 2000], "pct": [50.0, 50.0],
                              "evaluated": [2, 2]}]
    assert set(ov["sources"]) == {"tasks", "mixture", "declared", "alp", "mastery", "workers"}

    recent = client.get(f"/ui/api/curricula/{cid}/recent?tasks=30").json()
    log = [json.loads(line) for line in client.get(f"/v1/curricula/{cid}/events").text.split()]
    tasks = [e for e in log if e["type"] == "task"][-30:]
    assert recent["task_seq"] == [t["seq"] for t in tasks]
    assert recent["params"][0] == [t["params"]["stump_height"] for t in tasks]
    assert recent["origin"] == [t["origin"].split(":")[0] for t in tasks]
    assert recent["seq"] == log[-1]["seq"]
    assert {w["worker"] for w in recent["workers"]} <= {"w1", "w2"}
    assert client.get(f"/ui/api/curricula/{cid}/recent?tasks=0").status_code == 422

    listed = client.get("/ui/api/curricula").json()["curricula"]
    assert [(c["name"], c["episodes"], c["latest_mastery_pct"]) for c in listed] == [
        ("dash", played, 50.0)]


def test_teachers_without_a_mixture_declare_their_state(client: TestClient) -> None:
    kinds = {}
    fast = {"spdl": {"update_frequency": 50, "update_offset": 50}}
    for teacher in ("riac", "oracle", "random", "spdl"):
        cid = create(client, teacher, teacher=teacher, teacher_params=fast.get(teacher, {}))
        _play(client, cid, 250)
        ov = client.get(f"/ui/api/curricula/{cid}/overview").json()
        assert ov["mixture"] is None
        kinds[teacher] = ov["declared"]
    assert kinds["riac"]["kind"] == "regions" and len(kinds["riac"]["regions"]) >= 2
    assert sum(r["pairs"] for r in kinds["riac"]["regions"]) <= 250
    low, high = kinds["oracle"]["low"], kinds["oracle"]["high"]
    assert kinds["oracle"]["kind"] == "window"
    assert np.allclose(np.subtract(high, low), [3.0 / 6, 6.0 / 6])
    assert kinds["random"] == {"kind": "counts", "updates": 250, "sampled": 250}
    gauss = kinds["spdl"]
    assert gauss["kind"] == "gaussian" and len(gauss["mean"]) == 2
    assert np.array(gauss["cov"]).shape == (2, 2) and gauss["target_mean"] == [1.5, 3.0]


def test_adr_declares_its_box(client: TestClient) -> None:
    cid = create(client, "adr", teacher="adr",
                 teacher_params={"initial_task": [3.0, 3.0], "queue_len": 2})
    _play(client, cid, 100)  # return 300 at stump height 3: normalised 0.9, the box grows
    ov = client.get(f"/ui/api/curricula/{cid}/overview").json()
    box = ov["declared"]
    assert box["kind"] == "box" and box["expansions"] > 0 and ov["mixture"] is None
    assert box["high"][0] == 3.0 and box["low"][0] < 3.0 and box["low"][1] < 3.0 < box["high"][1]


def test_plr_declares_its_level_buffer(client: TestClient) -> None:
    cid = create(client, "plr", teacher="plr", teacher_params={"buffer_size": 20})
    _play(client, cid, 100)
    ov = client.get(f"/ui/api/curricula/{cid}/overview").json()
    levels = ov["declared"]
    assert levels["kind"] == "levels" and ov["mixture"] is None
    assert levels["size"] == levels["capacity"] == 20 and levels["replays"] > 0
    assert len(levels["levels"]) == 20 and all(len(lv["task"]) == 2 for lv in levels["levels"])
    assert abs(sum(lv["p"] for lv in levels["levels"]) - 1.0) < 1e-9  # all 20 listed


def test_alp_series_of_a_million_episodes_is_bounded() -> None:
    rng = np.random.default_rng(0)
    alps = rng.random(1_000_000)
    alps[:5] = np.nan  # no ALP while the history is short
    s = _data.alp_series(alps.tolist(), points=400)
    assert s is not None and len(s["episode"]) == 400 and s["episode"][-1] == 1_000_000
    assert s["mean"][1] == float(f"{alps[2500:5000].mean():.6g}")
    assert s["max"][0] == float(f"{np.nanmax(alps[:2500]):.6g}")
    assert _data.alp_series([float("nan")] * 10) is None

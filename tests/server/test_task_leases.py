"""Task leases and idempotent evaluations through a real server (issue #22): pending
tasks of a stopped worker expire, visibly in the API and metrics; the expiry is logged,
so a restarted server (replaying its store) has the same pending tasks."""

from __future__ import annotations

import time

import pytest

from curriculum._local import local_server
from curriculum.harness import free_port
from students import TeacherClient
from teacher import SCHEMA_VERSION

SPACE = {"x0": [0.0, 1.0], "x1": [0.0, 1.0]}


def _metric(text: str, name: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(f'{name}{{curriculum="lease"}}'))
    return float(line.rsplit(" ", 1)[1])


def test_pending_tasks_expire_and_survive_a_restart(tmp_path, monkeypatch):
    monkeypatch.setenv("CURRICULUM_TASK_LEASE_S", "1")
    db, port = tmp_path / "t.db", free_port()
    with local_server(db, port=port, log_path=tmp_path / "s1.log") as url, \
            TeacherClient(url) as client:
        cid = client.create_curriculum("lease", teacher="random", space=SPACE, seed=1)["id"]
        stale = client.get_tasks(cid, 3)  # a worker takes three tasks and is stopped
        client.report_results(cid, [{"task_id": stale[0].task_id, "return": 0.5}])
        time.sleep(1.2)  # past the one-second lease
        fresh = client.get_tasks(cid, 1)  # the next write expires the others
        counts = client.get_curriculum(cid)["counts"]
        assert counts["pending"] == 1 and counts["expired"] == 2
        metrics = client._http.get("/metrics").text
        assert _metric(metrics, "curriculum_expired_tasks_total") == 2
        assert _metric(metrics, "curriculum_pending_tasks") == 1
        expired = [e for e in client.events(cid) if e["type"] == "expired"]
        assert [e["task_ids"] for e in expired] == [[t.task_id for t in stale[1:]]]
        assert expired[0]["lease_seconds"] == 1.0 and expired[0]["schema_version"] == SCHEMA_VERSION
        # A late result for an expired task is accepted, once.
        late = [{"task_id": stale[1].task_id, "return": 0.25}]
        assert client.report_results(cid, late) == (1, 0)
        assert client.report_results(cid, late) == (0, 1)
        before = client.get_curriculum(cid)["counts"]
    monkeypatch.setenv("CURRICULUM_TASK_LEASE_S", "0")  # no new expiry after the restart
    with local_server(db, port=port, log_path=tmp_path / "s2.log") as url, \
            TeacherClient(url) as client:
        assert client.get_curriculum(cid)["counts"] == before
        assert client.report_results(cid, [{"task_id": fresh[0].task_id, "return": 0.1}]) == (
            1, 0)


@pytest.mark.parametrize("lease", ["-1", "soon"])
def test_a_bad_lease_setting_is_refused_at_start(tmp_path, monkeypatch, lease):
    monkeypatch.setenv("CURRICULUM_TASK_LEASE_S", lease)
    with pytest.raises(RuntimeError, match="exited with code"), \
            local_server(tmp_path / "t.db", log_path=tmp_path / "s.log"):
        pass
    assert "CURRICULUM_TASK_LEASE_S" in (tmp_path / "s.log").read_text()


def test_a_re_sent_evaluation_is_stored_once(tmp_path):
    with local_server(tmp_path / "t.db") as url, TeacherClient(url) as client:
        cid = client.create_curriculum("lease", teacher="random", space=SPACE, seed=1,
                                       mastery_threshold=0.5)["id"]
        items = [{"params": {"x0": 0.1 * i, "x1": 0.2}, "return": 0.2 * i,
                  "test_set": "t", "step": 100001, "worker": "w"} for i in range(5)]
        first = client.report_evaluations(cid, items)
        again = client.report_evaluations(cid, items)  # after a worker restart
        assert (first["accepted"], again["accepted"], again["duplicates"]) == (5, 0, 5)
        assert client.get_curriculum(cid)["counts"]["evaluations"] == 5
        items[0]["return"] = 0.9
        with pytest.raises(Exception, match="409") as info:
            client.report_evaluations(cid, items)
        assert "already stored with return 0.0, got 0.9" in str(info.value)

"""Ray's part of ``curriculum grid``: connect to (or start) a Ray cluster on loopback, the
teacher server as an actor, and student workers as actors. Fault tolerance is Ray's
(``max_restarts``, ``max_task_retries``); we only make a restarted actor pick up where
the dead one stopped (the store for the server, the checkpoint for a worker).

``ray`` is imported inside the functions: the CLI stays cheap without the ``[ray]`` extra.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["ServerActor", "WorkerActor", "connect", "ray_addresses"]

#: Ray 2.x turns ``_node_ip_address="127.0.0.1"`` into the machine's outward address
#: unless this is off (ray._private.services.resolve_ip_for_localhost); it must be set
#: before ``ray`` is imported, and Ray's own processes inherit it.
_LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def connect(address: str | None, *, num_cpus: int | None = None) -> bool:
    """Connect to the cluster at ``address`` ('auto' or host:port), or start a local Ray
    bound to 127.0.0.1 only (no dashboard) when it is None. Returns True when this call
    started Ray (the caller shuts it down)."""
    if address is None:
        os.environ.update(_LOOPBACK_ENV)
    import ray

    if address is None:
        # The constant is read when ray is imported: if that happened before us, set it.
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False

    if ray.is_initialized():
        return False
    if address is not None:
        ray.init(address=address, log_to_driver=False)
        return False
    ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=num_cpus,
             log_to_driver=False, configure_logging=False)
    return True


def ray_addresses() -> list[str]:
    """The addresses this Ray cluster advertises: the GCS and each node's manager (the
    loopback test checks them)."""
    import ray

    ctx = ray.get_runtime_context()
    out = [ctx.gcs_address.rsplit(":", 1)[0]]
    for node in ray.nodes():
        out.append(node["NodeManagerAddress"])
    return [a for a in out if a]


class ServerActor:
    """The teacher server inside a Ray actor: uvicorn in a thread of the actor process, so
    the server dies with the actor and a restarted actor serves the same store (the
    SQLite file under the grid's storage path) on the same port."""

    def __init__(self, db: str, port: int, host: str = "127.0.0.1",
                 pid_file: str | None = None) -> None:
        import uvicorn

        from server.app import create_app
        from server.settings import Settings

        options: dict[str, Any] = {"db": db, "host": host, "port": port,
                                   "log_level": "warning"}
        settings = Settings(**options)
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(create_app(settings), host=host, port=port,
                                log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the teacher server did not start on {self.url}")
            time.sleep(0.05)
        if pid_file is not None:  # where a test (or an operator) finds the process
            with open(pid_file, "a") as fh:
                fh.write(f"{os.getpid()}\n")

    def address(self) -> str:
        return self.url

    def pid(self) -> int:
        return os.getpid()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


class WorkerActor:
    """One student worker (:func:`students.run_student`) as a Ray actor. ``run`` resumes
    from the run directory's checkpoint when one exists: that is what a restarted actor
    (Ray re-runs ``run`` through ``max_task_retries``) does."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = dict(config)
        run_dir = Path(self.config["run_dir"])
        run_dir.mkdir(parents=True, exist_ok=True)
        # Where a test (or an operator) finds the process to kill.
        (run_dir / "worker.pid").write_text(f"{os.getpid()}\n")
        starts = run_dir / "starts.txt"
        with starts.open("a") as fh:
            fh.write(f"{os.getpid()}\n")

    def run(self) -> dict[str, Any]:
        from students import StudentConfig, run_student

        cfg = StudentConfig(**self.config)
        checkpoint = cfg.run_dir / "checkpoints" / "model.zip"
        cfg.resume = checkpoint.exists()
        resumed_from = _checkpoint_steps(checkpoint) if cfg.resume else 0
        started = time.monotonic()
        summary = run_student(cfg)
        return {**summary.__dict__, "wall_seconds": time.monotonic() - started,
                "resumed_from": resumed_from}


def _checkpoint_steps(checkpoint: Path) -> int:
    """The step count saved in an SB3 checkpoint (-1 when it cannot be read)."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(checkpoint) as zf, zf.open("data") as fh:
            return int(json.load(fh).get("num_timesteps", -1))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return -1

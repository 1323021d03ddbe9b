"""Schemathesis hooks for the contract run (loaded through SCHEMATHESIS_HOOKS)."""

from typing import Any

import schemathesis


def _true(value: object) -> bool:
    return str(value).lower() in ("true", "1", "yes", "on", "t", "y")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A followed JSON-lines stream never ends by design (it waits for new events and
    sends a heartbeat line), so a generated follow=true for JSON lines is sent as
    follow=false: the same events, read to the end. tests/server/test_event_log.py and
    the live-server tests follow streams. follow=true with format=parquet (a 422) and
    every malformed follow value are sent as generated."""
    query = case.query
    if query and _true(query.get("follow")) and query.get("format") != "parquet":
        query["follow"] = "false"

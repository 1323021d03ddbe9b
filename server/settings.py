"""Server configuration: environment variables prefixed ``CURRICULUM_``, read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Every setting can be given as ``CURRICULUM_<NAME>`` (e.g. ``CURRICULUM_DB``)."""

    model_config = SettingsConfigDict(env_prefix="CURRICULUM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    db: str = Field(
        "sqlite:///curriculum.db",
        description="event store URL: sqlite:///relative.db, sqlite:////absolute.db or a path",
    )
    api_token: SecretStr | None = Field(
        None, description="when set, every request but /healthz needs 'Bearer <token>'; "
        "must not be empty"
    )
    api_token_file: Path | None = Field(
        None, description="read api_token from this file (trailing newline stripped), so "
        "the token is not in the environment or on a command line"
    )
    sqlite_synchronous: Literal["normal", "full"] = Field(
        "normal",
        description="normal: acknowledged writes survive a crash of the server process; "
        "full: they also survive power loss (an fsync per commit)",
    )
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)
    claim_wait_s: float = Field(
        5.0, ge=0,
        description="how long a starting server waits for another server's claim on the "
        "store to end before it gives up",
    )
    snapshot_every: int = Field(
        50_000, ge=1, description="events between teacher snapshots of a curriculum"
    )
    fit_workers: int = Field(1, ge=1, le=64, description="processes computing GMM fits")
    max_body_bytes: int = Field(1_048_576, ge=1024)
    task_lease_s: float = Field(
        3600.0, ge=0,
        description="seconds a pending task stays pending without a result; then an "
        "'expired' event ends it at the curriculum's next write (0: never expire)",
    )
    follow_heartbeat_s: float = Field(15.0, gt=0)
    shutdown_timeout_s: int = Field(5, ge=0)
    access_log: bool = False
    parent_pid: int | None = Field(
        None, ge=1, description="stop gracefully (as on SIGTERM) once this process is no "
        "longer the server's parent, e.g. killed: set by the CLI for a server it starts "
        "for itself (curriculum student --local), so that server never outlives it"
    )
    fast_lane: bool = Field(
        True, description="serve well-formed POST .../tasks and .../results requests "
        "without FastAPI's request handling (server.fastlane: the same answers, less CPU); "
        "false: every request through FastAPI"
    )
    otel: bool = Field(False, description="FastAPI's native OpenTelemetry instrumentation")
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _token(self) -> Self:
        if self.api_token_file is not None:
            if self.api_token is not None:
                raise ValueError("give api_token (CURRICULUM_API_TOKEN, --token) or "
                                 "api_token_file (CURRICULUM_API_TOKEN_FILE, --token-file), "
                                 "not both")
            try:
                text = self.api_token_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"api_token_file (CURRICULUM_API_TOKEN_FILE, --token-file): "
                                 f"{str(self.api_token_file)!r} cannot be read: {exc}") from None
            if not text.strip():
                raise ValueError(f"api_token_file (CURRICULUM_API_TOKEN_FILE, --token-file): "
                                 f"{str(self.api_token_file)!r} is empty; put the token in it")
            self.api_token = SecretStr(text.rstrip("\r\n"))
        elif self.api_token is not None and not self.api_token.get_secret_value().strip():
            raise ValueError("api_token (CURRICULUM_API_TOKEN, --token) is empty: set a token, "
                             "or unset it to serve without authentication")
        if self.api_token is not None and any(
            c.isspace() for c in self.api_token.get_secret_value()
        ):
            raise ValueError("api_token must not contain whitespace (it is sent as "
                             "'Authorization: Bearer <token>')")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment, read once per process."""
    return Settings()  # type: ignore[call-arg]  # filled from the environment

"""Settings, read from RENDEZVOUS_* environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
LOOPBACK_CIDRS = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class TaskMessages:
    """What a workflow's task message carries inline, and the address handlers reach the service at."""

    public_url: str | None = None  # without a trailing slash; None: the message's URLs are paths
    input_bytes: int = 64 << 10
    outputs: int = 1000
    outputs_bytes: int = 1 << 20


class Settings(BaseSettings):
    """Every tunable of the service; one instance per app, never a module global."""

    model_config = SettingsConfigDict(env_prefix="RENDEZVOUS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./rendezvous.db"
    dev: bool = False
    default_namespace: str = "default"
    log_level: str = "INFO"
    db_pool_size: int = Field(default=30, ge=1, le=200)

    # Request limits
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    max_member_list_body_bytes: int = Field(default=16 << 20, ge=1024)
    max_gather_jobs: int = Field(default=100_000, ge=1)
    max_batch_items: int = Field(default=10_000, ge=1)

    # Batches: item sets of finished batches are deleted this long after the batch finished (counts stay)
    batch_item_retention_days: float = Field(default=30.0, gt=0)
    # Workflows: finished runs (with their steps and items) are deleted this long after they ended
    run_retention_days: float = Field(default=30.0, gt=0)

    # Access
    admin_namespace: str = Field(default="admin", min_length=1, max_length=100)
    api_key_cache_seconds: float = Field(default=5.0, ge=0)
    signing_secret_grace_hours: float = Field(default=24.0, ge=0)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_wait_seconds: float = Field(default=5.0, ge=0)
    idempotency_lease_seconds: float = Field(default=120.0, gt=0)
    rate_limit_per_second: float = Field(default=0.0, ge=0)  # per API key; 0 turns it off
    rate_limit_burst: int = Field(default=100, ge=1)
    # Event streams (/v1/watch): how long one lasts before the client connects again (and its key is
    # checked again), and how many one process keeps open
    watch_seconds: float = Field(default=60.0, gt=0)
    watch_streams: int = Field(default=200, ge=0)
    # Swagger UI (/docs) and ReDoc (/redoc) load their scripts from a CDN; on the console's origin such a
    # script could read the key a console tab holds, so they are served in dev mode only unless turned on.
    # /openapi.json is always served.
    api_docs: bool | None = None

    # Deliveries
    callback_allow_cidrs: Annotated[list[str], NoDecode] = Field(default_factory=list)
    delivery_timeout_seconds: float = Field(default=15.0, gt=0)
    delivery_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE)
    )
    delivery_jitter: float = Field(default=0.2, ge=0, lt=1)
    delivery_concurrency: int = Field(default=64, ge=1, le=512)
    delivery_response_cap_bytes: int = Field(default=64 << 10, ge=0)
    delivery_max_retry_after_seconds: float = Field(default=86_400.0, gt=0)
    inline_members_limit: int = Field(default=1000, ge=0)

    # Workflows: the address handlers reach the service at (complete_url and heartbeat_url are absolute when
    # it is set), and what a task message inlines before it says *_truncated and the handler pages /items
    public_url: str | None = None
    task_inline_input_bytes: int = Field(default=64 << 10, ge=0)
    task_inline_outputs: int = Field(default=1000, ge=0)
    task_inline_outputs_bytes: int = Field(default=1 << 20, ge=0)

    # Scheduler
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    deadline_interval_seconds: float = Field(default=0.25, gt=0)
    scheduler_batch_size: int = Field(default=1000, ge=1, le=10_000)
    # Replicas: each writes a heartbeat this often; the delivery claims of one silent for longer than
    # replica_stale_seconds are released to the others (its sends may have been cut off by a crash).
    replica_heartbeat_seconds: float = Field(default=1.0, gt=0)
    replica_stale_seconds: float = Field(default=5.0, gt=0)

    @field_validator("callback_allow_cidrs", "delivery_retry_schedule", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        """Accept "a,b" from the environment as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return [part.strip().strip('"') for part in text.split(",") if part.strip()]
        return value

    @field_validator("delivery_retry_schedule")
    @classmethod
    def _schedule_not_empty(cls, value: list[float]) -> list[float]:
        if not value or any(v < 0 for v in value):
            raise ValueError("needs at least one attempt and no negative delays")
        return value

    @model_validator(mode="after")
    def _stale_after_beats(self) -> Settings:
        """A replica is taken for dead only after it missed at least two heartbeats."""
        if self.replica_stale_seconds < 2 * self.replica_heartbeat_seconds:
            raise ValueError("replica_stale_seconds must be at least twice replica_heartbeat_seconds")
        return self

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        """An http(s) URL with a host, perhaps a path prefix; no query, fragment or credentials."""
        if value is None or not value.strip():
            return None
        value = value.strip()
        if any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError("must not contain spaces or control characters")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
        except ValueError as exc:
            raise ValueError(f"is not a URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http or https URL with a host, e.g. https://rdv.example.com")
        if "?" in value or "#" in value:
            raise ValueError("must not have a query or a fragment")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry credentials")
        return value.rstrip("/")

    @property
    def task_messages(self) -> TaskMessages:
        """The settings that shape workflow task messages, as the engine reads them from its transaction."""
        return TaskMessages(
            public_url=self.public_url,
            input_bytes=self.task_inline_input_bytes,
            outputs=self.task_inline_outputs,
            outputs_bytes=self.task_inline_outputs_bytes,
        )

    @property
    def serves_api_docs(self) -> bool:
        return self.dev if self.api_docs is None else self.api_docs

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery stays with its worker: twice the HTTP timeout, at least 30 s."""
        return max(30.0, 2 * self.delivery_timeout_seconds)

    @property
    def effective_allow_cidrs(self) -> list[str]:
        """The CIDRs callbacks may reach beside global unicast; dev mode adds loopback."""
        extra = list(LOOPBACK_CIDRS) if self.dev else []
        return [*self.callback_allow_cidrs, *extra]

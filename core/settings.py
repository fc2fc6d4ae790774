"""The one place that reads the environment."""

import os
import socket
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.task_queues import email_task_queue

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# An EHLO name: a domain name, or an address literal such as [192.0.2.1] (RFC 5321, 4.1.3).
_HELO_NAME = r"^(\[(IPv6:)?[0-9A-Fa-f.:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$"


@cache
def _machine_name() -> str:
    return socket.getfqdn()


class Settings(BaseSettings):
    """Every setting of pilotflow, read from `PILOTFLOW_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="PILOTFLOW_", env_file=".env", extra="ignore")

    # Where the embedded defaults keep their state: a fresh directory is a fresh region.
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str | None = None

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "pilotflow"
    temporal_ui_port: int = 8233
    temporal_ui_url: str | None = None
    # Hardening (issue 7): the Temporal frontend is admin access, so production connects with
    # mTLS and/or an API key (Temporal Cloud); files are PEM. PILOTFLOW_ENVIRONMENT picks the
    # log format (JSON lines in production, readable text in development).
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    smtp_host: str | None = None
    smtp_port: int = 1025
    smtp_from: str = "pilotflow <noreply@pilotflow.local>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # The name the worker gives in EHLO (a domain, or an address literal such as [192.0.2.1]).
    # Unset: the machine's fully qualified name, looked up once per process; aiosmtplib would
    # otherwise look it up (a reverse DNS query, in a thread) for every connection.
    smtp_helo_name: str | None = Field(default=None, pattern=_HELO_NAME)
    # How long an attempt's claim on one outbox row holds: one message's SMTP exchange
    # (bounded by smtp_timeout_seconds) and its two short writes. After it, another attempt
    # may take the row over, so it must be longer than the exchange (checked below).
    email_lease_seconds: float = Field(default=60.0, gt=0)
    # Email activities one worker process runs at once, on email's own task queue (issue 10):
    # a round of invitations waits its turn there instead of crowding out the activities a
    # person's Update waits on.
    email_concurrency: int = Field(default=4, ge=1)
    # Pilots kept in one worker's memory between their activations (Temporal's sticky
    # cache). A pilot waits weeks between them; one not cached replays its history when its
    # timer fires, milliseconds. So this, not the count of open pilots, bounds the worker's
    # memory (issue 10: docs/PERFORMANCE.md).
    worker_max_cached_workflows: int = Field(default=500, ge=0)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # API processes (uvicorn workers) behind the one port; unset: see `effective_api_workers`.
    api_workers: int | None = Field(default=None, ge=1, le=64)
    # Requests one API process holds at once; the next is answered 503 with Retry-After at
    # once rather than queued behind them (service/load_shedding.py, docs/PERFORMANCE.md).
    api_max_in_flight: int = Field(default=64, ge=1, le=10_000)
    public_url: str | None = None
    # Graceful stop (issue 8): on SIGTERM the API finishes its requests in flight and the worker
    # its activities in flight for at most this long, then cancels what is left.
    api_shutdown_grace_seconds: int = Field(default=30, ge=0)
    worker_shutdown_grace_seconds: int = Field(default=30, ge=0)

    admin_email: str = "admin@pilotflow.local"
    admin_password: str = "change-me-admin"  # DEVELOPMENT_ADMIN_PASSWORD
    secret_key: str = "dev-secret-change-me"  # DEVELOPMENT_SECRET_KEY
    token_ttl_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    seed_demo: bool = True

    # Lifecycle: durations in days; one day lasts day_seconds so a demo plays months in minutes.
    day_seconds: float = Field(default=86400.0, gt=0)
    review_reminder_days: float = Field(default=7, gt=0)
    review_reminders: int = Field(default=2, ge=0)
    invites_per_round: int = Field(default=5, ge=1)
    matching_rounds: int = Field(default=2, ge=1)
    response_days: float = Field(default=14, gt=0)
    response_reminder_before_days: float = Field(default=3, gt=0)
    checkin_period_days: float = Field(default=30, gt=0)
    # One reminder this long after each check-in, to whoever has not reported since; none
    # when it is not less than the period (it would come after the next check-in).
    checkin_reminder_days: float = Field(default=7, gt=0)
    evaluation_reminder_days: float = Field(default=7, gt=0)
    evaluation_reminders: int = Field(default=3, ge=0)
    default_extension_days: int = Field(default=30, ge=1)

    # Bounded actions and histories (issue 7, items 5 and 6): how much one party can add to a
    # pilot's history and mail, when a long pilot continues as new, how long an action waits.
    answer_changes: int = Field(default=3, ge=0)
    answer_emails_per_company: int = Field(default=5, ge=1, le=5)
    progress_reports_per_checkin: int = Field(default=4, ge=1)
    continue_as_new_after_events: int = Field(default=2000, ge=100, le=40000)
    action_wait_seconds: float = Field(default=8.0, gt=0, le=10)

    # Accounts, secrets and sign-in guessing (issue 7, items 2-4).
    # Outside development, `pilotflow api` and `worker` refuse the development secrets.
    environment: Literal["production", "development"] = "production"
    # Counts of failed sign-ins shared by every API replica; in memory when unset.
    redis_url: str | None = None
    signin_max_failures: int = Field(default=10, ge=1)
    signin_window_minutes: int = Field(default=15, ge=1)
    password_reset_max_requests: int = Field(default=5, ge=1)
    # argon2 is slow on purpose: at most this many hashes at once, this many waiting.
    password_hashing_concurrency: int = Field(default=2, ge=1)
    password_hashing_queue: int = Field(default=32, ge=0)
    invitation_ttl_hours: int = Field(default=7 * 24, ge=1)
    password_reset_ttl_minutes: int = Field(default=60, ge=1)

    @model_validator(mode="after")
    def _lease_outlasts_one_message(self) -> "Settings":
        if self.email_lease_seconds <= self.smtp_timeout_seconds:
            raise ValueError(
                f"PILOTFLOW_EMAIL_LEASE_SECONDS ({self.email_lease_seconds:g}) must exceed "
                f"PILOTFLOW_SMTP_TIMEOUT_SECONDS ({self.smtp_timeout_seconds:g}): a lease "
                "shorter than one message's exchange lets a second attempt send it too"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The configured URL with an async driver, or SQLite in the data directory."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'pilotflow.db'}"
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url

    @property
    def effective_api_workers(self) -> int:
        """PILOTFLOW_API_WORKERS, else one process per usable CPU when Redis is set, else one.

        Without Redis the failed sign-ins are counted in each process's memory: N processes
        would let N times as many guesses through, so one process is the safe default.
        """
        if self.api_workers is not None:
            return self.api_workers
        if self.redis_url is None:
            return 1
        return len(os.sched_getaffinity(0))

    @property
    def embedded_smtp_sink(self) -> bool:
        """No SMTP host configured: `pilotflow dev` runs its own sink on loopback."""
        return self.smtp_host is None

    @property
    def effective_smtp_helo_name(self) -> str:
        """The EHLO name: the setting, or this machine's name, looked up once per process."""
        return self.smtp_helo_name or _machine_name()

    @property
    def effective_smtp_host(self) -> str:
        return self.smtp_host or "127.0.0.1"

    @property
    def email_task_queue(self) -> str:
        """Where the pilots' email activities go: named after `temporal_task_queue`."""
        return email_task_queue(self.temporal_task_queue)

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def effective_temporal_ui_url(self) -> str:
        host = self.temporal_address.rsplit(":", 1)[0]
        return (self.temporal_ui_url or f"http://{host}:{self.temporal_ui_port}").rstrip("/")

    @property
    def templates_dir(self) -> Path:
        return PROJECT_ROOT / "templates"


DEVELOPMENT_SECRET_KEY = "dev-secret-change-me"
DEVELOPMENT_ADMIN_PASSWORD = "change-me-admin"
MIN_SECRET_KEY_LENGTH = 32
MIN_ADMIN_PASSWORD_LENGTH = 12


def unsafe_secrets(settings: Settings) -> list[str]:
    """One line per secret that must not be used outside development; none in development."""
    if settings.environment == "development":
        return []
    problems = []
    if settings.secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append(
            "PILOTFLOW_SECRET_KEY is unset (the development value): "
            f"set a random value of at least {MIN_SECRET_KEY_LENGTH} characters"
        )
    elif len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"PILOTFLOW_SECRET_KEY has {len(settings.secret_key)} characters: "
            f"use at least {MIN_SECRET_KEY_LENGTH}"
        )
    if settings.admin_password == DEVELOPMENT_ADMIN_PASSWORD:
        problems.append(
            "PILOTFLOW_ADMIN_PASSWORD is the development value: "
            f"set one of at least {MIN_ADMIN_PASSWORD_LENGTH} characters"
        )
    elif len(settings.admin_password) < MIN_ADMIN_PASSWORD_LENGTH:
        problems.append(
            f"PILOTFLOW_ADMIN_PASSWORD has {len(settings.admin_password)} characters: "
            f"use at least {MIN_ADMIN_PASSWORD_LENGTH}"
        )
    return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()

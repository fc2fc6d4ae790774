"""The real stack as separate processes: Temporal dev server on its file, migrate, workers, APIs.

Start order as `pilotflow dev` has it (cli/dev.py): server (waited until it answers with the
search attributes), migrate (one shot), workers, APIs (waited on /readyz). The SMTP server
is the test's own (smtp_server.py); on PostgreSQL the workers reach the database through a
proxy of the test's own (proxy.py) so the suite can cut them off.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cli.temporal_server import wait_until_ready
from core.settings import Settings
from tests.faults.processes import Process, clean_environment
from tests.faults.proxy import CuttableProxy
from tests.faults.smtp_server import ControllableSmtpServer
from tests.support.smtp import free_port

ADMIN = ("admin@faults.example", "fault-suite-admin-password")

# A whole lifecycle in seconds of wall time: a day is one second, a trial lasts three (one
# check-in half way), and nothing a person is waited for ever times out during the run
# (reminders and response deadlines are ten thousand days away), so every pilot ends
# `closed` whatever the fault delayed.
LIFECYCLE_ENV = {
    "PILOTFLOW_DAY_SECONDS": "1",
    "PILOTFLOW_REVIEW_REMINDER_DAYS": "10000",
    "PILOTFLOW_RESPONSE_DAYS": "10000",
    "PILOTFLOW_EVALUATION_REMINDER_DAYS": "10000",
    "PILOTFLOW_CHECKIN_PERIOD_DAYS": "2",
    "PILOTFLOW_INVITES_PER_ROUND": "1",
    "PILOTFLOW_SMTP_TIMEOUT_SECONDS": "4",
    # Just over one message's exchange, so a killed attempt's messages go out again soon.
    "PILOTFLOW_EMAIL_LEASE_SECONDS": "6",
}
TRIAL_DAYS = 3


@dataclass
class Stack:
    """Every process of one region, on one database; workers and APIs can be added and killed."""

    database: str  # "sqlite" or "postgresql"
    data_dir: Path
    database_url: str  # as the test process and the APIs reach it
    smtp: ControllableSmtpServer
    proxy: CuttableProxy | None = None  # PostgreSQL only: the workers' way to the database
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    server: Process | None = None
    workers: list[Process] = field(default_factory=list)
    apis: list[Process] = field(default_factory=list)
    api_urls: dict[str, str] = field(default_factory=dict)  # process name -> base URL
    _names: int = 0

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def worker_database_url(self) -> str:
        if self.proxy is None:
            return self.database_url
        base, name = self.database_url.rsplit("/", 1)
        host_part = base.rsplit("@", 1)
        return f"{host_part[0]}@127.0.0.1:{self.proxy.port}/{name}"

    def env(self, **extra: str) -> dict[str, str]:
        return clean_environment() | {
            "PILOTFLOW_ENVIRONMENT": "development",
            "PILOTFLOW_LOG_LEVEL": "warning",
            "PILOTFLOW_DATA_DIR": str(self.data_dir),
            "PILOTFLOW_DATABASE_URL": self.database_url,
            "PILOTFLOW_TEMPORAL_ADDRESS": self.temporal_address,
            "PILOTFLOW_TEMPORAL_UI_PORT": str(self.ui_port),
            "PILOTFLOW_SMTP_HOST": "127.0.0.1",
            "PILOTFLOW_SMTP_PORT": str(self.smtp.port),
            "PILOTFLOW_ADMIN_EMAIL": ADMIN[0],
            "PILOTFLOW_ADMIN_PASSWORD": ADMIN[1],
            **LIFECYCLE_ENV,
            **extra,
        }

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            temporal_address=self.temporal_address,
            database_url=self.database_url,
        )

    def _process(self, kind: str, args: list[str], env: dict[str, str]) -> Process:
        self._names += 1
        name = f"{kind}-{self._names}"
        return Process(name, args, env, self.data_dir / f"{name}.log")

    # ---- start-up -------------------------------------------------------------------

    async def start(self) -> None:
        self.server = self._process("server", ["server"], self.env())
        await self.start_server()
        migrate = self._process("migrate", ["migrate"], self.env())
        code = await migrate.run_once()
        assert code == 0, f"pilotflow migrate exited {code}:\n{migrate.tail()}"
        await self.add_worker()
        await self.add_api()

    async def start_server(self) -> None:
        assert self.server is not None
        await self.server.start()
        await wait_until_ready(self.settings(), seconds=60)

    async def add_worker(self) -> Process:
        worker = self._process(
            "worker", ["worker"], self.env(PILOTFLOW_DATABASE_URL=self.worker_database_url)
        )
        await worker.start()
        self.workers.append(worker)
        return worker

    async def add_api(self) -> Process:
        port = free_port()
        api = self._process("api", ["api"], self.env(PILOTFLOW_API_PORT=str(port)))
        await api.start()
        self.apis.append(api)
        url = f"http://127.0.0.1:{port}"
        self.api_urls[api.name] = url
        await wait_ready(url, api)
        return api

    async def restart(self, process: Process) -> None:
        await process.start()
        if process in self.apis:
            await wait_ready(self.api_urls[process.name], process)

    def live_api_urls(self) -> list[str]:
        return [self.api_urls[api.name] for api in self.apis if api.running]

    def all_processes(self) -> list[Process]:
        server = [self.server] if self.server else []
        return [*self.apis, *self.workers, *server]

    def dead_processes(self) -> list[str]:
        """Long-running processes that should be up and are not (none was killed on purpose)."""
        return [p.name for p in self.all_processes() if not p.running]

    def tails(self) -> str:
        parts = []
        for process in self.all_processes():
            parts.append(f"----- {process.name} ({process.log_path}) -----\n{process.tail()}")
        return "\n".join(parts)

    async def stop(self) -> None:
        """Last started first: APIs, workers, then the server; SIGTERM then SIGKILL."""
        for process in [*reversed(self.apis), *reversed(self.workers)]:
            await process.stop()
        if self.server is not None:
            await self.server.stop()


async def wait_ready(url: str, process: Process | None = None, *, seconds: float = 60) -> None:
    """Until GET /readyz answers 200 (the API started and sees every backing service)."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            if process is not None and not process.running:
                raise AssertionError(f"{process.name} exited:\n{process.tail()}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.25)
    tail = process.tail() if process else ""
    raise AssertionError(f"{url}/readyz never answered 200 in {seconds}s\n{tail}")

"""The real stack on free loopback ports, each part a process of its own, as deployed.

The Temporal dev server on its file, the SMTP sink, `pilotflow worker` and `pilotflow api`
(uvicorn, `service.main:create_app`), all configured through PILOTFLOW_* variables like
production, on one database. Their output goes to files in the work directory, shown if a
part fails to start.
"""

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import tree_cpu_seconds, tree_rss_kib
from cli.dev import pilotflow, wait_for_port
from cli.temporal_server import server_command, wait_until_ready
from core.settings import Settings

STOP_SECONDS = 20
# The sign-in counters' Redis: with it the API runs a process per core, as in production
# (Settings.effective_api_workers). The benchmark signs nobody in, so it writes nothing there.
REDIS_URL = os.environ.get("PILOTFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# The pilots' email in a worker process of its own (`pilotflow worker --queues email`).
EMAIL_WORKER_APART = os.environ.get("PILOTFLOW_BENCH_EMAIL_WORKER_APART", "1") == "1"
# Requests an API process holds before it sheds the next (Settings.api_max_in_flight);
# unset, the settings' default. A large value measures the API without shedding.
API_MAX_IN_FLIGHT = os.environ.get("PILOTFLOW_BENCH_API_MAX_IN_FLIGHT")
# Email activities a worker runs at once (Settings.email_concurrency); unset, the default.
EMAIL_CONCURRENCY = os.environ.get("PILOTFLOW_BENCH_EMAIL_CONCURRENCY")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Stack:
    settings: Settings
    fields: dict[str, Any]  # the settings as Settings(**fields) takes them
    api_url: str
    worker_pids: tuple[int, ...]  # the pilots' worker, and the email worker if apart
    api_pid: int  # uvicorn's supervisor when it runs several processes: see process_tree
    # The processes a pilot's lifecycle runs in, by name (the API apart: a burst starts its
    # pilots through the client), for where a burst's CPU goes (lifecycle.cpu_by_part).
    lifecycle_parts: dict[str, int]

    def worker_cpu_seconds(self) -> float:
        """CPU the worker processes have used so far, all of them."""
        return sum(tree_cpu_seconds(pid) for pid in self.worker_pids)

    def worker_memory_mb(self, field: str = "VmRSS") -> float:
        """Their resident memory now (VmRSS) or at its peak (VmHWM), summed, in MiB."""
        return round(sum(self.worker_memory_mb_by_process(field)), 1)

    def worker_memory_mb_by_process(self, field: str = "VmRSS") -> list[float]:
        """Each worker process's (the pilots' first, then email's if apart), in MiB."""
        return [round(tree_rss_kib(pid, field) / 1024, 1) for pid in self.worker_pids]


def stack_fields(database_url: str, data_dir: Path) -> dict[str, Any]:
    """Every setting the parts share; the task queue is per run, so nothing else takes it."""
    fields = {
        "environment": "development",  # the development secrets are fine on loopback
        "data_dir": str(data_dir),
        "database_url": database_url,
        "temporal_address": f"127.0.0.1:{free_port()}",
        "temporal_ui_port": str(free_port()),
        "smtp_host": "127.0.0.1",
        "smtp_port": str(free_port()),
        "api_host": "127.0.0.1",
        "api_port": str(free_port()),
        "redis_url": REDIS_URL,
        "seed_demo": "false",
        "log_level": "warning",
    }
    optional = {"api_max_in_flight": API_MAX_IN_FLIGHT, "email_concurrency": EMAIL_CONCURRENCY}
    return fields | {name: value for name, value in optional.items() if value}


class _Children:
    """Processes started here, stopped in reverse order (SIGTERM, then SIGKILL)."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory, self.env = directory, env
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.started.append((name, process))
        return process

    def check(self) -> None:
        for name, process in self.started:
            if process.poll() is not None:
                output = (self.directory / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{output}")

    def stop(self) -> None:
        for _, process in reversed(self.started):
            process.terminate()
        for _, process in reversed(self.started):
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@asynccontextmanager
async def running_stack(database_url: str, directory: Path) -> AsyncIterator[Stack]:
    """Start every part on `database_url` (already migrated), wait until it answers."""
    fields = stack_fields(database_url, directory)
    settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTFLOW_")}
    env |= {f"PILOTFLOW_{name.upper()}": str(value) for name, value in fields.items()}
    children = _Children(directory, env)
    try:
        server = children.start("temporal", server_command(settings))
        await wait_until_ready(settings)
        sink = children.start("smtp-sink", pilotflow("smtp-sink"))
        await wait_for_port("127.0.0.1", settings.smtp_port)
        if EMAIL_WORKER_APART:
            workers = [
                children.start("worker", pilotflow("worker", "--queues", "pilots")),
                children.start("email-worker", pilotflow("worker", "--queues", "email")),
            ]
        else:
            workers = [children.start("worker", pilotflow("worker"))]
        api = children.start("api", pilotflow("api", "--log-level", "warning"))
        api_url = f"http://127.0.0.1:{settings.api_port}"
        await _wait_ready(api_url, children)
        children.check()
        parts = {"dev_server": server.pid, "smtp_sink": sink.pid}
        names = ("pilots_worker", "email_worker") if EMAIL_WORKER_APART else ("worker",)
        parts |= {name: worker.pid for name, worker in zip(names, workers, strict=True)}
        yield Stack(settings, fields, api_url, tuple(w.pid for w in workers), api.pid, parts)
        children.check()
    finally:
        children.stop()


async def _wait_ready(api_url: str, children: _Children, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=api_url, timeout=5) as http:
        while True:
            children.check()
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API at {api_url} was not ready in {seconds:.0f}s")
            await asyncio.sleep(0.25)

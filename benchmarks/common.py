"""What every benchmark shares: scratch databases, percentiles, process and machine facts."""

import math
import multiprocessing
import os
import platform
import socket
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.smtp_sink import run_sink
from core.migrate import upgrade_async

# The same PostgreSQL the tests use: loopback, trust auth; scratch databases are made beside it.
POSTGRES_ADMIN_DSN = os.environ.get(
    "PILOTFLOW_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
DATABASES = ("sqlite", "postgresql")


@asynccontextmanager
async def scratch_database(kind: str) -> AsyncIterator[str]:
    """A freshly migrated database, a temp SQLite file or a throwaway PostgreSQL one."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="pilotflow-bench-") as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
            await upgrade_async(url)
            yield url
        return
    name = f"pilotflow_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        url = f"{base}/{name}"
        await upgrade_async(url)
        yield url
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class SinkProcess(NamedTuple):
    port: int
    pid: int


@contextmanager
def smtp_sink_process() -> Iterator[SinkProcess]:
    """The SMTP sink in a child process, so its parsing does not share our GIL; yields its
    port and its pid (for its CPU)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="pilotflow-bench-mail-") as mailbox:
        context = multiprocessing.get_context("spawn")
        process = context.Process(target=run_sink, args=("127.0.0.1", port, Path(mailbox)))
        process.start()
        assert process.pid is not None  # started
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield SinkProcess(port, process.pid)
        finally:
            process.terminate()
            process.join(10)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: with few samples, a value that was really measured.

    The smallest sample with at least `fraction` of them at or below it: of 100 samples, the
    p99 is the 99th, so one slow request in a hundred does not make the p99.
    """
    ordered = sorted(samples)
    rank = math.ceil(round(fraction * len(ordered), 9))
    return ordered[max(0, min(len(ordered), rank) - 1)]


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p95(samples: Sequence[float]) -> float:
    return percentile(samples, 0.95)


async def timed(
    action: Callable[[], Awaitable[object]], repeats: int, warmup: int = 2
) -> list[float]:
    """Seconds per call of `action`, after `warmup` calls that fill caches and pools."""
    for _ in range(warmup):
        await action()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def proc_status_kib(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in KiB: VmRSS (now) or VmHWM (peak resident set)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _stat_fields(stat: Path) -> list[str]:
    """A /proc/<pid>/stat's fields after the command's name (which may hold spaces and
    parentheses): its state first, then its parent's pid, ..."""
    return stat.read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and every descendant of it now (uvicorn's worker processes, say)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(_stat_fields(stat)[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    tree, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        tree.append(current)
        waiting += parents.get(current, [])
    return tree


async def local_database_server(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """{"database": pid} of the PostgreSQL server when it runs on this machine (the parent
    of the session's backend process, which PostgreSQL forks per connection); {} for
    SQLite, which runs inside each process that opens it."""
    async with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return {}
        backend = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
    server = _postgres_parent(backend)
    return {} if server is None else {"database": server}


def _postgres_parent(backend: int) -> int | None:
    """The postmaster that forked this backend, if both are PostgreSQL processes here (a
    server elsewhere: its CPU is not this machine's)."""
    try:
        parent = int(_stat_fields(Path(f"/proc/{backend}/stat"))[1])
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in (backend, parent)}
    except OSError:
        return None
    return parent if names == {"postgres"} else None


def tree_cpu_seconds(pid: int) -> float:
    """CPU used so far by the process and its live descendants (their earlier dead ones'
    only once reaped, so read it while the tree's processes live)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += cpu_seconds(member)
        except OSError:
            continue  # it ended meanwhile
    return total


def tree_rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A /proc status figure summed over the process and its descendants."""
    total = 0
    for member in process_tree(pid):
        try:
            total += proc_status_kib(member, field)
        except (OSError, KeyError):
            continue
    return total


def child_pids(name: str) -> list[int]:
    """Our own child processes whose command name is `name` (e.g. the Temporal dev server)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            comm, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
        except OSError:
            continue
        if comm == name and int(rest.split()[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found


def machine_facts() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load_average()}"
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: above the core count, other work competed."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, ready to paste into RESULTS.md."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)

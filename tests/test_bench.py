"""The benchmark's own pieces that can be checked without running a benchmark."""

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.common import local_database_server, process_tree
from benchmarks.lifecycle import Burst, pairs_figures
from benchmarks.open_loop import SHED, Outcome, Shed, open_loop, p99_by_window, summarise
from benchmarks.results import (
    REQUIRED_KEYS,
    assemble,
    check_targets,
    markdown,
    missing_keys,
    write,
)
from benchmarks.run import FULL, QUICK, _open_pilots
from core.settings import PROJECT_ROOT


class FakeClock:
    """Time that moves only when told: a sleep, or a handler that holds the loop."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_latency_counts_from_when_the_request_was_due() -> None:
    clock = FakeClock()
    ended: dict[int, float] = {}

    async def slow_server(index: int) -> None:
        clock.now += 1.0  # each answer takes a second, and holds everything meanwhile
        ended[index] = clock.now

    outcomes = await open_loop(
        slow_server, rate=2.0, count=4, timeout_seconds=60, clock=clock, sleep=clock.sleep
    )

    assert [o.due for o in outcomes] == [0.0, 0.5, 1.0, 1.5]  # fixed ticks at 2/s
    assert [o.latency for o in outcomes] == [ended[i] - i * 0.5 for i in range(4)]
    # A client that waited for each answer would report 1 s every time; here the queue shows.
    assert [o.latency for o in outcomes][-1] > 1.0
    assert all(o.error is None for o in outcomes)


async def test_failures_and_timeouts_are_counted_not_dropped() -> None:
    async def flaky(index: int) -> None:
        if index == 1:
            raise ConnectionError("refused")
        if index == 2:
            await asyncio.Event().wait()  # never answers
        if index == 3:
            raise Shed("1")

    outcomes = await open_loop(flaky, rate=1000.0, count=4, timeout_seconds=0.01)

    assert [o.error for o in outcomes] == [None, "ConnectionError", "timeout", SHED]
    summary = summarise(outcomes)
    assert (summary.requests, summary.errors, summary.timeouts, summary.shed) == (4, 3, 1, 1)


async def test_at_most_the_given_connections_are_in_flight() -> None:
    in_flight, most = 0, 0

    async def server(index: int) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1

    outcomes = await open_loop(server, rate=10_000.0, count=20, timeout_seconds=60, connections=3)

    assert most == 3
    assert all(o.error is None for o in outcomes)


def test_summary_percentiles_include_the_slow_requests() -> None:
    outcomes = [Outcome(due=0.0, ended=0.010) for _ in range(98)]
    outcomes += [Outcome(due=0.0, ended=5.0, error="timeout"), Outcome(due=0.0, ended=4.0)]

    summary = summarise(outcomes)

    assert summary.p50_ms == 10.0
    assert summary.p99_ms == 4000.0
    assert summary.max_ms == 5000.0


def figures(**changes: float) -> dict[str, float]:
    base = {key: 1.0 for key in REQUIRED_KEYS}
    base |= {"read_errors": 0, "detail_p99_1k_ms": 1.0, "detail_p99_10k_ms": 1.0}
    return base | changes


def test_the_p99_of_each_window_says_when_the_slow_requests_were() -> None:
    quick = [Outcome(due=t / 10, ended=t / 10 + 0.010) for t in range(50)]
    slow = [Outcome(due=5 + t / 10, ended=5 + t / 10 + 0.500) for t in range(50)]
    assert p99_by_window(quick + slow) == [10.0, 500.0]
    assert p99_by_window([]) == []
    later = [Outcome(due=12 + t / 10, ended=12 + t / 10 + 0.020) for t in range(10)]
    assert p99_by_window(quick + later) == [10.0, None, 20.0]  # none due in 5 to 10 s


def test_the_document_holds_every_required_key_and_the_targets(tmp_path: Path) -> None:
    document = assemble({"mode": "quick"}, {"sqlite": figures(), "postgresql": figures()})
    path = tmp_path / "results.json"
    write(document, path)

    written = json.loads(path.read_text())
    assert written["run"] == {"mode": "quick"}
    for database in ("sqlite", "postgresql"):
        assert missing_keys(written["databases"][database]) == []
        assert len(written["databases"][database]["targets"]) >= 8


def test_the_markdown_shows_every_figure_and_target_of_each_database() -> None:
    document = assemble({}, {"sqlite": figures(), "postgresql": figures(lifecycle_ratio=0.2)})

    text = markdown(document)

    assert all(f"`{key}`" in text for key in REQUIRED_KEYS)
    assert (
        "| lifecycle_ratio at least 0.6 | 1 (limit 0.6): met | 0.2 (limit 0.6): not met |" in text
    )


def test_a_missing_key_is_refused() -> None:
    incomplete = figures()
    del incomplete["email_cpu_ms"]
    with pytest.raises(ValueError, match="email_cpu_ms"):
        assemble({}, {"sqlite": incomplete})


def test_a_run_of_some_phases_checks_only_the_targets_it_measured() -> None:
    api_only = {k: v for k, v in figures().items() if k.startswith(("read", "create", "list"))}
    api_only |= {"detail_p99_1k_ms": 1.0, "detail_p99_10k_ms": 1.0}

    document = assemble({}, {"sqlite": api_only}, complete=False)

    checked = [t["target"] for t in document["databases"]["sqlite"]["targets"]]
    assert "reads at 200/s: no error" in checked
    assert not any("lifecycle" in name or "RSS" in name for name in checked)
    with pytest.raises(ValueError, match="lifecycle_ratio"):
        assemble({}, {"sqlite": api_only})


def test_targets_compare_with_the_issue_limits() -> None:
    slow = figures(
        read_errors=700,
        lifecycle_ratio=0.16,
        update_p95_ms=2500,
        twin_update_p95_ms=600,
        read_p99_ms=10_000,
        create_p99_ms=4000,
        list_p99_1k_ms=10,
        list_p99_10k_ms=30,
        worker_rss_mb_10k=800,
    )
    fast = figures(
        lifecycle_ratio=0.7,
        update_p95_ms=1000,
        twin_update_p95_ms=600,
        read_p99_ms=20,
        create_p99_ms=100,
        list_p99_1k_ms=10,
        list_p99_10k_ms=12,
        worker_rss_mb_10k=300,
    )

    assert not any(t["met"] for t in check_targets(slow) if "detail" not in t["target"])
    assert all(t["met"] for t in check_targets(fast))


def burst(
    per_second: float,
    latencies: list[float],
    cpu: float = 1.0,
    by_part: dict[str, float] | None = None,
) -> Burst:
    pilot_ids = [f"p{i}" for i in range(10)]
    return Burst(10, 10 / per_second, latencies, cpu, pilot_ids, 0, by_part or {})


def test_the_ratio_is_the_median_of_the_pairs_and_the_p95_over_every_burst() -> None:
    reals = [burst(4.0, [1.0] * 10), burst(2.0, [1.0] * 10), burst(6.0, [3.0] * 10, cpu=2.0)]
    bares = [burst(10.0, [0.5] * 10), burst(10.0, [0.5] * 10), burst(10.0, [0.5] * 10)]

    figures = pairs_figures(reals, bares)

    # The pairs' own ratios, not the ratio of the medians (which would be the same here) or
    # of the totals (30 pilots in 20 s against 30 in 3 s: 0.15).
    assert figures["lifecycle_ratio_by_pair"] == [0.4, 0.2, 0.6]
    assert figures["lifecycle_ratio"] == 0.4
    assert (figures["lifecycle_per_s"], figures["engine_floor_per_s"]) == (4.0, 10.0)
    # 30 approvals in all: the slowest pair's 10 are a third of them, so they make the p95.
    assert (figures["update_p95_ms"], figures["twin_update_p95_ms"]) == (3000.0, 500.0)
    assert figures["worker_cpu_ms_per_pilot"] == round(1000 * 4.0 / 30, 1)


def test_the_cpu_by_part_is_summed_over_the_bursts_then_split_per_pilot() -> None:
    reals = [
        burst(4.0, [1.0], by_part={"dev_server": 0.9, "pilots_worker": 0.6, "harness": 0.03}),
        burst(2.0, [1.0], by_part={"dev_server": 1.1, "pilots_worker": 0.4, "harness": 0.07}),
    ]
    bares = [burst(10.0, [0.5], by_part={"dev_server": 0.5, "twin_worker": 0.3})] * 2

    by_part = pairs_figures(reals, bares)["cpu_ms_per_pilot_by_part"]

    # 20 pilots: 2.0 s of the dev server's is 100 ms each.
    assert by_part["real"] == {
        "dev_server": 100.0,
        "pilots_worker": 50.0,
        "harness": 5.0,
        "total": 155.0,
    }
    assert by_part["twin"] == {"dev_server": 50.0, "twin_worker": 30.0, "total": 80.0}


async def test_the_database_server_is_counted_where_it_runs_here(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    found = await local_database_server(sessions)
    if sessions.kw["bind"].dialect.name == "sqlite":
        assert found == {}  # SQLite runs inside each process: no server to count
        return
    [server] = found.values()
    # The server is the parent of every backend, this session's among them.
    async with sessions() as session:
        backend = await session.scalar(text("SELECT pg_backend_pid()"))
    assert server != backend and backend in process_tree(server)


def test_quick_is_smaller_than_full() -> None:
    assert QUICK.burst < FULL.burst and QUICK.open_pilots < FULL.open_pilots
    assert 1 < QUICK.pairs <= FULL.pairs
    assert FULL.open_pilots == 10_000 and FULL.burst == 200


def test_open_pilots_are_given_for_every_database_or_each_its_own() -> None:
    assert _open_pilots("300") == {"sqlite": 300, "postgresql": 300}
    assert _open_pilots("sqlite=2000,postgresql=10000") == {"sqlite": 2000, "postgresql": 10000}
    with pytest.raises(argparse.ArgumentTypeError, match="no database 'mysql'"):
        _open_pilots("mysql=10")


def test_the_email_ceiling_experiment_still_applies_to_the_code() -> None:
    """docs/PERFORMANCE.md's ceiling is rerun by applying this patch: it must not rot."""
    patch = PROJECT_ROOT / "benchmarks" / "experiments" / "email_ceiling.patch"
    checked = subprocess.run(
        ["git", "apply", "--check", str(patch)], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "EXPERIMENT_EMAIL" in patch.read_text()


def test_the_smtp_exchange_is_measured_on_both_sides() -> None:
    """Run as a user runs it, in a process of its own (asyncio.run would leave this one's
    main thread without an event loop for the tests after it)."""
    # Enough messages that the sink's CPU, read in clock ticks of 10 ms, cannot round to 0.
    command = ["-m", "benchmarks.smtp_exchange", "--messages", "300", "--lines", "3", "84"]
    run = subprocess.run(
        [sys.executable, *command], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    cells = [line.split("|")[1:-1] for line in run.stdout.splitlines()]
    rows = [row for row in cells if row and row[0].strip().isdigit()]
    measured = {int(row[0]): [float(cell) for cell in row[2:]] for row in rows}
    assert sorted(measured) == [3, 84]
    assert all(ms > 0 for figures in measured.values() for ms in figures)

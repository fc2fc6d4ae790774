"""One fault under load: start the workload, break something, let it settle, count, check."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.faults.counting import Figures, count, settle
from tests.faults.driver import Api, Region, Workload
from tests.faults.processes import Process
from tests.faults.results import write
from tests.faults.stack import Stack

WORKLOAD_SECONDS = 150
SETTLE_SECONDS = 120


@dataclass
class FaultStack:
    """The stack of one database, its region signed in, and the test's own database access."""

    stack: Stack
    region: Region
    sessions: async_sessionmaker[AsyncSession]
    sqlite_path: Path | None


@dataclass
class FaultDone:
    """What the fault did: messages in flight when it struck, processes it left dead."""

    in_flight: int = 0
    mid_lifecycle: int = 0  # pilots submitted and not yet decided when it struck
    left_dead: list[Process] = field(default_factory=list)


Fault = Callable[[Workload], Awaitable[FaultDone]]


async def run_fault(env: FaultStack, name: str, pilots: int, fault: Fault) -> Figures:
    started = time.monotonic()
    stack = env.stack
    api = Api(lambda: list(stack.api_urls.values()))
    workload = Workload(api, env.region, pilots, deadline=started + WORKLOAD_SECONDS)
    running = asyncio.create_task(workload.run())
    try:
        done = await fault(workload)
        await running
        # A pilot the workload gave up on never settles: do not wait for it.
        wait = SETTLE_SECONDS if not workload.failures else 5
        unsettled = await settle(workload, env.sessions, stack.temporal_address, seconds=wait)
        figures = Figures(
            stack.database,
            name,
            in_flight_at_fault=done.in_flight,
            mid_lifecycle_at_fault=done.mid_lifecycle,
        )
        await count(figures, workload, env.sessions, stack.smtp)
        figures.seconds = round(time.monotonic() - started, 1)
        path = write(figures)
    except BaseException:
        running.cancel()
        print(stack.tails())
        raise
    finally:
        await api.close()
    dead = [p.name for p in stack.all_processes() if not p.running and p not in done.left_dead]
    report = f"{figures.as_json()} (in {path})\n{stack.tails()}"
    assert not dead, f"processes died on their own: {dead}\n{report}"
    assert_invariants(figures, unsettled, report)
    return figures


def assert_invariants(figures: Figures, unsettled: str | None, report: str) -> None:
    """Zero lost; every accepted request took effect once; duplicates only from the window."""
    assert not figures.workload_failures, report
    assert unsettled is None, f"never settled: {unsettled}\n{report}"
    assert figures.pilots_at_end_stage == figures.pilots, report
    assert figures.requests_took_effect == figures.requests_accepted, report
    assert figures.requests_applied_twice == 0, report
    assert figures.emails_expected > 0, report
    assert figures.emails_marked_sent == figures.emails_expected, report
    assert figures.emails_lost == 0, report
    assert figures.emails_duplicated <= figures.in_flight_at_fault, report
    assert figures.duplicates_mismatched == 0, report


async def until(condition: Callable[[], bool], *, seconds: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds}s for {what or condition}")
        await asyncio.sleep(0.1)


async def readyz_until(url: str, status: int, *, seconds: float = 60) -> None:
    """Poll /readyz until it answers `status`."""
    deadline = time.monotonic() + seconds
    last: object = None
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                last = (await client.get(f"{url}/readyz")).status_code
            except httpx.TransportError as error:
                last = error
            if last == status:
                return
            await asyncio.sleep(0.25)
    raise AssertionError(f"{url}/readyz never answered {status} in {seconds}s (last: {last})")

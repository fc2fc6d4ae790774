"""The stack broken on purpose under load, on SQLite and PostgreSQL, and what survived counted.

Each test pushes its own pilots through their lifecycle over HTTP while one fault strikes,
then checks: every pilot closed, every accepted request took effect once, every email that
had to go out arrived, duplicates only from messages in flight at the fault.
"""

import asyncio
import sqlite3
import time
from pathlib import Path

from tests.faults.counting import IN_FLIGHT_STATUS, in_flight
from tests.faults.driver import Workload
from tests.faults.scenario import FaultDone, FaultStack, readyz_until, run_fault, until
from tests.faults.smtp_server import SmtpMode

KILL_PILOTS = 50
PILOTS = 20
OUTAGE_SECONDS = 8.0
# Longer than the worker's SQLite busy_timeout (10 s), so its writes fail, not just wait.
SQLITE_LOCK_SECONDS = 12.0


def _submitted(workload: Workload, count: int) -> bool:
    return len(workload.pilot_ids) >= count


async def test_worker_killed_mid_lifecycle_and_restarted(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack

    async def kill_worker(workload: Workload) -> FaultDone:
        await until(lambda: _submitted(workload, KILL_PILOTS), what="all pilots submitted")
        assert workload.in_progress >= KILL_PILOTS, "the kill must find 50 pilots mid-lifecycle"
        worker = stack.workers[0]
        mid_lifecycle = workload.in_progress
        await worker.kill()
        done = FaultDone(await in_flight(fault_stack.sessions), mid_lifecycle)
        await asyncio.sleep(2)
        await stack.restart(worker)
        return done

    await run_fault(fault_stack, "worker-kill", KILL_PILOTS, kill_worker)


async def test_temporal_server_killed_and_restarted(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    server = stack.server
    assert server is not None
    api_url = stack.live_api_urls()[0]

    async def kill_server(workload: Workload) -> FaultDone:
        await until(lambda: _submitted(workload, PILOTS // 2), what="half the pilots submitted")
        mid_lifecycle = workload.in_progress
        await server.kill()
        done = FaultDone(await in_flight(fault_stack.sessions), mid_lifecycle)
        await readyz_until(api_url, 503, seconds=30)
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        await server.start()  # on its file: every pilot is still there
        await readyz_until(api_url, 200, seconds=60)  # by itself: nothing else restarted
        return done

    await run_fault(fault_stack, "temporal-restart", PILOTS, kill_server)


async def test_smtp_refuses_then_drops_then_recovers(fault_stack: FaultStack) -> None:
    smtp = fault_stack.stack.smtp

    async def break_smtp(workload: Workload) -> FaultDone:
        await until(lambda: _submitted(workload, PILOTS // 2), what="half the pilots submitted")
        refused, dropped = smtp.refused, smtp.dropped
        mid_lifecycle = workload.in_progress
        smtp.switch(SmtpMode.REFUSE)
        await asyncio.sleep(OUTAGE_SECONDS)
        smtp.switch(SmtpMode.DROP)
        await asyncio.sleep(OUTAGE_SECONDS)
        smtp.switch(SmtpMode.ACCEPT)
        assert smtp.refused > refused, "no message was refused: the outage tested nothing"
        assert smtp.dropped > dropped, "no connection was dropped: the outage tested nothing"
        return FaultDone(mid_lifecycle=mid_lifecycle)

    await run_fault(fault_stack, "smtp-outage", PILOTS, break_smtp)


async def test_database_unreachable_from_the_worker(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack

    async def cut_database(workload: Workload) -> FaultDone:
        await until(lambda: _submitted(workload, PILOTS // 2), what="half the pilots submitted")
        mid_lifecycle = workload.in_progress
        if stack.proxy is None:
            assert fault_stack.sqlite_path is not None
            sending = await asyncio.to_thread(_hold_exclusive_lock, fault_stack.sqlite_path)
            return FaultDone(sending, mid_lifecycle)
        stack.proxy.cut()
        # Counted once cut: what the worker had claimed then, it cannot mark sent any more.
        done = FaultDone(await in_flight(fault_stack.sessions), mid_lifecycle)
        await asyncio.sleep(OUTAGE_SECONDS)
        stack.proxy.restore()
        assert stack.proxy.refused > 0, "the worker never tried the database: nothing was cut"
        return done

    await run_fault(fault_stack, "database-outage", PILOTS, cut_database)


def _hold_exclusive_lock(path: Path) -> int:
    """SQLite has no connection to cut: another process holds the write lock for a while.

    Returns the outbox rows in flight once the lock is held (read inside it).
    """
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        (sending,) = connection.execute(
            "SELECT count(*) FROM notifications WHERE status = ?", (IN_FLIGHT_STATUS,)
        ).fetchone()
        time.sleep(SQLITE_LOCK_SECONDS)
        connection.execute("ROLLBACK")
    finally:
        connection.close()
    return int(sending)


async def test_one_of_two_workers_and_apis_killed_under_load(fault_stack: FaultStack) -> None:
    stack = fault_stack.stack
    await stack.add_worker()
    await stack.add_api()
    worker, api = stack.workers[0], stack.apis[0]

    async def kill_one_of_each(workload: Workload) -> FaultDone:
        await until(lambda: _submitted(workload, PILOTS // 2), what="half the pilots submitted")
        mid_lifecycle = workload.in_progress
        await asyncio.gather(worker.kill(), api.kill())
        sending = await in_flight(fault_stack.sessions)
        return FaultDone(sending, mid_lifecycle, left_dead=[worker, api])

    await run_fault(fault_stack, "worker-and-api-kill", PILOTS, kill_one_of_each)

"""The engine under a burst: pilots started, approved by Update, invitations delivered.

On real parts, all on loopback: the Temporal dev server (in memory), a worker built with
`build_worker` in a child process of its own (so its memory and CPU are its own), the
read model on SQLite and on PostgreSQL, and the SMTP sink. For each batch of K pilots:
starts per second, the `review` Update's round trip under that load (it waits for the
`record_transition` activity), the time until every invitation is in the outbox and sent,
CPU spent by the worker and the dev server, the worker's resident memory (with the batch
running, then once its pilots are cancelled and leave the worker's cache), and retries.

    .venv/bin/python -m benchmarks.engine_throughput                     # 2 batches of 40
    .venv/bin/python -m benchmarks.engine_throughput --pilots 200 --batches 3
"""

import argparse
import asyncio
import cProfile
import multiprocessing
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.synchronize import Event
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from benchmarks.common import (
    DATABASES,
    child_pids,
    cpu_seconds,
    load_average,
    machine_facts,
    ms,
    p50,
    p95,
    proc_status_kib,
    scratch_database,
    table,
)
from benchmarks.region import THEMES, WORDS, seed_reference, town_id
from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.models import Notification, Pilot
from core.settings import PROJECT_ROOT, Settings
from core.temporal_client import DATA_CONVERTER
from service.pilots import start_pilot, workflow_id
from workflows import search_attributes
from workflows.contracts import (
    ActionResult,
    Actor,
    Kpi,
    Proposal,
    ReasonRequest,
    ReviewRequest,
)
from workflows.pilot import PilotWorkflow

TOWNS = 90
ADMIN = Actor("admin", "admin")


def _worker_process(
    fields: dict[str, Any], ready: Event, stop: Event, profile: str | None = None
) -> None:
    settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
    if not profile:
        asyncio.run(_run_worker(settings, ready, stop))
        return
    # The event loop's thread only (activities, the SDK's Python side): where the CPU goes.
    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, _run_worker(settings, ready, stop))
    profiler.dump_stats(profile)


async def _run_worker(settings: Settings, ready: Event, stop: Event) -> None:
    """The worker as `pilotflow worker` builds it, until the parent says stop."""
    client = await temporal_client.connect(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        async with build_worker(client, settings, create_sessionmaker(engine)):
            ready.set()
            await asyncio.to_thread(stop.wait)
    finally:
        await engine.dispose()


@dataclass
class Batch:
    starts_per_second: float
    recorded_seconds: float  # from the first start until every submission is in the read model
    update_latencies: list[float]
    outbox_seconds: float  # from the first approval until every pilot's invitations are recorded
    sent_seconds: float  # ... and accepted by the SMTP server
    worker_cpu: float
    server_cpu: float
    worker_rss_kib: int
    worker_rss_ended_kib: int = 0
    retried_activities: int = 0
    failed_workflow_tasks: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def proposal(rng: random.Random) -> Proposal:
    return Proposal(
        town_id=town_id(rng.randrange(TOWNS)),
        title=f"Essai de {rng.choice(WORDS)}",
        summary="Un pilote pour mesurer l'effet sur le quartier.",
        theme=rng.choice(THEMES),
        needs=rng.sample(WORDS, 2),
        budget_eur=20000.0,
        desired_start=date(2027, 3, 1),
        duration_days=90,
        kpis=[Kpi("usage", "visits", 0, 100)],
    )


async def invited_pilots(
    sessions: async_sessionmaker[AsyncSession], pilot_ids: list[str], *, sent: bool
) -> int:
    """How many of these pilots have their invitations in the outbox (and all sent, if asked)."""
    query = select(func.count(func.distinct(Notification.pilot_id))).where(
        Notification.template == "invitation", Notification.pilot_id.in_(pilot_ids)
    )
    async with sessions() as session:
        recorded = int(await session.scalar(query) or 0)
        if not sent:
            return recorded
        waiting = await session.scalar(
            query.where(Notification.status != "sent").with_only_columns(func.count())
        )
    return recorded if not waiting else 0


async def recorded_pilots(sessions: async_sessionmaker[AsyncSession], pilot_ids: list[str]) -> int:
    async with sessions() as session:
        query = select(func.count()).where(Pilot.id.in_(pilot_ids))
        return int(await session.scalar(query) or 0)


async def wait_for(check: Any, seconds: float = 300) -> None:
    deadline = time.perf_counter() + seconds
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError("the engine did not catch up in time")
        await asyncio.sleep(0.05)


async def retries(handles: list[WorkflowHandle[Any, Any]]) -> tuple[int, int]:
    """Activities that needed more than one attempt, and workflow tasks that failed."""
    retried = failed = 0
    for handle in handles:
        async for event in handle.fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                retried += event.activity_task_started_event_attributes.attempt > 1
            failed += event.HasField("workflow_task_failed_event_attributes")
    return retried, failed


async def run_batch(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    rng: random.Random,
    pids: tuple[int, int],
    *,
    at_once: bool = False,
) -> Batch:
    worker_pid, server_pid = pids
    cpu_before = cpu_seconds(worker_pid), cpu_seconds(server_pid)
    proposals = [proposal(rng) for _ in range(count)]
    started = time.perf_counter()
    pilot_ids = await asyncio.gather(
        *(
            start_pilot(
                client, settings, p, Actor("town_officer", f"officer-{p.town_id}", p.town_id)
            )
            for p in proposals
        )
    )
    starts_per_second = count / (time.perf_counter() - started)
    if not at_once:  # as in real life: the admin reviews a pilot whose submission is recorded
        await wait_for(lambda: _all(recorded_pilots(sessions, pilot_ids), count))
    recorded_seconds = time.perf_counter() - started
    handles = [client.get_workflow_handle_for(PilotWorkflow.run, workflow_id(i)) for i in pilot_ids]

    async def approve(handle: WorkflowHandle[Any, Any]) -> float:
        began = time.perf_counter()
        state: ActionResult = await handle.execute_update(
            PilotWorkflow.review, ReviewRequest(ADMIN, "approve")
        )
        assert state.stage == "matching"
        return time.perf_counter() - began

    approving = time.perf_counter()
    latencies = await asyncio.gather(*(approve(h) for h in handles))
    await wait_for(lambda: _all(invited_pilots(sessions, pilot_ids, sent=False), count))
    outbox_seconds = time.perf_counter() - approving
    await wait_for(lambda: _all(invited_pilots(sessions, pilot_ids, sent=True), count))
    sent_seconds = time.perf_counter() - approving
    batch = Batch(
        starts_per_second=starts_per_second,
        recorded_seconds=recorded_seconds,
        update_latencies=list(latencies),
        outbox_seconds=outbox_seconds,
        sent_seconds=sent_seconds,
        worker_cpu=cpu_seconds(worker_pid) - cpu_before[0],
        server_cpu=cpu_seconds(server_pid) - cpu_before[1],
        worker_rss_kib=proc_status_kib(worker_pid, "VmRSS"),
    )
    batch.retried_activities, batch.failed_workflow_tasks = await retries(handles)
    # End the batch's pilots: the worker drops them from its cache, and the next batch shows
    # whether that memory is reused (a plateau) or kept (a leak).
    await asyncio.gather(*(end_pilot(h) for h in handles))
    batch.worker_rss_ended_kib = proc_status_kib(worker_pid, "VmRSS")
    return batch


async def end_pilot(handle: WorkflowHandle[Any, Any]) -> None:
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "benchmark over"))
    await asyncio.wait_for(handle.result(), 120)


async def _all(counting: Any, expected: int) -> bool:
    return bool(await counting == expected)


async def lone_update_latency(
    client: Client, settings: Settings, rng: random.Random, count: int
) -> list[float]:
    """The Update's round trip with nothing else going on: one pilot at a time."""
    latencies = []
    for _ in range(count):
        p = proposal(rng)
        actor = Actor("town_officer", f"officer-{p.town_id}", p.town_id)
        handle = client.get_workflow_handle_for(
            PilotWorkflow.run, workflow_id(await start_pilot(client, settings, p, actor))
        )
        await asyncio.sleep(0.5)  # let the submission's own activity finish first
        began = time.perf_counter()
        await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
        latencies.append(time.perf_counter() - began)
    return latencies


async def run_database(
    env: WorkflowEnvironment, sink: SmtpSink, dialect: str, args: argparse.Namespace
) -> tuple[list[Batch], dict[str, float]]:
    address = env.client.service_client.config.target_host
    async with scratch_database(dialect) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        await seed_reference(sessions, TOWNS, args.companies)
        fields: dict[str, Any] = {
            "database_url": url,
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "temporal_address": address,
            "temporal_task_queue": f"bench-{uuid.uuid4().hex[:8]}",
        }
        settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
        context = multiprocessing.get_context("spawn")
        ready, stop = context.Event(), context.Event()
        worker = context.Process(
            target=_worker_process,
            args=(fields, ready, stop, args.profile and f"{args.profile}.{dialect}"),
            daemon=True,
        )
        worker.start()
        assert worker.pid is not None
        try:
            if not await asyncio.to_thread(ready.wait, 60):
                raise TimeoutError("the worker did not start")
            pids = (worker.pid, _dev_server_pid())
            rng = random.Random(1)
            facts = {"worker RSS at start, MiB": proc_status_kib(worker.pid, "VmRSS") / 1024}
            await run_batch(env.client, settings, sessions, 5, rng, pids)  # warm-up
            facts["worker RSS after warm-up, MiB"] = proc_status_kib(worker.pid, "VmRSS") / 1024
            batches = []
            for _ in range(args.batches):
                batch = await run_batch(
                    env.client, settings, sessions, args.pilots, rng, pids, at_once=args.at_once
                )
                batches.append(batch)
                print(f"  {dialect}: batch of {args.pilots} done", flush=True)
            alone = await lone_update_latency(env.client, settings, rng, args.lone)
            facts["lone update p50 ms"] = 1000 * p50(alone)
            facts["lone update p95 ms"] = 1000 * p95(alone)
            facts["worker peak RSS (VmHWM), MiB"] = proc_status_kib(worker.pid, "VmHWM") / 1024
            return batches, facts
        finally:
            stop.set()
            await asyncio.to_thread(worker.join, 30)
            await engine.dispose()


def _dev_server_pid() -> int:
    pids = child_pids("temporal")
    assert len(pids) == 1, f"expected one dev server among our children, found {pids}"
    return pids[0]


def report(dialect: str, batches: list[Batch], pilots: int) -> str:
    rows = [
        [
            f"{i + 1}",
            f"{b.starts_per_second:.0f}",
            f"{b.recorded_seconds:.2f}",
            f"{ms(p50(b.update_latencies))} / {ms(p95(b.update_latencies))}",
            f"{b.outbox_seconds:.2f}",
            f"{b.sent_seconds:.2f}",
            f"{pilots / b.sent_seconds:.1f}",
            f"{1000 * b.worker_cpu / pilots:.0f} / {1000 * b.server_cpu / pilots:.0f}",
            f"{b.worker_rss_kib / 1024:.0f} / {b.worker_rss_ended_kib / 1024:.0f}",
            f"{b.retried_activities} / {b.failed_workflow_tasks}",
        ]
        for i, b in enumerate(batches)
    ]
    header = [
        "batch",
        "starts/s",
        "all submissions recorded s",
        "review Update p50 / p95 ms",
        "all invitations in outbox s",
        "… and sent s",
        "pilots approved+invited /s",
        "CPU ms per pilot: worker / dev server",
        "worker RSS MiB: batch done / its pilots ended",
        "retried activities / failed wf tasks",
    ]
    return f"### {dialect}, batches of {pilots} pilots\n\n" + table(header, rows)


async def main(args: argparse.Namespace) -> None:
    print(f"# engine_throughput — {machine_facts()}")
    print(
        f"{args.batches} batches of {args.pilots} pilots, {TOWNS} towns, {args.companies} companies"
    )
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(PROJECT_ROOT / ".venv" / "bin" / "temporal"),
        search_attributes=list(search_attributes.ALL),
        ui=False,
    )
    sink = SmtpSink(port=0)
    sink.start()
    try:
        for dialect in args.databases:
            batches, facts = await run_database(env, sink, dialect, args)
            print("\n" + report(dialect, batches, args.pilots) + "\n")
            print("  " + ", ".join(f"{k} {v:.1f}" for k, v in facts.items()) + "\n")
        print(f"  messages received by the sink: {len(sink.messages)}")
    finally:
        sink.stop()
        await env.shutdown()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pilots", type=int, default=40, help="pilots per batch (K)")
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--lone", type=int, default=10, help="pilots approved one at a time")
    parser.add_argument(
        "--at-once",
        action="store_true",
        help="approve right after the start, racing the submission's own record_transition",
    )
    parser.add_argument("--profile", metavar="PATH", help="cProfile the worker to PATH.<db>")
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES))
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    print(f"\nload average at the end: {load_average()}")

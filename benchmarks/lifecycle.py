"""The engine's side: a burst of pilots through the real worker and through the bare twin,
the CPU one email costs, and the worker's memory with many pilots waiting on their timers.
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from benchmarks.common import p50, p95, tree_cpu_seconds
from benchmarks.engine_throughput import (
    ADMIN,
    invited_pilots,
    proposal,
    recorded_pilots,
    retries,
)
from benchmarks.stack import Stack
from benchmarks.twin import INVITED, RECORDED, PilotTwinWorkflow
from core.models import Notification, NotificationStatus, Pilot
from service.pilots import start_pilot
from workflows import search_attributes
from workflows.contracts import (
    ActionResult,
    Actor,
    Audience,
    EmailTemplate,
    NotificationRequest,
    ReviewRequest,
    email_view,
    workflow_id,
)
from workflows.pilot import PilotWorkflow
from workflows.stages import Stage

CATCH_UP_SECONDS = 600
# How often the harness asks the database whether the pilots got there. Each question is a
# count over the burst's pilots, which the stack under test answers: every 50 ms the
# harness's CPU a real pilot was 6.4 to 7.7 ms, every 0.2 s 3.2 to 5.0 (the rest is starting
# the pilots and the Updates), with some of the database's; the twin's worker tells the
# harness instead. 0.2 s adds 0.1 s on average to a burst of tens of seconds.
POLL_SECONDS = 0.2
EMAIL_SEQ_BASE = 100_000  # far above any real transition, so no outbox row is reused
UNSENT = (NotificationStatus.QUEUED.value, NotificationStatus.SENDING.value)


@dataclass(frozen=True)
class Burst:
    """K pilots from their start to their last invitation sent, approved by the Update."""

    pilots: int
    seconds: float
    update_latencies: list[float]
    worker_cpu_seconds: float
    pilot_ids: list[str]
    retried_activities: int = 0  # activities that needed more than one attempt
    # CPU seconds by process through the burst: where a pilot's cost goes (cpu_by_part).
    cpu_seconds_by_part: Mapping[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.pilots / self.seconds

    @property
    def update_p95_ms(self) -> float:
        return round(1000 * p95(self.update_latencies), 1)

    @property
    def cpu_ms_per_pilot(self) -> float:
        return round(1000 * self.worker_cpu_seconds / self.pilots, 1)

    def cpu_ms_per_pilot_by_part(self) -> dict[str, float]:
        """Each part's CPU milliseconds a pilot, and their total."""
        by_part = {
            name: round(1000 * s / self.pilots, 1) for name, s in self.cpu_seconds_by_part.items()
        }
        return by_part | {
            "total": round(1000 * sum(self.cpu_seconds_by_part.values()) / self.pilots, 1)
        }


def cpu_by_part(parts: Mapping[str, int]) -> dict[str, float]:
    """The CPU seconds each part (a process with its descendants) has used so far, and this
    process's own, the harness's (it starts the pilots and watches them)."""
    return {name: tree_cpu_seconds(pid) for name, pid in parts.items()} | {
        "harness": time.process_time()
    }


def cpu_used(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


def pairs_figures(reals: list[Burst], bares: list[Burst]) -> dict[str, Any]:
    """The engine's figures from bursts run in pairs (real, twin): rates and the ratio are
    the medians of the pairs', the Update's p95 and the CPU over every burst together."""
    ratios = [real.per_second / bare.per_second for real, bare in zip(reals, bares, strict=True)]

    def over_all(bursts: list[Burst]) -> Burst:
        by_part: Counter[str] = Counter()
        for b in bursts:
            by_part.update(b.cpu_seconds_by_part)
        return Burst(
            pilots=sum(b.pilots for b in bursts),
            seconds=sum(b.seconds for b in bursts),
            update_latencies=[latency for b in bursts for latency in b.update_latencies],
            worker_cpu_seconds=sum(b.worker_cpu_seconds for b in bursts),
            pilot_ids=[pilot_id for b in bursts for pilot_id in b.pilot_ids],
            cpu_seconds_by_part=dict(by_part),
        )

    real, bare = over_all(reals), over_all(bares)
    return {
        "lifecycle_per_s": round(p50([b.per_second for b in reals]), 2),
        "engine_floor_per_s": round(p50([b.per_second for b in bares]), 2),
        "lifecycle_ratio": round(p50(ratios), 3),
        "lifecycle_ratio_by_pair": [round(ratio, 3) for ratio in ratios],
        "update_p95_ms": real.update_p95_ms,
        "twin_update_p95_ms": bare.update_p95_ms,
        "worker_cpu_ms_per_pilot": real.cpu_ms_per_pilot,
        "twin_worker_cpu_ms_per_pilot": bare.cpu_ms_per_pilot,
        "cpu_ms_per_pilot_by_part": {
            "real": real.cpu_ms_per_pilot_by_part(),
            "twin": bare.cpu_ms_per_pilot_by_part(),
        },
    }


def officer(town_id: str) -> Actor:
    return Actor("town_officer", f"officer-{town_id}", town_id)


async def wait_until(check: Any, what: str, seconds: float = CATCH_UP_SECONDS) -> None:
    deadline = time.perf_counter() + seconds
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what}: not done after {seconds:.0f}s")
        await asyncio.sleep(POLL_SECONDS)


async def real_burst(
    client: Client,
    stack: Stack,
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    rng: random.Random,
    parts: Mapping[str, int] | None = None,
) -> Burst:
    """Start K pilots, approve each once its submission is recorded, until all invited.

    `parts`: the processes whose CPU to count, by name (by default the stack's).
    """
    parts = stack.lifecycle_parts if parts is None else parts
    cpu_before = stack.worker_cpu_seconds()
    by_part_before = cpu_by_part(parts)
    started = time.perf_counter()
    proposals = [proposal(rng) for _ in range(count)]
    pilot_ids = list(
        await asyncio.gather(
            *(start_pilot(client, stack.settings, p, officer(p.town_id)) for p in proposals)
        )
    )

    async def all_recorded() -> bool:
        return await recorded_pilots(sessions, pilot_ids) == count

    async def all_sent() -> bool:
        return await invited_pilots(sessions, pilot_ids, sent=True) == count

    await wait_until(all_recorded, "submissions recorded")

    async def approve(pilot_id: str) -> float:
        handle = client.get_workflow_handle_for(PilotWorkflow.run, workflow_id(pilot_id))
        began = time.perf_counter()
        result: ActionResult = await handle.execute_update(
            PilotWorkflow.review, ReviewRequest(ADMIN, "approve")
        )
        assert result.stage == Stage.MATCHING
        return time.perf_counter() - began

    latencies = await asyncio.gather(*(approve(i) for i in pilot_ids))
    await wait_until(all_sent, "invitations sent")
    seconds, cpu = time.perf_counter() - started, stack.worker_cpu_seconds() - cpu_before
    by_part = cpu_used(by_part_before, cpu_by_part(parts))
    handles = [client.get_workflow_handle(workflow_id(i)) for i in pilot_ids]
    retried, _ = await retries(handles)
    return Burst(count, seconds, list(latencies), cpu, pilot_ids, retried, by_part)


async def twin_burst(
    client: Client,
    task_queue: str,
    worker_pid: int,
    events: "Queue[tuple[str, str]]",
    count: int,
    day_seconds: float,
    parts: Mapping[str, int] | None = None,
) -> Burst:
    """The same burst through the bare twin, in its own worker process; `parts` as for
    real_burst (by default none)."""
    parts = parts or {}
    cpu_before = tree_cpu_seconds(worker_pid)
    by_part_before = cpu_by_part(parts)
    started = time.perf_counter()
    pilot_ids = [uuid.uuid4().hex for _ in range(count)]
    handles: list[WorkflowHandle[Any, Any]] = list(
        await asyncio.gather(
            *(
                client.start_workflow(
                    PilotTwinWorkflow.run,
                    args=[pilot_id, day_seconds],
                    id=f"twin-{pilot_id}",
                    task_queue=task_queue,
                    search_attributes=search_attributes.initial("submitted", "twin", "twin"),
                )
                for pilot_id in pilot_ids
            )
        )
    )
    await _heard(events, RECORDED, set(pilot_ids))

    async def approve(handle: WorkflowHandle[Any, Any]) -> float:
        began = time.perf_counter()
        assert await handle.execute_update(PilotTwinWorkflow.review, "approve") == "matching"
        return time.perf_counter() - began

    latencies = await asyncio.gather(*(approve(h) for h in handles))
    await _heard(events, INVITED, set(pilot_ids))
    return Burst(
        count,
        time.perf_counter() - started,
        list(latencies),
        tree_cpu_seconds(worker_pid) - cpu_before,
        pilot_ids,
        cpu_seconds_by_part=cpu_used(by_part_before, cpu_by_part(parts)),
    )


async def _heard(events: "Queue[tuple[str, str]]", kind: str, pilot_ids: set[str]) -> None:
    """Until the twin's activities have said `kind` for every one of these pilots."""
    waiting = set(pilot_ids)
    deadline = time.perf_counter() + CATCH_UP_SECONDS
    while waiting:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError(f"twin: {len(waiting)} pilots never {kind}")
        heard, pilot_id = await asyncio.to_thread(events.get, True, remaining)
        if heard == kind:
            waiting.discard(pilot_id)


async def emails_per_pilot(
    sessions: async_sessionmaker[AsyncSession], pilot_ids: list[str]
) -> float:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).where(Notification.pilot_id.in_(pilot_ids))
        )
    return round(int(count or 0) / len(pilot_ids), 1)


async def email_cpu_ms(
    client: Client,
    stack: Stack,
    sessions: async_sessionmaker[AsyncSession],
    pilot_ids: list[str],
) -> tuple[float, int]:
    """CPU milliseconds per message of the real send_notification activity, run here.

    Rounds of invitations to each pilot's candidates (new transition numbers, so new outbox
    rows), rendered, recorded, sent to the stack's SMTP server and marked, by the activity
    the worker runs, in this process while it does nothing else: its CPU time is the email
    path's own. Returns (ms per message, messages sent).
    """
    activities = NotificationActivities(sessions, stack.settings)
    environment = ActivityEnvironment()
    requests = []
    for index, pilot_id in enumerate(pilot_ids):
        handle = client.get_workflow_handle_for(PilotWorkflow.run, workflow_id(pilot_id))
        state = await handle.query(PilotWorkflow.get_state)
        requests.append(
            NotificationRequest(
                template=EmailTemplate.INVITATION,
                seq=EMAIL_SEQ_BASE + index,
                state=email_view(state),
                audiences=[Audience.COMPANIES],
                company_ids=[c.company_id for c in state.candidates],
            )
        )
    cpu_before = time.process_time()
    for request in requests:
        await environment.run(activities.send_notification, request)
    cpu = time.process_time() - cpu_before
    async with sessions() as session:
        sent = int(
            await session.scalar(
                select(func.count()).where(
                    Notification.pilot_id.in_(pilot_ids),
                    Notification.seq >= EMAIL_SEQ_BASE,
                    Notification.status == NotificationStatus.SENT.value,
                )
            )
            or 0
        )
    if not sent:
        raise RuntimeError("the email measurement sent no message")
    return round(1000 * cpu / sent, 2), sent


async def settle(
    sessions: async_sessionmaker[AsyncSession], seconds: float = CATCH_UP_SECONDS
) -> None:
    """Until the outbox holds nothing left to send: the worker's backlog is done."""

    async def outbox_empty() -> bool:
        async with sessions() as session:
            unsent = select(func.count()).where(Notification.status.in_(UNSENT))
            return not await session.scalar(unsent)

    await wait_until(outbox_empty, "the outbox sent", seconds)


async def settle_created(
    sessions: async_sessionmaker[AsyncSession],
    pilot_ids: list[str],
    seconds: float = CATCH_UP_SECONDS,
) -> float:
    """Until each of these pilots (created through the API, so in the read model from the
    start) has recorded its submission and had its email stored, and the outbox is empty:
    the seconds that took. An empty outbox alone is not enough: a worker behind on its
    tasks has not stored the email it owes yet."""
    started = time.perf_counter()

    async def all_recorded_with_email() -> bool:
        async with sessions() as session:
            for first in range(0, len(pilot_ids), 500):
                chunk = pilot_ids[first : first + 500]
                recorded = select(func.count()).where(Pilot.id.in_(chunk), Pilot.version > 0)
                emailed = select(func.count(func.distinct(Notification.pilot_id))).where(
                    Notification.pilot_id.in_(chunk)
                )
                if await session.scalar(recorded) < len(chunk):
                    return False
                if await session.scalar(emailed) < len(chunk):
                    return False
            return True

    await wait_until(all_recorded_with_email, "created pilots recorded", seconds)
    await settle(sessions, seconds)
    return time.perf_counter() - started


async def worker_rss_with_open_pilots(
    client: Client,
    stack: Stack,
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    rng: random.Random,
    concurrency: int = 50,
    steps: int = 4,
) -> dict[str, Any]:
    """Start `count` more pilots in `steps` equal rounds; after each, wait until each is
    recorded and its email sent (then it waits on its review timer), and read the workers'
    resident memory: how it grows with the open pilots, not only where it ends."""
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def start_one() -> str:
        async with gate:
            p = proposal(rng)
            return await start_pilot(client, stack.settings, p, officer(p.town_id))

    pilot_ids: list[str] = []

    async def all_recorded() -> bool:
        recorded = 0
        for first in range(0, len(pilot_ids), 1000):
            recorded += await recorded_pilots(sessions, pilot_ids[first : first + 1000])
        return recorded == len(pilot_ids)

    by_open_pilots: dict[str, list[float]] = {}
    for step in range(1, steps + 1):
        more = count * step // steps - len(pilot_ids)
        pilot_ids += await asyncio.gather(*(start_one() for _ in range(more)))
        await wait_until(all_recorded, "open pilots recorded", seconds=3600)
        await settle(sessions, seconds=3600)
        by_open_pilots[str(len(pilot_ids))] = stack.worker_memory_mb_by_process("VmRSS")
    seconds = time.perf_counter() - started
    return {
        "open_pilots": count,
        "open_pilots_started_per_s": round(count / seconds, 1),
        "worker_rss_mb": stack.worker_memory_mb("VmRSS"),
        "worker_rss_mb_by_process": stack.worker_memory_mb_by_process("VmRSS"),
        "worker_rss_mb_by_open_pilots": by_open_pilots,
        "worker_peak_rss_mb": stack.worker_memory_mb("VmHWM"),
    }

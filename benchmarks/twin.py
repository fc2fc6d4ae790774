"""A bare twin of PilotWorkflow: the engine's own limit for the same shape of work.

From submission to the first round of invitations the real workflow runs 7 activities
(record, email, then under the `review` Update record and email, then find candidates,
record, email), waits on two timers (the review reminder, the response deadline), upserts
its stage search attribute and answers one Update. The twin does all of that with
activities that do nothing, on its own task queue, in a worker process of its own.

The harness must know when a twin's submission is recorded and its invitations are sent,
as it reads the outbox for the real pilots: those two do-nothing activities put the pilot
id on a queue the harness reads.
"""

import asyncio
import multiprocessing
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from temporalio import activity, workflow
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from core import temporal_client
    from core.settings import Settings
    from workflows import search_attributes

TIMEOUT = timedelta(seconds=30)
RECORDED, INVITED = "recorded", "invited"
_events: "Queue[tuple[str, str]] | None" = None


def _tell(kind: str, pilot_id: str) -> None:
    assert _events is not None, "the twin's activities run in run_twin_worker's process"
    _events.put((kind, pilot_id))


@activity.defn(name="twin_record")
async def record(pilot_id: str, seq: int) -> None:
    if seq == 1:
        _tell(RECORDED, pilot_id)


@activity.defn(name="twin_find_candidates")
async def find_candidates(pilot_id: str) -> list[str]:
    return [f"co{i:04d}" for i in range(5)]


@activity.defn(name="twin_notify")
async def notify(pilot_id: str, template: str) -> None:
    if template == "invitation":
        _tell(INVITED, pilot_id)


@workflow.defn(name="PilotTwin")
class PilotTwinWorkflow:
    @workflow.init
    def __init__(self, pilot_id: str, day_seconds: float) -> None:
        self._pilot_id = pilot_id
        self._stage = "submitted"
        self._seq = 0
        self._emails: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, pilot_id: str, day_seconds: float) -> str:
        await self._record()
        self._notify("pilot_submitted")
        if not await self._leaves("submitted", 7 * day_seconds):
            return self._stage
        await workflow.execute_activity(find_candidates, pilot_id, start_to_close_timeout=TIMEOUT)
        await self._record()
        self._notify("invitation")
        await self._leaves("matching", 14 * day_seconds)
        await asyncio.gather(*self._emails)
        return self._stage

    @workflow.update
    async def review(self, decision: str) -> str:
        self._stage = "matching"
        workflow.upsert_search_attributes([search_attributes.PILOT_STAGE.value_set(self._stage)])
        await self._record()
        self._notify("review_outcome")
        return self._stage

    async def _record(self) -> None:
        self._seq += 1
        await workflow.execute_activity(
            record, args=[self._pilot_id, self._seq], start_to_close_timeout=TIMEOUT
        )

    def _notify(self, template: str) -> None:
        self._emails.append(
            asyncio.create_task(
                workflow.execute_activity(
                    notify, args=[self._pilot_id, template], start_to_close_timeout=TIMEOUT
                )
            )
        )

    async def _leaves(self, stage: str, seconds: float) -> bool:
        try:
            await workflow.wait_condition(lambda: self._stage != stage, timeout=seconds)
        except TimeoutError:
            return False
        return True


def run_twin_worker(
    fields: dict[str, Any], task_queue: str, events: "Queue[tuple[str, str]]", stop: Event
) -> None:
    """The twin's worker (a child process) until `stop` is set."""
    global _events
    _events = events
    settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]

    async def main() -> None:
        client = await temporal_client.connect(settings)
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[PilotTwinWorkflow],
            activities=[record, find_candidates, notify],
        )
        async with worker:
            events.put(("ready", ""))
            await asyncio.to_thread(stop.wait)

    asyncio.run(main())


def start_twin_worker(
    fields: dict[str, Any], task_queue: str
) -> tuple[multiprocessing.process.BaseProcess, "Queue[tuple[str, str]]", Event]:
    context = multiprocessing.get_context("spawn")
    events: Queue[tuple[str, str]] = context.Queue()
    stop = context.Event()
    process = context.Process(
        target=run_twin_worker, args=(fields, task_queue, events, stop), daemon=True
    )
    process.start()
    return process, events, stop

"""The worker process: the pilot and account-email workflows and their activities."""

import asyncio
import compileall
import contextlib
import logging
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

import workflows
from activities.account_email import AccountEmailActivities
from activities.matching import MatchingActivities
from activities.notifications import NotificationActivities
from activities.read_model import ReadModelActivities
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.garbage_collection import startup_objects_frozen
from core.settings import Settings
from workflows.account_email import AccountEmailWorkflow
from workflows.pilot import PilotWorkflow
from workflows.task_queues import email_task_queue

log = logging.getLogger(__name__)


class Workers:
    """The workers of one process, polling their task queues, run and stopped together."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers
        self._running = contextlib.AsyncExitStack()

    async def run(self) -> None:
        """Poll until shut down; one failing stops the others, and its error is raised."""
        runs = [asyncio.create_task(worker.run()) for worker in self.workers]
        try:
            await asyncio.gather(*runs)
        finally:
            for run in runs:
                run.cancel()  # a worker's run cancelled shuts it down
            await asyncio.gather(*runs, return_exceptions=True)

    async def shutdown(self) -> None:
        await asyncio.gather(*(worker.shutdown() for worker in self.workers))

    async def __aenter__(self) -> Self:
        try:
            for worker in self.workers:
                await self._running.enter_async_context(worker)
        except BaseException:
            await self._running.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._running.__aexit__(exc_type, exc, traceback)


class PolledQueues(StrEnum):
    """Which task queues a worker process polls: both, or one (`pilotflow worker --queues`)."""

    ALL = "all"
    PILOTS = "pilots"  # the workflows and every activity but the pilots' email
    EMAIL = "email"  # the pilots' email only


def build_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    task_queue: str | None = None,
    polls: PolledQueues = PolledQueues.ALL,
) -> Workers:
    """The pilots' worker and the email worker, every activity built once around its
    injected dependencies; `polls` keeps one of them only, for a process of its own (email
    renders and sends in its own process then, on its own core, beside the workflows).

    Email has a task queue of its own (workflows/task_queues.py) with at most
    `email_concurrency` activities at once, so a round of invitations never takes the
    slots of `record_transition`, which a person's Update waits on. The pilots' worker
    still sends the email of pilots whose history sends it on their own queue.

    Once asked to shut down they stop polling, and activities in flight get the grace
    period to finish (an email being sent is delivered and marked sent) before they are
    cancelled.
    """
    queue = task_queue or settings.temporal_task_queue
    grace = timedelta(seconds=settings.worker_shutdown_grace_seconds)
    notifications = NotificationActivities(sessions, settings)
    pilots = Worker(
        client,
        task_queue=queue,
        graceful_shutdown_timeout=grace,
        max_cached_workflows=settings.worker_max_cached_workflows,
        workflows=[PilotWorkflow, AccountEmailWorkflow],
        activities=[
            ReadModelActivities(sessions).record_transition,
            MatchingActivities(sessions).find_candidates,
            notifications.send_notification,
            AccountEmailActivities(sessions, settings, notifications).send_account_email,
        ],
    )
    email = Worker(
        client,
        task_queue=email_task_queue(queue),
        graceful_shutdown_timeout=grace,
        activities=[notifications.send_notification],
        max_concurrent_activities=settings.email_concurrency,
    )
    if polls == PolledQueues.PILOTS:
        return Workers(pilots)
    if polls == PolledQueues.EMAIL:
        return Workers(email)
    return Workers(pilots, email)


def compile_workflow_bytecode() -> bool:
    """Write the workflow modules' bytecode beside them, if it can be written there.

    The sandbox imports the workflow modules afresh for every workflow instance it starts
    (a new pilot, or one woken from its timer after it left the worker's cache). Without
    bytecode on disk (PYTHONDONTWRITEBYTECODE) each of those imports compiled
    workflows/pilot.py from its source: 13 % of the pilots' worker's CPU in a burst
    (docs/PERFORMANCE.md). The image compiles it at build time; this covers the rest.
    """
    return bool(compileall.compile_dir(Path(workflows.__file__).parent, quiet=2))


async def run_worker(
    settings: Settings, stop: asyncio.Event, polls: PolledQueues = PolledQueues.ALL
) -> None:
    """Connect and poll until `stop` is set, then shut down gracefully (see build_worker)."""
    if not compile_workflow_bytecode():
        log.warning("cannot write the workflows' bytecode: each new workflow compiles them")
    client = await temporal_client.connect(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        worker = build_worker(client, settings, create_sessionmaker(engine), polls=polls)
        log.info(
            "worker polling %s on %s",
            " and ".join(w.task_queue for w in worker.workers),
            settings.temporal_address,
        )
        with startup_objects_frozen():
            await _poll_until_stopped(worker, stop, settings)
    finally:
        await engine.dispose()


async def _poll_until_stopped(worker: Workers, stop: asyncio.Event, settings: Settings) -> None:
    """Run the workers until `stop` is set or they fail; a stop drains activities first."""
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    # Whichever comes first: a stop asked for, or the worker failing on its own (then the
    # process must end with its error, not idle on as if it were polling).
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not running.done():
        log.info(
            "worker stopping: activities in flight have %ss to finish",
            settings.worker_shutdown_grace_seconds,
        )
        await worker.shutdown()
    await running  # its fatal error, if it had one
    log.info("worker stopped")

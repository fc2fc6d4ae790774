"""The worker process: the pilot and account-email workflows and their activities."""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.account_email import AccountEmailActivities
from activities.matching import MatchingActivities
from activities.notifications import NotificationActivities
from activities.read_model import ReadModelActivities
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from workflows.account_email import AccountEmailWorkflow
from workflows.pilot import PilotWorkflow

log = logging.getLogger(__name__)


def build_worker(
    client: Client,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    task_queue: str | None = None,
) -> Worker:
    """A worker with every activity built once around its injected dependencies.

    Once asked to shut down it stops polling, and its activities in flight get the grace
    period to finish (an email being sent is delivered and marked sent) before they are
    cancelled.
    """
    notifications = NotificationActivities(sessions, settings)
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_grace_seconds),
        workflows=[PilotWorkflow, AccountEmailWorkflow],
        activities=[
            ReadModelActivities(sessions).record_transition,
            MatchingActivities(sessions).find_candidates,
            notifications.send_notification,
            AccountEmailActivities(sessions, settings, notifications).send_account_email,
        ],
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Connect and poll until `stop` is set, then shut down gracefully (see build_worker)."""
    client = await temporal_client.connect(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        worker = build_worker(client, settings, create_sessionmaker(engine))
        log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
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
    finally:
        await engine.dispose()

"""The worker entry point: PilotWorkflow and its activities on one task queue."""

import logging

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
    """A worker with every activity built once around its injected dependencies."""
    notifications = NotificationActivities(sessions, settings)
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=[PilotWorkflow, AccountEmailWorkflow],
        activities=[
            ReadModelActivities(sessions).record_transition,
            MatchingActivities(sessions).find_candidates,
            notifications.send_notification,
            AccountEmailActivities(sessions, settings, notifications).send_account_email,
        ],
    )


async def run_worker(settings: Settings) -> None:
    """Connect and poll until cancelled."""
    client = await temporal_client.connect(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        worker = build_worker(client, settings, create_sessionmaker(engine))
        log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
        await worker.run()
    finally:
        await engine.dispose()

"""Whether the API's backing services answer: the database, Temporal and SMTP."""

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta

import aiosmtplib
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from core.settings import Settings
from service.temporal import TemporalConnector

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0


async def database_ok(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
    return True


async def smtp_ok(settings: Settings) -> bool:
    """An SMTP server on the configured host and port greets us and takes our EHLO (a relay
    may refuse the name we greet it with: that is a server we cannot send through)."""
    # Unless configured, the greeting's name is the machine's, looked up (once per process)
    # with a reverse DNS query that would hold the event loop: a thread does it.
    helo_name = await asyncio.to_thread(lambda: settings.effective_smtp_helo_name)
    smtp = aiosmtplib.SMTP(
        hostname=settings.effective_smtp_host,
        port=settings.smtp_port,
        timeout=CHECK_TIMEOUT_SECONDS,
        start_tls=False,
        local_hostname=helo_name,
    )
    await smtp.connect()
    await smtp.ehlo()
    await smtp.quit()
    return True


async def _bounded(name: str, check: Awaitable[bool]) -> bool:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    # Any failure of a probe means "down"; why goes to the log, not to the caller.
    except Exception as error:
        logger.warning("readiness: %s is down: %r", name, error)
        return False


async def check_all(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalConnector,
) -> dict[str, bool]:
    """Each backing service by name, True if it answered; all probed at once."""
    names = ("database", "temporal", "smtp")
    results = await asyncio.gather(
        _bounded("database", database_ok(sessions)),
        _bounded("temporal", temporal.healthy()),
        _bounded("smtp", smtp_ok(settings)),
    )
    return dict(zip(names, results, strict=True))


async def polling_workers(temporal: TemporalConnector, settings: Settings) -> int | None:
    """How many worker processes poll the pilots' task queue now; None if Temporal does not say.

    Each process also serves the email queue (`Settings.email_task_queue`), so one count says
    both.
    """
    try:
        client = await temporal.get()
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace,
                task_queue=TaskQueue(name=settings.temporal_task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS),
        )
    except Exception:
        return None
    return len({poller.identity for poller in response.pollers})

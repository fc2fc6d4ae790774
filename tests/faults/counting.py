"""The figures of one run, counted in the database and at the SMTP server after it settles."""

import asyncio
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from core.models import AuditEvent, Notification, Pilot
from core.temporal_client import DATA_CONVERTER
from tests.faults.driver import END_STAGE, Workload
from tests.faults.smtp_server import ControllableSmtpServer

IN_FLIGHT_STATUS = "sending"  # the outbox lease's status; absent (so 0) before it lands


@dataclass
class Figures:
    """What the suite reports for one fault on one database (see docs/RELIABILITY.md)."""

    database: str
    fault: str
    pilots: int = 0
    pilots_at_end_stage: int = 0
    requests_accepted: int = 0
    requests_took_effect: int = 0
    requests_applied_twice: int = 0
    emails_expected: int = 0
    emails_marked_sent: int = 0
    emails_delivered: int = 0
    emails_lost: int = 0
    emails_duplicated: int = 0
    duplicates_mismatched: int = 0
    # Each duplicated message: "<template> to <recipient>, <copies> copies, <Message-ID>".
    duplicates: list[str] = field(default_factory=list)
    in_flight_at_fault: int = 0
    mid_lifecycle_at_fault: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    workload_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def in_flight(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Outbox rows being sent right now: the only ones a crash may duplicate."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).where(Notification.status == IN_FLIGHT_STATUS)
        )
    return int(count or 0)


async def settle(
    workload: Workload,
    sessions: async_sessionmaker[AsyncSession],
    temporal_address: str,
    *,
    seconds: float,
) -> str | None:
    """Wait until every pilot's workflow completed and its email is marked sent; None if so."""
    deadline = time.monotonic() + seconds
    client = await Client.connect(temporal_address, data_converter=DATA_CONVERTER)
    waiting = ""
    while time.monotonic() < deadline:
        running = 0
        for pilot_id in workload.pilot_ids:
            description = await client.get_workflow_handle(f"pilot-{pilot_id}").describe()
            running += description.status != WorkflowExecutionStatus.COMPLETED
        async with sessions() as session:
            unsent = await session.scalar(
                select(func.count()).where(
                    Notification.pilot_id.in_(workload.pilot_ids), Notification.status != "sent"
                )
            )
        if not running and not unsent:
            return None
        waiting = f"{running} workflows not completed, {unsent} emails not marked sent"
        await asyncio.sleep(1)
    return waiting


async def count(
    figures: Figures,
    workload: Workload,
    sessions: async_sessionmaker[AsyncSession],
    smtp: ControllableSmtpServer,
) -> None:
    ids = workload.pilot_ids
    async with sessions() as session:
        stages = dict(
            (await session.execute(select(Pilot.id, Pilot.stage).where(Pilot.id.in_(ids)))).all()
        )
        events = Counter(
            (pilot_id, kind)
            for pilot_id, kind in await session.execute(
                select(AuditEvent.pilot_id, AuditEvent.kind).where(AuditEvent.pilot_id.in_(ids))
            )
        )
        rows = (
            (await session.execute(select(Notification).where(Notification.pilot_id.in_(ids))))
            .scalars()
            .all()
        )
    figures.pilots = len(ids)
    figures.pilots_at_end_stage = sum(stages.get(i) == END_STAGE for i in ids)

    asked = Counter((a.pilot_id, a.event) for a in workload.accepted)
    figures.requests_accepted = len(workload.accepted)
    figures.requests_took_effect = sum(min(events[key], n) for key, n in asked.items())
    figures.requests_applied_twice = sum(max(events[key] - n, 0) for key, n in asked.items())

    received = smtp.received()
    copies = Counter(r.message_id for r in received)
    figures.emails_expected = len(rows)
    figures.emails_marked_sent = sum(row.status == "sent" for row in rows)
    figures.emails_delivered = sum(copies[row.message_id] >= 1 for row in rows)
    figures.emails_lost = figures.emails_expected - figures.emails_delivered
    figures.emails_duplicated = sum(max(copies[row.message_id] - 1, 0) for row in rows)
    by_id = {row.message_id: row for row in rows}
    figures.duplicates = sorted(
        f"{row.template} to {row.to_address}, {copies[row.message_id]} copies, {row.message_id}"
        for row in rows
        if copies[row.message_id] > 1
    )
    figures.duplicates_mismatched = sum(
        1
        for r in received
        if copies[r.message_id] > 1
        and r.message_id in by_id
        and (r.to, r.subject) != (by_id[r.message_id].to_address, by_id[r.message_id].subject)
    )
    figures.retries = dict(workload.api.retries)
    figures.workload_failures = list(workload.failures)

"""Leases on outbox rows: one attempt at a time sends a message, and a sent message stays sent.

Each write is a short transaction of its own, never held across SMTP: on SQLite an open
write transaction would stop every other writer (the API, the read model) meanwhile.
"""

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Update, and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import autocommitting
from core.models import Notification, NotificationStatus

SENDING = NotificationStatus.SENDING.value
# Room left for the unique part of an owner in `lease_owner` (String(200)).
_OWNER_PREFIX_CHARS = 160
# How long a sent message's mark is retried while the database is out of reach or locked.
MARK_PATIENCE_SECONDS = 120.0


def attempt_owner() -> str:
    """A name for this attempt alone: workflow, activity and attempt, plus a uuid.

    The uuid keeps two workers' attempts apart even if Temporal's numbers ever repeat, and
    names an owner outside any activity (a test, a script).
    """
    if activity.in_activity():
        info = activity.info()
        prefix = f"{info.workflow_id}/{info.activity_id}/{info.attempt}"
    else:
        prefix = "outside-activity"
    return f"{prefix[:_OWNER_PREFIX_CHARS]}/{uuid.uuid4().hex}"


def claimable(now: datetime) -> ColumnElement[bool]:
    """Rows no attempt holds: not sent yet, and not `sending` under a lease still running."""
    return or_(
        Notification.status.in_([NotificationStatus.QUEUED.value, NotificationStatus.FAILED.value]),
        and_(Notification.status == SENDING, Notification.lease_expires_at < now),
    )


class OutboxLease:
    """The claims of one attempt (`owner`) on outbox rows, each good for `seconds`.

    The time is the worker's clock: workers whose clocks disagree by a few seconds only
    move a 60-second lease's end by that much.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], seconds: float, owner: str | None = None
    ) -> None:
        self.sessions = sessions
        self.seconds = seconds
        self.owner = owner or attempt_owner()

    async def claim(self, row_id: str) -> bool:
        """Take the row for this attempt; False if another holds it or it is sent already."""
        now = datetime.now(UTC)
        statement = (
            update(Notification)
            .where(Notification.id == row_id, claimable(now))
            .values(
                status=SENDING,
                lease_owner=self.owner,
                lease_expires_at=now + timedelta(seconds=self.seconds),
            )
        )
        return await self._changed(statement) == 1

    async def claim_many(self, row_ids: Sequence[str]) -> set[str]:
        """Take every row of these this attempt can, in one statement; the ids it holds
        (those it held already too, their lease renewed).

        A free row is taken as `claim` would take it: the UPDATE tests each row as it writes
        it, so two attempts claiming the same rows at once share them out, never both.
        """
        now = datetime.now(UTC)
        statement = (
            update(Notification)
            .where(Notification.id.in_(row_ids), or_(claimable(now), self._mine()))
            .values(
                status=SENDING,
                lease_owner=self.owner,
                lease_expires_at=now + timedelta(seconds=self.seconds),
            )
        )
        return await self._changed_ids(statement, row_ids)

    async def renew(self, row_ids: Sequence[str]) -> set[str]:
        """Extend the lease on those of these rows this attempt still holds; their ids.

        A row whose lease ran out and was taken by another attempt is that attempt's now,
        and left alone.
        """
        statement = (
            update(Notification)
            .where(self._held(row_ids))
            .values(lease_expires_at=datetime.now(UTC) + timedelta(seconds=self.seconds))
        )
        return await self._changed_ids(statement, row_ids)

    async def release_unsent(self, rows: Sequence[Notification]) -> None:
        """Free rows this attempt holds but never tried to send, as they were before the claim
        (a dead attempt's row as free to take at once), so the next attempt need not wait
        out the lease. Their attempts and last error stay as they were."""
        by_status: dict[str, list[str]] = {}
        for row in rows:
            by_status.setdefault(str(row.status), []).append(row.id)
        async with self.sessions() as session, session.begin():
            for status, ids in by_status.items():
                await session.execute(
                    update(Notification)
                    .where(self._held(ids))
                    .values(
                        status=status,
                        lease_owner=None,
                        # A `sending` row left by a dead attempt stays takeable: its lease ended.
                        lease_expires_at=datetime.now(UTC) if status == SENDING else None,
                    )
                )

    async def sent_among(self, row_ids: Sequence[str]) -> set[str]:
        """Those of these rows that are marked sent."""
        if not row_ids:
            return set()
        async with autocommitting(self.sessions) as session:
            sent = await session.scalars(
                select(Notification.id).where(
                    Notification.id.in_(row_ids),
                    Notification.status == NotificationStatus.SENT.value,
                )
            )
            return set(sent)

    async def mark_sent(
        self, row_ids: Sequence[str], *, patience: float = MARK_PATIENCE_SECONDS
    ) -> int:
        """Record the server's acceptance of these rows in one transaction; how many were
        still this attempt's (a row whose lease was lost is another's, and left alone).

        The server has the messages now, so a mark that fails would send them again: while
        the database is out of reach or locked, the mark is retried (heartbeating, so
        Temporal starts no other attempt) for up to `patience` seconds. Retrying past the
        lease's end is safe: the mark only lands on a row no other attempt has claimed since.
        The owner stays on the row: it says which attempt sent it.
        """
        statement = (
            update(Notification)
            .where(self._held(row_ids))
            .values(
                status=NotificationStatus.SENT.value,
                attempts=Notification.attempts + 1,
                last_error=None,
                sent_at=datetime.now(UTC),
                lease_expires_at=None,
            )
        )
        deadline = time.monotonic() + patience
        pause = 0.25
        while True:
            try:
                return await self._changed(statement)
            except DBAPIError:
                if time.monotonic() + pause > deadline:
                    raise
            if activity.in_activity():
                activity.heartbeat()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def release_failed(self, row_id: str, error: BaseException) -> None:
        """Record this attempt's failure on a row it holds, and free the row for the next."""
        statement = update(Notification).where(self._held([row_id])).values(_failed(error))
        await self._changed(statement)

    async def record_unreachable(self, row_ids: Sequence[str], error: BaseException) -> None:
        """The SMTP server could not be reached: say so on every row no attempt holds."""
        statement = (
            update(Notification)
            .where(Notification.id.in_(row_ids), claimable(datetime.now(UTC)))
            .values(_failed(error))
        )
        await self._changed(statement)

    def _held(self, row_ids: Sequence[str]) -> ColumnElement[bool]:
        """The rows, while this attempt holds them."""
        return and_(Notification.id.in_(row_ids), self._mine())

    def _mine(self) -> ColumnElement[bool]:
        """Rows this attempt holds."""
        return and_(Notification.lease_owner == self.owner, Notification.status == SENDING)

    async def _changed_ids(self, statement: Update, row_ids: Sequence[str]) -> set[str]:
        """Run one UPDATE; which of the rows it changed, read back by RETURNING (SQLite
        3.35 or newer). Each row it changed is one this attempt holds now."""
        if not row_ids:
            return set()
        async with autocommitting(self.sessions) as session:
            return set(await session.scalars(statement.returning(Notification.id)))

    async def _changed(self, statement: Update) -> int:
        """Run one UPDATE as a transaction of its own; how many rows it changed."""
        async with autocommitting(self.sessions) as session:
            result = await session.execute(statement)
        assert isinstance(result, CursorResult)
        return int(result.rowcount)


def _failed(error: BaseException) -> dict[str, object]:
    """A failed attempt's record on its row, which it leaves free for the next."""
    return {
        "status": NotificationStatus.FAILED.value,
        "attempts": Notification.attempts + 1,
        "last_error": _error_text(error),
        "lease_owner": None,
        "lease_expires_at": None,
    }


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]

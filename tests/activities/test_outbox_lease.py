"""Outbox leases: two attempts never send one message at once, a sent message stays sent, and
a message resent after a crash is the same message (Message-ID, headers and body)."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError
from sqlalchemy import event, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email_delivery import EmailDeliveryError
from activities.outbox_lease import OutboxLease
from cli.smtp_sink import SmtpSink
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_async
from core.models import Notification
from core.settings import Settings
from tests.activities.test_notifications import make_activities, outbox, parts, request, seed
from tests.support.smtp import free_port, slow_server
from workflows.contracts import NotificationResult

# pilot_submitted to the town and the admins: two messages in the seeded region.
SUBMITTED = request("pilot_submitted", ["town", "admins"])
ANOTHER_ATTEMPT = "pilot-1/3/1/0123456789abcdef0123456789abcdef"


async def set_lease(
    sessions: async_sessionmaker[AsyncSession],
    row_id: str,
    *,
    status: str,
    owner: str | None,
    expires_in: timedelta | None,
) -> None:
    """Put a row in the state an attempt (live or dead) would have left it in."""
    expires_at = None if expires_in is None else datetime.now(UTC) + expires_in
    async with sessions() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.id == row_id)
            .values(status=status, lease_owner=owner, lease_expires_at=expires_at)
        )


def the_message(message: EmailMessage) -> tuple[str, ...]:
    """What makes a message the same message, whatever MIME boundary it was sent with."""
    text, html = parts(message)
    headers = ("Message-ID", "From", "To", "Subject", "Date", "Auto-Submitted")
    return (*(str(message[name]) for name in headers), text, html)


async def test_two_attempts_at_once_send_each_message_exactly_once(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    # Each message takes the server a while, so the two attempts are sending at once.
    with slow_server(delay=0.5) as server:
        first, second = (make_activities(region, server.port, tmp_path) for _ in range(2))
        outcomes = await asyncio.gather(
            ActivityEnvironment().run(first.send_notification, SUBMITTED),
            ActivityEnvironment().run(second.send_notification, SUBMITTED),
            return_exceptions=True,
        )
        rows = await outbox(region)
        assert len(rows) == 2
        delivered = sorted(str(m["Message-ID"]) for m in server.messages)
        assert delivered == sorted(row.message_id for row in rows)
        # Whoever found a row the other was sending could not say it was sent: it retries.
        losers = [o for o in outcomes if isinstance(o, BaseException)]
        assert losers and all(isinstance(o, EmailDeliveryError) for o in losers)
        for outcome in outcomes:
            if isinstance(outcome, NotificationResult):
                assert outcome.failed == 0 and outcome.sent + outcome.skipped == 2
        assert [(r.status, r.attempts, r.lease_expires_at) for r in rows] == [("sent", 1, None)] * 2
        assert all(r.lease_owner for r in rows)

        # Temporal's retry of the loser finds everything sent, and sends nothing.
        retry = await ActivityEnvironment().run(first.send_notification, SUBMITTED)
        assert (retry.sent, retry.skipped, retry.failed) == (0, 2, 0)
        assert len(server.messages) == 2


async def test_a_live_lease_of_another_attempt_is_left_alone_and_the_attempt_retries(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    await activities._record_outbox(SUBMITTED)
    held, free = await outbox(region)
    await set_lease(
        region, held.id, status="sending", owner=ANOTHER_ATTEMPT, expires_in=timedelta(hours=1)
    )
    with pytest.raises(EmailDeliveryError, match="another attempt"):
        await activities.send_notification(SUBMITTED)
    # The rest went out; the held row is untouched, still the other attempt's.
    assert [str(m["To"]) for m in sink.messages] == [free.to_address]
    held_now, free_now = await outbox(region)
    assert (held_now.status, held_now.lease_owner, held_now.attempts) == (
        "sending",
        ANOTHER_ATTEMPT,
        0,
    )
    assert free_now.status == "sent"

    # The other attempt marks it sent: the retry counts it as sent and sends nothing.
    async with region() as session, session.begin():
        await session.execute(
            update(Notification).where(Notification.id == held.id).values(status="sent")
        )
    result = await activities.send_notification(SUBMITTED)
    assert (result.sent, result.skipped) == (0, 2)
    assert len(sink.messages) == 1


async def test_a_killed_attempts_expired_lease_is_taken_over_and_the_resend_is_the_same_message(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    await activities.send_notification(request("review_reminder", ["admins"]))
    [accepted] = sink.messages
    # A crash between the server's acceptance and the mark leaves the row as it was while
    # it was sent: `sending`, leased to the dead attempt, not counted, no sent_at.
    [row] = await outbox(region)
    dead_owner = row.lease_owner
    async with region() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.id == row.id)
            .values(
                status="sending",
                attempts=0,
                sent_at=None,
                lease_expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )

    result = await activities.send_notification(request("review_reminder", ["admins"]))
    assert (result.sent, result.skipped) == (1, 0)
    first, resent = sink.messages
    assert first is accepted
    assert the_message(resent) == the_message(accepted)
    assert str(resent["Message-ID"]) == row.message_id
    [row] = await outbox(region)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.lease_owner and row.lease_owner != dead_owner


@pytest.mark.parametrize(
    ("owner", "expires_in"),
    [
        (None, None),
        (ANOTHER_ATTEMPT, timedelta(seconds=-30)),  # an old lease that ran out
        (ANOTHER_ATTEMPT, timedelta(hours=1)),  # a lease that still runs
    ],
    ids=["no-lease", "expired-lease", "live-lease"],
)
async def test_a_sent_row_is_never_sent_again_whatever_its_lease_says(
    region: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    tmp_path: Path,
    owner: str | None,
    expires_in: timedelta | None,
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    reminder = request("review_reminder", ["admins"])
    await activities.send_notification(reminder)
    [row] = await outbox(region)
    await set_lease(region, row.id, status="sent", owner=owner, expires_in=expires_in)

    result = await activities.send_notification(reminder)
    assert (result.sent, result.skipped) == (0, 1)
    assert len(sink.messages) == 1
    lease = OutboxLease(region, seconds=60)
    assert not await lease.claim(row.id)
    await lease.record_unreachable([row.id], OSError("SMTP down"))
    [after] = await outbox(region)
    assert (after.status, after.attempts, after.last_error) == ("sent", 1, None)


async def test_smtp_down_records_the_failure_only_on_rows_no_attempt_holds(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    activities = make_activities(region, free_port(), tmp_path)  # nothing listens
    await activities._record_outbox(SUBMITTED)
    held, _ = await outbox(region)
    await set_lease(
        region, held.id, status="sending", owner=ANOTHER_ATTEMPT, expires_in=timedelta(hours=1)
    )
    with pytest.raises(EmailDeliveryError, match="unavailable"):
        await activities.send_notification(SUBMITTED)
    held_now, free_now = await outbox(region)
    assert (held_now.status, held_now.lease_owner, held_now.attempts) == (
        "sending",
        ANOTHER_ATTEMPT,
        0,
    )
    assert (free_now.status, free_now.attempts, free_now.lease_owner) == ("failed", 1, None)


async def test_only_the_owner_of_a_lease_marks_the_row(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await make_activities(region, free_port(), tmp_path)._record_outbox(SUBMITTED)
    row, _ = await outbox(region)
    mine, theirs = OutboxLease(region, seconds=60), OutboxLease(region, seconds=60)
    assert mine.owner != theirs.owner
    assert await mine.claim(row.id)
    assert not await theirs.claim(row.id)
    assert await theirs.mark_sent([row.id]) == 0
    await theirs.release_failed(row.id, OSError("not theirs to release"))
    [claimed, _] = await outbox(region)
    assert (claimed.status, claimed.lease_owner, claimed.last_error) == (
        "sending",
        mine.owner,
        None,
    )
    assert await mine.mark_sent([row.id]) == 1
    [sent, _] = await outbox(region)
    assert (sent.status, sent.lease_owner, sent.lease_expires_at) == ("sent", mine.owner, None)


@pytest.fixture
async def impatient_sqlite(tmp_path: Path) -> AsyncIterator[tuple[Path, async_sessionmaker]]:
    """A seeded SQLite read model whose connections give up on a lock after 50 ms."""
    path = tmp_path / "impatient.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    engine = create_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _impatient(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")  # type: ignore[attr-defined]

    sessions = create_sessionmaker(engine)
    await seed(sessions)
    yield path, sessions
    await engine.dispose()


async def test_a_sent_mark_waits_out_a_database_it_cannot_write_to_for_a_while(
    impatient_sqlite: tuple[Path, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    # SQLite only: here another process's write lock is what an outage looks like; on
    # PostgreSQL the fault suite cuts the worker's connections (tests/faults).
    path, sessions = impatient_sqlite
    await make_activities(sessions, free_port(), tmp_path)._record_outbox(SUBMITTED)
    first, second = await outbox(sessions)
    lease = OutboxLease(sessions, seconds=60)
    assert await lease.claim(first.id) and await lease.claim(second.id)

    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DBAPIError, match="locked"):  # the lock does refuse a mark
            await lease.mark_sent([first.id], patience=0)
        asyncio.get_running_loop().call_later(1.0, locker.commit)
        # The server has the message: the mark waits for the database rather than fail.
        assert await lease.mark_sent([second.id]) == 1
    finally:
        locker.close()
    rows = {row.id: row.status for row in await outbox(sessions)}
    assert rows == {first.id: "sending", second.id: "sent"}


def test_a_lease_must_outlast_one_smtp_exchange() -> None:
    defaults = Settings(_env_file=None)
    assert defaults.email_lease_seconds > defaults.smtp_timeout_seconds
    with pytest.raises(ValidationError, match="must exceed"):
        Settings(_env_file=None, smtp_timeout_seconds=10, email_lease_seconds=10)
    Settings(_env_file=None, smtp_timeout_seconds=30, email_lease_seconds=45)


class _TakesOneThenRefuses:
    """An SMTP server that takes the first message and asks to try later for the rest."""

    def __init__(self) -> None:
        self.taken: list[str] = []

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.taken:
            return "451 4.3.0 Try again later"
        self.taken.append(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def test_messages_taken_before_a_failure_are_marked_sent_though_their_batch_is_not_full(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    # Marks wait for a batch of several messages; an attempt that stops early must still
    # mark what the server took, or its retry would send it again.
    server, port = _TakesOneThenRefuses(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(EmailDeliveryError, match="for now"):
            await make_activities(region, port, tmp_path).send_notification(SUBMITTED)
    finally:
        controller.stop()
    rows = await outbox(region)
    taken, refused = sorted(rows, key=lambda row: row.to_address not in server.taken)
    assert [taken.to_address] == server.taken
    assert (taken.status, taken.attempts, taken.lease_expires_at) == ("sent", 1, None)
    assert (refused.status, refused.attempts, refused.lease_owner) == ("failed", 1, None)


class _RefusesFirstForNow:
    """An SMTP server that asks to try the first recipient later and would take the rest."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.asked.append(address)
        return "451 4.3.0 Try again later"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def test_rows_claimed_but_never_tried_are_freed_when_an_attempt_stops(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    # An attempt claims all its rows at once; one that stops early must not leave the rest
    # leased, or its retry would wait out the lease (and fail meanwhile) before sending them.
    server, port = _RefusesFirstForNow(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(EmailDeliveryError, match="for now"):
            await make_activities(region, port, tmp_path).send_notification(SUBMITTED)
    finally:
        controller.stop()
    tried, untried = sorted(await outbox(region), key=lambda row: row.to_address != server.asked[0])
    assert server.asked == [tried.to_address]
    assert (tried.status, tried.attempts, tried.lease_owner) == ("failed", 1, None)
    assert (untried.status, untried.attempts, untried.lease_owner) == ("queued", 0, None)
    assert untried.lease_expires_at is None

    result = await make_activities(region, sink.port, tmp_path).send_notification(SUBMITTED)
    assert (result.sent, result.skipped) == (2, 0)


async def test_a_claim_of_several_rows_takes_only_the_free_ones_and_renews_only_its_own(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await make_activities(region, free_port(), tmp_path)._record_outbox(SUBMITTED)
    first, second = await outbox(region)
    mine, theirs = OutboxLease(region, seconds=60), OutboxLease(region, seconds=60)
    assert await theirs.claim(first.id)
    assert await mine.claim_many([first.id, second.id]) == {second.id}
    assert await theirs.claim_many([first.id, second.id]) == {first.id}  # theirs already
    # A row still this attempt's is renewed though its lease ran out; another's is not.
    await set_lease(
        region, second.id, status="sending", owner=mine.owner, expires_in=timedelta(seconds=-1)
    )
    assert await mine.renew([first.id, second.id]) == {second.id}
    _, renewed = await outbox(region)
    assert renewed.lease_expires_at is not None
    assert renewed.lease_expires_at.replace(tzinfo=UTC) > datetime.now(UTC) + timedelta(seconds=50)
    assert await theirs.claim_many([second.id]) == set()


async def test_an_attempt_heartbeats_its_progress_only_once_it_has_sent_for_a_while(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    # Each heartbeat is a write in Temporal's history: a quick round of two messages sends
    # none; one whose messages take 0.6 s each says how many it sent after the first second.
    quick = ActivityEnvironment()
    quick_beats: list[Any] = []
    quick.on_heartbeat = lambda *details: quick_beats.append(details)
    activities = make_activities(region, sink.port, tmp_path)
    result = await quick.run(activities.send_notification, SUBMITTED)
    assert result.sent == 2 and quick_beats == []

    slow_round = request("pilot_submitted", ["town", "admins"], seq=SUBMITTED.seq + 1)
    with slow_server(delay=0.6) as server:
        slow = ActivityEnvironment()
        slow_beats: list[Any] = []
        slow.on_heartbeat = lambda *details: slow_beats.append(details)
        activities = make_activities(region, server.port, tmp_path)
        result = await slow.run(activities.send_notification, slow_round)
    assert result.sent == 2 and slow_beats == [(2,)]

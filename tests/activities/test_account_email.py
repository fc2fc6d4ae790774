"""Account email: rendered once into the outbox in the user's language, sent however long
SMTP stays down, never twice, and not at all for a link that would be dead on arrival."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.account_email import AccountEmailActivities
from activities.email_delivery import EmailDeliveryError
from activities.notifications import NotificationActivities
from core import account_links
from core.account_links import LinkPurpose, password_fingerprint
from core.db import transaction
from core.models import Notification, User
from core.security import hash_password, unusable_password_hash
from core.settings import Settings
from tests.support.smtp import free_port, running_sink
from workflows.contracts import AccountEmailRequest

SECRET = "account-email-secret"


def _activities(sessions: async_sessionmaker[AsyncSession], port: int) -> AccountEmailActivities:
    settings = Settings(
        _env_file=None,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout_seconds=5,
        public_url="https://pilotflow.example",
        secret_key=SECRET,
    )
    return AccountEmailActivities(sessions, settings, NotificationActivities(sessions, settings))


def _environment(workflow_id: str) -> ActivityEnvironment:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, workflow_id=workflow_id)
    return environment


async def _new_user(sessions: async_sessionmaker[AsyncSession], locale: str) -> User:
    async with transaction(sessions) as session:
        user = User(
            email="Camille@Lille.example",
            name="Camille",
            role="admin",
            locale=locale,
            password_hash=unusable_password_hash(),
        )
        session.add(user)
    return user


async def _outbox(sessions: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with sessions() as session:
        return list(await session.scalars(select(Notification)))


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_smtp_down_keeps_the_email_then_it_goes_out_once(
    sessions: async_sessionmaker[AsyncSession], locale: str
) -> None:
    user = await _new_user(sessions, locale)
    port = free_port()  # nothing listens yet
    activities = _activities(sessions, port)
    settings = activities.settings
    request = AccountEmailRequest(
        LinkPurpose.INVITATION.value, user.id, password_fingerprint(user.password_hash, settings)
    )
    environment = _environment("account-email-1")
    with pytest.raises(EmailDeliveryError):
        await environment.run(activities.send_account_email, request)
    [row] = await _outbox(sessions)
    assert (row.status, row.pilot_id, row.template) == ("failed", None, "account_invitation")

    with running_sink(port=port) as sink:
        assert (await environment.run(activities.send_account_email, request)).sent
        assert (await environment.run(activities.send_account_email, request)).sent
        assert len(sink.messages) == 1
        message = sink.messages[0]
    [row] = await _outbox(sessions)
    assert (row.status, row.attempts, row.to_address) == ("sent", 2, "camille@lille.example")
    expected = {"fr": "choisissez un mot de passe", "en": "choose a password"}[locale]
    assert expected in str(message["Subject"])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(word for word in text.split() if word.startswith("https://pilotflow.example/"))
    claims = account_links.read_token(link.rsplit("/", 1)[1], settings)
    assert claims is not None
    assert (claims.user_id, claims.purpose) == (user.id, LinkPurpose.INVITATION)


async def test_no_email_for_a_link_the_password_change_already_killed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = await _new_user(sessions, "fr")
    activities = _activities(sessions, free_port())
    old = password_fingerprint(user.password_hash, activities.settings)
    async with transaction(sessions) as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.password_hash = hash_password("chosen-meanwhile")
    request = AccountEmailRequest(LinkPurpose.PASSWORD_RESET.value, user.id, old)
    result = await _environment("account-email-2").run(activities.send_account_email, request)
    assert not result.sent
    assert result.skipped_because == "password changed"
    assert await _outbox(sessions) == []


async def test_an_account_email_another_attempt_is_sending_is_not_sent_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Account email goes through the pilots' delivery, lease included."""
    user = await _new_user(sessions, "en")
    with running_sink() as sink:
        activities = _activities(sessions, sink.port)
        request = AccountEmailRequest(
            LinkPurpose.INVITATION.value,
            user.id,
            password_fingerprint(user.password_hash, activities.settings),
        )
        environment = _environment("account-email-3")
        # SMTP refuses nothing, but the row is claimed by a live attempt before ours runs.
        async with transaction(sessions) as session:
            await activities._queue(
                session, "account:account-email-3", LinkPurpose.INVITATION, request
            )
            await session.execute(
                update(Notification).values(
                    status="sending",
                    lease_owner="account-email-3/1/1/another",
                    lease_expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
        with pytest.raises(EmailDeliveryError, match="another attempt"):
            await environment.run(activities.send_account_email, request)
        assert sink.messages == []

        # That attempt died without sending: once its lease has run out, ours sends it.
        async with transaction(sessions) as session:
            await session.execute(
                update(Notification).values(
                    lease_expires_at=datetime.now(UTC) - timedelta(seconds=1)
                )
            )
        assert (await environment.run(activities.send_account_email, request)).sent
        assert (await environment.run(activities.send_account_email, request)).sent
        assert len(sink.messages) == 1
    [row] = await _outbox(sessions)
    assert (row.status, row.attempts) == ("sent", 1)
    assert str(sink.messages[0]["Message-ID"]) == row.message_id

"""send_notification against a real database and a real SMTP server on loopback."""

import asyncio
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email_delivery import EmailDeliveryError
from activities.notifications import (
    NotificationActivities,
    clean_address,
    message_id_for,
)
from cli.smtp_sink import SmtpSink
from core.models import Company, Notification, Theme, Town, User
from core.settings import Settings
from core.signing import sign, verify
from tests.support.sample_pilot import sample_pilot_state
from tests.support.smtp import free_port, refusing_server, running_sink
from workflows.contracts import NotificationRequest, PilotState

SECRET = "test-secret"
PUBLIC_URL = "https://pilotflow.example"


@dataclass
class Region:
    """Ids of the seeded towns and companies."""

    roubaix: str = "a" * 32
    tourcoing: str = "b" * 32
    lille: str = "c" * 32
    lumina: str = "1" * 32
    quiet: str = "2" * 32
    solo: str = "3" * 32
    dormant: str = "4" * 32


REGION = Region()


def user(email: str, role: str, locale: str = "fr", **fields: object) -> User:
    return User(
        email=email,
        name=email.split("@")[0].title(),
        role=role,
        locale=locale,
        password_hash="unused",
        **fields,
    )


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    r = REGION
    async with sessions() as session, session.begin():
        # The migrations may have created the theme already.
        await session.merge(Theme(code="efficient-city", name="Ville efficace"))
        session.add_all(
            [
                Town(id=r.roubaix, name="Roubaix"),
                Town(id=r.tourcoing, name="Tourcoing"),
                Town(id=r.lille, name="Lille"),
            ]
        )
        session.add_all(
            [
                Company(id=r.lumina, name="Lumina", contact_email="contact@lumina.example"),
                Company(
                    id=r.quiet,
                    name="Quiet",
                    contact_email="hello@quiet.example",
                    locale="en",
                    unsubscribed=True,
                ),
                Company(id=r.solo, name="Solo", contact_email="Jean@Solo.example"),
                Company(
                    id=r.dormant, name="Dormant", contact_email="x@dormant.example", active=False
                ),
            ]
        )
        await session.flush()
        session.add_all(
            [
                user("officer@roubaix.example", "town_officer", town_id=r.roubaix),
                user("gone@roubaix.example", "town_officer", town_id=r.roubaix, active=False),
                user("admin@region.example", "admin", "en"),
                user("former-admin@region.example", "admin", active=False),
                user("officer@tourcoing.example", "town_officer", "en", town_id=r.tourcoing),
                user("busy@lille.example", "town_officer", town_id=r.lille, receives_offers=False),
                user("ceo@lumina.example", "company", "en", company_id=r.lumina),
                user("jean@solo.example", "company", company_id=r.solo),
                user("staff@quiet.example", "company", company_id=r.quiet),
            ]
        )


def make_activities(
    sessions: async_sessionmaker[AsyncSession], port: int, tmp_path: Path, **fields: object
) -> NotificationActivities:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout_seconds=5,
        public_url=PUBLIC_URL,
        secret_key=SECRET,
        data_dir=tmp_path,
        **fields,  # type: ignore[arg-type]
    )
    return NotificationActivities(sessions, settings)


def request(
    template: str,
    audiences: list[str],
    *,
    company_ids: list[str] | None = None,
    extra: dict[str, object] | None = None,
    state: PilotState | None = None,
    seq: int = 7,
) -> NotificationRequest:
    return NotificationRequest(
        template=template,
        seq=seq,
        state=state or sample_pilot_state(town_id=REGION.roubaix),
        audiences=audiences,
        company_ids=company_ids or [],
        extra=extra or {},
    )


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in messages}


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> list[Notification]:
    async with sessions() as session:
        rows = await session.scalars(select(Notification).order_by(Notification.to_address))
        return list(rows)


async def test_town_and_admins_each_get_one_message_in_their_language(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    result = await ActivityEnvironment().run(
        activities.send_notification, request("pilot_submitted", ["town", "admins"])
    )
    assert result.sent == 2 and result.skipped == 0
    messages = by_recipient(sink.messages)
    assert set(messages) == {"officer@roubaix.example", "admin@region.example"}
    officer, admin = messages["officer@roubaix.example"], messages["admin@region.example"]
    assert officer["Subject"] == "Nouveau pilote soumis : Éclairage public intelligent"
    assert admin["Subject"] == "New pilot submitted: Éclairage public intelligent"
    for message in messages.values():
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
        assert message["From"] == "pilotflow <noreply@pilotflow.local>"
        assert message["List-Unsubscribe"] is None
        assert not message.defects and all(not p.defects for p in message.iter_parts())
        text, html = parts(message)
        assert f"{PUBLIC_URL}/pilots/{sample_pilot_state().pilot_id}" in text
        assert "Roubaix" in text and "Ville efficace" in html
    rows = await outbox(region)
    assert [(r.to_address, r.locale, r.status, r.attempts) for r in rows] == [
        ("admin@region.example", "en", "sent", 1),
        ("officer@roubaix.example", "fr", "sent", 1),
    ]
    for row in rows:
        assert row.idempotency_key == f"{row.pilot_id}:7:pilot_submitted:{row.to_address}"
        assert messages[row.to_address]["Message-ID"] == row.message_id
        assert row.message_id == message_id_for(row.idempotency_key)
        assert row.sent_at is not None and row.last_error is None


async def test_a_retried_activity_sends_nothing_twice(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    notification = request("pilot_submitted", ["town", "admins"])
    first = await activities.send_notification(notification)
    again = await activities.send_notification(notification)
    assert (first.sent, first.skipped) == (2, 0)
    assert (again.sent, again.skipped) == (0, 2)
    assert len(sink.messages) == 2
    rows = await outbox(region)
    assert len(rows) == 2 and {r.attempts for r in rows} == {1}
    # The next transition is another message, even to the same people.
    await activities.send_notification(request("pilot_submitted", ["town", "admins"], seq=8))
    assert len(sink.messages) == 4


async def test_concurrent_attempts_record_each_message_once(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    activities = make_activities(region, free_port(), tmp_path)
    notification = request("pilot_submitted", ["town", "admins"])
    await asyncio.gather(*(activities._record_outbox(notification) for _ in range(4)))
    rows = await outbox(region)
    assert sorted(r.to_address for r in rows) == ["admin@region.example", "officer@roubaix.example"]


async def test_rows_another_attempt_inserts_after_the_read_are_the_ones_sent(
    region: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The insert keeps what is there: the message sent is the rival attempt's row, once."""
    activities = make_activities(region, sink.port, tmp_path)
    rival = make_activities(region, sink.port, tmp_path)
    notification = request("pilot_submitted", ["town", "admins"])
    names = activities._names

    async def rival_records_first(session: AsyncSession, req: NotificationRequest) -> object:
        # Between this attempt's read of the outbox and its insert.
        await rival._record_outbox(req)
        return await names(session, req)

    monkeypatch.setattr(activities, "_names", rival_records_first)
    _, rows = await activities._record_outbox(notification)
    stored = {row.idempotency_key: row.id for row in await outbox(region)}
    assert len(stored) == 2
    assert {row.idempotency_key: row.id for row in rows} == stored

    result = await activities.send_notification(notification)
    assert (result.sent, result.skipped) == (2, 0)
    assert len(sink.messages) == 2
    assert {r.status for r in await outbox(region)} == {"sent"}


async def test_companies_hear_at_their_contact_and_users_with_a_signed_unsubscribe_link(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    companies = [REGION.lumina, REGION.solo, REGION.dormant]
    await activities.send_notification(request("invitation", ["companies"], company_ids=companies))
    messages = by_recipient(sink.messages)
    # Solo's contact is its user's address, written differently: one message.
    assert set(messages) == {"contact@lumina.example", "ceo@lumina.example", "jean@solo.example"}
    assert messages["contact@lumina.example"]["Subject"].startswith("Invitation à un pilote")
    assert messages["ceo@lumina.example"]["Subject"].startswith("Invitation to a pilot")
    for address, company_id in [
        ("contact@lumina.example", REGION.lumina),
        ("ceo@lumina.example", REGION.lumina),
        ("jean@solo.example", REGION.solo),
    ]:
        link = f"{PUBLIC_URL}/unsubscribe/{sign(company_id, SECRET)}"
        message = messages[address]
        assert message["List-Unsubscribe"] == f"<{link}>"
        text, html = parts(message)
        assert link in text and link in html
        token = link.rsplit("/", 1)[1]
        assert verify(token, SECRET) == company_id


async def test_an_unsubscribed_company_gets_no_invitation_but_hears_about_its_pilots(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    quiet = [REGION.quiet]
    await activities.send_notification(request("invitation", ["companies"], company_ids=quiet))
    await activities.send_notification(
        request("invitation_reminder", ["companies"], company_ids=quiet)
    )
    assert sink.messages == []
    await activities.send_notification(
        request("partner_not_chosen", ["companies"], company_ids=quiet)
    )
    assert set(by_recipient(sink.messages)) == {"hello@quiet.example", "staff@quiet.example"}


async def test_offers_go_to_other_towns_officers_who_want_them(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    await activities.send_notification(request("generalization_offer", ["other_towns"]))
    messages = by_recipient(sink.messages)
    assert set(messages) == {"officer@tourcoing.example"}
    text, _ = parts(messages["officer@tourcoing.example"])
    assert "Evaluation report" in text and "target met" in text


async def test_untrusted_text_is_escaped_and_cannot_add_headers(
    region: async_sessionmaker[AsyncSession], sink: SmtpSink, tmp_path: Path
) -> None:
    activities = make_activities(region, sink.port, tmp_path)
    evil = "\r\nBcc: evil@x"
    state = sample_pilot_state(title=f"<script>alert(1)</script>{evil}", town_id=REGION.roubaix)
    extra = {"decision": "request_changes", "comment": f"Merci{evil}\r\n\r\n<b>bold</b>"}
    await activities.send_notification(
        request("review_outcome", ["town"], extra=extra, state=state)
    )
    [message] = sink.messages
    assert message["Bcc"] is None
    assert message["X-RcptTo"] == "officer@roubaix.example"
    assert message["Subject"] == "Modifications demandées : <script>alert(1)</script> Bcc: evil@x"
    _, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("helo_name", [None, "mail.pilotflow.example", "[IPv6:2001:db8::25]"])
async def test_the_worker_greets_the_server_with_its_configured_name(
    region: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    tmp_path: Path,
    helo_name: str | None,
) -> None:
    activities = make_activities(region, sink.port, tmp_path, smtp_helo_name=helo_name)
    await activities.send_notification(request("pilot_submitted", ["town", "admins"]))
    # Unset, the machine's own name, as aiosmtplib would have looked it up per connection.
    expected = helo_name or socket.getfqdn()
    assert [m["X-Helo"] for m in sink.messages] == [expected, expected]


@pytest.mark.parametrize("helo_name", ["", "two words", "name\r\nRCPT TO:<x@y>", "-dash", "[x]"])
def test_a_greeting_name_that_is_not_one_is_refused(helo_name: str) -> None:
    with pytest.raises(ValidationError, match="smtp_helo_name"):
        Settings(_env_file=None, smtp_helo_name=helo_name)  # type: ignore[call-arg]


async def test_smtp_down_marks_the_messages_failed_then_a_retry_sends_them(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    activities = make_activities(region, port, tmp_path)
    notification = request("pilot_submitted", ["town", "admins"])
    with pytest.raises(EmailDeliveryError):
        await activities.send_notification(notification)
    rows = await outbox(region)
    assert [(r.status, r.attempts) for r in rows] == [("failed", 1), ("failed", 1)]
    assert all(r.last_error for r in rows)

    with running_sink(port=port) as sink:
        result = await activities.send_notification(notification)
        assert result.sent == 2
        assert len(sink.messages) == 2
        sent_ids = {str(m["Message-ID"]) for m in sink.messages}
    rows = await outbox(region)
    assert [(r.status, r.attempts, r.last_error) for r in rows] == [("sent", 2, None)] * 2
    # Message-IDs were fixed when the messages were first recorded.
    assert sent_ids == {r.message_id for r in rows}


async def test_a_server_that_says_try_later_makes_the_activity_retry(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    with refusing_server("451 4.3.0 Try again later") as port:
        activities = make_activities(region, port, tmp_path)
        with pytest.raises(EmailDeliveryError):
            await activities.send_notification(request("review_reminder", ["admins"]))
    [row] = await outbox(region)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error is not None and "451" in row.last_error


async def test_a_mailbox_refused_for_good_is_recorded_without_blocking_the_pilot(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    with refusing_server("550 5.1.1 No such user") as port:
        activities = make_activities(region, port, tmp_path)
        result = await activities.send_notification(request("review_reminder", ["admins"]))
    assert result.sent == 0
    [row] = await outbox(region)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error is not None and "550" in row.last_error


async def test_no_recipient_means_nothing_to_send(
    region: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    activities = make_activities(region, free_port(), tmp_path)
    result = await activities.send_notification(request("invitation", ["companies"]))
    assert (result.sent, result.skipped) == (0, 0)
    assert await outbox(region) == []


def test_signed_tokens_refuse_tampering() -> None:
    token = sign(REGION.lumina, SECRET)
    assert verify(token, SECRET) == REGION.lumina
    assert verify(token, "another-secret") is None
    assert verify(token, SECRET, purpose="login") is None
    assert verify(token.replace(REGION.lumina, REGION.solo), SECRET) is None
    assert verify("garbage", SECRET) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Jean@Solo.example", "jean@solo.example"),
        (" officer@roubaix.example ", "officer@roubaix.example"),
        ("x@y.example\r\nBcc: evil@x", None),
        ("a@b.example, evil@x", None),
        ("two words@b.example", None),
        ("élise@lille.example", None),
        ("", None),
        (None, None),
    ],
)
def test_only_plain_addresses_are_written_to(given: str | None, expected: str | None) -> None:
    assert clean_address(given) == expected

"""The send_notification activity: resolve recipients, record the outbox, deliver by SMTP."""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.email_delivery import Delivery, EmailDeliveryError, OutboxDelivery
from activities.email_rendering import (
    EmailRenderer,
    Links,
    Recipient,
    RenderedEmail,
    email_context,
)
from core.db import autocommitting, insert_or_ignore
from core.i18n import normalize_locale
from core.models import Company, Notification, NotificationStatus, Theme, Town, User, new_id
from core.settings import Settings
from core.signing import sign
from workflows.contracts import (
    Audience,
    EmailTemplate,
    NotificationRequest,
    NotificationResult,
)
from workflows.stages import Role

# Companies that unsubscribed still hear about pilots they are part of, not new invitations.
UNSUBSCRIBABLE_TEMPLATES = frozenset({EmailTemplate.INVITATION, EmailTemplate.INVITATION_REMINDER})


def idempotency_key(request: NotificationRequest, address: str) -> str:
    return f"{request.state.pilot_id}:{request.seq}:{request.template}:{address}"


def message_id_for(key: str) -> str:
    """The same key always gives the same Message-ID, so a resend is recognisably a resend."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@pilotflow>"


def outbox_row(
    key: str,
    recipient: Recipient,
    template: str,
    email: RenderedEmail,
    *,
    pilot_id: str | None,
    seq: int,
) -> dict[str, object]:
    """A queued outbox row for one rendered message; its Message-ID derives from `key`."""
    return {
        "id": new_id(),
        "idempotency_key": key,
        "pilot_id": pilot_id,
        "seq": seq,
        "template": template,
        "to_address": recipient.address,
        "locale": recipient.locale,
        "subject": email.subject[:400],
        "body_text": email.text,
        "body_html": email.html,
        "message_id": message_id_for(key),
        "status": NotificationStatus.QUEUED.value,
        "attempts": 0,
        "created_at": datetime.now(UTC),
    }


def unsubscribe_url(settings: Settings, company_id: str) -> str:
    return f"{settings.effective_public_url}/unsubscribe/{sign(company_id, settings.secret_key)}"


def clean_address(address: str | None) -> str | None:
    """The lowercased bare address, or None if it is not one plain ASCII addr-spec."""
    address = (address or "").strip().lower()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):  # what the email package raises
        return None
    return address if address.isascii() and parsed.addr_spec == address else None


async def resolve_recipients(
    session: AsyncSession, request: NotificationRequest
) -> list[Recipient]:
    """Every address the request's audiences reach, each once, in its own language."""
    found: list[Recipient] = []
    active_users = select(User).where(User.active.is_(True))
    for audience in request.audiences:
        reached = len(found)
        if audience == Audience.TOWN:
            users = await session.scalars(
                active_users.where(
                    User.role == Role.TOWN_OFFICER, User.town_id == request.state.town_id
                )
            )
            found += [_user_recipient(user) for user in users]
        elif audience == Audience.ADMINS:
            users = await session.scalars(active_users.where(User.role == Role.ADMIN))
            found += [_user_recipient(user) for user in users]
        elif audience == Audience.OTHER_TOWNS:
            users = await session.scalars(
                active_users.where(
                    User.role == Role.TOWN_OFFICER,
                    User.receives_offers.is_(True),
                    User.town_id.is_not(None),
                    User.town_id != request.state.town_id,
                )
            )
            found += [_user_recipient(user) for user in users]
        elif audience == Audience.COMPANIES:
            found += await _company_recipients(session, request)
        else:
            raise ValueError(f"unknown audience {audience!r}")
        for recipient in found[reached:]:
            recipient.audience = audience  # what each may read: see core.disclosure
    unique: dict[str, Recipient] = {}
    for recipient in found:
        address = clean_address(recipient.address)
        if address is None:
            activity.logger.warning("Not an email address, not written to: %r", recipient.address)
        elif address not in unique:
            recipient.address = address
            unique[address] = recipient
    return list(unique.values())


def _user_recipient(user: User, company_id: str | None = None) -> Recipient:
    return Recipient(user.email, user.name, normalize_locale(user.locale), company_id)


async def _company_recipients(
    session: AsyncSession, request: NotificationRequest
) -> list[Recipient]:
    if not request.company_ids:
        return []
    companies = await session.scalars(
        select(Company)
        .where(Company.id.in_(request.company_ids), Company.active.is_(True))
        .order_by(Company.name)
    )
    writing = [
        company
        for company in companies
        if not (company.unsubscribed and request.template in UNSUBSCRIBABLE_TEMPLATES)
    ]
    # Every company's users in one query, not one query per company.
    users = await session.scalars(
        select(User)
        .where(User.company_id.in_([c.id for c in writing]), User.active.is_(True))
        .order_by(User.email)
    )
    users_of: dict[str, list[User]] = {}
    for user in users:
        users_of.setdefault(str(user.company_id), []).append(user)
    found = []
    for company in writing:
        locale = normalize_locale(company.locale)
        found.append(Recipient(company.contact_email, company.name, locale, company.id))
        found += [_user_recipient(user, company.id) for user in users_of.get(company.id, [])]
    return found


async def _outbox_rows(session: AsyncSession, keys: Iterable[str]) -> list[Notification]:
    return list(
        await session.scalars(select(Notification).where(Notification.idempotency_key.in_(keys)))
    )


class NotificationActivities:
    """Email activities, built once in the worker with the database and SMTP settings."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        renderer: EmailRenderer | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.renderer = renderer or EmailRenderer(settings.templates_dir)
        self.delivery = OutboxDelivery(sessions, settings)

    @activity.defn
    async def send_notification(self, request: NotificationRequest) -> NotificationResult:
        """Send a template to the request's audiences, each message at most once."""
        recipients, rows = await self._record_outbox(request)
        return await self._deliver(recipients, rows)

    async def deliver_outbox(self, recipients: dict[str, Recipient]) -> NotificationResult:
        """Send the outbox rows of these keys not sent yet (pilot or account email alike)."""
        async with autocommitting(self.sessions) as session:
            rows = await _outbox_rows(session, recipients)
        return await self._deliver(recipients, rows)

    async def _deliver(
        self, recipients: dict[str, Recipient], rows: list[Notification]
    ) -> NotificationResult:
        """Send those of the rows not sent yet, in the order of their addresses.

        Raises the retryable EmailDeliveryError, after sending the rest, if another attempt
        still holds a row: this one cannot say it was sent until that attempt marks it or
        its lease runs out, and Temporal's retry comes back to see which.
        """
        rows = sorted(rows, key=lambda row: row.to_address)
        pending = [row for row in rows if row.status != NotificationStatus.SENT]

        def unsubscribe(row: Notification) -> str | None:
            company_id = recipients[row.idempotency_key].company_id
            return unsubscribe_url(self.settings, company_id) if company_id else None

        outcome = await self.delivery.deliver(pending, unsubscribe) if pending else Delivery()
        if outcome.held_elsewhere:
            raise EmailDeliveryError(
                f"{outcome.held_elsewhere} message(s) are being sent by another attempt; "
                f"this one sent {outcome.sent} and retries later"
            )
        return NotificationResult(
            sent=outcome.sent,
            skipped=len(rows) - len(pending) + outcome.sent_elsewhere,
            failed=outcome.refused,
        )

    async def _record_outbox(
        self, request: NotificationRequest
    ) -> tuple[dict[str, Recipient], list[Notification]]:
        """Render and insert the messages not yet in the outbox; every recipient by key, and
        every one's outbox row as it is now.

        No transaction: each statement stands alone (the insert ignores a row another
        attempt wrote first), so on PostgreSQL there is no BEGIN or COMMIT to wait for, and
        the rows this attempt inserts are known without reading them back (issue 10).
        """
        async with autocommitting(self.sessions) as session:
            recipients = await resolve_recipients(session, request)
            by_key = {idempotency_key(request, r.address): r for r in recipients}
            if not by_key:
                return {}, []
            rows = {row.idempotency_key: row for row in await _outbox_rows(session, by_key)}
            missing = {key: r for key, r in by_key.items() if key not in rows}
            if missing:
                town, theme = await self._names(session, request)
                values = [
                    self._render_row(request, key, r, town, theme) for key, r in missing.items()
                ]
                inserted = await insert_or_ignore(
                    session,
                    Notification,
                    values,
                    ["idempotency_key"],
                    returning="idempotency_key",
                )
                rows |= {
                    key: Notification(**v)
                    for v in values
                    if (key := str(v["idempotency_key"])) in inserted
                }
                # Another attempt wrote some of them meanwhile: its rows are the ones kept.
                taken = [key for key in missing if key not in inserted]
                if taken:
                    rows |= {row.idempotency_key: row for row in await _outbox_rows(session, taken)}
        return by_key, list(rows.values())

    async def _names(self, session: AsyncSession, request: NotificationRequest) -> tuple[str, str]:
        """The town's and theme's display names, which the state only knows by id; one
        round trip for both ("" for one that is gone)."""
        town = select(Town.name).where(Town.id == request.state.town_id).scalar_subquery()
        theme = select(Theme.name).where(Theme.code == request.state.proposal.theme)
        names = (await session.execute(select(town, theme.scalar_subquery()))).one()
        return (names[0] or "", names[1] or "")

    def _render_row(
        self, request: NotificationRequest, key: str, recipient: Recipient, town: str, theme: str
    ) -> dict[str, object]:
        public_url = self.settings.effective_public_url
        links = Links(pilot=f"{public_url}/pilots/{request.state.pilot_id}")
        if recipient.company_id:
            links.unsubscribe = unsubscribe_url(self.settings, recipient.company_id)
        context = email_context(
            pilot=request.state,
            recipient=recipient,
            links=links,
            template=request.template,
            extra=request.extra,
            town=town,
            theme=theme,
        )
        email = self.renderer.render(request.template, recipient.locale, context)
        return outbox_row(
            key,
            recipient,
            request.template,
            email,
            pilot_id=request.state.pilot_id,
            seq=request.seq,
        )

"""The send_account_email activity: render an account email into the outbox, then deliver it.

It reuses the pilots' outbox and SMTP delivery (`NotificationActivities.deliver_outbox`):
one row per workflow id, so a retried activity renders once and sends at most once.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.email_rendering import EmailRenderer, Recipient
from activities.notifications import NotificationActivities, clean_address, outbox_row
from core.account_links import (
    LinkClaims,
    LinkPurpose,
    link_ttl_seconds,
    password_fingerprint,
    set_password_url,
)
from core.db import insert_or_ignore, transaction
from core.i18n import normalize_locale
from core.models import Notification, User
from core.settings import Settings
from workflows.contracts import AccountEmailRequest, AccountEmailResult

# The templates this activity renders, each as .txt and .html, said in every locale.
ACCOUNT_TEMPLATES = tuple(f"account_{purpose.value}" for purpose in LinkPurpose)


class AccountEmailActivities:
    """Account email, built once in the worker beside the pilots' notifications."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        notifications: NotificationActivities,
        renderer: EmailRenderer | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.notifications = notifications
        self.renderer = renderer or notifications.renderer

    @activity.defn
    async def send_account_email(self, request: AccountEmailRequest) -> AccountEmailResult:
        """Queue the email once (if the link still means something), then send what is queued."""
        try:
            purpose = LinkPurpose(request.purpose)
        except ValueError as error:
            raise ApplicationError(str(error), type="UnknownPurpose", non_retryable=True) from error
        key = f"account:{activity.info().workflow_id}"
        async with transaction(self.sessions) as session:
            recipient, why_not = await self._queue(session, key, purpose, request)
        if recipient is None:
            return AccountEmailResult(sent=False, skipped_because=why_not)
        result = await self.notifications.deliver_outbox({key: recipient})
        return AccountEmailResult(sent=result.sent > 0 or result.skipped > 0)

    async def _queue(
        self, session: AsyncSession, key: str, purpose: LinkPurpose, request: AccountEmailRequest
    ) -> tuple[Recipient | None, str]:
        user = await session.get(User, request.user_id)
        if user is None or not user.active:
            return None, "no such active user"
        address = clean_address(user.email)
        if address is None:
            return None, "not an email address"
        recipient = Recipient(address, user.name, normalize_locale(user.locale))
        if password_fingerprint(user.password_hash, self.settings) != request.fingerprint:
            # The password changed since it was asked for: the link would be dead on arrival.
            # A row queued before the change still goes out (its link then says it is used).
            if await self._queued(session, key):
                return recipient, ""
            return None, "password changed"
        claims = LinkClaims(user.id, purpose, request.fingerprint)
        context = {
            "recipient": recipient,
            "link": set_password_url(claims, self.settings),
            "valid_hours": max(1, link_ttl_seconds(purpose, self.settings) // 3600),
            "valid_minutes": link_ttl_seconds(purpose, self.settings) // 60,
        }
        template = f"account_{purpose.value}"
        email = self.renderer.render(template, recipient.locale, context)
        row = outbox_row(key, recipient, template, email, pilot_id=None, seq=0)
        await insert_or_ignore(session, Notification, row, ["idempotency_key"])
        return recipient, ""

    async def _queued(self, session: AsyncSession, key: str) -> bool:
        found = await session.scalar(
            select(Notification.id).where(Notification.idempotency_key == key)
        )
        return found is not None

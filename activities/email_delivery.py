"""Outbox rows delivered over one SMTP connection: each claimed under a lease, sent, and
marked sent in small batches by the attempt that sent it."""

import asyncio
import contextlib
import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.outbox_lease import OutboxLease
from core.models import Notification
from core.settings import Settings

# Messages the server took are marked sent together, at most this many at once and at
# most this long after the first of them was taken: one transaction for several rows,
# while the crash window (taken, not yet marked) stays small. See docs/RELIABILITY.md.
MARK_BATCH_ROWS = 10
MARK_BATCH_SECONDS = 1.0
# A batch is marked before a message is sent if that send, lasting the whole SMTP timeout,
# would bring a row of the batch this close to the end of its lease.
LEASE_MARGIN_SECONDS = 1.0
# Heartbeats (progress, and how a cancellation is heard) once an attempt has sent for this
# long, and at most this often: each is a write in Temporal's history service and costs the
# worker about as much CPU as building a message, and Temporal needs one per 30 s. A round
# sent in less (most are: 14 invitations take tens of milliseconds) needs none.
HEARTBEAT_SECONDS = 1.0


class EmailDeliveryError(Exception):
    """The SMTP server could not take a message now; Temporal retries the activity."""


@dataclass
class Delivery:
    """What one attempt did with the rows it found not sent."""

    sent: int = 0  # the server took them from this attempt
    refused: int = 0  # refused for good (5xx), kept in the outbox as failed
    sent_elsewhere: int = 0  # another attempt marked them sent meanwhile
    held_elsewhere: int = 0  # another attempt holds a live lease: not known sent yet


@dataclass
class _Accepted:
    """Rows the server took from this attempt and not yet marked sent, oldest first."""

    lease: OutboxLease
    send_seconds: float  # the longest one SMTP exchange may take
    row_ids: list[str] = field(default_factory=list)
    first_taken: float = 0.0  # time.monotonic() when the oldest was taken
    first_claimed: float = 0.0  # ... and when it was claimed: its lease runs from then

    def add(self, row_id: str, claimed: float) -> None:
        if not self.row_ids:
            self.first_taken, self.first_claimed = time.monotonic(), claimed
        self.row_ids.append(row_id)

    def due(self) -> bool:
        """Full, old enough, or the next send could outlast the oldest row's lease."""
        if not self.row_ids:
            return False
        now = time.monotonic()
        lease_left = self.first_claimed + self.lease.seconds - now
        return (
            len(self.row_ids) >= MARK_BATCH_ROWS
            or now - self.first_taken >= MARK_BATCH_SECONDS
            or lease_left < self.send_seconds + LEASE_MARGIN_SECONDS
        )

    async def mark(self) -> None:
        """Mark every row taken so far sent, in one transaction. Shielded: a cancellation
        now must not lose the mark of messages the server already has."""
        if not self.row_ids:
            return
        row_ids, self.row_ids = self.row_ids, []
        marked = await asyncio.shield(self.lease.mark_sent(row_ids))
        if marked < len(row_ids):
            activity.logger.warning(
                "The lease on %d of %d messages ran out while they were sent: "
                "another attempt may send them again",
                len(row_ids) - marked,
                len(row_ids),
            )


class OutboxDelivery:
    """Sends outbox rows through the configured SMTP server, at most once per lease."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sender = parseaddr(settings.smtp_from)[1]
        self.from_header = formataddr(parseaddr(settings.smtp_from), "utf-8")
        self.helo_name = settings.effective_smtp_helo_name

    async def deliver(
        self, rows: Sequence[Notification], unsubscribe: Callable[[Notification], str | None]
    ) -> Delivery:
        """Send the rows this attempt can claim, one at a time over one SMTP connection."""
        settings = self.settings
        lease = OutboxLease(self.sessions, settings.email_lease_seconds)
        smtp = aiosmtplib.SMTP(
            hostname=settings.effective_smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
            local_hostname=self.helo_name,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            await lease.record_unreachable([row.id for row in rows], error)
            raise EmailDeliveryError(f"SMTP server unavailable: {error}") from error
        accepted = _Accepted(lease, settings.smtp_timeout_seconds)
        outcome = Delivery()
        unsent: dict[str, Notification] = {}  # held by this attempt, not tried yet
        last_heartbeat = time.monotonic()
        try:
            # Every row in one claim (one transaction, not one per row); the lease of those
            # still unsent is renewed, in one UPDATE, before a send could outlast it.
            held_since = time.monotonic()
            unsent = {row.id: row for row in rows}
            held = await lease.claim_many(list(unsent))
            unsent = {row_id: row for row_id, row in unsent.items() if row_id in held}
            not_held = [row.id for row in rows if row.id not in held]
            sent_elsewhere = await lease.sent_among(not_held)
            outcome.sent_elsewhere += len(sent_elsewhere)
            outcome.held_elsewhere += len(not_held) - len(sent_elsewhere)
            for row in rows:
                if row.id not in unsent:
                    continue
                lease_left = held_since + lease.seconds - time.monotonic()
                if lease_left < accepted.send_seconds + LEASE_MARGIN_SECONDS:
                    # Taken rows first (their lease is the same), then the rest, renewed.
                    await accepted.mark()
                    held_since = time.monotonic()
                    renewed = await lease.renew(list(unsent))
                    lost = [row_id for row_id in unsent if row_id not in renewed]
                    unsent = {row_id: r for row_id, r in unsent.items() if row_id in renewed}
                    sent_elsewhere = await lease.sent_among(lost)
                    outcome.sent_elsewhere += len(sent_elsewhere)
                    outcome.held_elsewhere += len(lost) - len(sent_elsewhere)
                    if row.id not in unsent:
                        continue
                if accepted.due():
                    await accepted.mark()
                del unsent[row.id]  # tried now: released by _send_one if it fails
                if await self._send_one(smtp, lease, row, unsubscribe(row)):
                    accepted.add(row.id, held_since)
                    outcome.sent += 1
                else:
                    outcome.refused += 1
                if (
                    activity.in_activity()
                    and time.monotonic() - last_heartbeat >= HEARTBEAT_SECONDS
                ):
                    # A long audience outlives a silent attempt: show progress, hear cancellation.
                    activity.heartbeat(outcome.sent)
                    last_heartbeat = time.monotonic()
            await accepted.mark()
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()  # everything is recorded; a rude goodbye changes nothing
        finally:
            # Whatever stopped this attempt (an SMTP error, a cancellation), the messages the
            # server took are marked sent, so no retry sends them again; the rows it held
            # and never tried are freed, so the next attempt need not wait out the lease.
            await accepted.mark()
            if unsent:
                await asyncio.shield(lease.release_unsent(list(unsent.values())))
            smtp.close()
        return outcome

    async def _send_one(
        self, smtp: aiosmtplib.SMTP, lease: OutboxLease, row: Notification, unsubscribe: str | None
    ) -> bool:
        """True once the server took the message, False if it refused the mailbox for good."""
        message = build_message(row, self.from_header, unsubscribe)
        try:
            # One bound for the whole exchange (MAIL, RCPT, DATA each have their own timeout
            # in aiosmtplib): the lease is sized against it.
            async with asyncio.timeout(self.settings.smtp_timeout_seconds):
                await smtp.sendmail(self.sender, [row.to_address], message)
        except asyncio.CancelledError as cancelled:
            # The worker's grace ran out, or the attempt timed out: this attempt sends nothing
            # more, so it frees the row now instead of leaving the next attempt to wait out
            # the lease. The server may have the message already: that is the crash window.
            await asyncio.shield(lease.release_failed(row.id, cancelled))
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            await lease.release_failed(row.id, error)
            if all(refused.code >= 500 for refused in error.recipients):
                # A mailbox that does not exist will not appear on retry: record it, go on.
                activity.logger.warning("Recipient %s refused: %s", row.to_address, error)
                return False
            raise EmailDeliveryError(f"SMTP refused {row.to_address} for now: {error}") from error
        except (aiosmtplib.SMTPException, OSError, ValueError) as error:
            # OSError includes TimeoutError. ValueError: aiosmtplib refused the sender address,
            # a setting an operator can fix.
            await lease.release_failed(row.id, error)
            raise EmailDeliveryError(f"SMTP delivery failed: {error}") from error
        # The crash window: the server has the message, the row does not say so until its
        # batch is marked. A crash now leaves the row `sending`; the next attempt sends it
        # again once the lease ends, with the same Message-ID and body.
        return True


def build_message(row: Notification, from_header: str, unsubscribe: str | None) -> bytes:
    """A multipart/alternative message (text, then HTML) from an outbox row, as sent.

    Built with the email package's compat32 classes: the default policy parses every header
    it is given back into a structure and folds it again, three times the CPU per message
    (issue 10); these headers need none of that: the addresses are checked plain ASCII
    (`clean_address`), the subject one line, written as RFC 2047 UTF-8.
    """
    # A boundary of our own, the same for a resend: the generator would draw a random one
    # and compile a regular expression to check the parts do not hold it (a sixth of the
    # CPU). The parts are base64 (`MIMEText` in UTF-8), whose lines never hold "-" or "_".
    digest = hashlib.sha256(row.message_id.encode()).hexdigest()[:32]
    message = MIMEMultipart("alternative", boundary=f"=_{digest}")
    message["From"] = from_header
    message["To"] = row.to_address
    # Collapse whitespace again: the row may have been written by older code.
    message["Subject"] = encoded_subject(" ".join(row.subject.split()))
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    # RFC 3834: automatic mail, so auto-responders stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message.attach(MIMEText(row.body_text, "plain", "utf-8"))
    message.attach(MIMEText(row.body_html, "html", "utf-8"))
    return message.as_bytes(policy=_UNFOLDED)


@functools.lru_cache(maxsize=256)
def encoded_subject(subject: str) -> str:
    """The subject as RFC 2047 UTF-8, folded here, where the header's name is known, so the
    generator need not fold it. Kept: a round's messages in one language share it, and
    `Header` measures every character to choose its encoding and split it."""
    return Header(subject, "utf-8", header_name="Subject").encode()


class _Unfolded(Compat32):
    """compat32, never folding: it folds a long header with no space in it (a
    List-Unsubscribe link) by moving all of it to a continuation line, which a reader takes
    as a value starting with a space.

    A value that is one line of ASCII (every header `build_message` writes: the subject is
    RFC 2047 encoded already) is written as it is. compat32 would run it through
    `email.header.Header` only to write it unchanged, for each of the 15 headers of a
    message: half of `build_message`'s CPU (issue 10). Any other value goes the usual way.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and value.isascii() and not _LINE_BREAK.search(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_LINE_BREAK = re.compile(r"[\r\n]")
_UNFOLDED = _Unfolded(max_line_length=None)

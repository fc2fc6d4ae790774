"""The embedded SMTP sink's mailbox, read: one `.eml` file a message, named by arrival.

`pilotflow smtp-sink` (cli/smtp_sink.py) writes it; the admin's mailbox page reads it,
so the API needs no SMTP server library.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

# A message's file name starts with its arrival time in UTC, so name order is arrival order.
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_PARSER = BytesParser(policy=policy.default)


def parse_message(raw: bytes) -> EmailMessage:
    message = _PARSER.parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    return message


@dataclass
class MailboxEntry:
    """One stored message: its file, when it arrived and the parsed message."""

    path: Path
    received_at: datetime
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return str(part.get_content()) if part is not None else ""


def read_mailbox(mailbox_dir: Path, *, limit: int | None = None) -> list[MailboxEntry]:
    """The stored messages, newest first."""
    if not mailbox_dir.is_dir():
        return []
    # The names start with a UTC timestamp, so name order is arrival order.
    paths = sorted(mailbox_dir.glob("*.eml"), reverse=True)[:limit]
    entries = []
    for path in paths:
        message = parse_message(path.read_bytes())
        entries.append(MailboxEntry(path, _received_at(path), message))
    return entries


def _received_at(path: Path) -> datetime:
    try:
        return datetime.strptime(path.name.split("-")[0], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # a file dropped in by hand
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)

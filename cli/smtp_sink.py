"""A local SMTP server that keeps every message it receives, for the embedded setup and tests.

It writes the mailbox that `core.mailbox` reads (the admin's mailbox page).
"""

import asyncio
import itertools
import os
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from core.mailbox import STAMP_FORMAT, parse_message


class _MailboxHandler:
    """Stores each message with its envelope as `<timestamp>-<n>.eml`, and parsed in memory
    if `keep_parsed` (a test reads them there)."""

    def __init__(self, mailbox_dir: Path | None, *, keep_parsed: bool) -> None:
        self.mailbox_dir = mailbox_dir
        self.keep_parsed = keep_parsed
        self.messages: list[EmailMessage] = []
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # The envelope says who really gets the message, whatever the headers claim, and
        # the greeting which client sent it.
        trace = (
            f"X-Helo: {session.host_name}\r\n"
            f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        )
        raw = trace.encode() + (envelope.original_content or envelope.content)
        if self.mailbox_dir is not None:
            self._store(raw)
        if self.keep_parsed:
            self.messages.append(parse_message(raw))
        return "250 Message accepted for delivery"

    def _store(self, raw: bytes) -> None:
        assert self.mailbox_dir is not None
        stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
        name = f"{stamp}-{next(self._counter):06d}.eml"
        # Write then rename, so a reader never sees half a message.
        partial = self.mailbox_dir / f".{name}.part"
        partial.write_bytes(raw)
        os.replace(partial, self.mailbox_dir / name)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Learn the port the OS picked when asked for port 0, before the readiness check uses it.
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        # aiosmtpd leaves this method unannotated.
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink:
    """An SMTP server on loopback, in its own thread; port 0 picks a free port.

    `keep_parsed` keeps every message parsed in memory (`messages`), for a test; the
    standalone sink does not: it would grow without end, and parsing each message cost it
    more CPU than receiving it (docs/PERFORMANCE.md).
    """

    def __init__(
        self,
        mailbox_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_parsed: bool = True,
    ) -> None:
        if mailbox_dir is not None:
            mailbox_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self._handler = _MailboxHandler(mailbox_dir, keep_parsed=keep_parsed)
        self._controller = _Controller(self._handler, hostname=host, port=port)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received since start, oldest first (none unless `keep_parsed`)."""
        return self._handler.messages

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def run_sink(host: str, port: int, mailbox_dir: Path) -> None:
    """Run the sink in the foreground until Ctrl-C."""
    sink = SmtpSink(mailbox_dir, host=host, port=port, keep_parsed=False)
    sink.start()
    print(f"SMTP sink listening on {host}:{sink.port}, mailbox {mailbox_dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()

"""Real SMTP servers on loopback for tests: a sink that keeps mail, and servers that fail."""

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from cli.smtp_sink import SmtpSink
from core.mailbox import parse_message


def free_port() -> int:
    """A loopback port with nothing listening on it (as far as anyone can tell)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_sink(mailbox_dir: Path | None = None, *, port: int = 0) -> Iterator[SmtpSink]:
    """An SmtpSink for the duration of the block."""
    sink = SmtpSink(mailbox_dir, port=port)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


class _RefusingHandler:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return self.reply


@contextmanager
def refusing_server(reply: str = "451 4.3.0 Try again later", *, port: int = 0) -> Iterator[int]:
    """An SMTP server that answers every recipient with `reply`; yields its port."""
    port = port or free_port()
    controller = Controller(_RefusingHandler(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class SlowMailbox:
    """Keeps every message, but only answers DATA after `delay` seconds: attempts overlap."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.port = 0
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.messages.append(parse_message(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def slow_server(delay: float) -> Iterator[SlowMailbox]:
    """An SMTP server that takes `delay` seconds to accept each message."""
    mailbox = SlowMailbox(delay)
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()

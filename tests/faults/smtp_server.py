"""A real SMTP server on loopback whose behaviour the test switches while mail flows.

Modes: ACCEPT keeps each message (its Message-ID, recipient and subject); REFUSE answers
451 (a 4xx: try again later) to every recipient; DROP closes the connection, every other one
as it opens and the rest in the middle of the session (after the message's data is sent,
before any answer), and keeps nothing.
"""

import asyncio
import itertools
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from core.mailbox import parse_message
from tests.support.smtp import free_port


class SmtpMode(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    DROP = "drop"


@dataclass(frozen=True)
class Received:
    message_id: str
    to: str
    subject: str


class _Handler:
    def __init__(self) -> None:
        self.mode = SmtpMode.ACCEPT
        self.received: list[Received] = []
        self.refused = 0
        self.dropped = 0
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.mode == SmtpMode.REFUSE:
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == SmtpMode.DROP:
            self.dropped += 1
            server.transport.close()  # mid-session: the client never hears an answer
            return "421 4.3.2 Closing"
        message = parse_message(envelope.original_content or envelope.content)
        with self._lock:
            self.received.append(
                Received(
                    message_id=str(message["Message-ID"]),
                    to=", ".join(envelope.rcpt_tos),
                    subject=str(message["Subject"]),
                )
            )
        return "250 Message accepted for delivery"


class _DroppingProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _Controller(Controller):
    def __init__(self, handler: _Handler, port: int) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port)
        self._mode_handler = handler
        self._connections = itertools.count()

    def factory(self) -> Any:
        if self._mode_handler.mode == SmtpMode.DROP and next(self._connections) % 2 == 0:
            self._mode_handler.dropped += 1
            return _DroppingProtocol()
        return SMTP(self.handler, **self.SMTP_kwargs)


class ControllableSmtpServer:
    """The SMTP server of the fault suite, in its own thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Handler()
        self._controller = _Controller(self._handler, self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def mode(self) -> SmtpMode:
        return self._handler.mode

    def switch(self, mode: SmtpMode) -> None:
        self._handler.mode = mode

    @property
    def refused(self) -> int:
        return self._handler.refused

    @property
    def dropped(self) -> int:
        return self._handler.dropped

    def received(self) -> list[Received]:
        with self._handler._lock:
            return list(self._handler.received)

    def counts_by_message_id(self) -> Counter[str]:
        return Counter(r.message_id for r in self.received())

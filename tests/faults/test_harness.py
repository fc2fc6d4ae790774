"""The suite's own tools break what they say they break: else a fault would test nothing."""

import asyncio
from email.message import EmailMessage

import aiosmtplib
import pytest

from tests.faults.proxy import CuttableProxy
from tests.faults.smtp_server import ControllableSmtpServer, SmtpMode


def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@pilotflow.local"
    message["To"] = "someone@example.org"
    message["Subject"] = f"Message {n}"
    message["Message-ID"] = f"<{n}@pilotflow>"
    message.set_content("hello")
    return message


async def _send(port: int, n: int) -> None:
    await aiosmtplib.send(_message(n), hostname="127.0.0.1", port=port, timeout=5)


async def test_the_smtp_server_accepts_refuses_and_drops_as_switched() -> None:
    smtp = ControllableSmtpServer()
    smtp.start()
    try:
        await _send(smtp.port, 1)
        smtp.switch(SmtpMode.REFUSE)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await _send(smtp.port, 2)
        assert refused.value.recipients[0].code == 451
        smtp.switch(SmtpMode.DROP)
        for n in (3, 4):  # one dropped as it opens, one after its data, before any answer
            with pytest.raises((aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError)):
                await _send(smtp.port, n)
        smtp.switch(SmtpMode.ACCEPT)
        await _send(smtp.port, 1)  # a resend of message 1
        await _send(smtp.port, 5)
    finally:
        smtp.stop()
    assert [r.subject for r in smtp.received()] == ["Message 1", "Message 1", "Message 5"]
    assert smtp.counts_by_message_id() == {"<1@pilotflow>": 2, "<5@pilotflow>": 1}
    assert (smtp.refused, smtp.dropped) == (1, 2)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


async def test_the_proxy_forwards_cuts_and_restores() -> None:
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    proxy = CuttableProxy("127.0.0.1", echo.sockets[0].getsockname()[1])
    await proxy.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"ping")
        assert await reader.read(4) == b"ping"
        proxy.cut()
        assert await asyncio.wait_for(reader.read(4), 5) == b""  # the open one is closed
        refused_reader, _ = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await asyncio.wait_for(refused_reader.read(4), 5) == b""  # a new one too
        assert proxy.refused == 1
        proxy.restore()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"pong")
        assert await reader.read(4) == b"pong"
        writer.close()
    finally:
        await proxy.stop()
        echo.close()
        await echo.wait_closed()

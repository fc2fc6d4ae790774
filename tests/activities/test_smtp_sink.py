"""The local SMTP sink keeps every message, on disk and in memory."""

import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from cli.smtp_sink import SmtpSink
from core.mailbox import read_mailbox
from tests.support.smtp import free_port, running_sink


def message(subject: str, to: str = "officer@roubaix.example") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "noreply@pilotflow.example"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content("Texte en français : «éléphant»")
    mail.add_alternative("<p>Texte en <b>français</b></p>", subtype="html")
    return mail


async def test_the_sink_keeps_messages_in_memory_and_in_the_mailbox(tmp_path: Path) -> None:
    mailbox = tmp_path / "mailbox"
    with running_sink(mailbox) as sink:
        assert sink.port > 0
        for n in range(3):
            await aiosmtplib.send(message(f"Message {n}"), hostname="127.0.0.1", port=sink.port)
        assert [m["Subject"] for m in sink.messages] == ["Message 0", "Message 1", "Message 2"]
        assert sink.messages[0]["X-RcptTo"] == "officer@roubaix.example"
    entries = read_mailbox(mailbox)
    assert [e.message["Subject"] for e in entries] == ["Message 2", "Message 1", "Message 0"]
    assert entries[0].text.strip() == "Texte en français : «éléphant»"
    assert "<b>français</b>" in entries[0].html
    assert entries[0].received_at >= entries[-1].received_at
    assert [e.path.suffix for e in entries] == [".eml"] * 3
    assert read_mailbox(mailbox, limit=1)[0].message["Subject"] == "Message 2"


async def test_the_standalone_sink_keeps_its_messages_on_disk_only(tmp_path: Path) -> None:
    # As `pilotflow smtp-sink` runs it: months of messages must not pile up in its memory.
    sink = SmtpSink(tmp_path / "mailbox", keep_parsed=False)
    sink.start()
    try:
        for n in range(2):
            await aiosmtplib.send(message(f"Message {n}"), hostname="127.0.0.1", port=sink.port)
        assert sink.messages == []
    finally:
        sink.stop()
    entries = read_mailbox(tmp_path / "mailbox")
    assert [e.message["Subject"] for e in entries] == ["Message 1", "Message 0"]


async def test_envelope_recipients_are_recorded_even_when_headers_differ(tmp_path: Path) -> None:
    with running_sink() as sink:
        await aiosmtplib.send(
            message("Hidden copy"),
            hostname="127.0.0.1",
            port=sink.port,
            recipients=["officer@roubaix.example", "audit@region.example"],
        )
        [received] = sink.messages
    assert received["X-RcptTo"] == "officer@roubaix.example, audit@region.example"


def test_an_absent_mailbox_reads_as_empty(tmp_path: Path) -> None:
    assert read_mailbox(tmp_path / "nowhere") == []


def test_run_sink_serves_until_interrupted(tmp_path: Path) -> None:
    port, mailbox = free_port(), tmp_path / "mailbox"
    code = (
        "from pathlib import Path; from cli.smtp_sink import run_sink; "
        f"run_sink('127.0.0.1', {port}, Path({str(mailbox)!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "listening" in process.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message("Through the command"))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    [entry] = read_mailbox(mailbox)
    assert entry.message["Subject"] == "Through the command"
    assert time.time() - entry.received_at.timestamp() < 60

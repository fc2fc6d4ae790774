"""The `pilotflow` command: its parser, `migrate`, `server` (the real dev server), `smtp-sink`."""

import asyncio
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from cli.main import build_parser
from cli.temporal_server import SEARCH_ATTRIBUTES, server_command, wait_until_ready
from core import temporal_client
from core.settings import Settings
from tests.conftest import TEMPORAL_CLI

SUBCOMMANDS = {"server", "worker", "api", "smtp-sink", "migrate", "seed", "demo-pilot", "dev"}
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pilotflow_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTFLOW_")}
    env["PILOTFLOW_DATA_DIR"] = str(data_dir)
    # The tests' processes use the development secrets; a test may set production.
    env["PILOTFLOW_ENVIRONMENT"] = "development"
    env.update({f"PILOTFLOW_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def pilotflow(
    *args: str, env: dict[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`pilotflow <args>` in the background, stopped by SIGTERM (then SIGKILL) at the end.

    Its output is a pipe to read, or goes to `log` for a chatty process nobody reads.
    """
    output = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if log:
            output.close()  # type: ignore[union-attr]


def wait_for_port(port: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def test_the_parser_knows_every_subcommand() -> None:
    parser = build_parser()
    for name in SUBCOMMANDS:
        args = parser.parse_args([name])
        assert callable(args.handler), name
    assert parser.parse_args(["dev", "--no-seed"]).no_seed
    with pytest.raises(SystemExit):
        parser.parse_args(["no-such-command"])


def test_server_command_follows_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        temporal_address="127.0.0.1:7999",
        temporal_ui_port=8999,
        temporal_namespace="lille",
    )
    command = server_command(settings)
    assert command[1:3] == ["server", "start-dev"]
    flags = dict(zip(command[3::2], command[4::2], strict=False))
    assert flags["--ip"] == "127.0.0.1"
    assert flags["--port"] == "7999"
    assert flags["--ui-port"] == "8999"
    assert flags["--db-filename"] == str(tmp_path / "temporal.db")
    assert command[command.index("--namespace") :][:2] == ["--namespace", "lille"]
    for name, kind in SEARCH_ATTRIBUTES.items():
        assert f"{name}={kind}" in command


def test_migrate_creates_the_schema_in_the_data_dir(tmp_path: Path) -> None:
    env = pilotflow_env(tmp_path / "region", admin_email="boss@lille.example")
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "migrate"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "region" / "pilotflow.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        themes = {row[0] for row in db.execute("SELECT code FROM themes")}
        admins = list(db.execute("SELECT email FROM users WHERE role = 'admin'"))
    assert {"towns", "companies", "users", "pilots", "audit_events", "notifications"} <= tables
    assert themes == {"efficient-city", "creative-city", "european-city"}
    assert admins == [("boss@lille.example",)]


async def _check_server(settings: Settings) -> None:
    await wait_until_ready(settings, seconds=30)
    client = await temporal_client.connect(settings)
    listing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=settings.temporal_namespace)
    )
    for name in SEARCH_ATTRIBUTES:
        assert listing.custom_attributes[name] == 2  # INDEXED_VALUE_TYPE_KEYWORD
    # The query newcomers are told to run is accepted by the server.
    listed = await asyncio.create_subprocess_exec(
        str(TEMPORAL_CLI),
        "workflow",
        "list",
        "--address",
        settings.temporal_address,
        "--namespace",
        settings.temporal_namespace,
        "--query",
        "PilotStage='submitted'",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(listed.communicate(), 30)
    assert listed.returncode == 0, stderr.decode()


@pytest.mark.devserver
async def test_server_starts_registers_and_survives_a_restart(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    values = {
        "temporal_address": f"127.0.0.1:{port}",
        "temporal_ui_port": str(ui_port),
        "temporal_namespace": "lille-metropole",
    }
    env = pilotflow_env(tmp_path, **values)
    settings = Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]
    for _ in range(2):  # the second start reuses the same file
        with pilotflow("server", env=env) as server:
            await _check_server(settings)
            wait_for_port(ui_port)
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=20) in (0, -signal.SIGTERM)
    assert (tmp_path / "temporal.db").is_file()


def test_smtp_sink_accepts_a_message(tmp_path: Path) -> None:
    pytest.importorskip("cli.smtp_sink", reason="cli/smtp_sink.py is not there yet")
    port = free_port()
    env = pilotflow_env(tmp_path, smtp_port=str(port))
    with pilotflow("smtp-sink", env=env):
        wait_for_port(port)
        message = EmailMessage()
        message["From"], message["To"] = "noreply@pilotflow.example", "officer@lille.example"
        message["Subject"] = "Hello from the test"
        message.set_content("A pilot was submitted.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
        deadline = time.monotonic() + 5
        while not any(p.is_file() for p in (tmp_path / "mailbox").rglob("*")):
            assert time.monotonic() < deadline, "no message in the mailbox"
            time.sleep(0.05)
    stored = [p for p in (tmp_path / "mailbox").rglob("*") if p.is_file()]
    assert any(b"Hello from the test" in p.read_bytes() for p in stored)

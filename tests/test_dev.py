"""`pilotflow dev` and its supervisor: children with prefixed output, stopped in order."""

import asyncio
import io
import signal
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cli.supervisor import ChildExited, StopRequested, Supervisor
from tests.test_cli import free_port, pilotflow, pilotflow_env

PYTHON = sys.executable


def script(code: str) -> list[str]:
    return [PYTHON, "-c", code]


async def test_output_is_prefixed_and_one_shots_return_their_code() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out)
    assert await supervisor.run_once("hello", script("print('a'); print('b')")) == 0
    assert await supervisor.run_once("fails", script("import sys; sys.exit(3)")) == 3
    assert out.getvalue().splitlines() == ["hello   | a", "hello   | b"]


async def test_a_dying_child_is_reported_and_the_rest_stopped() -> None:
    supervisor = Supervisor(io.StringIO(), stop_timeout=5)
    sleeper = await supervisor.start("sleeper", script("import time; time.sleep(60)"))
    await supervisor.start("crasher", script("import sys; sys.exit(7)"))
    with pytest.raises(ChildExited) as death:
        await supervisor.guard(asyncio.Event().wait())
    assert (death.value.name, death.value.returncode) == ("crasher", 7)
    await supervisor.stop_all()
    assert sleeper.process.returncode == -signal.SIGTERM


async def test_a_child_deaf_to_sigterm_is_killed() -> None:
    out = io.StringIO()
    supervisor = Supervisor(out, stop_timeout=0.5)
    deaf = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = await supervisor.start("deaf", script(deaf))
    for _ in range(200):  # until it ignores SIGTERM
        if "ready" in out.getvalue():
            break
        await asyncio.sleep(0.05)
    await supervisor.stop_all()
    assert child.process.returncode == -signal.SIGKILL


async def test_a_stop_request_interrupts_what_is_awaited() -> None:
    supervisor = Supervisor(io.StringIO())
    supervisor.stop_requested.set()
    with pytest.raises(StopRequested):
        await supervisor.guard(asyncio.sleep(30))


def _wait_for_line(process_output: io.BufferedReader, text: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while text not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        line = process_output.readline()
        assert line, "pilotflow dev ended early:\n" + seen.decode(errors="replace")
        seen += line
    return seen


@pytest.mark.devserver
def test_dev_brings_the_stack_up_and_stops_it_cleanly(tmp_path: Path) -> None:
    api_port, smtp_port = free_port(), free_port()
    env = pilotflow_env(
        tmp_path,
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=str(free_port()),
        api_port=str(api_port),
        smtp_port=str(smtp_port),
    )
    with pilotflow("dev", "--no-seed", env=env) as dev:
        assert dev.stdout is not None
        output = _wait_for_line(dev.stdout, b"pilotflow is running", 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/healthz", timeout=5) as health:
            assert health.status == 200
        dev.send_signal(signal.SIGINT)
        rest = dev.stdout.read()
        assert dev.wait(timeout=30) == 0
    for prefix in (b"temporal|", b"migrate |", b"smtp    |", b"api     |"):
        assert prefix in output
    assert b"dev     | stopped" in rest
    assert not (tmp_path / "demo-seeded").exists()
    assert (tmp_path / "temporal.db").is_file() and (tmp_path / "pilotflow.db").is_file()

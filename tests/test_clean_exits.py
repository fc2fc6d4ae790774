"""Short-lived `pilotflow` commands exit with their own code, never temporalio's abort at exit.

A process that opened a Temporal client could abort in the interpreter's finalisation with
"Fatal Python error: PyGILState_Release" (exit 134, sdk-python issue 300): `demo-pilot` did
in 17 of 90 runs before `cli.main.main` ended processes itself, and this test failed with it
at its 14th run. Each command runs as a newcomer runs it, a process against a running
stack: the dev server, a migrated database with the demo reference data, a worker, a sink.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cli.smtp_sink import SmtpSink
from cli.worker import build_worker
from core.settings import Settings
from tests.conftest import VENV_BIN
from tests.support.smtp import free_port, running_sink
from tests.test_cli import pilotflow_env

RUNS = 20
ABORT = "Fatal Python error"
SUBMITTED = re.compile(r"^(pilot-[0-9a-f]{32}) submitted by the officer of Lille$", re.MULTILINE)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


async def pilotflow(*args: str, env: dict[str, str]) -> Outcome:
    """Run `.venv/bin/pilotflow <args>` to its end, as a newcomer would."""
    process = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "pilotflow"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Outcome(process.returncode, stdout.decode(), stderr.decode())


@dataclass
class Stack:
    env: dict[str, str]
    task_queue: str


@pytest.fixture
async def stack(
    database_url: str,
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
) -> AsyncIterator[Stack]:
    """The dev server, the migrated database seeded by `pilotflow seed`, a worker, a sink."""
    task_queue = f"exits-{tmp_path.name}"
    values = {
        "database_url": database_url,
        "temporal_address": dev_env.client.service_client.config.target_host,
        "temporal_task_queue": task_queue,
        "smtp_host": "127.0.0.1",
        "smtp_port": str(sink.port),
    }
    env = pilotflow_env(tmp_path, **values)
    seeded = await pilotflow("seed", "--reference-only", "--quiet", env=env)
    assert (seeded.code, seeded.stderr) == (0, ""), seeded
    assert "reference data: 95 towns" in seeded.stdout
    settings = Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type]
    async with build_worker(dev_env.client, settings, sessions):
        yield Stack(env, task_queue)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with running_sink() as smtp:
        yield smtp


@pytest.mark.devserver
async def test_demo_pilot_exits_0_every_time(stack: Stack, dev_env: WorkflowEnvironment) -> None:
    pilots: list[str] = []
    for run in range(RUNS):
        outcome = await pilotflow("demo-pilot", "--town", "Lille", env=stack.env)
        assert ABORT not in outcome.stderr, f"run {run + 1}: {outcome.stderr}"
        assert outcome.code == 0, f"run {run + 1}: {outcome}"
        submitted = SUBMITTED.search(outcome.stdout)
        assert submitted, f"run {run + 1} printed no pilot id: {outcome.stdout!r}"
        assert f"watch it: http://127.0.0.1:8233/namespaces/default/workflows/{submitted[1]}" in (
            outcome.stdout
        )
        pilots.append(submitted[1])

    assert len(set(pilots)) == RUNS
    for workflow_id in pilots:
        described = await dev_env.client.get_workflow_handle(workflow_id).describe()
        assert described.task_queue == stack.task_queue
        assert described.status == WorkflowExecutionStatus.RUNNING


@pytest.mark.devserver
async def test_failing_demo_pilot_exits_with_its_message(stack: Stack) -> None:
    outcome = await pilotflow("demo-pilot", "--town", "Atlantis", env=stack.env)
    assert ABORT not in outcome.stderr
    assert outcome.code == 1, outcome
    assert outcome.stderr.startswith("pilotflow demo-pilot: no demo town 'Atlantis': one of Lille")
    assert outcome.stdout == ""


@pytest.mark.devserver
async def test_demo_pilot_without_temporal_fails_with_its_code(stack: Stack) -> None:
    """A client that never connected: an ordinary failure, reported, exit 1."""
    env = stack.env | {"PILOTFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    outcome = await pilotflow("demo-pilot", env=env)
    assert ABORT not in outcome.stderr
    assert outcome.code == 1, outcome
    assert "Traceback" in outcome.stderr and "Connection refused" in outcome.stderr

"""`pilotflow backup` and `restore` on the real stack: pilots backed up mid-lifecycle run on.

The stack runs as processes (`pilotflow server`, `migrate`, `smtp-sink`, `worker`) on a temp
data dir with short days, so timers fire while the backup is taken. The pilots are the demo
region's, moved along by the seed exactly as the service would; after the restore they are
driven to their end through the same Updates.
"""

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from cli.seed import seed, seed_reference_data
from cli.seed_pilots import Demo
from cli.temporal_server import wait_until_ready
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow, pilotflow_env, wait_for_port
from workflows.contracts import (
    AmendRequest,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    PilotState,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
    workflow_id,
)

pytestmark = pytest.mark.devserver

# Half a second a day: reminders, check-ins and response rounds fire during the test.
DAY_SECONDS = "0.5"
DRIVE_SECONDS = 40.0


def stack_env(data_dir: Path) -> dict[str, str]:
    return pilotflow_env(
        data_dir,
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=str(free_port()),
        smtp_port=str(free_port()),
        day_seconds=DAY_SECONDS,
        response_days="1000",  # no round runs out while the test drives a pilot
    )


def settings_of(env: dict[str, str]) -> Settings:
    values = {k.removeprefix("PILOTFLOW_").lower(): v for k, v in env.items() if "PILOTFLOW_" in k}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def run_pilotflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@asynccontextmanager
async def running_stack(env: dict[str, str], logs: Path) -> AsyncIterator[Settings]:
    """Server, migrations, SMTP sink and worker as processes; stopped in reverse order.

    Their output goes to `<logs>-<process>.log`.
    """
    settings = settings_of(env)

    def log(process: str) -> Path:
        return logs.with_name(f"{logs.name}-{process}.log")

    with ExitStack() as stack:
        stack.enter_context(pilotflow("server", env=env, log=log("server")))
        await wait_until_ready(settings)
        migrated = run_pilotflow("migrate", env=env)
        assert migrated.returncode == 0, migrated.stderr
        stack.enter_context(pilotflow("smtp-sink", env=env, log=log("smtp")))
        wait_for_port(settings.smtp_port)
        stack.enter_context(pilotflow("worker", env=env, log=log("worker")))
        yield settings


def read_model(path: Path) -> tuple[dict[str, tuple[str, int]], dict[str, set[int]]]:
    """Each pilot's (stage, version) and the seqs of its audit trail, read from the file."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT id, stage, version FROM pilots")
        pilots = {pilot_id: (stage, version) for pilot_id, stage, version in rows}
        audit: dict[str, set[int]] = {}
        for pilot_id, seq in connection.execute("SELECT pilot_id, seq FROM audit_events"):
            audit.setdefault(pilot_id, set()).add(seq)
    finally:
        connection.close()
    return pilots, audit


def archived_read_model(archive: Path, into: Path) -> Path:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extract("pilotflow.db", into, filter="data")
    return into / "pilotflow.db"


async def demo_of(settings: Settings) -> Demo:
    engine = create_engine(settings.effective_database_url)
    try:
        region = await seed_reference_data(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    assert region.created == {}, "the restored region lacks reference data"
    return Demo(await temporal_client.connect(settings), settings, region)


async def state_of(client: Client, pilot_id: str) -> PilotState:
    handle = client.get_workflow_handle(workflow_id(pilot_id))
    return await handle.query("get_state", result_type=PilotState)


async def next_step(d: Demo, state: PilotState) -> None:
    """The one action that moves a pilot on towards `closed`, as its people would act."""
    town = next(name for name, id in d.region.towns.items() if id == state.town_id)
    officer, pilot_id = d.officer(town), state.pilot_id
    if state.stage == "submitted":
        await d.update(pilot_id, "review", ReviewRequest(d.admin(), "approve", "Restored."))
    elif state.stage == "changes_requested":
        await d.update(pilot_id, "amend", AmendRequest(officer, state.proposal))
    elif state.stage == "matching":
        interested = [c for c in state.candidates if c.status == "interested"]
        invited = [c for c in state.candidates if c.status == "invited"]
        if interested:
            pick = SelectPartnerRequest(officer, interested[0].company_id)
            await d.update(pilot_id, "select_partner", pick)
        elif invited:
            offer = RespondRequest(d.company(invited[0].company_id), True, "Still keen.")
            await d.update(pilot_id, "respond", offer)
    elif state.stage in ("trial_scheduled", "trial_running"):
        await d.update(pilot_id, "end_trial", ReasonRequest(officer, "Seen enough."))
    elif state.stage == "evaluation" and state.evaluation is None:
        kpis = state.proposal.kpis
        results = [Measurement(k.name, k.target) for k in kpis]
        evaluation = Evaluation(results, 4, "Restored and finished.", "stop")
        await d.update(pilot_id, "submit_evaluation", EvaluationRequest(officer, evaluation))
    elif state.stage == "evaluation":
        await d.update(pilot_id, "decide", DecideRequest(d.admin(), "stop"))


async def drive_to_closed(d: Demo, pilot_id: str) -> PilotState:
    """Act until the pilot is closed; a refusal (a timer moved it first) is just retried."""
    deadline = time.monotonic() + DRIVE_SECONDS
    while time.monotonic() < deadline:
        state = await state_of(d.client, pilot_id)
        if state.stage == "closed":
            await d.client.get_workflow_handle(workflow_id(pilot_id)).result()
            return await state_of(d.client, pilot_id)
        with contextlib.suppress(WorkflowUpdateFailedError):  # a timer moved it: look again
            await next_step(d, state)
        await asyncio.sleep(0.1)
    raise AssertionError(f"pilot {pilot_id} never closed; last stage {state.stage}")


async def test_a_live_backup_restores_pilots_that_run_on_to_their_end(tmp_path: Path) -> None:
    archive = tmp_path / "region.tar.gz"
    first = stack_env(tmp_path / "first")
    async with running_stack(first, tmp_path / "first") as settings:
        assert await seed(settings)  # the demo's pilots, one in each stage of the lifecycle
        backed_up = run_pilotflow("backup", str(archive), env=first)
        assert backed_up.returncode == 0, backed_up.stderr
    pilots, audit = read_model(archived_read_model(archive, tmp_path / "archived"))
    assert sorted(stage for stage, _ in pilots.values()) == sorted(
        ["submitted", "changes_requested", "matching", "trial_running", "closed"]
    )

    second = stack_env(tmp_path / "second")  # other ports, another data dir
    restored = run_pilotflow("restore", str(archive), env=second)
    assert restored.returncode == 0, restored.stderr
    async with running_stack(second, tmp_path / "second") as settings:
        d = await demo_of(settings)
        ends = {pilot_id: await drive_to_closed(d, pilot_id) for pilot_id in pilots}
        rows, trail = read_model(settings.data_dir / "pilotflow.db")

    assert {pilot_id: state.stage for pilot_id, state in ends.items()} == dict.fromkeys(
        pilots, "closed"
    )
    for pilot_id, state in ends.items():
        # The read model agrees with Temporal: same stage, same version, no audit entry missing.
        assert rows[pilot_id] == (state.stage, state.seq)
        assert trail[pilot_id] == set(range(1, state.seq + 1))
        # What the backup held is still there, and the pilot went on from it.
        assert audit[pilot_id] <= trail[pilot_id]
        assert state.seq >= pilots[pilot_id][1]

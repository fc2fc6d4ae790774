"""`pilotflow backup` and `restore` on the real stack: pilots backed up mid-lifecycle run on.

The stack runs as processes (`pilotflow server`, `migrate`, `smtp-sink`, `worker`) on a temp
data dir with short days, so timers fire while the backup is taken. The pilots are the demo
region's, moved along by the seed exactly as the service would; after the restore they are
driven to their end through the same Updates.
"""

import asyncio
import contextlib
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import (
    Client,
    WorkflowHistory,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError
from temporalio.worker import Replayer

from cli.backup import checked, copy_online, read_model_writes_held, write_archive
from cli.seed import seed, seed_reference_data
from cli.seed_pilots import Demo
from cli.temporal_server import wait_until_ready
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from core.temporal_client import DATA_CONVERTER
from service.workflow_history import summarise_history
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow, pilotflow_env, wait_for_port
from workflows.contracts import (
    AmendRequest,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Kpi,
    Measurement,
    PilotState,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
    workflow_id,
)
from workflows.pilot import PilotWorkflow

# Half a second a day: reminders, check-ins and response rounds fire during the test.
DAY_SECONDS = "0.5"
# Long enough for an activity in flight at the backup to time out (30 s) and run again.
DRIVE_SECONDS = 60.0


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


def journal_mode(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        connection.close()


def archived_read_model(archive: Path, into: Path) -> Path:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extract("pilotflow.db", into, filter="data")
    return into / "pilotflow.db"


async def demo_of(settings: Settings, *, restored: bool = True) -> Demo:
    """The demo region's people (seeded now on a fresh stack) acting through Temporal."""
    engine = create_engine(settings.effective_database_url)
    try:
        region = await seed_reference_data(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    if restored:
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
    """Act until the pilot is closed, then replay its whole history.

    A refusal (a timer moved it first) is just retried.
    """
    handle = d.client.get_workflow_handle(workflow_id(pilot_id))
    deadline = time.monotonic() + DRIVE_SECONDS
    while time.monotonic() < deadline:
        try:
            state = await state_of(d.client, pilot_id)
        except WorkflowQueryFailedError as error:
            # Seen once in CI, never since: the history is what tells how the replay went wrong.
            outline = history_outline(await handle.fetch_history())
            raise AssertionError(
                f"pilot {pilot_id} failed to replay: {error}\n{outline}"
            ) from error
        if state.stage == "closed":
            await handle.result()
            await assert_replays(await handle.fetch_history())
            return await state_of(d.client, pilot_id)
        with contextlib.suppress(WorkflowUpdateFailedError):  # a timer moved it: look again
            await next_step(d, state)
        await asyncio.sleep(0.1)
    raise AssertionError(f"pilot {pilot_id} never closed; last stage {state.stage}")


async def assert_replays(history: WorkflowHistory) -> None:
    """Every workflow task of the history gives the same commands again, not only the ones a
    worker happened to replay (after an eviction, or for a query once out of its cache)."""
    replayer = Replayer(workflows=[PilotWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{result.replay_failure}\n{history_outline(history)}"


def history_outline(history: WorkflowHistory) -> str:
    """One event a line, as the admins' history page names it, with an activity's type."""
    lines = []
    for event in summarise_history(history):
        activity = event.details.get("activityType", {}).get("name", "")
        lines.append(f"{event.event_id} {event.type} {activity}".rstrip())
    return "\n".join(lines)


@pytest.mark.devserver
async def test_a_live_backup_restores_pilots_that_run_on_to_their_end(tmp_path: Path) -> None:
    archive = tmp_path / "region.tar.gz"
    first = stack_env(tmp_path / "first")
    async with running_stack(first, tmp_path / "first") as settings:
        # Write-ahead logs on both files: the backup reads without blocking their writers.
        assert journal_mode(settings.data_dir / "temporal.db") == "wal"
        assert journal_mode(settings.data_dir / "pilotflow.db") == "wal"
        # The demo's five hand-written pilots, one in each stage of the lifecycle.
        assert await seed(settings, spread=False)
        backed_up = run_pilotflow("backup", str(archive), env=first)
        assert backed_up.returncode == 0, backed_up.stderr
    pilots, audit = read_model(archived_read_model(archive, tmp_path / "archived"))
    assert sorted(stage for stage, _ in pilots.values()) == sorted(
        ["submitted", "changes_requested", "matching", "trial_running", "closed"]
    )

    second = stack_env(tmp_path / "second")  # other ports, another data dir
    restored = run_pilotflow("restore", str(archive), env=second)
    assert restored.returncode == 0, restored.stderr
    # A demo region it was: `pilotflow dev` there shows its accounts and does not seed again.
    assert (tmp_path / "second" / "demo-seeded").is_file()
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


@pytest.mark.devserver
async def test_a_transition_caught_between_the_two_copies_is_recorded_after_the_restore(
    tmp_path: Path,
) -> None:
    """The read model's writers are held from its copy until Temporal's. A review sent then is
    accepted by the workflow, but its `record_transition` cannot commit, so Temporal's copy
    has it in flight: after the restore it runs again, once its timeout has passed, and the
    read model ends with every transition. (Without the held writers it would have
    completed between the copies, and its audit entry would never be written again.)
    """
    archive = tmp_path / "held.tar.gz"
    first = stack_env(tmp_path / "first")
    async with running_stack(first, tmp_path / "first") as settings:
        d = await demo_of(settings, restored=False)
        pilot_id = await d.submit("Lille", lighting_proposal())
        await until_recorded(settings, pilot_id, 1)
        work, read_model_file = tmp_path / "work", settings.data_dir / "pilotflow.db"
        work.mkdir()
        with read_model_writes_held(read_model_file):
            copy_online(read_model_file, work / "pilotflow.db")
            approve = ReviewRequest(d.admin(), "approve", "During the backup.")
            review = asyncio.create_task(d.update(pilot_id, "review", approve))
            await until_recording_in_flight(d.client, pilot_id)
            copy_online(settings.data_dir / "temporal.db", work / "temporal.db")
        assert (await review).stage == "matching"
        copies = [checked(work, n) for n in ("pilotflow.db", "temporal.db")]
        write_archive(work, archive, copies, demo_seeded=False)
    pilots, _ = read_model(archived_read_model(archive, tmp_path / "archived"))
    assert pilots[pilot_id] == ("submitted", 1)

    second = stack_env(tmp_path / "second")
    assert run_pilotflow("restore", str(archive), env=second).returncode == 0
    async with running_stack(second, tmp_path / "second") as settings:
        d = await demo_of(settings)
        end = await drive_to_closed(d, pilot_id)
        rows, trail = read_model(settings.data_dir / "pilotflow.db")

    assert rows[pilot_id] == ("closed", end.seq)
    assert trail[pilot_id] == set(range(1, end.seq + 1))


def lighting_proposal() -> dict[str, object]:
    return {
        "title": "Éclairage intelligent",
        "summary": "Des lampadaires qui baissent quand la rue est vide.",
        "theme": "efficient-city",
        "needs": ["public-lighting", "iot"],
        "budget_eur": 20000.0,
        "desired_start": datetime.now(UTC).date().isoformat(),
        "duration_days": 200,
        "kpis": [Kpi("Consommation", "MWh/mois", 400, 330)],
    }


async def until_seq(client: Client, pilot_id: str, seq: int) -> PilotState:
    deadline = time.monotonic() + DRIVE_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(RPCError):  # the workflow's first task may not have run yet
            state = await state_of(client, pilot_id)
            if state.seq >= seq:
                return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"pilot {pilot_id} never reached seq {seq}")


async def until_recording_in_flight(client: Client, pilot_id: str) -> None:
    """Until a `record_transition` of the pilot has started and not completed."""
    handle = client.get_workflow_handle(workflow_id(pilot_id))
    deadline = time.monotonic() + DRIVE_SECONDS
    while time.monotonic() < deadline:
        pending = (await handle.describe()).raw_description.pending_activities
        if any(
            activity.activity_type.name == "record_transition"
            and activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            for activity in pending
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no transition of pilot {pilot_id} in flight")


async def until_recorded(settings: Settings, pilot_id: str, version: int) -> None:
    """Until the read model holds the pilot at `version`: Temporal's state runs ahead of it."""
    deadline = time.monotonic() + DRIVE_SECONDS
    while time.monotonic() < deadline:
        rows, _ = read_model(settings.data_dir / "pilotflow.db")
        if rows.get(pilot_id, ("", 0))[1] >= version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"pilot {pilot_id} never recorded at version {version}")


# ---- refusals: no stack needed ------------------------------------------------------------


def small_data_dir(data_dir: Path) -> None:
    """A migrated read model and a small SQLite file standing in for Temporal's."""
    # A process of its own: Alembic's env.py runs (and closes) an event loop of its own.
    migrated = run_pilotflow("migrate", env=pilotflow_env(data_dir))
    assert migrated.returncode == 0, migrated.stderr
    connection = sqlite3.connect(data_dir / "temporal.db")
    with connection:
        connection.execute("CREATE TABLE executions (id TEXT PRIMARY KEY, data BLOB)")
        connection.executemany(
            "INSERT INTO executions VALUES (?, ?)", [(str(i), b"x" * 500) for i in range(200)]
        )
    connection.close()


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def refused(result: subprocess.CompletedProcess[str], command: str, words: str) -> bool:
    lines = result.stderr.strip().splitlines()
    return (
        result.returncode == 2
        and len(lines) == 1
        and lines[0].startswith(f"pilotflow {command}: ")
        and words in lines[0]
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("region")
    small_data_dir(data_dir)
    path = data_dir.parent / "small.tar.gz"
    result = run_pilotflow("backup", str(path), env=pilotflow_env(data_dir))
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_restore_into_a_data_dir_in_use_refuses_and_changes_nothing(
    archive: Path, tmp_path: Path, database_url: str
) -> None:
    target = tmp_path / "in-use"
    target.mkdir()
    (target / "notes.txt").write_text("someone's region")
    before = listing(target)
    env = pilotflow_env(target)
    assert refused(run_pilotflow("restore", str(archive), env=env), "restore", "not empty")
    assert listing(target) == before
    # A database configured elsewhere: nothing to restore into.
    if database_url.startswith("postgresql"):
        env = pilotflow_env(tmp_path / "fresh", database_url=database_url)
        assert refused(run_pilotflow("restore", str(archive), env=env), "restore", "pg_dump")
        assert not (tmp_path / "fresh").exists()


def test_backup_refuses_postgresql_an_existing_path_and_a_missing_data_dir(
    archive: Path, tmp_path: Path
) -> None:
    env = pilotflow_env(tmp_path / "region", database_url="postgresql://pilotflow@db/pilotflow")
    assert refused(
        run_pilotflow("backup", str(tmp_path / "a.tar.gz"), env=env), "backup", "pg_dump"
    )
    env = pilotflow_env(archive.parent / "region0")
    assert refused(run_pilotflow("backup", str(archive), env=env), "backup", "exists")
    env = pilotflow_env(tmp_path / "nowhere")
    assert refused(
        run_pilotflow("backup", str(tmp_path / "b.tar.gz"), env=env), "backup", "no database"
    )
    assert list(tmp_path.iterdir()) == []


def repacked(archive: Path, into: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of the archive with its members changed by `change`."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    change(members)
    path = into / "changed.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def flip_a_byte(members: dict[str, bytes]) -> None:
    data = bytearray(members["temporal.db"])
    data[len(data) // 2] ^= 0xFF
    members["temporal.db"] = bytes(data)


def corrupt_with_a_matching_manifest(members: dict[str, bytes]) -> None:
    data = bytearray(members["temporal.db"])
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema's page: the file no longer reads
    members["temporal.db"] = bytes(data)
    manifest = json.loads(members["manifest.json"])
    for entry in manifest["files"]:
        if entry["name"] == "temporal.db":
            entry["sha256"] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("truncated", "not a readable archive"),
        ("flipped", "checksum"),
        ("corrupt", "temporal.db"),
        ("no-manifest", "no manifest.json"),
    ],
)
def test_a_damaged_archive_is_refused_and_nothing_restored(
    archive: Path, tmp_path: Path, damage: str, words: str
) -> None:
    if damage == "truncated":
        damaged = tmp_path / "truncated.tar.gz"
        damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif damage == "flipped":
        damaged = repacked(archive, tmp_path, flip_a_byte)
    elif damage == "corrupt":
        damaged = repacked(archive, tmp_path, corrupt_with_a_matching_manifest)
    else:
        damaged = repacked(archive, tmp_path, lambda members: members.pop("manifest.json"))
    target = tmp_path / "restored"
    result = run_pilotflow("restore", str(damaged), env=pilotflow_env(target))
    assert refused(result, "restore", words), result.stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == [damaged.name]  # no staging left behind


@pytest.mark.parametrize("target_exists", [False, True], ids=["absent", "empty"])
def test_an_archive_restores_what_was_backed_up(
    archive: Path, tmp_path: Path, target_exists: bool
) -> None:
    target = tmp_path / "restored"
    if target_exists:
        target.mkdir()
    result = run_pilotflow("restore", str(archive), env=pilotflow_env(target))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["pilotflow.db", "temporal.db"]
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["alembic_revision"] is not None
    assert [f["name"] for f in manifest["files"]] == ["pilotflow.db", "temporal.db"]  # in order
    for entry in manifest["files"]:
        assert hashlib.sha256((target / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]

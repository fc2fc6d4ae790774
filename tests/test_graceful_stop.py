"""SIGTERM stops `pilotflow worker` and `pilotflow api` gracefully: work in flight finishes.

Real processes against the dev server: a worker whose email activity is in the middle of an
SMTP exchange (the server takes 3 s to accept each message), and an API with an action
waiting on Temporal for a worker, when the signal comes.
"""

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from cli.seed import seed_reference_data
from cli.seed_pilots import worker_polls
from cli.worker import build_worker
from core.models import Notification
from core.settings import Settings
from tests.conftest import VENV_BIN
from tests.support.smtp import free_port
from tests.test_clean_exits import SUBMITTED, pilotflow
from tests.test_cli import pilotflow_env
from workflows.contracts import keyed_update_id

SMTP_DATA_SECONDS = 3.0
GRACE_SECONDS = 20
OFFICER = ("officer.lille@demo.pilotflow.example", "demo-pilotflow")
ADMIN = ("admin@pilotflow.local", "change-me-admin")  # the development defaults


@dataclass
class SlowSmtpHandler:
    """Takes SMTP_DATA_SECONDS to accept each message, so a send is long in flight."""

    receiving: threading.Event = field(default_factory=threading.Event)
    accepted: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(SMTP_DATA_SECONDS)
        self.accepted.append(envelope.original_content or b"")
        return "250 2.0.0 Message accepted for delivery"


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowSmtpHandler, int]]:
    handler = SlowSmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def values(
    database_url: str, tmp_path: Path, dev_env: WorkflowEnvironment, slow_smtp: Any
) -> dict[str, str]:
    """The settings every process of a test shares, as PILOTFLOW_* values."""
    return {
        "database_url": database_url,
        "temporal_address": dev_env.client.service_client.config.target_host,
        "temporal_task_queue": f"stop-{tmp_path.name}",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(slow_smtp[1]),
    }


def settings_of(values: dict[str, str], tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type]


async def start(command: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            str(VENV_BIN / "pilotflow"), command, env=env, stdout=output, stderr=output
        )


async def until(condition: Any, what: str, *, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def outbox(sessions: async_sessionmaker[AsyncSession], pilot_id: str) -> list[Notification]:
    async with sessions() as session:
        rows = await session.scalars(select(Notification).where(Notification.pilot_id == pilot_id))
        return list(rows)


async def stop_worker_mid_email(
    grace_seconds: int,
    values: dict[str, str],
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    slow_smtp: tuple[SlowSmtpHandler, int],
) -> tuple[int, str, str]:
    """Submit a pilot, SIGTERM the worker while its email is in flight; exit code, pilot, log."""
    env = pilotflow_env(tmp_path, **values, worker_shutdown_grace_seconds=str(grace_seconds))
    log = tmp_path / "worker.log"
    worker = await start("worker", env, log)
    try:
        assert await worker_polls(dev_env.client, settings_of(values, tmp_path))
        submitted = await pilotflow("demo-pilot", env=env)
        assert submitted.code == 0, submitted
        found = SUBMITTED.search(submitted.stdout)
        assert found, submitted.stdout
        handler = slow_smtp[0]
        await until(handler.receiving.is_set, "the pilot's email reached the SMTP server")
        worker.terminate()
        # It must be gone within its grace period (plus the time to connect and log).
        code = await asyncio.wait_for(worker.wait(), grace_seconds + 5)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    return code, found[1].removeprefix("pilot-"), log.read_text(errors="replace")


@pytest.mark.devserver
async def test_worker_finishes_the_email_in_flight_then_exits_0(
    values: dict[str, str],
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    slow_smtp: tuple[SlowSmtpHandler, int],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    code, pilot_id, log = await stop_worker_mid_email(
        GRACE_SECONDS, values, tmp_path, dev_env, slow_smtp
    )
    assert code == 0, log
    assert "worker stopping: activities in flight have 20s to finish" in log
    rows = await outbox(sessions, pilot_id)
    # The submission's email (the town and the admin), delivered and recorded as sent.
    assert rows and {row.status for row in rows} == {"sent"}, [
        (r.status, r.last_error) for r in rows
    ]
    delivered = b"\n".join(slow_smtp[0].accepted)
    assert len(slow_smtp[0].accepted) == len(rows)
    for row in rows:
        assert f"Message-ID: {row.message_id}".encode() in delivered


@pytest.mark.devserver
async def test_worker_cancels_what_outlasts_its_grace_period(
    values: dict[str, str],
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    slow_smtp: tuple[SlowSmtpHandler, int],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """One second of grace for a 3 s exchange: the activity is cancelled, the stop still clean,
    and the next worker sends what was not marked sent."""
    code, pilot_id, log = await stop_worker_mid_email(1, values, tmp_path, dev_env, slow_smtp)
    assert code == 0, log
    rows = await outbox(sessions, pilot_id)
    assert rows and "sent" not in {row.status for row in rows}

    settings = settings_of(values, tmp_path)
    async with build_worker(dev_env.client, settings, sessions):
        for _ in range(600):
            rows = await outbox(sessions, pilot_id)
            if {row.status for row in rows} == {"sent"}:
                break
            await asyncio.sleep(0.1)
    assert {row.status for row in rows} == {"sent"}, [(r.status, r.last_error) for r in rows]
    # The message cut off in its DATA exchange may have been taken by the server anyway: at
    # most that one arrives twice, with the same Message-ID (email's crash window).
    accepted = slow_smtp[0].accepted
    assert len(accepted) - len(rows) in (0, 1)
    for row in rows:
        assert f"Message-ID: {row.message_id}".encode() in b"\n".join(accepted)


async def _token(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _admitted(client: Client, workflow_id: str, update_id: str) -> bool:
    """Whether Temporal holds this Update (the API sent it and waits for its answer)."""
    request = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=workflow_id), update_id=update_id
        ),
        wait_policy=WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
        ),
    )
    try:
        await client.workflow_service.poll_workflow_execution_update(request)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


@pytest.mark.devserver
async def test_api_answers_the_action_in_flight_then_exits_0(
    values: dict[str, str],
    tmp_path: Path,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    settings = settings_of(values, tmp_path)
    region = await seed_reference_data(sessions, settings)
    port = free_port()
    env = pilotflow_env(
        tmp_path,
        **values,
        api_port=str(port),
        api_shutdown_grace_seconds=str(GRACE_SECONDS),
        action_wait_seconds="10",
    )
    log = tmp_path / "api.log"
    api = await start("api", env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await _wait_ready(client)
            officer = await _token(client, *OFFICER)
            admin = await _token(client, *ADMIN)
            created = await client.post(
                "/api/v1/pilots",
                headers={"authorization": f"Bearer {officer}"},
                json={
                    "title": "Bancs connectés",
                    "summary": "Des bancs qui comptent leurs usagers.",
                    "theme": "efficient-city",
                    "needs": ["iot"],
                    "budget_eur": 12000,
                    "desired_start": "2027-03-01",
                    "duration_days": 90,
                    "kpis": [{"name": "Usages", "unit": "usages", "baseline": 0, "target": 200}],
                },
            )
            assert created.status_code == 201, created.text
            pilot_id = created.json()["id"]

            # No worker polls yet: the review waits on Temporal when SIGTERM comes.
            review = asyncio.create_task(
                client.post(
                    f"/api/v1/pilots/{pilot_id}/review",
                    headers={"authorization": f"Bearer {admin}", "idempotency-key": "stop-1"},
                    json={"decision": "approve"},
                )
            )
            update_id = keyed_update_id(region.admin.id, "review", "stop-1")
            workflow_id = f"pilot-{pilot_id}"
            for _ in range(200):
                if await _admitted(dev_env.client, workflow_id, update_id):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"the review never reached Temporal:\n{log.read_text()}")
            api.terminate()
            await _until_refused(port)  # it no longer accepts connections...

            # ...and answers the one in flight once a worker takes the Update.
            async with build_worker(dev_env.client, settings, sessions):
                answered = await review
            assert answered.status_code == 200, answered.text
            assert answered.json()["stage"] == "matching"
            code = await asyncio.wait_for(api.wait(), GRACE_SECONDS)
    finally:
        if api.returncode is None:
            api.kill()
            await api.wait()
    text = log.read_text(errors="replace")
    assert code == 0, text
    assert "Application shutdown complete" in text


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the API never became ready")


async def _until_refused(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return
        writer.close()
        await asyncio.sleep(0.05)
    raise AssertionError("the API still accepts connections after SIGTERM")

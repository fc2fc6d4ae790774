"""The worker process's two workers take their limits from the settings."""

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.worker import PolledQueues, build_worker
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from workflows.task_queues import email_task_queue


@pytest.mark.devserver
async def test_cache_and_email_slots_come_from_the_settings(dev_env: WorkflowEnvironment) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        worker_max_cached_workflows=7,
        email_concurrency=3,
        temporal_task_queue="limits",
    )
    client: Client = dev_env.client
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        pilots, email = build_worker(client, settings, create_sessionmaker(engine)).workers
    finally:
        await engine.dispose()

    assert pilots.config()["task_queue"] == "limits"
    assert pilots.config()["max_cached_workflows"] == 7
    assert email.config()["task_queue"] == email_task_queue("limits")
    assert email.config()["max_concurrent_activities"] == 3


@pytest.mark.devserver
@pytest.mark.parametrize(
    ("polls", "expected"),
    [
        (PolledQueues.ALL, ["split-all", email_task_queue("split-all")]),
        (PolledQueues.PILOTS, ["split-pilots"]),
        (PolledQueues.EMAIL, [email_task_queue("split-email")]),
    ],
)
async def test_a_process_may_poll_one_queue_only(
    dev_env: WorkflowEnvironment, polls: PolledQueues, expected: list[str]
) -> None:
    # One queue name per case: the SDK refuses two workers of one client on one queue.
    settings = Settings(_env_file=None, temporal_task_queue=f"split-{polls}")  # type: ignore[call-arg]
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        workers = build_worker(dev_env.client, settings, create_sessionmaker(engine), polls=polls)
    finally:
        await engine.dispose()

    assert [worker.task_queue for worker in workers.workers] == expected

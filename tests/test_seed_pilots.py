"""The demo pilots, seeded against the real dev server and worker, land in their stages."""

import asyncio
import sys
from pathlib import Path

import pytest
from temporalio.client import Client

from cli.seed import is_seeded, seed
from cli.temporal_server import wait_until_ready
from core import temporal_client
from core.settings import Settings
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow, pilotflow_env

EXPECTED = {
    "submitted": 1,
    "changes_requested": 1,
    "matching": 1,
    "trial_running": 1,
    "closed": 1,
}


async def _counts(client: Client) -> dict[str, int]:
    """Pilots by stage, as Temporal's visibility sees them (it follows shortly)."""
    counts: dict[str, int] = {}
    for _ in range(60):
        for stage in EXPECTED:
            listed = client.list_workflows(f"PilotStage='{stage}'")
            counts[stage] = len([w async for w in listed])
        if counts == EXPECTED:
            break
        await asyncio.sleep(0.3)
    return counts


@pytest.mark.devserver
async def test_demo_pilots_reach_their_stages_once(tmp_path: Path) -> None:
    values = {
        "temporal_address": f"127.0.0.1:{free_port()}",
        "temporal_ui_port": str(free_port()),
        "smtp_port": str(free_port()),
        "temporal_task_queue": f"seed-{tmp_path.name}",
    }
    env = pilotflow_env(tmp_path, **values)
    settings = Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "migrate", env=env, cwd=PROJECT_ROOT
    )
    assert await migrate.wait() == 0
    server = pilotflow("server", env=env, log=tmp_path / "server.log")
    worker = pilotflow("worker", env=env, log=tmp_path / "worker.log")
    with server:
        await wait_until_ready(settings, seconds=30)
        with worker:
            assert await seed(settings)
            assert is_seeded(settings)
            client = await temporal_client.connect(settings)
            assert await _counts(client) == EXPECTED
            # A second run finds the pilots in the read model and starts none.
            assert await seed(settings)
            assert await _counts(client) == EXPECTED

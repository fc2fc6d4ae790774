"""The demo pilots, seeded against the real dev server and worker, land in their stages."""

import asyncio
import itertools
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import Client

from cli.seed import is_seeded, seed
from cli.seed_spread import SPREAD, expected_stages
from cli.temporal_server import wait_until_ready
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.models import AuditEvent, Pilot, Town
from core.settings import Settings
from tests.test_cli import PROJECT_ROOT, free_port, pilotflow, pilotflow_env

# The hand-written scenarios, one in each of these stages, and the pilots spread over the towns.
SCENARIO_STAGES = ("submitted", "changes_requested", "matching", "trial_running", "closed")
EXPECTED = dict(Counter(SCENARIO_STAGES) + Counter(expected_stages()))


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
            await _check_the_past(settings)
            # A second run finds the pilots in the read model and starts none.
            assert await seed(settings)
            assert await _counts(client) == EXPECTED


async def _check_the_past(settings: Settings) -> None:
    """The pilots spread over towns and themes, their trails dated back over months."""
    engine = create_engine(settings.effective_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            pilots = list((await session.execute(select(Pilot))).scalars())
            events = list((await session.execute(select(AuditEvent))).scalars())
            towns = {t.id: t.name for t in (await session.execute(select(Town))).scalars()}
    finally:
        await engine.dispose()
    assert len(pilots) == sum(EXPECTED.values())
    assert {towns[p.town_id] for p in pilots} >= {s.town for s in SPREAD}
    assert {p.theme for p in pilots} == {"efficient-city", "creative-city", "european-city"}
    now = datetime.now(UTC)
    assert all(e.at <= now for e in events)
    assert min(p.created_at for p in pilots) < now - timedelta(days=60)
    months = {(p.created_at.year, p.created_at.month) for p in pilots}
    assert len(months) >= 3
    for pilot in pilots:
        trail = sorted((e for e in events if e.pilot_id == pilot.id), key=lambda e: e.seq)
        assert trail[0].at == pilot.created_at
        assert all(a.at <= b.at for a, b in itertools.pairwise(trail))

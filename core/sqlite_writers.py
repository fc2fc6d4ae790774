"""SQLite's writers take turns in order, instead of sleeping on its lock.

SQLite lets one connection write at a time. Another that wants to write calls its busy
handler, which sleeps and tries again, sleeping longer each time (up to 100 ms a try) and
with no order among the waiters: it may sleep on while the lock is free. With a burst of
pilots, dozens of activities of the pilots' worker wanted to write at once, and its
database thread spent 44 % of its samples asleep in that handler (docs/PERFORMANCE.md,
"SQLite's writers take turns").

So writers queue, in two steps. In a process, on an asyncio lock: a connection takes it
just before its first write statement and gives it back when it returns to the pool (its
transaction over), and the next waiter in line goes at once. (SQLite's driver begins a
transaction at the first write, not at a read, so a transaction's reads never wait here.)
Between processes (the API, the pilots' worker, the email worker on one file), the one
writer a process lets through then takes an exclusive `flock` on a file beside the
database; the kernel wakes the next process's writer the moment it is released, where
SQLite's handler would have slept on. A writer that waits longer than SQLite itself would
(its busy timeout) goes on without its turn and leaves the wait to SQLite, so a writer
that holds its turn too long delays the others as before, never forever. A process that
does not take turns (a migration, a backup) still meets SQLite's own wait, as before.
PostgreSQL locks rows, not the database: it needs none of this.
"""

import asyncio
import fcntl
import os
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_TURN = "pilotflow_write_turn"  # in a pooled connection's info: the turn it holds


@dataclass
class WriterTurn:
    """A writer's turn: its process's lock, and the file lock of the processes' queue."""

    lock: asyncio.Lock
    lock_file_fd: int | None = None

    def end(self) -> None:
        fd, self.lock_file_fd = self.lock_file_fd, None
        try:
            if fd is not None:
                os.close(fd)  # closing the file releases its flock
        finally:
            if self.lock.locked():
                self.lock.release()


def lock_file_of(database: str | None) -> Path | None:
    """The file the processes writing to a SQLite database queue on; none in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.writers.lock")


class WriterQueue:
    """The turn to write, one per event loop (a process has one; tests start many)."""

    def __init__(self, wait_seconds: float, lock_file: Path | None = None) -> None:
        self.wait_seconds = wait_seconds
        self.lock_file = lock_file
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take_turn(self) -> WriterTurn | None:
        """This writer's turn, or None after waiting `wait_seconds` in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        lock = self.lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.wait_seconds)
        except TimeoutError:
            return None
        if self.lock_file is None:
            return WriterTurn(lock)
        try:
            fd = await _flock(self.lock_file, deadline - loop.time())
        except BaseException:
            lock.release()
            raise
        if fd is None:
            lock.release()  # no turn between processes: SQLite's own wait decides
            return None
        return WriterTurn(lock, fd)


async def _flock(path: Path, seconds: float) -> int | None:
    """An open descriptor of `path` holding its exclusive flock, or None after `seconds`."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None  # a directory it cannot write to: SQLite's own wait decides
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd  # free: no thread needed
    except BlockingIOError:
        pass
    except OSError:
        os.close(fd)
        return None
    # A flock cannot be awaited: a daemon thread blocks on it (so it never holds up the
    # process's exit) and hands the outcome to the loop, which closes the descriptor if
    # its writer has gone on without it by then.
    loop = asyncio.get_running_loop()
    locked: asyncio.Future[bool] = loop.create_future()

    def settle(ok: bool) -> None:
        if locked.cancelled():
            os.close(fd)
        else:
            locked.set_result(ok)

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            ok = True
        except OSError:
            ok = False
        try:
            loop.call_soon_threadsafe(settle, ok)
        except RuntimeError:  # the loop is closed: nobody will use this descriptor
            os.close(fd)

    threading.Thread(target=wait, name="sqlite-writer-turn", daemon=True).start()
    try:
        ok = await asyncio.wait_for(locked, max(seconds, 0))
    except TimeoutError:
        return None  # `locked` was cancelled: `settle` closes the descriptor
    except BaseException:
        if locked.done() and not locked.cancelled():
            os.close(fd)  # locked just as its writer was cancelled
        raise
    if not ok:
        os.close(fd)
        return None
    return fd


def queue_writers(engine: Engine, wait_seconds: float) -> WriterQueue:
    """Make the writers of this (SQLite) engine's connections take turns; see the module."""
    writers = WriterQueue(wait_seconds, lock_file_of(engine.url.database))

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(
        conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if _TURN in conn.info or not _WRITE.match(statement):
            return
        # Inside SQLAlchemy's greenlet (the async engine runs its sync core there), so the
        # listener can wait on the event loop: the turn is taken before SQLite is asked.
        conn.info[_TURN] = await_only(writers.take_turn())

    # Back in the pool, the transaction is over: at its reset (before the pool's rollback,
    # one more round trip through the thread) or, failing that, its check-in.
    @event.listens_for(engine.pool, "reset")
    def _reset(_dbapi_connection: Any, record: ConnectionPoolEntry, _state: Any) -> None:
        _end_turn(record)

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        _end_turn(record)

    return writers


def _end_turn(record: ConnectionPoolEntry) -> None:
    turn: WriterTurn | None = record.info.pop(_TURN, None)
    if turn is not None:
        turn.end()

"""SQLite's writers of one process take turns in order, instead of sleeping on its lock.

SQLite lets one connection write at a time. Another that wants to write calls its busy
handler, which sleeps and tries again, sleeping longer each time (up to 100 ms a try) and
with no order among the waiters: it may sleep on while the lock is free. With a burst of
pilots, dozens of activities of the pilots' worker wanted to write at once, and its
database thread spent 44 % of its samples asleep in that handler (docs/PERFORMANCE.md,
"SQLite's writers take turns").

So each process queues its own writers on an asyncio lock: a connection takes it just
before its first write statement and gives it back when it returns to the pool (its
transaction over), and the next waiter in line goes at once. (SQLite's driver begins a
transaction at the first write, not at a read, so a transaction's reads never wait here.)
Only one connection per process then ever waits in SQLite's handler, for the other
processes' writers. A writer that waits longer than SQLite itself would (its busy timeout)
goes on without its turn and leaves the wait to SQLite, so a writer that holds its turn
too long delays the others as before, never forever. PostgreSQL locks rows, not the
database: it needs none of this.
"""

import asyncio
import re
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_TURN = "pilotflow_write_turn"  # in a pooled connection's info: the lock it holds


class WriterQueue:
    """The turn to write, one per event loop (a process has one; tests start many)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take_turn(self) -> asyncio.Lock | None:
        """The lock once it is this writer's turn, or None after waiting `wait_seconds`."""
        lock = self.lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.wait_seconds)
        except TimeoutError:
            return None
        return lock


def queue_writers(engine: Engine, wait_seconds: float) -> WriterQueue:
    """Make the writers of this (SQLite) engine's connections take turns; see the module."""
    writers = WriterQueue(wait_seconds)

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
    lock: asyncio.Lock | None = record.info.pop(_TURN, None)
    if lock is not None and lock.locked():
        lock.release()

"""Engine and session factory; the caller that opens a session commits it."""

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.sqlite_writers import queue_writers

# How long a SQLite writer waits for the database's lock before it gives up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The oldest SQLite with RETURNING, by which the outbox lease reads back the rows it took.
SQLITE_MIN_VERSION = (3, 35)
# A server's connection left this long in the pool is pinged before it is used again.
PING_AFTER_IDLE_SECONDS = 5.0


def create_engine(
    url: str, *, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS
) -> AsyncEngine:
    # hide_parameters: errors (and so logs) never carry the values of a statement.
    engine = create_async_engine(url, hide_parameters=True)
    if engine.dialect.name != "sqlite":
        # A SQLite file's connection cannot drop; a server's can (a restart).
        ping_idle_connections(engine.sync_engine, ping_after_idle_seconds)
    else:
        require_sqlite_version(sqlite3.sqlite_version_info)

        # Several processes (worker, API) share one SQLite file: wait for locks, use WAL.
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        # A process's own writers queue in order rather than sleep on the lock in turn.
        queue_writers(engine.sync_engine, SQLITE_BUSY_TIMEOUT_MS / 1000)

    return engine


def require_sqlite_version(version: tuple[int, ...]) -> None:
    """Refuse, with a line saying why, a SQLite older than pilotflow's statements need."""
    if version < SQLITE_MIN_VERSION:
        needed, found = ".".join(map(str, SQLITE_MIN_VERSION)), ".".join(map(str, version))
        raise RuntimeError(f"pilotflow needs SQLite {needed} or newer; this Python has {found}")


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use if it sat idle for `idle_seconds`, and replace it
    if the ping fails.

    Not SQLAlchemy's `pool_pre_ping`, which pings on every checkout: on asyncpg a ping is
    three round trips (BEGIN, a query, ROLLBACK), and under load they were a third of the
    workers' socket writes (docs/PERFORMANCE.md). A connection used moments ago is taken as
    alive; if it dropped meanwhile, its statement fails as a lost connection, SQLAlchemy
    then replaces every connection the pool held, and the caller's retry (Temporal's for an
    activity, the client's on a 503) gets a new one.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < idle_seconds:
            return  # a new connection, or one used moments ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool drops this connection and checks out a new one instead.
            raise DisconnectionError("the idle connection is gone") from error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block ends and rolls back if it raises."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def autocommitting(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose statements each commit as they run: for reads, or for one write
    that is a transaction by itself.

    On a server database that is autocommit: no BEGIN and no COMMIT or ROLLBACK, so one
    round trip per statement instead of three for a lone one. Two reads in it may see the
    database at two moments; no reader here needs one snapshot for them. On SQLite the
    block is one transaction, committed at its end (switching aiosqlite's connection to
    autocommit and back costs more thread hops than it saves).
    """
    async with sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            async with session.begin():
                yield session
        else:
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session


async def insert_or_ignore(
    session: AsyncSession,
    model: type[Any],
    values: dict[str, Any] | list[dict[str, Any]],
    unique: list[str] | None,
    *,
    returning: str | None = None,
) -> set[Any]:
    """Insert rows unless one with the same `unique` columns exists. With `returning`, a
    column's name: that column's values in the rows this call inserted (SQLite 3.35+).

    A concurrent or retried attempt's rows win, and none is doubled. `unique=None` ignores a
    conflict on any unique constraint: PostgreSQL raises, rather than ignores, a racing
    insert that collides first on a constraint the conflict target does not name.
    """
    dialect = session.get_bind().dialect.name
    key = (dialect, model, None if unique is None else tuple(unique), returning)
    statement = _IGNORING_INSERTS.get(key)
    if statement is None:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(model).on_conflict_do_nothing(index_elements=unique)
        if returning is not None:
            statement = statement.returning(getattr(model, returning))
        _IGNORING_INSERTS[key] = statement
    # The values go as parameters, not into the statement, so it is compiled once per
    # process (SQLAlchemy's cache) instead of on every call (issue 10).
    if returning is None:
        await session.execute(statement, values)
        return set()
    return set(await session.scalars(statement, values))


# One statement per (dialect, model, conflict target, column returned): they take no values
# of their own.
_IGNORING_INSERTS: dict[tuple[str, type[Any], tuple[str, ...] | None, str | None], Any] = {}

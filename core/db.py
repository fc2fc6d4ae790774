"""Engine and session factory; the caller that opens a session commits it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.sqlite_writers import queue_writers

# How long a SQLite writer waits for the database's lock before it gives up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(url: str) -> AsyncEngine:
    # hide_parameters: errors (and so logs) never carry the values of a statement.
    # A server's connection can drop (a restart) and is pinged before use; a SQLite file's
    # cannot, and through aiosqlite the ping is four thread hops on every checkout.
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(url, pool_pre_ping=not sqlite, hide_parameters=True)
    if engine.dialect.name == "sqlite":
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


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block ends and rolls back if it raises."""
    async with sessions() as session, session.begin():
        yield session


async def insert_or_ignore(
    session: AsyncSession,
    model: type[Any],
    values: dict[str, Any] | list[dict[str, Any]],
    unique: list[str] | None,
) -> None:
    """Insert rows unless one with the same `unique` columns exists.

    A concurrent or retried attempt's rows win, and none is doubled. `unique=None` ignores a
    conflict on any unique constraint: PostgreSQL raises, rather than ignores, a racing
    insert that collides first on a constraint the conflict target does not name.
    """
    dialect = session.get_bind().dialect.name
    key = (dialect, model, None if unique is None else tuple(unique))
    statement = _IGNORING_INSERTS.get(key)
    if statement is None:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(model).on_conflict_do_nothing(index_elements=unique)
        _IGNORING_INSERTS[key] = statement
    # The values go as parameters, not into the statement, so it is compiled once per
    # process (SQLAlchemy's cache) instead of on every call (issue 10).
    await session.execute(statement, values)


# One statement per (dialect, model, conflict target): they take no values of their own.
_IGNORING_INSERTS: dict[tuple[str, type[Any], tuple[str, ...] | None], Any] = {}

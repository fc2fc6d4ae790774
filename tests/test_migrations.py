"""The migrations are the schema: after `upgrade head`, the models find nothing to change."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from core.db import create_engine
from core.migrate import alembic_config, upgrade_async
from core.models import Base


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)

    def differences(connection: Connection) -> list[object]:
        dialect = connection.dialect.name
        opts = {"compare_type": True, "include_object": _built_on(dialect)}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    await engine.dispose()
    assert diff == [], f"the models and the migrations disagree: {diff}"


def _built_on(dialect: str) -> Callable[..., bool]:
    """Leave out what the models build on another database only (`ddl_if`: trigram indexes)."""

    def include(item: object, *_: object) -> bool:
        condition = getattr(item, "_ddl_if", None)  # SQLAlchemy keeps `ddl_if` here
        return condition is None or condition.dialect in (None, dialect)

    return include


async def test_the_lease_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    """0005 adds the outbox's lease; going back to 0004 drops it and unclaims rows in flight."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO notifications (id, idempotency_key, seq, template, to_address,"
                " locale, subject, body_text, body_html, message_id, status, attempts,"
                " created_at, lease_owner, lease_expires_at) VALUES ('n1', 'k1', 1, 't',"
                " 'a@b.example', 'fr', 's', 'x', 'x', '<m@pilotflow>', 'sending', 0,"
                " :now, 'attempt-1', :now)"
            ),
            {"now": datetime.now(UTC)},
        )

    def notification_columns(connection: Connection) -> set[str]:
        return {column["name"] for column in inspect(connection).get_columns("notifications")}

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0004")
    async with engine.connect() as connection:
        columns = await connection.run_sync(notification_columns)
        status = await connection.scalar(text("SELECT status FROM notifications"))
    assert "lease_owner" not in columns and "lease_expires_at" not in columns
    assert status == "queued"

    await upgrade_async(database_url)
    async with engine.connect() as connection:
        columns = await connection.run_sync(notification_columns)
        lease = (await connection.execute(text("SELECT lease_owner FROM notifications"))).one()
    await engine.dispose()
    assert {"lease_owner", "lease_expires_at"} <= columns
    assert lease == (None,)
    await test_models_and_migrations_agree(database_url)

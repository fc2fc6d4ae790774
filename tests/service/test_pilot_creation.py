"""Submitting a pilot: its row is committed before Temporal is called, and taken back if the
start fails, so no database write lock waits on Temporal (on SQLite it blocks every writer).

Temporal is a stand-in client that looks at the database when the workflow is started.
"""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError, RPCStatusCode

from core.models import Pilot, Theme
from service.deps import get_temporal_client
from tests.service.conftest import Maker

BODY = {
    "title": "Compost",
    "summary": "Collect food waste",
    "theme": "efficient-city",
    "budget_eur": 1000,
    "desired_start": "2031-01-01",
    "duration_days": 30,
}


class Temporal:
    """Starts no workflow: writes from another session, as the worker would, then answers."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, fail: bool = False) -> None:
        self.sessions = sessions
        self.fail = fail
        self.rows_seen: list[int] = []

    async def start_workflow(self, *_: Any, id: str, **__: Any) -> None:
        async with self.sessions() as session, session.begin():
            # Another writer gets the lock at once: the request's transaction has ended.
            session.add(Theme(code=f"t-{len(self.rows_seen)}", name="A writer", description=""))
            self.rows_seen.append(int(await session.scalar(select(func.count(Pilot.id))) or 0))
        if self.fail:
            raise RPCError("unreachable", RPCStatusCode.UNAVAILABLE, b"")


async def _officer(make_town: Maker, make_user: Any) -> dict[str, str]:
    town = await make_town("Lille")
    headers: dict[str, str] = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    return headers


async def test_the_row_is_committed_before_the_workflow_starts(
    app: FastAPI, client: AsyncClient, make_town: Maker, make_user: Any
) -> None:
    officer = await _officer(make_town, make_user)
    temporal = Temporal(app.state.sessions)
    app.dependency_overrides[get_temporal_client] = lambda: temporal
    keyed = officer | {"Idempotency-Key": "compost-1"}
    created = await client.post("/api/v1/pilots", json=BODY, headers=keyed)
    assert created.status_code == 201, created.text
    assert temporal.rows_seen == [1]
    again = await client.post("/api/v1/pilots", json=BODY, headers=keyed)
    assert again.json()["id"] == created.json()["id"]
    # No transition recorded yet: the retry starts the workflow again, which Temporal dedupes.
    assert temporal.rows_seen == [1, 1]


async def test_a_failed_start_takes_the_row_back(
    app: FastAPI, client: AsyncClient, make_town: Maker, make_user: Any
) -> None:
    officer = await _officer(make_town, make_user)
    temporal = Temporal(app.state.sessions, fail=True)
    app.dependency_overrides[get_temporal_client] = lambda: temporal
    refused = await client.post("/api/v1/pilots", json=BODY, headers=officer)
    assert refused.status_code == 503, refused.text
    assert temporal.rows_seen == [1]
    listed = await client.get("/api/v1/pilots", headers=officer)
    assert listed.json()["items"] == []

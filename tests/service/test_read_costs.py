"""What an authenticated read costs the database: the token's one query, the read's, no write."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import Maker


def statements_of(app: FastAPI) -> list[str]:
    """Every SQL statement the app's engine sends from now on (but the pool's pings)."""
    engine: AsyncEngine = app.state.sessions.kw["bind"]
    sent: list[str] = []

    def remember(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.strip().upper() != "SELECT 1":
            sent.append(sql.strip().split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    return sent


async def test_a_list_is_two_selects_and_no_write(
    app: FastAPI, client: AsyncClient, make_town: Maker, make_user: Any
) -> None:
    town = await make_town("Lille")
    officer = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    sent = statements_of(app)
    for _ in range(3):
        response = await client.get("/api/v1/pilots", headers=officer)
        assert response.status_code == 200, response.text
    # Per read: the session, its user and company in one query; then the page.
    assert sent == ["SELECT", "SELECT"] * 3


async def test_a_read_signs_in_and_reads_on_one_connection(
    app: FastAPI, client: AsyncClient, make_town: Maker, make_user: Any
) -> None:
    town = await make_town("Lille")
    officer = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    engine: AsyncEngine = app.state.sessions.kw["bind"]
    checkouts: list[object] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: checkouts.append(_))
    for path in ("/api/v1/pilots", "/api/v1/pilots?q=led", "/api/v1/pilots/nope"):
        checkouts.clear()
        response = await client.get(path, headers=officer)
        assert response.status_code in (200, 404), response.text
        # The token's query shares the read's transaction: one checkout, not one each.
        assert len(checkouts) == 1, path
    refused = await client.get("/api/v1/pilots", headers={"Authorization": "Bearer forged"})
    assert refused.status_code == 401

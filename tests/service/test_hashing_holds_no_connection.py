"""argon2 is slow on purpose: no password is hashed while a database connection is held.

Each path that hashes is driven through HTTP while the hashing pool reports how many
connections the app's engine had checked out at that moment.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Headers

T = TypeVar("T")


def watch_hashing(app: FastAPI) -> list[int]:
    """The number of connections checked out each time the app hashes or checks a password."""
    engine: AsyncEngine = app.state.sessions.kw["bind"]
    hashing = app.state.account_guards.hashing
    delegate = hashing.run
    seen: list[int] = []

    async def run(function: Callable[..., T], *args: object) -> T:
        seen.append(engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]
        return await delegate(function, *args)

    hashing.run = run
    return seen


async def test_no_path_hashes_holding_a_connection(
    app: FastAPI, client: AsyncClient, admin: Headers, make_town: Any
) -> None:
    seen = watch_hashing(app)
    town = await make_town()
    new_user = {"email": "o@lille.example", "password": "a-good-password", "role": "town_officer"}
    created = await client.post("/api/v1/users", json=new_user | {"town_id": town["id"]},
                                headers=admin)  # fmt: skip
    assert created.status_code == 201, created.text
    officer_id = created.json()["id"]
    token = await client.post(
        "/api/v1/auth/token", json={"email": "o@lille.example", "password": "a-good-password"}
    )
    officer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    changed = await client.patch(
        "/api/v1/me",
        json={"current_password": "a-good-password", "password": "another-good-one"},
        headers=officer,
    )
    assert changed.status_code == 200, changed.text
    reset = await client.patch(
        f"/api/v1/users/{officer_id}", json={"password": "a-third-password"}, headers=admin
    )
    assert reset.status_code == 200, reset.text
    again = await client.post(
        "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert again.status_code == 200
    # create, sign-in, check + new hash on /me, the admin's new password, sign-in again.
    assert len(seen) >= 6
    assert seen == [0] * len(seen)

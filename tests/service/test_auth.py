"""Tokens: issued for the right password, refused when wrong, expired, forged or revoked."""

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select, update

from core.db import transaction
from core.models import AuthSession, User, utcnow
from core.settings import Settings
from service.auth import open_session, session_id_of, token_for
from service.errors import Unauthorized
from tests.service.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Headers, sign_in


async def test_token_for_the_first_admin(client: AsyncClient) -> None:
    body = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    response = await client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0
    assert set(token["user"]) == {"id", "email", "name", "role", "town_id", "company_id", "locale"}
    assert token["user"]["role"] == "admin"


async def test_email_is_case_insensitive(client: AsyncClient) -> None:
    await sign_in(client, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)


async def test_wrong_password_or_unknown_email_is_401(client: AsyncClient) -> None:
    for email, password in [(ADMIN_EMAIL, "wrong-password"), ("nobody@x.example", PASSWORD)]:
        body = {"email": email, "password": password}
        response = await client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong email or password"}


async def test_me(client: AsyncClient, admin: Headers) -> None:
    response = await client.get("/api/v1/me", headers=admin)
    assert response.status_code == 200
    assert response.json()["email"] == ADMIN_EMAIL


async def test_no_or_bad_token_is_401_with_bearer_challenge(client: AsyncClient) -> None:
    for headers in [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer " + "x" * 5000},
    ]:
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"


async def test_forged_signature_is_401(client: AsyncClient, admin: Headers) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    payload, _, signature = token.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_expired_token_is_401(client: AsyncClient, settings: Settings, sessions) -> None:
    async with transaction(sessions) as session:
        admin = (await session.execute(select(User).where(User.email == ADMIN_EMAIL))).scalar_one()
        old = await open_session(session, admin, settings)
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == old.session_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        fresh = await open_session(session, admin, settings)
    headers = {"Authorization": f"Bearer {old.access_token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    headers = {"Authorization": f"Bearer {fresh.access_token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_token_of_another_secret_is_401(
    client: AsyncClient, settings: Settings, admin: Headers
) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    session_id = session_id_of(token, settings)
    other = settings.model_copy(update={"secret_key": "another-secret"})
    forged = token_for(session_id, other)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_token_read_once_is_still_refused_under_another_secret(settings: Settings) -> None:
    # Tokens' answers are kept (service.auth._signed_session_id): by token and secret both.
    token = token_for("a-session", settings)
    assert session_id_of(token, settings) == "a-session"
    rotated = settings.model_copy(update={"secret_key": "a-rotated-secret-of-enough-length"})
    with pytest.raises(Unauthorized):
        session_id_of(token, rotated)
    with pytest.raises(Unauthorized):
        session_id_of(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), settings)
    assert session_id_of(token, settings) == "a-session"


async def test_password_change_revokes_tokens(
    client: AsyncClient, admin: Headers, make_town, make_user
) -> None:
    town = await make_town()
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    user_id = (await client.get("/api/v1/me", headers=officer)).json()["id"]
    change = {"password": "another-good-password"}
    response = await client.patch(f"/api/v1/users/{user_id}", json=change, headers=admin)
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=officer)).status_code == 401
    await sign_in(client, "officer@lille.example", "another-good-password")


async def test_inactive_user_is_refused(
    client: AsyncClient, admin: Headers, make_town, make_user
) -> None:
    town = await make_town()
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    user_id = (await client.get("/api/v1/me", headers=officer)).json()["id"]
    response = await client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin)
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=officer)).status_code == 401
    body = {"email": "officer@lille.example", "password": PASSWORD}
    assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401


async def test_own_password_change_needs_the_current_one(
    client: AsyncClient, make_town, make_user
) -> None:
    town = await make_town()
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    wrong = {"password": "brand-new-password", "current_password": "not-it"}
    response = await client.patch("/api/v1/me", json=wrong, headers=officer)
    assert response.status_code == 422
    right = {"password": "brand-new-password", "current_password": PASSWORD, "locale": "en"}
    response = await client.patch("/api/v1/me", json=right, headers=officer)
    assert response.status_code == 200
    assert response.json()["locale"] == "en"
    await sign_in(client, "officer@lille.example", "brand-new-password")

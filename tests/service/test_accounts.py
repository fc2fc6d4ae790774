"""Accounts: sign-out on the server, deactivation, password links, rehash at sign-in."""

from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from httpx import AsyncClient
from itsdangerous import TimestampSigner
from sqlalchemy import select

from core import account_links
from core.account_links import LinkClaims, LinkPurpose, make_token, password_fingerprint
from core.db import transaction
from core.models import User
from core.security import hash_password, needs_rehash, unusable_password_hash
from core.settings import Settings
from tests.service.conftest import PASSWORD, Headers, sign_in


async def _user(sessions: Any, email: str) -> User:
    async with sessions() as session:
        return (await session.execute(select(User).where(User.email == email))).scalar_one()


async def test_sign_out_ends_that_token_on_the_server(
    client: AsyncClient, make_town, make_user
) -> None:
    town = await make_town()
    first = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    second = await sign_in(client, "officer@lille.example")
    response = await client.post("/api/v1/auth/logout", headers=first)
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=first)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=first)).status_code == 401
    # Only that token: the user's other session goes on.
    assert (await client.get("/api/v1/me", headers=second)).status_code == 200


async def test_a_deactivated_company_ends_its_users_tokens(
    client: AsyncClient, admin: Headers, make_company, make_user
) -> None:
    company = await make_company()
    worker = await make_user("team@acme.example", "company", company_id=company["id"])
    path = f"/api/v1/companies/{company['id']}"
    assert (await client.patch(path, json={"active": False}, headers=admin)).status_code == 200
    assert (await client.get("/api/v1/me", headers=worker)).status_code == 401
    body = {"email": "team@acme.example", "password": PASSWORD}
    assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
    # Reactivated, the company's users sign in again, but old tokens stay dead.
    assert (await client.patch(path, json={"active": True}, headers=admin)).status_code == 200
    assert (await client.get("/api/v1/me", headers=worker)).status_code == 401
    await sign_in(client, "team@acme.example")


async def test_a_reactivated_user_does_not_get_old_tokens_back(
    client: AsyncClient, admin: Headers, make_town, make_user
) -> None:
    town = await make_town()
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    user_id = (await client.get("/api/v1/me", headers=officer)).json()["id"]
    path = f"/api/v1/users/{user_id}"
    assert (await client.patch(path, json={"active": False}, headers=admin)).status_code == 200
    assert (await client.patch(path, json={"active": True}, headers=admin)).status_code == 200
    assert (await client.get("/api/v1/me", headers=officer)).status_code == 401
    await sign_in(client, "officer@lille.example")


async def test_own_password_change_keeps_this_session_and_ends_the_others(
    client: AsyncClient, make_town, make_user
) -> None:
    town = await make_town()
    this = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    other = await sign_in(client, "officer@lille.example")
    change = {"password": "brand-new-password", "current_password": PASSWORD}
    assert (await client.patch("/api/v1/me", json=change, headers=this)).status_code == 200
    assert (await client.get("/api/v1/me", headers=this)).status_code == 200
    assert (await client.get("/api/v1/me", headers=other)).status_code == 401


async def test_hash_of_older_parameters_is_upgraded_at_sign_in(
    client: AsyncClient, sessions, make_town, make_user
) -> None:
    town = await make_town()
    await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak)
    async with transaction(sessions) as session:
        user = (await session.execute(select(User))).scalars().all()
        officer = next(u for u in user if u.email == "officer@lille.example")
        officer.password_hash = weak
    before = await sign_in(client, "officer@lille.example")
    upgraded = (await _user(sessions, "officer@lille.example")).password_hash
    assert upgraded != weak
    assert not needs_rehash(upgraded)
    # Not a new password: sessions opened before the upgrade go on.
    assert (await client.get("/api/v1/me", headers=before)).status_code == 200
    await sign_in(client, "officer@lille.example")


async def _invited(sessions: Any, email: str = "new@lille.example") -> User:
    async with transaction(sessions) as session:
        user = User(email=email, role="admin", password_hash=unusable_password_hash())
        session.add(user)
    return user


def _link(user: User, settings: Settings, purpose: LinkPurpose = LinkPurpose.INVITATION) -> str:
    fingerprint = password_fingerprint(user.password_hash, settings)
    return make_token(LinkClaims(user.id, purpose, fingerprint), settings)


async def test_an_invited_user_cannot_sign_in_until_the_link_is_used(
    client: AsyncClient, sessions, settings: Settings
) -> None:
    user = await _invited(sessions)
    for password in ("", user.password_hash, "anything-at-all"):
        body = {"email": user.email, "password": password}
        assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
    body = {"token": _link(user, settings), "password": "my-chosen-password"}
    assert (await client.post("/api/v1/auth/password", json=body)).status_code == 204
    await sign_in(client, user.email, "my-chosen-password")


async def test_a_link_works_once(client: AsyncClient, sessions, settings: Settings) -> None:
    user = await _invited(sessions)
    token = _link(user, settings)
    first = {"token": token, "password": "my-chosen-password"}
    assert (await client.post("/api/v1/auth/password", json=first)).status_code == 204
    signed_in = await sign_in(client, user.email, "my-chosen-password")
    again = {"token": token, "password": "someone-elses-password"}
    response = await client.post("/api/v1/auth/password", json=again)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "token"]
    await sign_in(client, user.email, "my-chosen-password")
    # A reset link ends every session: whoever had the account is out.
    current = await _user(sessions, user.email)
    reset = {
        "token": _link(current, settings, LinkPurpose.PASSWORD_RESET),
        "password": "after-reset",
    }
    assert (await client.post("/api/v1/auth/password", json=reset)).status_code == 204
    assert (await client.get("/api/v1/me", headers=signed_in)).status_code == 401


async def test_expired_forged_or_stale_links_are_refused(
    client: AsyncClient, sessions, settings: Settings, monkeypatch
) -> None:
    user = await _invited(sessions)
    stale_user = User(id=user.id, password_hash=hash_password("x" * 8))
    hours = settings.password_reset_ttl_minutes / 60 + 1
    monkeypatch.setattr(
        TimestampSigner,
        "get_timestamp",
        lambda self: int((datetime.now(UTC) - timedelta(hours=hours)).timestamp()),
    )
    expired = _link(await _user(sessions, user.email), settings, LinkPurpose.PASSWORD_RESET)
    monkeypatch.undo()
    other_secret = settings.model_copy(update={"secret_key": "not-ours"})
    for token in (
        expired,
        _link(user, other_secret),
        _link(stale_user, settings),
        "nonsense",
        _link(user, settings)[:-3],
    ):
        body = {"token": token, "password": "my-chosen-password"}
        assert (await client.post("/api/v1/auth/password", json=body)).status_code == 422, token
    assert account_links.read_token(_link(user, settings), settings) is not None


async def test_guessing_the_current_password_counts_as_failed_sign_ins(
    client: AsyncClient, settings: Settings, make_town, make_user
) -> None:
    town = await make_town()
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    wrong = {"password": "brand-new-password", "current_password": "a-guess"}
    for _ in range(settings.signin_max_failures):
        assert (await client.patch("/api/v1/me", json=wrong, headers=officer)).status_code == 422
    right = {"password": "brand-new-password", "current_password": PASSWORD}
    response = await client.patch("/api/v1/me", json=right, headers=officer)
    assert response.status_code == 429
    assert "retry-after" in response.headers

"""The pages' session: renewal keeps open forms valid, sign-out ends it on the server,
sign-in guessing is throttled with a message saying when to try again."""

import re
from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import update

from core.db import transaction
from core.models import AuthSession, utcnow
from core.settings import Settings
from service.auth import session_id_of
from service.pages.session import SESSION_COOKIE
from tests.service.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _csrf(client: AsyncClient, path: str = "/login") -> str:
    match = CSRF.search((await client.get(path)).text)
    assert match is not None
    return match.group(1)


async def _page_sign_in(client: AsyncClient, password: str = ADMIN_PASSWORD) -> int:
    form = {"csrf_token": await _csrf(client), "email": ADMIN_EMAIL, "password": password}
    return (await client.post("/login", data=form)).status_code


async def test_renewal_keeps_the_forms_of_an_open_page_valid(
    client: AsyncClient, sessions, settings: Settings
) -> None:
    assert await _page_sign_in(client) == 303
    token = client.cookies[SESSION_COOKIE]
    open_form = await _csrf(client, "/admin/users")
    # Past half its life, the next page renews the session.
    async with transaction(sessions) as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id_of(token, settings))
            .values(expires_at=utcnow() + timedelta(minutes=5))
        )
    renewed = await client.get("/admin")
    assert renewed.status_code == 200
    assert SESSION_COOKIE in renewed.headers.get("set-cookie", "")
    response = await client.post("/language", data={"csrf_token": open_form, "locale": "en"})
    assert response.status_code == 303
    # Renewed on the server: a full lifetime again.
    headers = {"Authorization": f"Bearer {client.cookies[SESSION_COOKIE]}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_page_sign_out_ends_the_session_on_the_server(client: AsyncClient) -> None:
    assert await _page_sign_in(client) == 303
    token = client.cookies[SESSION_COOKIE]
    form = {"csrf_token": await _csrf(client, "/admin")}
    assert (await client.post("/logout", data=form)).status_code == 303
    # Someone who kept a copy of the cookie finds it dead.
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    client.cookies.set(SESSION_COOKIE, token)
    assert (await client.get("/admin")).headers["location"].startswith("/login")


async def test_the_sign_in_page_is_throttled_and_says_when_to_retry(
    client: AsyncClient, settings: Settings
) -> None:
    for _ in range(settings.signin_max_failures):
        assert await _page_sign_in(client, "wrong-password") == 401
    form = {"csrf_token": await _csrf(client), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    response = await client.post("/login", data=form)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Réessayez dans 15 minutes" in response.text
    client.cookies.set("pf_lang", "en")
    form["csrf_token"] = await _csrf(client)
    response = await client.post("/login", data=form)
    assert "Try again in 15 minutes" in response.text

"""How the pages answer beside the API: sign-in redirects, refusals and errors as pages with
the pages' headers, while every path of the API keeps its JSON answers."""

import logging

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from core.settings import Settings
from core.signing import sign
from service.main import create_app
from service.pages import admin as admin_page
from service.pages.headers import SECURITY_HEADERS
from tests.pages.conftest import page_sign_in
from tests.service.conftest import free_port


def assert_page_headers(response: Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)


async def test_a_page_without_a_session_sends_to_sign_in_and_back(client: AsyncClient) -> None:
    response = await client.get("/admin/pilots?stage=matching")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/pilots%3Fstage%3Dmatching"
    assert_page_headers(response)
    assert (await client.get("/")).headers["location"] == "/login"


async def test_other_roles_may_not_open_another_role_s_pages(
    client: AsyncClient, make_town, make_company, make_user
) -> None:
    town = await make_town()
    company = await make_company()
    await make_user("officer@town.example", "town_officer", town_id=town["id"])
    await make_user("team@acme.example", "company", company_id=company["id"])
    await page_sign_in(client, "officer@town.example")
    for path in ("/admin", "/admin/towns", "/admin/users", "/company", "/company/profile"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "You may not do this" in response.text
        assert_page_headers(response)
    assert (await client.get("/officer")).status_code == 200
    client.cookies.clear()
    await page_sign_in(client, "team@acme.example")
    for path in ("/admin/themes", "/officer", "/officer/pilots/new"):
        assert (await client.get(path)).status_code == 403, path
    assert (await client.get("/company/profile")).status_code == 200


async def test_a_malformed_id_is_a_page_not_found(admin_browser: AsyncClient) -> None:
    response = await admin_browser.get("/pilots/not.an.id")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert_page_headers(response)


async def test_a_wrong_method_on_a_page_names_the_methods_it_takes(client: AsyncClient) -> None:
    response = await client.put("/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert_page_headers(response)


async def test_the_api_keeps_its_json_answers_beside_the_pages(client: AsyncClient) -> None:
    for path in ("/api/v1/nothing-here", "/nothing-here"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
        assert "content-security-policy" not in response.headers
    wrong_method = await client.put("/api/v1/pilots")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, POST"
    unauthenticated = await client.get("/api/v1/pilots")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"detail": "not authenticated"}
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert all(path.startswith("/api/") or path in ("/healthz", "/readyz") for path in paths)


async def test_the_stylesheet_is_served_with_the_pages(client: AsyncClient) -> None:
    response = await client.get("/static/pilotflow.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert_page_headers(response)


async def test_an_unreachable_database_is_a_page_that_says_so() -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        temporal_address=f"127.0.0.1:{free_port()}",
        smtp_port=free_port(),
        secret_key="test-secret-key",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client,
    ):
        client.cookies.set("pf_lang", "en")
        response = await client.get(f"/unsubscribe/{sign('acme', settings.secret_key)}")
    assert response.status_code == 503
    assert "A service is unavailable" in response.text
    assert_page_headers(response)


async def test_a_bug_behind_a_page_is_a_page_logged_once(
    app: FastAPI,
    admin_browser: AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_session: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(admin_page, "overview_of", broken)
    transport = ASGITransport(app, raise_app_exceptions=False)
    async with AsyncClient(
        transport=transport, base_url="http://testserver", cookies=admin_browser.cookies
    ) as browser:
        response = await browser.get("/admin")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert_page_headers(response)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["a bug"]

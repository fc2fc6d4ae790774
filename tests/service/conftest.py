"""The API on a freshly migrated database, with Temporal and SMTP unreachable by default."""

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from core.settings import Settings
from service.main import create_app

ADMIN_EMAIL = "admin@pilotflow.local"
ADMIN_PASSWORD = "admin-password"
PASSWORD = "a-good-password"

Headers = dict[str, str]


def free_port() -> int:
    """A loopback port nothing listens on (a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        temporal_address=f"127.0.0.1:{free_port()}",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        secret_key="test-secret-key",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client:
        yield client


async def sign_in(client: AsyncClient, email: str, password: str = PASSWORD) -> Headers:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin(client: AsyncClient) -> Headers:
    return await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)


Maker = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_town(client: AsyncClient, admin: Headers) -> Maker:
    async def make(name: str = "Lille", **fields: Any) -> dict[str, Any]:
        response = await client.post("/api/v1/towns", json={"name": name, **fields}, headers=admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


@pytest.fixture
def make_theme(client: AsyncClient, admin: Headers) -> Maker:
    async def make(code: str = "green-city", **fields: Any) -> dict[str, Any]:
        body = {"code": code, "name": code.title(), **fields}
        response = await client.post("/api/v1/themes", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


@pytest.fixture
def make_company(client: AsyncClient, admin: Headers) -> Maker:
    async def make(name: str = "Acme", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "contact_email": "hello@acme.example", "themes": [], "tags": []}
        response = await client.post("/api/v1/companies", json=body | fields, headers=admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


@pytest.fixture
def make_user(client: AsyncClient, admin: Headers) -> Callable[..., Awaitable[Headers]]:
    """Create a user through the API and sign them in; returns their auth headers."""

    async def make(email: str, role: str, **fields: Any) -> Headers:
        body = {"email": email, "password": PASSWORD, "role": role, **fields}
        response = await client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return await sign_in(client, email)

    return make

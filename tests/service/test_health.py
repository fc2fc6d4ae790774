"""healthz says the process is up; readyz names each backing service that does not answer."""

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from core.settings import Settings
from service.main import create_app
from tests.service.conftest import free_port


class HealthyTemporal:
    """Stands in for the Temporal connector when a test needs Temporal up."""

    async def healthy(self) -> bool:
        return True

    async def warm_up(self) -> None:
        return None


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[None]:
    controller = Controller(Sink(), hostname="127.0.0.1", port=settings.smtp_port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


async def test_healthz(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_what_is_down(client: AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "temporal": "down", "smtp": "down"},
    }


@pytest.mark.usefixtures("smtp_server")
async def test_readyz_with_smtp_up(client: AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "temporal": "down", "smtp": "ok"}


@pytest.mark.usefixtures("smtp_server")
async def test_readyz_all_up(app: FastAPI, client: AsyncClient) -> None:
    app.state.temporal = HealthyTemporal()
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "temporal": "ok", "smtp": "ok"},
    }


async def test_api_starts_without_its_database() -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        temporal_address=f"127.0.0.1:{free_port()}",
        smtp_port=free_port(),
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "down"
        body = {"email": "a@x.example", "password": "whatever-it-is"}
        assert (await client.post("/api/v1/auth/token", json=body)).status_code == 503

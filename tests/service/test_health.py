"""healthz says the process is up; readyz names each backing service that does not answer."""

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from core import settings as settings_module
from core.settings import Settings
from service.main import create_app
from service.readiness import smtp_ok
from tests.service.conftest import free_port


class HealthyTemporal:
    """Stands in for the Temporal connector when a test needs Temporal up."""

    async def healthy(self) -> bool:
        return True

    async def warm_up(self) -> None:
        return None


class GreetedSink(Sink):
    """Takes every message, keeps the name each client greeted it with, and refuses the
    names in `refused` as a relay refuses a client it does not know."""

    def __init__(self) -> None:
        self.greetings: list[str] = []
        self.refused: set[str] = set()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings.append(hostname)
        if hostname in self.refused:
            return ["550 5.7.1 Not a client of this relay"]
        session.host_name = hostname
        return responses


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[GreetedSink]:
    handler = GreetedSink()
    controller = Controller(handler, hostname="127.0.0.1", port=settings.smtp_port)
    controller.start()
    try:
        yield handler
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


async def test_the_smtp_probe_greets_with_the_configured_name(
    settings: Settings, smtp_server: GreetedSink
) -> None:
    named = settings.model_copy(update={"smtp_helo_name": "api.pilotflow.example"})
    assert await smtp_ok(named)
    assert smtp_server.greetings == ["api.pilotflow.example"]


async def test_a_relay_that_refuses_our_name_is_down(
    app: FastAPI, client: AsyncClient, settings: Settings, smtp_server: GreetedSink
) -> None:
    app.state.temporal = HealthyTemporal()
    smtp_server.refused.add(settings.effective_smtp_helo_name)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "temporal": "ok", "smtp": "down"}
    assert smtp_server.greetings == [settings.effective_smtp_helo_name]


async def test_the_smtp_probe_looks_the_machine_name_up_off_the_event_loop(
    settings: Settings, smtp_server: GreetedSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reverse DNS query can take seconds: it must not hold every other request."""
    asked_from: list[threading.Thread] = []

    def getfqdn(name: str = "") -> str:
        asked_from.append(threading.current_thread())
        return "looked-up.pilotflow.example"

    monkeypatch.setattr(socket, "getfqdn", getfqdn)
    settings_module._machine_name.cache_clear()
    try:
        assert await smtp_ok(settings.model_copy(update={"smtp_helo_name": None}))
    finally:
        settings_module._machine_name.cache_clear()
    assert smtp_server.greetings == ["looked-up.pilotflow.example"]
    assert asked_from and threading.main_thread() not in asked_from


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

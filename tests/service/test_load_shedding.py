"""Beyond `api_max_in_flight` requests, the next is refused at once (503, Retry-After)."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from httpx import ASGITransport, AsyncClient

from core.settings import Settings
from service.main import create_app
from service.pages.session import LANGUAGE_COOKIE


@pytest.fixture
async def held() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
async def busy_app(settings: Settings, held: asyncio.Event) -> AsyncIterator[FastAPI]:
    """The API with room for one request, and a route that stays in flight until `held` is set."""
    app = create_app(settings.model_copy(update={"api_max_in_flight": 1}))

    async def hold() -> dict[str, str]:
        await held.wait()
        return {"held": "done"}

    app.router.routes.insert(0, APIRoute("/api/v1/held", hold))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def busy_client(busy_app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(busy_app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _in_flight(client: AsyncClient) -> asyncio.Task[object]:
    task = asyncio.create_task(client.get("/api/v1/held"))
    for _ in range(100):  # until the middleware counts it
        await asyncio.sleep(0.01)
        if (await client.get("/api/v1/themes")).status_code == 503:
            return task
    raise AssertionError("the held request never counted as in flight")


async def test_a_request_beyond_the_limit_is_refused_at_once(
    busy_client: AsyncClient, held: asyncio.Event
) -> None:
    first = await _in_flight(busy_client)

    refused = await busy_client.get("/api/v1/themes")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == {"detail": "the service is busy; try again in a moment"}

    held.set()
    answered = await first
    assert answered.status_code == 200  # type: ignore[attr-defined]
    assert answered.json() == {"held": "done"}  # type: ignore[attr-defined]
    assert (await busy_client.get("/api/v1/themes")).status_code != 503


async def test_probes_are_never_refused(busy_client: AsyncClient, held: asyncio.Event) -> None:
    first = await _in_flight(busy_client)
    assert (await busy_client.get("/healthz")).status_code == 200
    readiness = await busy_client.get("/readyz")  # 503 here, for Temporal is down, not for load
    assert readiness.json()["checks"]["database"] == "ok"
    held.set()
    await first


async def test_a_page_is_refused_as_a_page_in_the_readers_language(
    busy_client: AsyncClient, held: asyncio.Event
) -> None:
    first = await _in_flight(busy_client)
    busy_client.cookies.set(LANGUAGE_COOKIE, "fr")

    page = await busy_client.get("/login")

    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["Retry-After"] == "1"
    assert "Content-Security-Policy" in page.headers
    assert "Beaucoup de personnes utilisent pilotflow en ce moment" in page.text
    held.set()
    await first


async def test_a_cancelled_request_gives_its_place_back(
    busy_client: AsyncClient, held: asyncio.Event
) -> None:
    first = await _in_flight(busy_client)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (await busy_client.get("/api/v1/themes")).status_code != 503

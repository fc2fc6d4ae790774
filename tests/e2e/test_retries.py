"""Actions are safe to retry: an Idempotency-Key acts once, and no worker means 503, not a hang.

On the real dev server: the API runs first without any worker, then with one.
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.worker import build_worker
from core.settings import Settings
from service.main import create_app
from tests.e2e.conftest import ADMIN
from tests.support.region import Region, proposal

PROPOSAL = proposal(
    title="Compost in every school",
    summary="Collect the canteens' food waste.",
    needs=["waste"],
    budget_eur=12000,
    duration_days=30,
    kpis=[{"name": "waste", "unit": "kg", "baseline": 500, "target": 300}],
)


@pytest.fixture
async def app(settings: Settings, dev_env: WorkflowEnvironment) -> AsyncIterator[FastAPI]:
    """The API on the dev server, with no worker on its task queue until a test starts one."""
    app = create_app(settings)
    app.state.temporal.use(dev_env.client)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client:
        yield client


async def _events(api: AsyncClient, pilot_url: str, headers: dict[str, str]) -> list[Any]:
    response = await api.get(f"{pilot_url}/events", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def _submitted(api: AsyncClient) -> tuple[Region, str]:
    region = Region(api)
    region.admin = await region.sign_in(*ADMIN)
    lille = await region.post("/api/v1/towns", {"name": "Lille"})
    officer = await region.user("officer@lille.example", "town_officer", town_id=lille["id"])
    pilot = await region.post("/api/v1/pilots", PROPOSAL, officer)
    return region, f"/api/v1/pilots/{pilot['id']}"


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_no_worker_answers_503_then_the_same_key_acts_once(
    api: AsyncClient,
    settings: Settings,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    region, pilot_url = await _submitted(api)
    headers = region.admin | {"Idempotency-Key": "cancel-compost-1"}
    body = {"reason": "budget frozen"}

    began = time.monotonic()
    waiting = await api.post(f"{pilot_url}/cancel", json=body, headers=headers)
    elapsed = time.monotonic() - began
    assert waiting.status_code == 503, waiting.text
    assert int(waiting.headers["Retry-After"]) >= 1
    assert "Idempotency-Key" in waiting.json()["detail"]
    assert elapsed < 12, f"answered after {elapsed:.1f}s"

    async with build_worker(dev_env.client, settings, sessions):
        done = await api.post(f"{pilot_url}/cancel", json=body, headers=headers)
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == "cancelled"
        events = await _events(api, pilot_url, region.admin)
        assert [e["kind"] for e in events] == ["submitted", "cancelled"]

        # The pilot has ended: the retry is answered from what the first one did.
        again = await api.post(f"{pilot_url}/cancel", json=body, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == done.json()
        assert await _events(api, pilot_url, region.admin) == events

        # Without the key, it is a new request, and the ended pilot refuses it.
        fresh = await api.post(f"{pilot_url}/cancel", json=body, headers=region.admin)
        assert fresh.status_code == 409


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_repeated_key_acts_once_while_the_pilot_runs(
    api: AsyncClient,
    settings: Settings,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with build_worker(dev_env.client, settings, sessions):
        region, pilot_url = await _submitted(api)
        headers = region.admin | {"Idempotency-Key": "changes-1"}
        body = {"decision": "request_changes", "comment": "Add a KPI"}
        first = await api.post(f"{pilot_url}/review", json=body, headers=headers)
        assert first.status_code == 200, first.text
        second = await api.post(f"{pilot_url}/review", json=body, headers=headers)
        assert second.status_code == 200, second.text
        assert second.json() == first.json()
        kinds = [e["kind"] for e in await _events(api, pilot_url, region.admin)]
        assert kinds == ["submitted", "reviewed"]

        # The same key from another admin is another request: here the stage refuses it.
        other = await region.user("second@region.example", "admin")
        refused = await api.post(
            f"{pilot_url}/review", json=body, headers=other | {"Idempotency-Key": "changes-1"}
        )
        assert refused.status_code == 409, refused.text


async def _page_form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of one action form on a rendered pilot page."""
    form = page[page.index(f'/actions/{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_form_sent_twice_from_the_page_acts_once(
    api: AsyncClient,
    settings: Settings,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with build_worker(dev_env.client, settings, sessions):
        region = Region(api)
        region.admin = await region.sign_in(*ADMIN)
        lille = await region.post("/api/v1/towns", {"name": "Lille"})
        company = await region.post(
            "/api/v1/companies",
            {
                "name": "Compost & Co",
                "contact_email": "hello@compost.example",
                "themes": ["efficient-city"],
                "tags": ["waste"],
            },
        )
        officer = await region.user("officer@lille.example", "town_officer", town_id=lille["id"])
        staff = await region.user("staff@compost.example", "company", company_id=company["id"])
        pilot = await region.post("/api/v1/pilots", PROPOSAL | {"duration_days": 3650}, officer)
        pilot_url = f"/api/v1/pilots/{pilot['id']}"
        await region.post(f"{pilot_url}/review", {"decision": "approve", "comment": ""})
        offer = {"interested": True, "message": "We compost"}
        for _ in range(100):
            answer = await api.post(f"{pilot_url}/respond", json=offer, headers=staff)
            if answer.status_code == 200:
                break
            await asyncio.sleep(0.1)
        await region.post(f"{pilot_url}/select-partner", {"company_id": company["id"]}, officer)

        login = await api.get("/login")
        fields = dict(re.findall(r'name="(csrf_token)" value="([^"]+)"', login.text))
        signed_in = await api.post(
            "/login",
            data=fields | {"email": "officer@lille.example", "password": "a-good-password"},
        )
        assert signed_in.status_code == 303, signed_in.text
        page = await api.get(f"/pilots/{pilot['id']}")
        assert page.status_code == 200, page.text
        form = await _page_form(page.text, "progress")
        assert re.fullmatch(r"[0-9a-f]{32}", form["submission_key"])
        report = form | {"kpi-0-value": "410", "note": "first month"}
        for _ in range(2):
            sent = await api.post(f"/pilots/{pilot['id']}/actions/progress", data=report)
            assert sent.status_code == 303, sent.text
        kinds = [e["kind"] for e in await _events(api, pilot_url, region.admin)]
        assert kinds.count("progress_reported") == 1
        await region.post(f"{pilot_url}/cancel", {"reason": "end of test"})

"""Bounded actions over HTTP: an identical answer changes nothing, changes stop with 409,
progress reports stop with 429 and Retry-After. On the real dev server, worker and database.
"""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient

from cli.smtp_sink import SmtpSink
from core.settings import Settings
from tests.e2e.conftest import ADMIN
from tests.support.region import Headers, Region, get_json, proposal


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Long deadlines and check-in windows, so nothing here depends on how fast it runs."""
    return settings.model_copy(
        update={
            "response_days": 10_000,
            "checkin_period_days": 10_000,
            "answer_changes": 1,
            "progress_reports_per_checkin": 1,
        }
    )


async def _answer(api: AsyncClient, url: str, who: Headers, interested: bool, message: str) -> Any:
    body = {"interested": interested, "message": message}
    return await api.post(f"{url}/respond", json=body, headers=who)


async def _kinds(api: AsyncClient, url: str, admin: Headers) -> list[str]:
    return [event["kind"] for event in await get_json(api, f"{url}/events", admin)]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_answers_and_progress_reports_are_bounded(api: AsyncClient, sink: SmtpSink) -> None:
    region = await Region.signed_in(api, ADMIN)
    officer = (await region.town("Lille")).officer
    lumen = await region.company("Lumen")
    staff = lumen.staff
    body = proposal()
    pilot = await region.post("/api/v1/pilots", body, officer)
    url = f"/api/v1/pilots/{pilot['id']}"
    await region.post(f"{url}/review", {"decision": "approve", "comment": ""})
    for _ in range(100):
        seen = await api.get(url, headers=staff)
        if seen.status_code == 200 and "respond" in seen.json()["allowed_actions"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the company was never invited")

    first = await _answer(api, url, staff, True, "We can do it")
    assert first.status_code == 200, first.text
    answered = await _kinds(api, url, region.admin)
    repeat = await _answer(api, url, staff, True, "We can do it")
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == first.json()
    assert await _kinds(api, url, region.admin) == answered

    changed = await _answer(api, url, staff, False, "Not after all")
    assert changed.status_code == 200, changed.text
    assert "respond" not in changed.json()["allowed_actions"]
    refused = await _answer(api, url, staff, True, "Yes again")
    assert refused.status_code == 409, refused.text
    assert "cannot change again" in refused.json()["detail"]
    assert (await _kinds(api, url, region.admin)).count("answered") == 2

    # Back to interested is no longer possible, so this pilot is cancelled; a second one
    # plays the trial for the progress reports.
    await region.post(f"{url}/cancel", {"reason": "no partner"})
    pilot = await region.post("/api/v1/pilots", body, officer)
    url = f"/api/v1/pilots/{pilot['id']}"
    await region.post(f"{url}/review", {"decision": "approve", "comment": ""})
    for _ in range(100):
        if (await _answer(api, url, staff, True, "Again")).status_code == 200:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the company was never invited")
    chosen = await region.post(f"{url}/select-partner", {"company_id": lumen.id}, officer)
    assert chosen["stage"] == "trial_running"

    report = {"measurements": [{"kpi": "energy", "value": 900}], "note": "on track"}
    done = await api.post(f"{url}/progress", json=report, headers=officer)
    assert done.status_code == 200, done.text
    assert "progress" not in done.json()["allowed_actions"]
    again = await api.post(f"{url}/progress", json=report, headers=officer)
    assert again.status_code == 429, again.text
    assert int(again.headers["Retry-After"]) > 3600
    partner = await api.post(f"{url}/progress", json=report, headers=staff)
    assert partner.status_code == 200, partner.text
    kinds = await _kinds(api, url, region.admin)
    assert kinds.count("progress_reported") == 2
    await region.post(f"{url}/cancel", {"reason": "end of test"})

"""A whole pilot played through HTTP alone, on the real dev server, SMTP server and database."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient

from cli.smtp_sink import SmtpSink
from tests.e2e.conftest import ADMIN

PASSWORD = "a-good-password"
Headers = dict[str, str]


class Region:
    """Builds the region through the admin API and signs people in."""

    def __init__(self, api: AsyncClient) -> None:
        self.api = api
        self.admin: Headers = {}

    async def sign_in(self, email: str, password: str = PASSWORD) -> Headers:
        response = await self.api.post(
            "/api/v1/auth/token", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def post(self, path: str, body: dict[str, Any], headers: Headers | None = None) -> Any:
        response = await self.api.post(path, json=body, headers=headers or self.admin)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def user(self, email: str, role: str, locale: str = "fr", **ids: str) -> Headers:
        body = {"email": email, "password": PASSWORD, "role": role, "locale": locale, **ids}
        await self.post("/api/v1/users", body)
        return await self.sign_in(email)


async def _until(fetch: Callable[[], Awaitable[Any]], ready: Callable[[Any], bool]) -> Any:
    for _ in range(300):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("the pilot never got there")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_pilot_from_submission_to_replication_over_http(
    api: AsyncClient, sink: SmtpSink
) -> None:
    region = Region(api)
    region.admin = await region.sign_in(*ADMIN)
    lille = await region.post("/api/v1/towns", {"name": "Lille", "code": "LIL"})
    roubaix = await region.post("/api/v1/towns", {"name": "Roubaix"})
    lumen = await region.post(
        "/api/v1/companies",
        {
            "name": "Lumen",
            "contact_email": "contact@lumen.example",
            "themes": ["efficient-city"],
            "tags": ["lighting", "iot"],
        },
    )
    arts = await region.post(
        "/api/v1/companies",
        {
            "name": "Arts",
            "contact_email": "contact@arts.example",
            "themes": ["creative-city"],
            "tags": ["lighting"],
        },
    )
    officer = await region.user("officer@lille.example", "town_officer", town_id=lille["id"])
    other_officer = await region.user(
        "officer@roubaix.example", "town_officer", "en", town_id=roubaix["id"]
    )
    lumen_staff = await region.user("staff@lumen.example", "company", company_id=lumen["id"])
    arts_staff = await region.user("staff@arts.example", "company", company_id=arts["id"])

    body = {
        "title": "Éclairage intelligent",
        "summary": "Dim the lights when the street is empty.",
        "theme": "efficient-city",
        "needs": ["lighting"],
        "budget_eur": 30000,
        "desired_start": datetime.now(UTC).date().isoformat(),
        "duration_days": 4,
        "kpis": [{"name": "energy", "unit": "kWh", "baseline": 1000, "target": 700}],
    }
    key = {"Idempotency-Key": "submit-eclairage-1"}
    first = await api.post("/api/v1/pilots", json=body, headers=officer | key)
    assert first.status_code == 201, first.text
    again = await api.post("/api/v1/pilots", json=body, headers=officer | key)
    assert again.status_code == 201
    pilot = first.json()
    assert again.json()["id"] == pilot["id"]
    assert pilot["stage"] == "submitted"
    assert pilot["allowed_actions"] == ["withdraw"]
    pilot_url = f"/api/v1/pilots/{pilot['id']}"

    changes = await region.post(
        f"{pilot_url}/review", {"decision": "request_changes", "comment": "Add a KPI"}
    )
    assert (changes["stage"], changes["allowed_actions"]) == ("changes_requested", ["cancel"])
    bad = await api.post(f"{pilot_url}/amend", json={"theme": "no-such"}, headers=officer)
    assert bad.status_code == 422
    kpis = [*body["kpis"], {"name": "complaints", "baseline": 12, "target": 4}]
    resubmitted = await region.post(f"{pilot_url}/amend", {"kpis": kpis}, officer)
    assert resubmitted["stage"] == "submitted"
    assert [k["name"] for k in resubmitted["kpis"]] == ["energy", "complaints"]
    assert resubmitted["kpis"][1]["unit"] == ""
    assert resubmitted["title"] == body["title"]
    approved = await region.post(f"{pilot_url}/review", {"decision": "approve", "comment": "Go"})
    assert approved["stage"] == "matching"
    await _until(lambda: _get(api, pilot_url, region.admin), lambda p: p.get("candidates"))
    invited = await _get(api, pilot_url, lumen_staff)
    assert [c["company_id"] for c in invited["candidates"]] == [lumen["id"]]
    assert invited["allowed_actions"] == ["respond"]
    assert (await api.get(pilot_url, headers=arts_staff)).status_code == 404
    answered = await region.post(
        f"{pilot_url}/respond", {"interested": True, "message": "We can do it"}, lumen_staff
    )
    assert answered["candidates"][0]["status"] == "interested"
    running = await region.post(f"{pilot_url}/select-partner", {"company_id": lumen["id"]}, officer)
    assert running["stage"] == "trial_running"
    assert running["partner_company_id"] == lumen["id"]
    await region.post(
        f"{pilot_url}/progress",
        {"measurements": [{"kpi": "energy", "value": 820}], "note": "halfway"},
        lumen_staff,
    )
    refused = await api.post(
        f"{pilot_url}/decide", json={"decision": "generalize"}, headers=region.admin
    )
    assert refused.status_code == 409
    assert "trial_running" in refused.json()["detail"]

    await _until(lambda: _get(api, pilot_url, officer), lambda p: p["stage"] == "evaluation")
    refused = await api.post(
        f"{pilot_url}/decide", json={"decision": "generalize"}, headers=region.admin
    )
    assert refused.status_code == 409
    assert "evaluation" in refused.json()["detail"]
    await region.post(
        f"{pilot_url}/evaluation",
        {
            "kpi_results": [{"kpi": "energy", "value": 690}],
            "satisfaction": 5,
            "lessons": "Works",
            "recommendation": "generalize",
        },
        officer,
    )
    closed = await region.post(
        f"{pilot_url}/decide", {"decision": "generalize", "comment": "Offer it"}
    )
    assert (closed["stage"], closed["outcome"]) == ("closed", "generalize")

    offered = await _get(api, pilot_url, other_officer)
    assert offered["allowed_actions"] == ["replicate"]
    response = await api.post(f"{pilot_url}/replicate", json={}, headers=other_officer)
    assert response.status_code == 201, response.text
    child = response.json()
    assert (child["parent_id"], child["town_id"], child["stage"]) == (
        pilot["id"],
        roubaix["id"],
        "submitted",
    )
    await region.post(f"/api/v1/pilots/{child['id']}/review", {"decision": "approve"})
    child_invited = await _until(
        lambda: _get(api, f"/api/v1/pilots/{child['id']}", region.admin),
        lambda p: p.get("candidates"),
    )
    assert child_invited["candidates"][0]["company_id"] == lumen["id"]

    await _check_history(api, region.admin, pilot_url)
    outbox = await _until(
        lambda: _notifications(api, region.admin, pilot_url),
        lambda rows: (
            any(r["template"] == "generalization_offer" for r in rows)
            and all(r["status"] == "sent" for r in rows)
        ),
    )
    _check_email(sink, outbox)


async def _get(api: AsyncClient, url: str, headers: Headers) -> Any:
    response = await api.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _notifications(api: AsyncClient, admin: Headers, pilot_url: str) -> Any:
    return await _get(api, f"{pilot_url}/notifications", admin)


async def _check_history(api: AsyncClient, admin: Headers, pilot_url: str) -> None:
    events = await _get(api, f"{pilot_url}/events", admin)
    kinds = [e["kind"] for e in events]
    assert kinds[:5] == ["submitted", "reviewed", "amended", "reviewed", "companies_invited"]
    for kind in (
        "answered",
        "partner_selected",
        "progress_reported",
        "checkin_requested",
        "trial_ended",
        "evaluation_submitted",
        "decided",
        "generalization_offered",
    ):
        assert kind in kinds
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[1]["actor"]["role"] == "admin"
    assert next(e for e in events if e["kind"] == "trial_ended")["actor"] == {"system": "timer"}
    assert set(events[1]["actor"]) == {"user_id", "role"}
    # The workflow completes once its last emails are out, a moment after the decision.
    history = await _until(
        lambda: _get(api, f"{pilot_url}/workflow-history", admin),
        lambda h: h["events"][-1]["type"] == "workflow_execution_completed",
    )
    types = [e["type"] for e in history["events"]]
    assert types[0] == "workflow_execution_started"
    assert types[-1] == "workflow_execution_completed"
    assert "workflow_execution_update_accepted" in types
    assert history["temporal_ui_url"].endswith(f"/workflows/pilot-{pilot_url.rsplit('/', 1)[1]}")


def _check_email(sink: SmtpSink, outbox: list[dict[str, Any]]) -> None:
    delivered = Counter((str(m["To"]), str(m["Subject"])) for m in sink.messages)
    ids = Counter(str(m["Message-ID"]) for m in sink.messages)
    assert max(ids.values()) == 1, "an email arrived twice"
    sent = Counter((row["template"], row["to"]) for row in outbox)
    # Submitted and reviewed twice (changes were requested): every other email once.
    twice = {
        ("pilot_submitted", "officer@lille.example"),
        ("pilot_submitted", ADMIN[0]),
        ("review_outcome", "officer@lille.example"),
    }
    # A check-in is asked for every period of the trial: as many as fitted in it.
    repeated = {key for key, count in sent.items() if count > 1 and key[0] != "checkin_request"}
    assert repeated == twice
    assert all(sent[key] == 2 for key in twice)
    expected = {
        ("pilot_submitted", "officer@lille.example"),
        ("pilot_submitted", "admin@region.example"),
        ("review_outcome", "officer@lille.example"),
        ("invitation", "contact@lumen.example"),
        ("invitation", "staff@lumen.example"),
        ("answer_received", "officer@lille.example"),
        ("partner_chosen", "staff@lumen.example"),
        ("trial_started", "officer@lille.example"),
        ("checkin_request", "staff@lumen.example"),
        ("trial_ended", "officer@lille.example"),
        ("evaluation_request", "officer@lille.example"),
        ("decision", "admin@region.example"),
        ("decision", "staff@lumen.example"),
        ("generalization_offer", "officer@roubaix.example"),
    }
    assert expected <= set(sent)
    assert not any("arts.example" in to for _, to in sent), "a company of another theme was told"
    assert ("generalization_offer", "officer@lille.example") not in sent
    for row in outbox:
        assert delivered[(row["to"], row["subject"])] >= 1, f"{row['template']} never arrived"

"""A whole pilot played through HTTP alone, on the real dev server, SMTP server and database."""

from collections import Counter
from typing import Any

import pytest
from httpx import AsyncClient

from cli.smtp_sink import SmtpSink
from tests.e2e.conftest import ADMIN
from tests.support.region import Headers, Region, get_json, proposal, until


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_pilot_from_submission_to_replication_over_http(
    api: AsyncClient, sink: SmtpSink
) -> None:
    region = await Region.signed_in(api, ADMIN)
    lille = await region.town("Lille", code="LIL")
    roubaix = await region.town("Roubaix", "en")
    lumen = await region.company("Lumen", tags=("lighting", "iot"))
    arts = await region.company("Arts", theme="creative-city")
    officer, other_officer = lille.officer, roubaix.officer
    lumen_staff, arts_staff = lumen.staff, arts.staff

    body = proposal(duration_days=4)
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
    await until(lambda: get_json(api, pilot_url, region.admin), lambda p: p.get("candidates"))
    invited = await get_json(api, pilot_url, lumen_staff)
    assert [c["company_id"] for c in invited["candidates"]] == [lumen.id]
    assert invited["allowed_actions"] == ["respond"]
    assert (await api.get(pilot_url, headers=arts_staff)).status_code == 404
    answered = await region.post(
        f"{pilot_url}/respond", {"interested": True, "message": "We can do it"}, lumen_staff
    )
    assert answered["candidates"][0]["status"] == "interested"
    running = await region.post(f"{pilot_url}/select-partner", {"company_id": lumen.id}, officer)
    assert running["stage"] == "trial_running"
    assert running["partner_company_id"] == lumen.id
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

    await until(lambda: get_json(api, pilot_url, officer), lambda p: p["stage"] == "evaluation")
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

    offered = await get_json(api, pilot_url, other_officer)
    assert offered["allowed_actions"] == ["replicate"]
    response = await api.post(f"{pilot_url}/replicate", json={}, headers=other_officer)
    assert response.status_code == 201, response.text
    child = response.json()
    assert (child["parent_id"], child["town_id"], child["stage"]) == (
        pilot["id"],
        roubaix.id,
        "submitted",
    )
    await region.post(f"/api/v1/pilots/{child['id']}/review", {"decision": "approve"})
    child_invited = await until(
        lambda: get_json(api, f"/api/v1/pilots/{child['id']}", region.admin),
        lambda p: p.get("candidates"),
    )
    assert child_invited["candidates"][0]["company_id"] == lumen.id

    await _check_history(api, region.admin, pilot_url)
    outbox = await until(
        lambda: _notifications(api, region.admin, pilot_url),
        lambda rows: (
            any(r["template"] == "generalization_offer" for r in rows)
            and all(r["status"] == "sent" for r in rows)
        ),
    )
    _check_email(sink, outbox)


async def _notifications(api: AsyncClient, admin: Headers, pilot_url: str) -> Any:
    return await get_json(api, f"{pilot_url}/notifications", admin)


async def _check_history(api: AsyncClient, admin: Headers, pilot_url: str) -> None:
    events = await get_json(api, f"{pilot_url}/events", admin)
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
    history = await until(
        lambda: get_json(api, f"{pilot_url}/workflow-history", admin),
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

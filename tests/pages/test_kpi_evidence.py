"""The trial's evidence in the API's Pilot body and on the pilot's page: each KPI's series
drawn against baseline and target with its table, the missed check-ins, the evaluation form
pre-filled; and who may read it (docs/SECURITY.md).

The rows are written as the workflow's activity writes them, so no Temporal server is needed.
"""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import AuditEvent, Candidate, Pilot
from core.pilot_state import apply_state
from tests.pages.conftest import page_sign_in
from tests.service.conftest import Headers
from workflows.contracts import (
    CandidateState,
    CandidateStatus,
    Kpi,
    Measurement,
    PilotState,
    Proposal,
    ReportingParty,
)
from workflows.stages import Stage

START = datetime(2026, 9, 1, 8, tzinfo=UTC)
REPORTS = [(900.0, ReportingParty.TOWN), (850.0, ReportingParty.PARTNER), (812.5, "town")]


async def _pilot(
    sessions: async_sessionmaker[AsyncSession],
    town_id: str,
    partner: str,
    invited: str,
    *,
    pilot_id: str,
    stage: Stage = Stage.EVALUATION,
    outcome: str | None = None,
    reports: bool = True,
) -> str:
    """A pilot past its trial: three reports of `energy`, check-in 2 missed."""
    kpis = [Kpi("energy", "kWh", 1000.0, 700.0), Kpi("complaints", "", 12.0, 4.0)]
    proposal = Proposal(town_id, "Smart lights", "Dim them", "efficient-city", [], 1.0,
                        date(2026, 9, 1), 90, kpis)  # fmt: skip
    state = PilotState(pilot_id, town_id, proposal, stage, START, START + timedelta(days=95))
    state.outcome = outcome  # type: ignore[assignment]
    state.partner_company_id = partner
    state.candidates = [
        CandidateState(partner, "Partner Co", 60.0, ["fits"], 1, CandidateStatus.SELECTED),
        CandidateState(invited, "Other Co", 50.0, ["fits"], 1, CandidateStatus.NOT_SELECTED),
    ]
    state.trial_start, state.trial_end = START, START + timedelta(days=90)
    for day, (value, party) in zip((5, 35, 40), REPORTS if reports else [], strict=False):
        at = START + timedelta(days=day)
        state.add_measurements([Measurement("energy", value)], at, ReportingParty(party))
    if reports:
        state.checkins = 2
        state.mark_missed(2)
    async with transaction(sessions) as session:
        pilot = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=START)
        apply_state(pilot, state, 1)
        session.add(pilot)
        await session.flush()
        for company_id, status in ((partner, "selected"), (invited, "not_selected")):
            session.add(
                Candidate(
                    pilot_id=pilot_id,
                    company_id=company_id,
                    score=50.0,
                    reasons=["fits"],
                    status=status,
                    round=1,
                )
            )
        if reports:
            session.add(
                AuditEvent(
                    pilot_id=pilot_id,
                    seq=1,
                    at=START + timedelta(days=90),
                    kind="checkin_missed",
                    stage=stage,
                    actor={"system": "timer"},
                    data={"checkin": 2},
                )
            )
    return pilot_id


async def _parties(make_town: Any, make_company: Any, make_user: Any) -> dict[str, Any]:
    town, other_town = await make_town("Lille"), await make_town("Roubaix")
    partner, invited = await make_company("Partner Co"), await make_company("Other Co")
    users = {
        "officer": ("officer@lille.example", "town_officer", {"town_id": town["id"]}),
        "other_officer": ("officer@roubaix.example", "town_officer", {"town_id": other_town["id"]}),
        "partner": ("team@partner.example", "company", {"company_id": partner["id"]}),
        "invited": ("team@other.example", "company", {"company_id": invited["id"]}),
    }
    headers = {
        name: await make_user(email, role, **fields)
        for name, (email, role, fields) in users.items()
    }
    return {"town": town, "partner": partner, "invited": invited, "headers": headers}


async def _read(client: AsyncClient, headers: Headers, pilot_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/pilots/{pilot_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_series_is_read_by_the_town_side_and_the_partner_only(
    client: AsyncClient, sessions, make_town, make_company, make_user, admin: Headers
) -> None:
    p = await _parties(make_town, make_company, make_user)
    pilot_id = await _pilot(
        sessions, p["town"]["id"], p["partner"]["id"], p["invited"]["id"], pilot_id="k" * 32
    )
    for reader in (admin, p["headers"]["officer"], p["headers"]["partner"]):
        body = await _read(client, reader, pilot_id)
        (series,) = body["kpi_series"]
        assert series["kpi"] == "energy"
        assert [(x["value"], x["reporter"]) for x in series["points"]] == [
            (900.0, "town"), (850.0, "partner"), (812.5, "town")
        ]  # fmt: skip
        assert datetime.fromisoformat(series["points"][0]["at"]) == START + timedelta(days=5)
        assert (body["missed_checkins"], body["missed_checkin_count"]) == ([2], 1)
    # A company invited but not chosen reads the pilot, not its trial's evidence.
    body = await _read(client, p["headers"]["invited"], pilot_id)
    assert (body["kpi_series"], body["missed_checkins"], body["missed_checkin_count"]) == (
        [],
        [],
        0,
    )
    # Another town does not see a pilot that was not generalized at all.
    response = await client.get(f"/api/v1/pilots/{pilot_id}", headers=p["headers"]["other_officer"])
    assert response.status_code == 404
    # ...and reads a generalized one's evaluation, never its progress reports.
    generalized = await _pilot(
        sessions,
        p["town"]["id"],
        p["partner"]["id"],
        p["invited"]["id"],
        pilot_id="g" * 32,
        stage=Stage.CLOSED,
        outcome="generalize",
    )
    body = await _read(client, p["headers"]["other_officer"], generalized)
    assert (body["kpi_series"], body["missed_checkin_count"]) == ([], 0)
    listed = await client.get("/api/v1/pilots", headers=p["headers"]["other_officer"])
    assert all(item["kpi_series"] == [] for item in listed.json()["items"])


def _section(page: str) -> str:
    match = re.search(r'<section aria-labelledby="evidence-title">.*?</section>', page, re.S)
    assert match is not None, "no evidence section"
    return match.group(0)


async def test_the_page_draws_each_kpi_with_its_table_and_prefills_the_evaluation(
    client: AsyncClient, sessions, make_town, make_company, make_user
) -> None:
    p = await _parties(make_town, make_company, make_user)
    pilot_id = await _pilot(
        sessions, p["town"]["id"], p["partner"]["id"], p["invited"]["id"], pilot_id="k" * 32
    )
    await page_sign_in(client, "officer@lille.example")
    page = unescape((await client.get(f"/pilots/{pilot_id}")).text)
    section = _section(page)
    # Two KPIs, two charts: the first with its three points joined, the second none yet.
    assert section.count('<svg class="kpi-chart"') == 2
    assert section.count('<circle class="point"') == 3
    assert section.count('<polyline class="series"') == 1
    assert section.count('class="baseline"') == 2 and section.count('class="target"') == 2
    assert section.count('<rect class="missed"') == 2  # check-in 2, on each chart
    assert "<script" not in page
    # The table beside the chart: date, value, who reported.
    rows = re.findall(
        r"<tr><td><time[^>]*>([^<]+)</time></td><td[^>]*>([^<]+)</td><td>([^<]+)</td>", section
    )
    assert [(value, who) for _, value, who in rows] == [
        ("900", "Town"), ("850", "Partner"), ("812.5", "Town")
    ]  # fmt: skip
    assert "No value reported yet." in section  # complaints
    assert "1 progress report missed (nobody reported after the check-in): #2." in section
    # The evaluation form starts from the last values; a KPI never reported stays empty.
    form = re.search(r'action="/pilots/[^"]+/actions/evaluation".*?</form>', page, re.S)
    assert form is not None
    assert 'name="kpi-0-value" type="number" value="812.5"' in form.group(0)
    assert 'name="kpi-1-value" type="number" value=""' in form.group(0)


async def test_the_page_shows_no_evidence_to_whom_may_not_read_it(
    client: AsyncClient, sessions, make_town, make_company, make_user
) -> None:
    p = await _parties(make_town, make_company, make_user)
    pilot_id = await _pilot(
        sessions,
        p["town"]["id"],
        p["partner"]["id"],
        p["invited"]["id"],
        pilot_id="g" * 32,
        stage=Stage.CLOSED,
        outcome="generalize",
    )
    await page_sign_in(client, "team@partner.example")
    assert 'class="kpi-chart"' in (await client.get(f"/pilots/{pilot_id}")).text
    for reader in ("team@other.example", "officer@roubaix.example"):
        client.cookies.clear()
        await page_sign_in(client, reader)
        page = await client.get(f"/pilots/{pilot_id}")
        assert page.status_code == 200, reader
        # "812.5", not "812": the page's random tokens are hex, and may hold "812".
        assert "kpi-chart" not in page.text and "812.5" not in page.text, reader


async def test_a_running_trial_shows_its_empty_charts_a_scheduled_one_none(
    client: AsyncClient, sessions, make_town, make_company, make_user
) -> None:
    p = await _parties(make_town, make_company, make_user)
    ids = (p["town"]["id"], p["partner"]["id"], p["invited"]["id"])
    running = await _pilot(
        sessions, *ids, pilot_id="r" * 32, stage=Stage.TRIAL_RUNNING, reports=False
    )
    scheduled = await _pilot(
        sessions, *ids, pilot_id="s" * 32, stage=Stage.TRIAL_SCHEDULED, reports=False
    )
    await page_sign_in(client, "officer@lille.example")
    section = _section(unescape((await client.get(f"/pilots/{running}")).text))
    assert section.count('<svg class="kpi-chart"') == 2
    assert "<circle" not in section and "missed" not in section
    assert section.count("No value reported yet.") == 2
    page = (await client.get(f"/pilots/{scheduled}")).text
    assert "evidence-title" not in page

"""Exports read back: CSV (csv module) and JSON parsed and checked against the list and the
database, on SQLite and PostgreSQL; each role reads only its own; streamed in bounded chunks.

The rows are written the way the workflow's activity writes them (`apply_state`), so these
tests need no Temporal server.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import transaction
from core.exports import cell
from core.models import AuditEvent, Candidate, Pilot, User
from core.pilot_repository import PilotFilters, PilotRepository
from core.pilot_state import apply_state, kpi_results
from service.schemas.exports import KPI_RESULT_COLUMNS, PILOT_COLUMNS, ExportFormat
from service.use_cases import exports
from tests.service.conftest import ADMIN_EMAIL, Headers
from workflows.contracts import (
    CandidateState,
    CandidateStatus,
    Evaluation,
    Kpi,
    Measurement,
    PilotState,
    Proposal,
)

NOW = datetime.now(UTC)
KPIS = [Kpi("energy", "kWh", 1000.0, 700.0), Kpi("=cmd|' /C calc'!A0", "", 2.0, 5.0)]


async def _pilot(
    sessions: async_sessionmaker[AsyncSession],
    town_id: str,
    title: str,
    *,
    age: int,
    stage: str = "submitted",
    theme: str = "efficient-city",
    candidates: tuple[str, ...] = (),
    partner: str | None = None,
    outcome: str | None = None,
    evaluation: Evaluation | None = None,
    events: int = 0,
) -> str:
    created = NOW - timedelta(minutes=age)
    pilot_id = f"p{age:05d}"
    summary = f'About "{title}", on two lines;\nsecond, line'
    proposal = Proposal(town_id, title, summary, theme, ["iot"], 10.0, date(2027, 1, 1), 30, KPIS)
    state = PilotState(pilot_id, town_id, proposal, stage, created, created, outcome=outcome)
    state.candidates = [
        CandidateState(
            company,
            f"Company {company}",
            50.0,
            ["fits"],
            1,
            CandidateStatus.SELECTED if company == partner else CandidateStatus.INTERESTED,
            message=f"offer of {company}",
        )
        for company in candidates
    ]
    state.partner_company_id, state.evaluation = partner, evaluation
    async with transaction(sessions) as session:
        pilot = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=created)
        apply_state(pilot, state, 1)
        session.add(pilot)
        await session.flush()
        for company in candidates:
            session.add(
                Candidate(
                    pilot_id=pilot_id,
                    company_id=company,
                    score=50.0,
                    reasons=["fits"],
                    status="selected" if company == partner else "interested",
                    round=1,
                )
            )
        for seq in range(1, events + 1):
            session.add(
                AuditEvent(
                    pilot_id=pilot_id,
                    seq=seq,
                    at=created + timedelta(seconds=seq),
                    kind="reviewed" if seq % 2 else "answered",
                    stage=stage,
                    actor={"user_id": "u1", "role": "admin"},
                    data={"decision": "approve", "comment": "internal", "company_id": "x"},
                )
            )
    return pilot_id


async def _listed(client: AsyncClient, headers: Headers, query: str = "") -> list[dict[str, Any]]:
    """Every item of GET /api/v1/pilots with these filters, through all its pages."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = await client.get(f"/api/v1/pilots?limit=100&{query}{cursor}", headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = f"&cursor={page['next_cursor']}"


async def _export(client: AsyncClient, headers: Headers, path: str) -> tuple[Any, list[Any]]:
    """An export in both formats: its JSON document, and its CSV rows as dictionaries."""
    joiner = "&" if "?" in path else "?"
    as_json = await client.get(f"{path}{joiner}format=json", headers=headers)
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"] == "application/json"
    as_csv = await client.get(f"{path}{joiner}format=csv", headers=headers)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = as_csv.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.csv"')
    reader = csv.DictReader(io.StringIO(as_csv.text, newline=""))
    rows = list(reader)
    return as_json.json(), [reader.fieldnames, *rows]


def _csv_matches(rows: list[dict[str, str]], documents: list[dict[str, Any]]) -> None:
    """Each CSV row is its JSON document flattened: every cell as core.exports writes it."""
    assert len(rows) == len(documents)
    for row, document in zip(rows, documents, strict=True):
        assert row == {column: cell(document[column]) for column in row}


async def _region(client: AsyncClient, make_town, make_company, make_user, sessions) -> dict:
    lille, roubaix = await make_town("Lille"), await make_town("Roubaix")
    lumen, arts, idle = (
        await make_company("Lumen"),
        await make_company("Arts"),
        await make_company("Idle"),
    )
    evaluation = Evaluation([Measurement("energy", 650.0)], 4, "worked", "generalize")
    ids = {
        "lille_new": await _pilot(sessions, lille["id"], '=HYPERLINK("x")', age=1, events=3),
        "lille_matching": await _pilot(
            sessions,
            lille["id"],
            "Bancs, connectés",
            age=2,
            stage="matching",
            theme="creative-city",
            candidates=(lumen["id"], arts["id"]),
        ),
        "roubaix_new": await _pilot(sessions, roubaix["id"], "Compost", age=3),
        "roubaix_generalized": await _pilot(
            sessions,
            roubaix["id"],
            "Éclairage LED",
            age=4,
            stage="closed",
            outcome="generalize",
            candidates=(lumen["id"], arts["id"]),
            partner=lumen["id"],
            evaluation=evaluation,
        ),
        "lille_evaluated": await _pilot(
            sessions,
            lille["id"],
            "Capteurs",
            age=5,
            stage="evaluation",
            candidates=(lumen["id"],),
            partner=lumen["id"],
            evaluation=Evaluation([Measurement("energy", 800.0)], 2, "", "stop"),
        ),
    }
    return {
        "ids": ids,
        "lille": lille,
        "roubaix": roubaix,
        "officer": await make_user("o@lille.example", "town_officer", town_id=lille["id"]),
        "other_officer": await make_user(
            "o@roubaix.example", "town_officer", town_id=roubaix["id"]
        ),
        "lumen": await make_user("staff@lumen.example", "company", company_id=lumen["id"]),
        "arts": await make_user("staff@arts.example", "company", company_id=arts["id"]),
        "idle": await make_user("staff@idle.example", "company", company_id=idle["id"]),
        "arts_id": arts["id"],
    }


async def test_pilot_exports_are_the_list_for_each_role_and_filter(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions
) -> None:
    region = await _region(client, make_town, make_company, make_user, sessions)
    lille = region["lille"]["id"]
    queries = ["", "stage=matching", "theme=creative-city", f"town_id={lille}", "q=connect%C3%A9s"]
    for who in ("admin", "officer", "other_officer", "lumen", "arts", "idle"):
        for query in queries:
            headers = admin if who == "admin" else region[who]
            listed = await _listed(client, headers, query)
            documents, (header, *rows) = await _export(
                client, headers, f"/api/v1/pilots/export?{query}"
            )
            assert header == list(PILOT_COLUMNS)
            assert documents == listed, (who, query)
            _csv_matches(rows, documents)
    everything, (_, *rows) = await _export(client, admin, "/api/v1/pilots/export")
    assert everything == await _listed(client, admin)
    async with sessions() as session:
        assert len(everything) == await session.scalar(select(func.count()).select_from(Pilot))
    # The database's text, read back through the CSV: commas, quotes and lines kept, and a
    # title a spreadsheet would run as a formula made text.
    by_id = {row["id"]: row for row in rows}
    async with sessions() as session:
        for pilot in await session.scalars(select(Pilot)):
            row = by_id[pilot.id]
            assert row["summary"] == pilot.summary
            assert json.loads(row["kpis"]) == pilot.kpis
            assert row["title"] == ("'" + pilot.title if pilot.title[0] == "=" else pilot.title)
    ids = region["ids"]
    # What each party reads, as the Pilot body shows it to it.
    seen = {p["id"]: p for p in (await _export(client, region["arts"], "/api/v1/pilots/export"))[0]}
    assert set(seen) == {ids["lille_matching"], ids["roubaix_generalized"]}
    for pilot in seen.values():
        assert [c["company_id"] for c in pilot["candidates"]] == [region["arts_id"]]
        assert pilot["evaluation"] is None
    other = (await _export(client, region["other_officer"], "/api/v1/pilots/export"))[0]
    assert {p["id"] for p in other} == {ids["roubaix_new"], ids["roubaix_generalized"]}
    officer = {
        p["id"]: p for p in (await _export(client, region["officer"], "/api/v1/pilots/export"))[0]
    }
    assert ids["roubaix_new"] not in officer
    assert officer[ids["roubaix_generalized"]]["candidates"] == []
    assert officer[ids["roubaix_generalized"]]["evaluation"]["recommendation"] == "generalize"
    idle_json, (_, *idle_rows) = await _export(client, region["idle"], "/api/v1/pilots/export")
    assert idle_json == [] and idle_rows == []


HOSTILE = [
    "format=xml",
    "format=",
    "stage=bogus",
    "stage=%00",
    "theme=Not%20A%20Code",
    "theme=%00",
    f"town_id={'x' * 33}",
    "town_id=a%00b",
    "q=%00",
    f"q={'q' * 201}",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_filters_are_refused_as_the_list_refuses_them(
    client: AsyncClient, admin: Headers, query: str
) -> None:
    exported = await client.get(f"/api/v1/pilots/export?{query}", headers=admin)
    assert 400 <= exported.status_code < 500, exported.text
    if not query.startswith("format"):
        listed = await client.get(f"/api/v1/pilots?{query}", headers=admin)
        assert exported.status_code == listed.status_code
    if query.startswith("format"):
        report = await client.get(f"/api/v1/reports/kpi-results?{query}", headers=admin)
        assert report.status_code == 422
    for path in ("/api/v1/pilots/export", "/api/v1/reports/kpi-results"):
        assert (await client.get(path)).status_code == 401


async def test_kpi_report_reads_each_evaluated_pilot_for_admin_and_own_town(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions
) -> None:
    region = await _region(client, make_town, make_company, make_user, sessions)
    ids, path = region["ids"], "/api/v1/reports/kpi-results"
    documents, (header, *rows) = await _export(client, admin, path)
    assert header == list(KPI_RESULT_COLUMNS)
    _csv_matches(rows, documents)
    evaluated = [ids["roubaix_generalized"], ids["lille_evaluated"]]
    assert [d["pilot_id"] for d in documents] == [pid for pid in evaluated for _ in KPIS]
    async with sessions() as session:
        for pilot_id in evaluated:
            state = (
                await PilotRepository(session).page(
                    (await session.scalars(select(User).where(User.email == ADMIN_EMAIL))).one(),
                    PilotFilters(),
                    limit=100,
                    cursor=None,
                )
            )[0]
            expected = next(s.state for s in state if s.state.pilot_id == pilot_id)
            got = [d for d in documents if d["pilot_id"] == pilot_id]
            for document, kpi in zip(got, kpi_results(expected), strict=True):
                assert (document["kpi"], document["result"], document["met"]) == (
                    kpi.name,
                    kpi.result,
                    kpi.met,
                )
                assert document["town_id"] == expected.town_id
                assert document["outcome"] == expected.outcome
    generalized = [d for d in documents if d["pilot_id"] == ids["roubaix_generalized"]]
    assert generalized[0]["town"] == "Roubaix" and generalized[0]["met"] is True
    assert generalized[1]["result"] is None and generalized[1]["met"] is None
    own, _ = await _export(client, region["officer"], path)
    assert {d["pilot_id"] for d in own} == {ids["lille_evaluated"]}  # not Roubaix's, published
    for company in ("lumen", "idle"):
        assert (await client.get(path, headers=region[company])).status_code == 403


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the app's engine sends in the block, each on one line, in lower case."""
    engine: AsyncEngine = app.state.sessions.kw["bind"]
    sent: list[str] = []

    def remember(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(" ".join(sql.split()).lower())

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", remember)


def _reading(sent: list[str], table: str) -> int:
    """How many of these statements read from this table."""
    return sum(1 for sql in sent if re.search(rf"\bfrom {table}\b", sql))


async def test_kpi_report_reads_only_evaluated_pilots(
    app: FastAPI, client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions
) -> None:
    """The repository keeps the evaluated pilots; a townless officer's report reads none."""
    region = await _region(client, make_town, make_company, make_user, sessions)
    ids, lille = region["ids"], region["lille"]["id"]
    evaluation = Evaluation([Measurement("energy", 900.0)], 3, "", "stop")
    cancelled = await _pilot(
        sessions, lille, "Annulé", age=6, stage="cancelled", evaluation=evaluation
    )
    await _pilot(sessions, lille, "Awaiting its evaluation", age=7, stage="evaluation")
    await _pilot(sessions, lille, "Cancelled before", age=8, stage="cancelled")
    async with sessions() as session:
        user = (await session.scalars(select(User).where(User.email == ADMIN_EMAIL))).one()
        page, cursor = await PilotRepository(session).page(
            user, PilotFilters(evaluated=True), limit=100, cursor=None
        )
    assert cursor is None
    states = [stored.state for stored in page]
    evaluated = [ids["roubaix_generalized"], ids["lille_evaluated"], cancelled]
    assert [state.pilot_id for state in states] == evaluated
    documents, _ = await _export(client, admin, "/api/v1/reports/kpi-results")
    assert [d["pilot_id"] for d in documents] == [pid for pid in evaluated for _ in KPIS]

    townless = await make_user("o@nowhere.example", "town_officer", town_id=lille)
    async with transaction(sessions) as session:
        await session.execute(
            update(User).where(User.email == "o@nowhere.example").values(town_id=None)
        )
    with _statements(app) as sent:
        nothing, (header, *rows) = await _export(client, townless, "/api/v1/reports/kpi-results")
    assert nothing == [] and rows == [] and header == list(KPI_RESULT_COLUMNS)
    assert sent and _reading(sent, "pilots") == 0, sent


async def test_audit_export_joins_what_each_party_may_read(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions
) -> None:
    region = await _region(client, make_town, make_company, make_user, sessions)
    pilot_id = region["ids"]["lille_new"]
    path = f"/api/v1/pilots/{pilot_id}/audit-export"
    response = await client.get(path, headers=region["officer"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="pilot-{pilot_id}-audit.json"'
    )
    document = response.json()
    events = await client.get(f"/api/v1/pilots/{pilot_id}/events", headers=region["officer"])
    pilot = await client.get(f"/api/v1/pilots/{pilot_id}", headers=region["officer"])
    assert document["events"] == events.json() and len(document["events"]) == 3
    assert document["pilot"] == pilot.json()
    assert document["workflow_history"] is None and document["notifications"] is None
    for stranger in ("other_officer", "lumen", "idle"):
        assert (await client.get(path, headers=region[stranger])).status_code == 404
    # A company invited reads the trail as its events endpoint shows it: another's answer hidden.
    matching = f"/api/v1/pilots/{region['ids']['lille_matching']}"
    arts = await client.get(f"{matching}/audit-export", headers=region["arts"])
    assert arts.status_code == 200
    assert (
        arts.json()["events"]
        == (await client.get(f"{matching}/events", headers=region["arts"])).json()
    )
    # The admin's export needs the Temporal history: with no server, 503, as its endpoint.
    unavailable = await client.get(path, headers=admin)
    assert unavailable.status_code == 503
    assert (await client.get("/api/v1/pilots/nope/audit-export", headers=admin)).status_code == 404


async def test_audit_export_reads_the_pilot_once(
    app: FastAPI, client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions
) -> None:
    """Visibility is checked once: the parts take the pilot read, not their own read of it."""
    region = await _region(client, make_town, make_company, make_user, sessions)
    path = f"/api/v1/pilots/{region['ids']['lille_new']}/audit-export"
    for who, status in ((region["officer"], 200), (admin, 503)):
        with _statements(app) as sent:
            response = await client.get(path, headers=who)
        assert response.status_code == status, response.text
        # The admin's 503 comes from Temporal, asked last: every database read is done.
        assert _reading(sent, "pilots") == 1 and _reading(sent, "audit_events") == 1, sent
    assert _reading(sent, "notifications") == 1, sent


# ---- streaming -------------------------------------------------------------------------

MANY = 2_100


async def _many(sessions: async_sessionmaker[AsyncSession], town_id: str) -> None:
    """MANY read-model rows, written straight into the database in a few statements."""
    rows = []
    for n in range(MANY):
        created = NOW - timedelta(seconds=n)
        proposal = Proposal(
            town_id, f"Pilot {n}", "s", "efficient-city", [], 1.0, date(2027, 1, 1), 30
        )
        pilot = Pilot(id=f"m{n:06d}", workflow_id=f"pilot-m{n:06d}", created_at=created)
        apply_state(
            pilot, PilotState(pilot.id, town_id, proposal, "submitted", created, created), 1
        )
        rows.append(pilot)
    async with transaction(sessions) as session:
        session.add_all(rows)


async def test_export_is_read_and_written_chunk_by_chunk(
    client: AsyncClient,
    admin: Headers,
    make_town,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _many(sessions, (await make_town("Lille"))["id"])
    pages: list[int] = []
    page = PilotRepository.page

    async def counted(self: PilotRepository, *args: Any, **kwargs: Any) -> Any:
        pages.append(kwargs["limit"])
        return await page(self, *args, **kwargs)

    monkeypatch.setattr(PilotRepository, "page", counted)
    monkeypatch.setattr(exports, "CHUNK", 500)

    # Through HTTP: every pilot, read in pages of 500 at most.
    async with client.stream("GET", "/api/v1/pilots/export?format=csv", headers=admin) as response:
        assert response.status_code == 200
        lines = [line async for line in response.aiter_lines() if line]
    assert len(lines) == MANY + 1
    assert pages == [500] * 5
    assert [row["id"] for row in csv.DictReader(lines)] == [f"m{n:06d}" for n in range(MANY)]

    # The body itself: each chunk is read only when the one before has been written out, and
    # no connection is held between chunks.
    pages.clear()
    engine = sessions.kw["bind"]
    async with sessions() as session:
        user = (await session.scalars(select(User).where(User.email == ADMIN_EMAIL))).one()
        export = await exports.export_pilots(
            session, sessions, user, PilotFilters(), ExportFormat.JSON
        )
    assert pages == [500]  # the first chunk, read in the request's session
    pieces = [await anext(export.body), await anext(export.body)]
    assert pieces[0] == "[" and pages == [500]
    assert engine.pool.checkedout() == 0
    pieces.append(await anext(export.body))
    assert pages == [500, 500] and engine.pool.checkedout() == 0
    pieces += [piece async for piece in export.body]
    assert pages == [500] * 5
    items = json.loads("".join(pieces))
    assert len(items) == MANY and items[0]["id"] == "m000000"
    assert max(len(piece) for piece in pieces) < len("".join(pieces)) / 4

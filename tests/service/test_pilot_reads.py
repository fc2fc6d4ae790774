"""Reads from the read model: list filters, search, cursor pages, visibility, the overview.

The rows are written the way the workflow's activity writes them (`apply_state`), so these
tests need no Temporal server.
"""

from datetime import UTC, date, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import Candidate, Pilot
from core.pilot_state import apply_state
from tests.service.conftest import Headers
from workflows.contracts import CandidateState, PilotState, Proposal

NOW = datetime.now(UTC)


async def _pilot(
    sessions: async_sessionmaker[AsyncSession],
    town_id: str,
    title: str,
    *,
    age_minutes: int,
    stage: str = "submitted",
    theme: str = "efficient-city",
    deadline: datetime | None = None,
    invited: str | None = None,
    outcome: str | None = None,
) -> str:
    created = NOW - timedelta(minutes=age_minutes)
    pilot_id = f"p{age_minutes:04d}"
    proposal = Proposal(town_id, title, f"About {title}", theme, [], 1.0, date(2027, 1, 1), 30)
    state = PilotState(pilot_id, town_id, proposal, stage, created, created, outcome=outcome)
    state.deadline, state.waiting_on = deadline, ("admin" if deadline else None)
    if invited:
        state.candidates = [CandidateState(invited, "Invited", 50.0, ["fits"], 1)]
    async with transaction(sessions) as session:
        pilot = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=created)
        apply_state(pilot, state, 1)
        session.add(pilot)
        if invited:
            await session.flush()
            session.add(
                Candidate(
                    pilot_id=pilot_id,
                    company_id=invited,
                    score=50.0,
                    reasons=["fits"],
                    status="invited",
                    round=1,
                )
            )
    return pilot_id


async def _ids(client: AsyncClient, headers: Headers, query: str = "") -> list[str]:
    response = await client.get(f"/api/v1/pilots?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def test_filters_search_pages_and_visibility(
    client: AsyncClient,
    admin: Headers,
    make_town,
    make_company,
    make_user,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lille, roubaix = await make_town("Lille"), await make_town("Roubaix")
    company = await make_company("Lumen")
    ids = [
        await _pilot(sessions, lille["id"], "Éclairage 100% LED", age_minutes=1),
        await _pilot(
            sessions,
            lille["id"],
            "Bancs connectés",
            age_minutes=2,
            stage="matching",
            invited=company["id"],
        ),
        await _pilot(
            sessions, roubaix["id"], "Compost partagé", age_minutes=3, theme="creative-city"
        ),
        await _pilot(
            sessions, roubaix["id"], "Navettes", age_minutes=4, stage="closed", outcome="generalize"
        ),
        await _pilot(
            sessions, roubaix["id"], "Parkings", age_minutes=5, stage="closed", outcome="stop"
        ),
    ]
    officer = await make_user("o@lille.example", "town_officer", town_id=lille["id"])
    staff = await make_user("s@lumen.example", "company", company_id=company["id"])

    assert await _ids(client, admin) == ids
    assert await _ids(client, officer) == [ids[0], ids[1], ids[3]]  # own town, and offered
    assert await _ids(client, staff) == [ids[1]]
    assert await _ids(client, admin, f"town_id={roubaix['id']}") == ids[2:]
    assert await _ids(client, admin, "stage=closed") == ids[3:]
    assert await _ids(client, admin, "theme=creative-city") == [ids[2]]
    assert await _ids(client, admin, "q=compost") == [ids[2]]
    assert await _ids(client, admin, "q=100%25") == [ids[0]]  # % is a character, not a wildcard
    assert await _ids(client, admin, "q=_") == []

    seen, cursor = [], ""
    while True:
        response = await client.get(f"/api/v1/pilots?limit=2{cursor}", headers=admin)
        page = response.json()
        seen += [p["id"] for p in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == ids

    bad = await client.get("/api/v1/pilots?cursor=not-a-cursor", headers=admin)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/pilots?stage=nope", headers=admin)).status_code == 422
    assert (await client.get("/api/v1/pilots?limit=1000", headers=admin)).status_code == 422

    detail = (await client.get(f"/api/v1/pilots/{ids[1]}", headers=staff)).json()
    assert detail["allowed_actions"] == ["respond"]
    assert [c["company_id"] for c in detail["candidates"]] == [company["id"]]
    hidden = await client.get(f"/api/v1/pilots/{ids[2]}", headers=officer)
    assert hidden.status_code == 404
    offered = (await client.get(f"/api/v1/pilots/{ids[3]}", headers=officer)).json()
    assert offered["allowed_actions"] == ["replicate"]


async def test_overview_counts_and_overdue_first(
    client: AsyncClient,
    admin: Headers,
    make_town,
    make_user,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lille = await make_town("Lille")
    late = await _pilot(
        sessions, lille["id"], "Late", age_minutes=1, deadline=NOW - timedelta(days=3)
    )
    later = await _pilot(
        sessions, lille["id"], "Later", age_minutes=2, deadline=NOW - timedelta(days=1)
    )
    await _pilot(sessions, lille["id"], "On time", age_minutes=3, deadline=NOW + timedelta(days=2))
    await _pilot(sessions, lille["id"], "Done", age_minutes=4, stage="rejected")
    response = await client.get("/api/v1/admin/overview", headers=admin)
    assert response.status_code == 200
    overview = response.json()
    assert overview["by_stage"] == {"rejected": 1, "submitted": 3}
    assert overview["by_town"] == {lille["id"]: 4}
    assert overview["by_theme"] == {"efficient-city": 4}
    assert [o["pilot_id"] for o in overview["overdue"]] == [late, later]
    assert overview["overdue"][0]["overdue_seconds"] > 2.9 * 86400
    assert overview["overdue"][0]["waiting_on"] == "admin"
    assert len(overview["waiting"]) == 3
    officer = await make_user("o@lille.example", "town_officer", town_id=lille["id"])
    assert (await client.get("/api/v1/admin/overview", headers=officer)).status_code == 403


async def test_overview_lists_come_a_page_at_a_time(
    client: AsyncClient,
    admin: Headers,
    make_town,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lille = await make_town("Lille")
    same_day = NOW - timedelta(days=2)
    overdue_ages = {1: NOW - timedelta(days=5), 2: same_day, 3: same_day, 4: NOW - timedelta(1)}
    for age, deadline in overdue_ages.items():
        await _pilot(sessions, lille["id"], f"Late {age}", age_minutes=age, deadline=deadline)
    await _pilot(sessions, lille["id"], "On time", age_minutes=5, deadline=NOW + timedelta(1))

    async def pages(name: str) -> tuple[list[list[str]], dict[str, int]]:
        seen: list[list[str]] = []
        cursor = ""
        while True:
            response = await client.get(
                f"/api/v1/admin/overview?limit=2&{name}_cursor={cursor}", headers=admin
            )
            assert response.status_code == 200, response.text
            body = response.json()
            seen.append([item["pilot_id"] for item in body[name]])
            if body[f"{name}_next_cursor"] is None:
                return seen, body["by_stage"]
            cursor = body[f"{name}_next_cursor"]

    overdue, counts = await pages("overdue")
    # The most overdue first; two on the same deadline in id order, split across pages.
    assert overdue == [["p0001", "p0002"], ["p0003", "p0004"]]
    assert counts == {"submitted": 5}  # the counts are the whole funnel on every page
    waiting, _ = await pages("waiting")
    assert waiting == [["p0005", "p0004"], ["p0003", "p0002"], ["p0001"]]
    everything = await client.get("/api/v1/admin/overview", headers=admin)
    assert len(everything.json()["overdue"]) == 4
    assert everything.json()["overdue_next_cursor"] is None
    bad = await client.get("/api/v1/admin/overview?waiting_cursor=nonsense", headers=admin)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "waiting_cursor"]


async def test_an_officer_pages_through_its_town_and_the_offered_ones_in_order(
    client: AsyncClient, make_town, make_user, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The town's pilots and the generalized ones of other towns, merged newest first, once."""
    lille, roubaix = await make_town("Lille"), await make_town("Roubaix")
    offered = {"stage": "closed", "outcome": "generalize"}
    made = [
        (lille, "Compost A", {}),
        (roubaix, "Compost B", offered),
        (roubaix, "Compost hidden", {"stage": "closed", "outcome": "stop"}),
        (lille, "Compost C", offered),  # the town's own, generalized: listed once
        (roubaix, "Navette D", offered),
        (lille, "Navette E", {"stage": "matching"}),
        (roubaix, "Navette hidden", {}),
        (roubaix, "Compost F", offered),
        (lille, "Compost G", {}),
    ]
    ids = [
        await _pilot(sessions, town["id"], title, age_minutes=age, **extra)  # type: ignore[arg-type]
        for age, (town, title, extra) in enumerate(made, start=1)
    ]
    visible = [i for i, (_, title, _) in zip(ids, made, strict=True) if "hidden" not in title]
    officer = await make_user("o@lille.example", "town_officer", town_id=lille["id"])

    for limit in (1, 2, 3, 100):
        seen, cursor = [], ""
        while True:
            response = await client.get(f"/api/v1/pilots?limit={limit}{cursor}", headers=officer)
            page = response.json()
            assert len(page["items"]) <= limit
            seen += [p["id"] for p in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert seen == visible, limit

    compost = [i for i, (_, title, _) in zip(ids, made, strict=True) if title.startswith("Compost")]
    assert await _ids(client, officer, "q=compost") == [i for i in visible if i in compost]
    assert await _ids(client, officer, "q=cOMPOST") == [i for i in visible if i in compost]
    assert await _ids(client, officer, "q=compost&limit=2") == [ids[0], ids[1]]
    assert await _ids(client, officer, "stage=closed") == [ids[1], ids[3], ids[4], ids[7]]
    assert await _ids(client, officer, f"town_id={roubaix['id']}") == [ids[1], ids[4], ids[7]]
    assert await _ids(client, officer, f"town_id={lille['id']}") == [ids[0], ids[3], ids[5], ids[8]]

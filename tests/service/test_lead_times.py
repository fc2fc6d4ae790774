"""GET /api/v1/admin/lead-times and /funnel: exact figures for the admin, 403 for the others."""

from collections.abc import Awaitable, Callable

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.core.lead_time_region import DAY, LILLE, ROUBAIX, write_region
from tests.service.conftest import Headers, Maker


async def test_lead_times_and_funnel_for_the_admin(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await write_region(sessions)
    response = await client.get("/api/v1/admin/lead-times?group=town", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group"] == "town"
    submitted = body["overall"][0]
    assert submitted["stage"] == "submitted"
    assert (submitted["stays"], submitted["open"]) == (4, 1)
    assert submitted["median_seconds"] == 3 * DAY
    assert abs(submitted["p90_seconds"] - 5.4 * DAY) < 1e-6
    assert [stage["stage"] for stage in body["overall"]] == [
        "submitted",
        "changes_requested",
        "matching",
        "trial_scheduled",
        "trial_running",
        "evaluation",
    ]
    assert [group["key"] for group in body["groups"]] == sorted([LILLE, ROUBAIX])

    response = await client.get(
        "/api/v1/admin/funnel?by=month&submitted_from=2026-01-01&submitted_to=2026-03-31",
        headers=admin,
    )
    assert response.status_code == 200, response.text
    funnel = response.json()
    assert [step["pilots"] for step in funnel["steps"]] == [4, 2, 1, 1, 1, 1, 1]
    assert [step["milestone"] for step in funnel["steps"]] == [
        "submitted",
        "approved",
        "partner_matched",
        "trial_started",
        "evaluated",
        "decided_generalize",
        "replicated",
    ]
    assert funnel["steps"][1]["from_previous"] == 0.5
    assert [month["month"] for month in funnel["by_month"]] == ["2026-01", "2026-03"]
    plain = (await client.get("/api/v1/admin/funnel", headers=admin)).json()
    assert plain["by_month"] is None


async def test_bad_queries_answer_422(client: AsyncClient, admin: Headers) -> None:
    for query in (
        "lead-times?group=company",
        "lead-times?submitted_from=2026-02-30",
        "lead-times?submitted_from=2026-03-01&submitted_to=2026-02-01",
        "funnel?by=week",
        "funnel?submitted_to=%00",
    ):
        response = await client.get(f"/api/v1/admin/{query}", headers=admin)
        assert response.status_code == 422, (query, response.text)


async def test_only_admins_read_them(
    client: AsyncClient,
    make_town: Maker,
    make_company: Maker,
    make_user: Callable[..., Awaitable[Headers]],
) -> None:
    town = await make_town("Tourcoing")
    company = await make_company("Lumina")
    officer = await make_user("officer@tourcoing.example", "town_officer", town_id=town["id"])
    staff = await make_user("staff@lumina.example", "company", company_id=company["id"])
    for path in ("lead-times", "funnel?by=month"):
        assert (await client.get(f"/api/v1/admin/{path}")).status_code == 401
        for headers in (officer, staff):
            response = await client.get(f"/api/v1/admin/{path}", headers=headers)
            assert response.status_code == 403, response.text

"""Matching on the real database: who is eligible, how they are scored, and why."""

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.matching import MatchingActivities
from core.db import transaction
from core.models import Company, Pilot, Town
from workflows.contracts import MatchingRequest


async def _region(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        session.add_all([Town(id="lille", name="Lille"), Town(id="roubaix", name="Roubaix")])
        session.add_all(
            [
                Company(
                    id="iot",
                    name="Lumière IoT",
                    contact_email="a@x.fr",
                    themes=["efficient-city"],
                    tags=["iot", "lighting"],
                    areas=[],
                ),
                Company(
                    id="half",
                    name="Capteurs Nord",
                    contact_email="b@x.fr",
                    themes=["efficient-city"],
                    tags=["IoT"],
                    areas=["lille"],
                ),
                Company(
                    id="busy",
                    name="Busy Co",
                    contact_email="c@x.fr",
                    themes=["efficient-city"],
                    tags=["iot", "lighting"],
                    areas=[],
                ),
                Company(
                    id="far",
                    name="Roubaix Only",
                    contact_email="d@x.fr",
                    themes=["efficient-city"],
                    tags=["iot", "lighting"],
                    areas=["roubaix"],
                ),
                Company(
                    id="other-theme",
                    name="Creative",
                    contact_email="e@x.fr",
                    themes=["creative-city"],
                    tags=["iot", "lighting"],
                    areas=[],
                ),
                Company(
                    id="inactive",
                    name="Gone",
                    contact_email="f@x.fr",
                    themes=["efficient-city"],
                    tags=["iot", "lighting"],
                    areas=[],
                    active=False,
                ),
            ]
        )
        await session.flush()
        now = datetime.now(UTC)
        for i, (stage, outcome, partner) in enumerate(
            [
                ("closed", "generalize", "iot"),
                ("trial_running", None, "busy"),
                ("trial_running", None, "busy"),
            ]
        ):
            session.add(
                Pilot(
                    id=f"p{i}",
                    workflow_id=f"pilot-p{i}",
                    town_id="roubaix",
                    title="t",
                    summary="s",
                    theme="efficient-city",
                    budget_eur=1.0,
                    desired_start=date(2026, 1, 1),
                    duration_days=30,
                    stage=stage,
                    outcome=outcome,
                    partner_company_id=partner,
                    created_at=now,
                    updated_at=now,
                )
            )


def _request(**changes: object) -> MatchingRequest:
    request = MatchingRequest(
        pilot_id="new",
        town_id="lille",
        theme="efficient-city",
        needs=["iot", "lighting"],
        round=1,
        limit=5,
    )
    for name, value in changes.items():
        setattr(request, name, value)
    return request


async def test_eligible_companies_ranked_with_reasons(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _region(sessions)
    result = await MatchingActivities(sessions).find_candidates(_request())
    ranked = [c.company_id for c in result.candidates]
    # Theme, area and activity filter; track record lifts, load and missing needs lower.
    assert ranked == ["iot", "busy", "half"]
    iot, busy, half = result.candidates
    assert iot.score > busy.score > half.score
    assert "meets 2 of 2 needs: iot, lighting" in iot.reasons
    assert "1 past pilot(s) evaluated, 1 generalized" in iot.reasons
    assert "already partner of 2 ongoing pilot(s)" in busy.reasons
    assert "meets 1 of 2 needs: iot" in half.reasons
    assert "serves the pilot's town" in half.reasons
    assert all(c.round == 1 for c in result.candidates)


async def test_limit_exclusions_and_preferred_partner(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _region(sessions)
    activities = MatchingActivities(sessions)
    result = await activities.find_candidates(_request(limit=2, exclude_company_ids=["iot"]))
    assert [c.company_id for c in result.candidates] == ["busy", "half"]
    result = await activities.find_candidates(_request(limit=1, preferred_company_id="half"))
    assert [c.company_id for c in result.candidates] == ["half"]
    assert any("invited first" in r for r in result.candidates[0].reasons)
    result = await activities.find_candidates(_request(town_id="roubaix", theme="european-city"))
    assert result.candidates == []

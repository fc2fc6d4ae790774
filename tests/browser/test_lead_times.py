"""The admin overview's lead-time and funnel charts in Chromium, with their tables."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from playwright.async_api import expect
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import AuditEvent, Pilot, Town
from tests.browser.site import ADMIN, Site, screenshot
from tests.core.lead_time_region import write_pilot
from tests.support.lead_time_pilots import write_pilots

# A town of this test's own, whose two pilots have known timings: the other tests' pilots
# share the region, so only this town's figures are asserted.
WATTIGNIES = "lt-wattignies"
TOWNS = {
    "lt-tourcoing": "Tourcoing",
    "lt-villeneuve": "Villeneuve-d'Ascq",
    "lt-marcq": "Marcq-en-Barœul",
    WATTIGNIES: "Wattignies",
}


@pytest_asyncio.fixture
async def region(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """This test's pilots, removed after it: generalized ones would be offered to the
    officers of the other tests. Towns another test made (an import) are used as they are."""
    created = await _write(sessions)
    yield
    prefixes = ("leadtime%", "ltwattignies%")
    async with transaction(sessions) as session:
        trail = or_(*(AuditEvent.pilot_id.like(prefix) for prefix in prefixes))
        await session.execute(delete(AuditEvent).where(trail))
        await session.execute(delete(Pilot).where(or_(*(Pilot.id.like(p) for p in prefixes))))
        await session.execute(delete(Town).where(Town.id.in_(created)))


async def _town_ids(session: AsyncSession) -> tuple[dict[str, str], list[str]]:
    """Each of TOWNS's names → the id of the town so named, made if none is; and those made."""
    named = select(Town.name, Town.id).where(Town.name.in_(TOWNS.values()))
    existing: dict[str, str] = {name: town_id for name, town_id in await session.execute(named)}
    missing = {key: name for key, name in TOWNS.items() if name not in existing}
    session.add_all(Town(id=key, name=name) for key, name in missing.items())
    await session.flush()
    return {key: existing.get(name, key) for key, name in TOWNS.items()}, list(missing)


async def _write(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        ids, created = await _town_ids(session)
        await write_pilots(session, [ids[key] for key in list(TOWNS)[:3]], now)
        start = now - timedelta(days=30)
        # Submitted stays of 2 and 6 days, then one still in matching and one rejected.
        await write_pilot(
            session,
            "ltwattignies1",
            ids[WATTIGNIES],
            "european-city",
            start,
            None,
            None,
            [(0, "submitted", "submitted"), (2, "reviewed", "matching")],
        )
        await write_pilot(
            session,
            "ltwattignies2",
            ids[WATTIGNIES],
            "european-city",
            start,
            None,
            None,
            [(0, "submitted", "submitted"), (6, "reviewed", "rejected")],
        )
    return created


async def test_the_admin_reads_lead_times_and_the_funnel(site: Site, region: None) -> None:
    admin = await site.signed_in(ADMIN, {"width": 1280, "height": 1500})
    await admin.goto(f"{site.url}/admin#conversion")
    funnel = admin.locator("#funnel-table")
    await expect(funnel.get_by_role("row")).to_have_count(8)
    await expect(funnel.get_by_role("rowheader").first).to_have_text("Soumis")
    last = funnel.get_by_role("rowheader").last
    await expect(last).to_have_text("Répliqué par une autre commune")
    await expect(admin.get_by_role("img", name="De la soumission à la réplication")).to_be_visible()
    await expect(admin.get_by_role("img", name="Par mois de soumission")).to_be_visible()
    months = admin.locator("#funnel-months").get_by_role("rowheader")
    await expect(months.filter(has_text="2026-04")).to_have_count(1)
    await expect(admin.get_by_role("img", name="Tous les pilotes")).to_be_visible()
    await screenshot(admin, "admin-funnel")

    await admin.get_by_role("link", name="commune", exact=True).click()
    await expect(admin).to_have_url(f"{site.url}/admin?group=town#lead-times-groups")
    await admin.locator("summary", has_text="Wattignies").click()
    table = admin.locator("details", has_text="Wattignies").get_by_role("table")
    submitted = table.get_by_role("row").nth(1).get_by_role("cell")
    # Stays of 2 and 6 days: median 4, p90 5.6 (interpolated), two measured, none there now.
    await expect(submitted).to_have_text(["4 j", "5,6 j", "2", "0"])
    matching = table.get_by_role("row").nth(3).get_by_role("cell")
    await expect(matching).to_have_text(["—", "—", "0", "1"])
    await admin.goto(f"{site.url}/admin#lead-times")
    await screenshot(admin, "admin-lead-times")

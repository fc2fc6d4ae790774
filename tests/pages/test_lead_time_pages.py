"""The admin overview's lead-time and funnel charts, with their tables, in both languages."""

import re
from collections.abc import Awaitable, Callable

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.core.lead_time_region import write_region
from tests.pages.conftest import page_sign_in
from tests.service.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Headers, Maker


def _rows(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_charts_and_tables_of_known_timings(
    admin_browser: AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await write_region(sessions)
    page = await admin_browser.get("/admin")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count('class="bar-chart"') >= 4
    assert _rows(html, "funnel-table") == [
        ["Submitted", "4", "100%", "100%"],
        ["Approved", "2", "50%", "50%"],
        ["Partner chosen", "1", "50%", "25%"],
        ["Trial started", "1", "100%", "25%"],
        ["Evaluation submitted", "1", "100%", "25%"],
        ["Decided: generalize", "1", "100%", "25%"],
        ["Replicated by another town", "1", "100%", "25%"],
    ]
    assert _rows(html, "funnel-months") == [
        ["2026-01", "3", "2", "1", "1", "1", "1", "1"],
        ["2026-03", "1", "0", "0", "0", "0", "0", "0"],
    ]
    overall = _rows(html, "lead-times-all")
    assert overall[0] == ["Submitted", "3 d", "5.4 d", "4", "1"]
    assert overall[4] == ["Trial running", "30 d", "30 d", "1", "0"]
    # Grouped by theme by default, by town through the switch.
    assert (
        "<summary>Creative city</summary>" in html and "<summary>Efficient city</summary>" in html
    )
    by_town = (await admin_browser.get("/admin?group=town")).text
    assert "<summary>Lille</summary>" in by_town and "<summary>Roubaix</summary>" in by_town
    assert 'href="/admin?group=town#lead-times-groups" aria-current="page"' in by_town
    # An unknown group is the default one; a NUL is refused before it reaches anything.
    assert (await admin_browser.get("/admin?group=week")).status_code == 200
    assert 400 <= (await admin_browser.get("/admin?group=%00")).status_code < 500


async def test_in_french(client: AsyncClient, sessions: async_sessionmaker[AsyncSession]) -> None:
    await write_region(sessions)
    await page_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, locale="fr")
    html = (await client.get("/admin")).text
    assert "Délais" in html and "Entonnoir de conversion" in html
    assert _rows(html, "lead-times-all")[0][1:3] == ["3 j", "5,4 j"]


async def test_only_admins_see_the_overview(
    client: AsyncClient, make_town: Maker, make_user: Callable[..., Awaitable[Headers]]
) -> None:
    town = await make_town("Tourcoing")
    await make_user("officer@tourcoing.example", "town_officer", town_id=town["id"])
    await page_sign_in(client, "officer@tourcoing.example")
    assert (await client.get("/admin?group=town")).status_code == 403

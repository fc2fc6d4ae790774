"""The download links of the pages: each keeps its list's filters and gives the API's export."""

import csv
import html
import io
import re

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from tests.pages.conftest import page_sign_in
from tests.service.test_exports import _pilot

LINK = re.compile(r'href="(/(?:exports|reports|pilots)/[^"]*(?:format=csv[^"]*|audit-export))"')


def _links(page: str) -> list[str]:
    return [html.unescape(link) for link in LINK.findall(page)]


def _ids(text: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(text, newline=""))]


async def test_download_links_keep_filters_and_respect_who_reads(
    app: FastAPI, admin_browser: AsyncClient, make_town, make_user, sessions
) -> None:
    lille, roubaix = await make_town("Lille"), await make_town("Roubaix")
    matching = await _pilot(sessions, lille["id"], "Bancs", age=1, stage="matching")
    await _pilot(sessions, lille["id"], "Compost", age=2)
    hidden = await _pilot(sessions, roubaix["id"], "Roubaix only", age=3)
    await make_user("o@lille.example", "town_officer", town_id=lille["id"])

    listed = await admin_browser.get("/admin/pilots?stage=matching&q=&theme=")
    [export] = [link for link in _links(listed.text) if link.startswith("/exports/")]
    assert export == "/exports/pilots?format=csv&stage=matching"
    download = await admin_browser.get(export)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert _ids(download.text) == [matching]
    overview = await admin_browser.get("/admin")
    assert "/reports/kpi-results?format=csv" in _links(overview.text)
    assert (await admin_browser.get("/reports/kpi-results?format=csv")).status_code == 200
    # A malformed address is a page that does not exist, as every page answers it.
    assert (await admin_browser.get("/exports/pilots?stage=bogus")).status_code == 404

    async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as officer:
        await page_sign_in(officer, "o@lille.example")
        links = _links((await officer.get("/officer")).text)
        own = f"/exports/pilots?format=csv&town_id={lille['id']}"
        assert own in links and "/reports/kpi-results?format=csv" in links
        assert hidden not in _ids((await officer.get(own)).text)
        assert hidden not in _ids((await officer.get("/exports/pilots?format=csv")).text)
        pilot_page = await officer.get(f"/pilots/{matching}")
        assert f"/pilots/{matching}/audit-export" in _links(pilot_page.text)
        record = await officer.get(f"/pilots/{matching}/audit-export")
        assert record.status_code == 200 and record.json()["pilot"]["id"] == matching
        assert (await officer.get(f"/pilots/{hidden}/audit-export")).status_code == 404

"""The import page through httpx: upload, the dry run's report, then the real import."""

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Town
from tests.pages.conftest import csrf_of, page_sign_in

TOWNS = "kind;name;code\ntown;Lille;59350\ntown;Roubaix;59512\n"
HIDDEN_CONTENT = re.compile(r'name="content" value="([^"]*)"')


async def _towns(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Town)) or 0


async def _upload(browser: AsyncClient, content: bytes, **fields: str) -> Any:
    form = {"csrf_token": await csrf_of(browser, "/admin/imports"), **fields}
    files = {"file": ("region.csv", content, "text/csv")}
    return await browser.post("/admin/imports", data=form, files=files)


async def test_a_checked_file_is_shown_then_imported_for_real(
    admin_browser: AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    page = await admin_browser.get("/admin")
    assert 'href="/admin/imports"' in page.text
    checked = await _upload(admin_browser, TOWNS.encode())
    assert checked.status_code == 200, checked.text
    assert "Dry run: what the import would do" in checked.text
    assert "to create" in checked.text and "59512" in checked.text
    assert await _towns(sessions) == 0
    match = HIDDEN_CONTENT.search(checked.text)
    assert match is not None
    assert html.unescape(match.group(1)) == TOWNS
    form = {
        "csrf_token": await csrf_of(admin_browser, "/admin/imports"),
        "apply": "1",
        "content": html.unescape(match.group(1)),
    }
    # Multipart, as the page's form sends it.
    done = await admin_browser.post(
        "/admin/imports", data=form, files={"file": ("", b"", "application/octet-stream")}
    )
    assert done.status_code == 200, done.text
    assert "Imported: 2 created, 0 invitations asked for." in done.text
    assert "What the import did" in done.text
    assert await _towns(sessions) == 2
    again = await admin_browser.post("/admin/imports", data=form, files={"file": ("", b"")})
    assert "Imported: 0 created" in again.text
    assert await _towns(sessions) == 2


async def test_problems_are_listed_and_a_refused_import_changes_nothing(
    admin_browser: AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bad = "kind,name,email,town\nofficer,Ana,ana@x.example,Atlantis\ntown,Li\x00lle,,\n"
    checked = await _upload(admin_browser, bad.encode())
    assert checked.status_code == 200
    assert "unknown town Atlantis" in checked.text
    assert "name holds characters that are not allowed" in checked.text
    assert "Import for real" not in checked.text
    form = {"csrf_token": await csrf_of(admin_browser, "/admin/imports"), "apply": "1"}
    refused = await admin_browser.post(
        "/admin/imports", data=form | {"content": bad}, files={"file": ("", b"")}
    )
    assert refused.status_code == 422
    assert "Nothing was imported" in refused.text
    assert await _towns(sessions) == 0


async def test_an_unreadable_or_missing_file_is_said_on_the_page(
    admin_browser: AsyncClient,
) -> None:
    latin1 = await _upload(admin_browser, "kind,name\ntown,Marcq-en-Barœul\n".encode("cp1252"))
    assert latin1.status_code == 422
    assert "not UTF-8" in latin1.text
    form = {"csrf_token": await csrf_of(admin_browser, "/admin/imports")}
    missing = await admin_browser.post("/admin/imports", data=form)
    assert missing.status_code == 422
    assert "Choose a CSV file to check." in missing.text
    no_token = await admin_browser.post(
        "/admin/imports", data={}, files={"file": ("r.csv", TOWNS.encode())}
    )
    assert no_token.status_code == 403


async def test_the_page_speaks_french_and_only_admins_open_it(
    client: AsyncClient,
    make_town: Callable[..., Awaitable[dict[str, Any]]],
    make_user: Callable[..., Awaitable[dict[str, str]]],
) -> None:
    town = await make_town("Lille")
    await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    await page_sign_in(client, "officer@lille.example")
    assert (await client.get("/admin/imports")).status_code == 403
    assert (await client.get("/admin/imports/sample.csv")).status_code == 403


async def test_the_french_page_and_the_sample_file(admin_browser: AsyncClient) -> None:
    form = {
        "csrf_token": await csrf_of(admin_browser, "/admin/imports"),
        "locale": "fr",
        "next": "/admin/imports",
    }
    await admin_browser.post("/language", data=form)
    page = await admin_browser.get("/admin/imports")
    assert "Inscriptions en masse" in page.text and "Vérifier le fichier" in page.text
    sample = await admin_browser.get("/admin/imports/sample.csv")
    assert sample.status_code == 200
    assert sample.headers["content-type"].startswith("text/csv")
    assert sample.text.startswith("kind,name,code,email")

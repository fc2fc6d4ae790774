"""POST /api/v1/imports on SQLite and PostgreSQL, with Temporal unreachable.

Without Temporal, a dry run and an import of towns and companies work (they invite nobody);
an import that would invite someone is refused before anything is written (503).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Company, Town
from core.onboarding import MAX_FILE_BYTES, MAX_ROWS
from tests.service.conftest import Headers
from tests.support.imports import counts as _counts
from tests.support.imports import post_import as _import

HEADER = "kind,name,code,email,town,company,themes,tags,areas,locale,description\n"
REFERENCE = (
    HEADER
    + "town,Lille,59350,,,,,,,,\n"
    + "town,Roubaix,59512,,,,,,,,\n"
    + "company,Lumen,,contact@lumen.example,,,efficient-city,lighting|iot,59350|Roubaix,en,"
    + '"Connected lighting, for towns"\n'
)
PEOPLE = (
    REFERENCE
    + "officer,Camille Martin,,camille@lille.example,Lille,,,,,,\n"
    + "company_user,Léa,,lea@lumen.example,,Lumen,,,,en,\n"
)


async def test_a_dry_run_reports_each_line_and_changes_nothing(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await _counts(sessions)
    response = await _import(client, admin, PEOPLE)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["applied"], report["problems"]) == (True, False, 0)
    assert [
        (line["line"], line["kind"], line["key"], line["action"]) for line in report["lines"]
    ] == [
        (2, "town", "Lille", "create"),
        (3, "town", "Roubaix", "create"),
        (4, "company", "Lumen", "create"),
        (5, "officer", "camille@lille.example", "create"),
        (6, "company_user", "lea@lumen.example", "create"),
    ]
    assert report["counts"]["town"] == {"create": 2, "unchanged": 0}
    assert report["invitations"] == 2
    assert await _counts(sessions) == before


async def test_a_dry_run_lists_every_problem_by_line(client: AsyncClient, admin: Headers) -> None:
    text = (
        "kind;name;email;town;company;themes;locale\n"
        "officer;A;a@x.example;Atlantis;;;\n"
        "officer;B;a@x.example;Atlantis;;;\n"
        "officer;C;not-an-address;;;;\n"
        "company;D;d@x.example;;;no-such-theme;\n"
        "company_user;E;e@x.example;;Nobody Inc;;de\n"
        "mayor;F;f@x.example;;;;\n"
        f"officer;G;{'admin@pilotflow.local'};;;;\n"
    )
    response = await _import(client, admin, text)
    assert response.status_code == 200, response.text
    problems = {
        (line["line"], problem["type"], problem["column"])
        for line in response.json()["lines"]
        for problem in line["problems"]
    }
    assert problems == {
        (2, "unknown_town", "town"),
        (3, "unknown_town", "town"),
        (3, "duplicate_email", "email"),
        (4, "bad_email", "email"),
        (4, "missing", "town"),
        (5, "unknown_theme", "themes"),
        (6, "unknown_company", "company"),
        (6, "bad_locale", "locale"),
        (7, "unknown_kind", "kind"),
        (8, "missing", "town"),
        (8, "email_taken", "email"),
    }
    assert all(line["action"] is None for line in response.json()["lines"])


async def test_a_real_import_is_all_or_nothing(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await _counts(sessions)
    response = await _import(client, admin, REFERENCE + "town,Lille,,,,,,,,,\n", dry_run="false")
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"type": "duplicate", "loc": ["body", 5, "name"], "msg": "this town is already on line 2"}
    ]
    assert await _counts(sessions) == before


async def test_importing_the_same_file_twice_creates_nothing_new(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await _import(client, admin, REFERENCE, dry_run="false")
    assert first.status_code == 200, first.text
    assert first.json()["applied"] is True
    after_first = await _counts(sessions)
    async with sessions() as session:
        lumen = (await session.execute(select(Company))).scalar_one()
        towns = {t.name: t.id for t in (await session.execute(select(Town))).scalars()}
    assert lumen.areas == [towns["Lille"], towns["Roubaix"]]
    assert (lumen.themes, lumen.tags, lumen.locale) == (
        ["efficient-city"],
        ["lighting", "iot"],
        "en",
    )
    assert lumen.description == "Connected lighting, for towns"
    second = await _import(client, admin, REFERENCE, dry_run="false")
    assert second.status_code == 200, second.text
    assert {line["action"] for line in second.json()["lines"]} == {"unchanged"}
    assert await _counts(sessions) == after_first


async def test_with_temporal_down_an_import_that_invites_writes_nothing(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await _counts(sessions)
    response = await _import(client, admin, PEOPLE, dry_run="false")
    assert response.status_code == 503, response.text
    assert await _counts(sessions) == before


async def test_only_an_admin_imports(
    client: AsyncClient,
    admin: Headers,
    make_town: Callable[..., Awaitable[dict[str, Any]]],
    make_user: Callable[..., Awaitable[Headers]],
) -> None:
    town = await make_town("Lille")
    officer = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    assert (await _import(client, officer, REFERENCE)).status_code == 403
    assert (await _import(client, {}, REFERENCE)).status_code == 401


async def test_hostile_files_are_refused_with_4xx(
    client: AsyncClient, admin: Headers, sessions: async_sessionmaker[AsyncSession]
) -> None:
    before = await _counts(sessions)
    nul_cell = HEADER + "town,Li\x00lle,59350,,,,,,,,\n"
    response = await _import(client, admin, nul_cell, dry_run="false")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "bad_characters"
    dry = await _import(client, admin, nul_cell)
    assert dry.status_code == 200 and dry.json()["problems"] == 1
    nul_header = "kind,na\x00me\ntown,Lille\n"
    assert (await _import(client, admin, nul_header)).status_code == 422
    latin1 = (HEADER + "town,Marcq-en-Barœul,,,,,,,,,\n").encode("cp1252")
    response = await _import(client, admin, latin1)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"][0]["msg"]
    big = HEADER.encode() + b"x" * MAX_FILE_BYTES
    assert (await _import(client, admin, big)).status_code == 413
    many = HEADER + "".join(f"town,T{i},,,,,,,,,\n" for i in range(MAX_ROWS + 1))
    response = await _import(client, admin, many)
    assert response.status_code == 422
    assert str(MAX_ROWS) in response.json()["detail"][0]["msg"]
    as_json = await client.post("/api/v1/imports", json={"kind": "town"}, headers=admin)
    assert as_json.status_code == 422
    for empty in ("", "\n\n", HEADER):
        assert (await _import(client, admin, empty)).status_code == 422
    formula = HEADER + 'town,=HYPERLINK("http://x"),,,,,,,,,\n'
    echoed = (await _import(client, admin, formula)).json()["lines"][0]
    assert echoed["problems"][0]["type"] == "formula"
    assert not echoed["key"].startswith("=")
    assert await _counts(sessions) == before


async def test_a_semicolon_file_with_a_bom_from_french_excel(
    client: AsyncClient, admin: Headers
) -> None:
    text = "\ufeffKind;Name;Code\r\ntown;Villeneuve-d'Ascq;59009\r\n;;\r\ntown;Lille;59350\r\n"
    response = await _import(client, admin, text.encode("utf-8"))
    assert response.status_code == 200, response.text
    lines = response.json()["lines"]
    assert [(line["line"], line["key"], line["action"]) for line in lines] == [
        (2, "Villeneuve-d'Ascq", "create"),
        (4, "Lille", "create"),
    ]

"""The demo region's reference data and the first admin: created once, idempotent after."""

import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from email_validator import validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli import demo_region as demo
from cli.seed import is_seeded, mark_seeded, seed_reference_data, write_accounts
from core import onboarding
from core.bootstrap import ensure_first_admin
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade_async
from core.models import Company, Theme, Town, User
from core.security import verify_password
from core.settings import PROJECT_ROOT, Settings
from core.towns import load_towns
from service.use_cases.imports import load_region


async def _count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_default_themes_come_with_the_schema(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        themes = {t.code: t for t in (await session.execute(select(Theme))).scalars()}
    assert set(themes) == {"efficient-city", "creative-city", "european-city"}
    assert "older people" in themes["creative-city"].description


async def test_reference_data_is_seeded_once(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, admin_email="admin@metropole.example")
    users = demo.demo_users()
    first = await seed_reference_data(sessions, settings)
    assert first.created == {"towns": 95, "companies": 100, "users": len(users)}
    second = await seed_reference_data(sessions, settings)
    assert second.created == {}
    assert second.towns == first.towns
    assert second.companies == first.companies
    assert {e: u.id for e, u in second.users.items()} == {e: u.id for e, u in first.users.items()}
    assert await _count(sessions, Town) == 95
    assert await _count(sessions, Company) == 100
    assert await _count(sessions, User) == len(users) + 1


async def test_the_towns_are_the_metropolis_with_their_insee_codes(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    async with sessions() as session:
        towns = {t.name: t.code for t in (await session.execute(select(Town))).scalars()}
    assert towns == {t.name: t.insee_code for t in load_towns()}
    assert towns["Lille"] == "59350" and towns["Marcq-en-Barœul"] == "59378"


async def test_a_town_imported_first_under_its_code_is_not_created_again(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        session.add(Town(name="LILLE (import)", code="59350"))
    region = await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    assert region.created["towns"] == 94
    assert await _count(sessions, Town) == 95


async def test_generated_people_and_companies_stay_within_their_bounds(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    region = await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    async with sessions() as session:
        users = list((await session.execute(select(User))).scalars())
        companies = list((await session.execute(select(Company))).scalars())
        themes = set((await session.execute(select(Theme.code))).scalars())
    officers = Counter(u.town_id for u in users if u.role == "town_officer")
    staff = Counter(u.company_id for u in users if u.role == "company")
    assert set(officers) == set(region.towns.values())
    assert all(1 <= n <= 4 for n in officers.values())
    assert 150 <= sum(officers.values()) <= 300
    assert officers[region.towns["Lille"]] == 4
    assert set(staff) == {c.id for c in companies}
    assert all(1 <= n <= 2 for n in staff.values())
    town_ids = set(region.towns.values())
    for company in companies:
        assert company.themes and set(company.themes) <= themes
        assert company.tags and company.description
        assert set(company.areas) <= town_ids and len(company.areas) <= 6
    region_wide = [c for c in companies if not c.areas]
    assert 10 <= len(region_wide) <= 60
    assert {theme for c in companies for theme in c.themes} == themes


async def _region_rows(sessions: async_sessionmaker[AsyncSession]) -> set[tuple[str, ...]]:
    """Users with their town and company by name: what two seeded databases may compare."""
    query = (
        select(User.email, User.name, User.role, User.locale, Town.name, Company.name)
        .outerjoin(Town, User.town_id == Town.id)
        .outerjoin(Company, User.company_id == Company.id)
    )
    async with sessions() as session:
        return {tuple(str(v) for v in row) for row in await session.execute(query)}


async def test_two_fresh_databases_get_the_same_region(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    await seed_reference_data(sessions, settings)
    other_url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    await upgrade_async(other_url)
    engine = create_engine(other_url)
    try:
        other = create_sessionmaker(engine)
        await seed_reference_data(other, settings)
        assert await _region_rows(other) == await _region_rows(sessions)
    finally:
        await engine.dispose()


def test_the_generated_region_does_not_depend_on_the_process() -> None:
    """Another interpreter with another hash seed draws the very same people."""
    code = (
        "import hashlib; from cli import demo_region as d; "
        "print(hashlib.sha256(repr((d.demo_users(), d.companies())).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


async def test_seeded_rows_are_linked_and_usable(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    region = await seed_reference_data(sessions, settings)
    async with sessions() as session:
        circulab = (
            await session.execute(select(Company).where(Company.name == "Circulab Nord"))
        ).scalar_one()
        officer = (
            await session.execute(select(User).where(User.email == demo.officer_email("Lille")))
        ).scalar_one()
        team = (
            await session.execute(
                select(User).where(User.email == demo.company_user_email("Circulab Nord"))
            )
        ).scalar_one()
    assert sorted(circulab.areas) == sorted([region.towns["Roubaix"], region.towns["Tourcoing"]])
    assert (officer.role, officer.town_id) == ("town_officer", region.towns["Lille"])
    assert (team.role, team.company_id) == ("company", circulab.id)
    assert verify_password(officer.password_hash, demo.DEMO_PASSWORD)
    region_wide = [c for c in demo.NAMED_COMPANIES if not c.areas]
    assert region_wide, "some demo companies serve the whole region"


async def test_every_demo_account_signs_in_with_the_demo_password(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """One argon2 hash for all: checking it once per distinct hash covers every account."""
    await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    emails = [u.email for u in demo.demo_users()]
    async with sessions() as session:
        rows = await session.execute(select(User.password_hash).where(User.email.in_(emails)))
        hashes = set(rows.scalars())
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), demo.DEMO_PASSWORD)


async def test_first_admin_comes_from_the_settings_and_keeps_its_password(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, admin_email="Chief@Metropole.example")
    admin = await ensure_first_admin(sessions, settings)
    assert (admin.email, admin.role) == ("chief@metropole.example", "admin")
    assert verify_password(admin.password_hash, settings.admin_password)
    changed = Settings(
        data_dir=tmp_path, admin_email="chief@metropole.example", admin_password="other"
    )
    again = await ensure_first_admin(sessions, changed)
    assert again.id == admin.id
    assert verify_password(again.password_hash, settings.admin_password)


def test_the_seeded_mark_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    assert not is_seeded(settings)
    mark_seeded(settings)
    assert is_seeded(settings)
    assert not is_seeded(Settings(data_dir=tmp_path / "another"))


def test_demo_emails_are_plain_ascii_and_unique() -> None:
    emails = [u.email for u in demo.demo_users()]
    assert len(set(emails)) == len(emails)
    assert all(e.isascii() for e in emails)
    for email in [*emails, *(demo.company_contact_email(c) for c in demo.companies())]:
        validate_email(email, check_deliverability=False)  # what an EmailStr field accepts
    assert demo.officer_email("Marcq-en-Barœul") == "officer.marcq-en-baroeul@" + demo.DEMO_DOMAIN


def test_the_accounts_file_lists_every_demo_user(tmp_path: Path) -> None:
    path = write_accounts(Settings(data_dir=tmp_path))
    with path.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [r["email"] for r in rows] == [u.email for u in demo.demo_users()]
    lille = next(r for r in rows if r["email"] == demo.officer_email("Lille"))
    assert (lille["role"], lille["town"], lille["password"]) == (
        "town_officer",
        "Lille",
        demo.DEMO_PASSWORD,
    )


async def test_importing_the_demo_region_after_the_seed_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """The seed and `pilotflow import` share their natural keys: the generated region is a
    clean onboarding file, and once seeded, every line of it exists and no one is invited."""
    parsed = onboarding.parse(demo.onboarding_csv().encode())
    async with sessions() as db:
        empty, _ = await load_region(db, parsed)
    fresh = onboarding.plan(parsed, empty)
    assert fresh.problems == []
    assert len(fresh.creations) == 95 + 100 + len(demo.demo_users())
    await seed_reference_data(sessions, Settings(data_dir=tmp_path))
    async with sessions() as db:
        seeded, _ = await load_region(db, parsed)
    again = onboarding.plan(parsed, seeded)
    assert again.problems == [] and again.creations == []
    assert not any(line.invitation for line in again.lines)

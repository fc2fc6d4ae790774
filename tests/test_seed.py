"""The demo region's reference data and the first admin: created once, idempotent after."""

from pathlib import Path

from email_validator import validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli import demo_region as demo
from cli.seed import is_seeded, mark_seeded, seed_reference_data
from core.bootstrap import ensure_first_admin
from core.models import Company, Theme, Town, User
from core.security import verify_password
from core.settings import Settings


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
    first = await seed_reference_data(sessions, settings)
    assert first.created == {
        "towns": len(demo.TOWNS),
        "companies": len(demo.COMPANIES),
        "users": len(demo.TOWNS) + len(demo.COMPANIES),
    }
    second = await seed_reference_data(sessions, settings)
    assert second.created == {}
    assert second.towns == first.towns
    assert second.companies == first.companies
    assert await _count(sessions, Town) == len(demo.TOWNS)
    assert await _count(sessions, Company) == len(demo.COMPANIES)
    assert await _count(sessions, User) == len(demo.TOWNS) + len(demo.COMPANIES) + 1


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
    region_wide = [c for c in demo.COMPANIES if not c.areas]
    assert region_wide, "some demo companies serve the whole region"


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
    for email in [*emails, *(demo.company_contact_email(c) for c in demo.COMPANIES)]:
        validate_email(email, check_deliverability=False)  # what an EmailStr field accepts
    assert demo.officer_email("Marcq-en-Barœul") == "officer.marcq-en-baroeul@" + demo.DEMO_DOMAIN

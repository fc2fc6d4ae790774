"""Idempotent demo seeding: the reference data of the demo region, then pilots at every stage.

Reference rows are found by their natural key (town name, company name, user email) and
created only when absent, so a second run changes nothing and an admin's edits survive.
Pilots are started only into a region that has none, and the region is then marked seeded
(a file in the data directory) so `pilotflow dev` does not seed it again.
"""

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli import demo_region as demo
from core.bootstrap import ensure_first_admin
from core.db import create_engine, create_sessionmaker, transaction
from core.models import Company, Pilot, Theme, Town, User
from core.security import hash_password
from core.settings import Settings

MARKER_NAME = "demo-seeded"


@dataclass
class DemoRegion:
    """The ids of what the seed created or found, for the pilots that follow."""

    admin: User
    towns: dict[str, str] = field(default_factory=dict)  # name -> id
    companies: dict[str, str] = field(default_factory=dict)  # name -> id
    users: dict[str, User] = field(default_factory=dict)  # email -> user
    created: dict[str, int] = field(default_factory=dict)  # kind -> rows created this run


def marker_path(settings: Settings) -> Path:
    return settings.data_dir / MARKER_NAME


def is_seeded(settings: Settings) -> bool:
    return marker_path(settings).exists()


def mark_seeded(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    marker_path(settings).write_text(f"demo region seeded at {datetime.now(UTC).isoformat()}\n")


async def seed_reference_data(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> DemoRegion:
    """Towns, companies and users of the demo region, plus the first admin; idempotent."""
    region = DemoRegion(admin=await ensure_first_admin(sessions, settings))
    async with transaction(sessions) as session:
        await _check_themes(session)
        await _towns(session, region)
        await _companies(session, region)
        await _users(session, region)
    return region


async def _check_themes(session: AsyncSession) -> None:
    wanted = {theme for company in demo.companies() for theme in company.themes}
    known = set((await session.execute(select(Theme.code))).scalars())
    if missing := wanted - known:
        raise RuntimeError(f"themes {sorted(missing)} are missing: run `pilotflow migrate` first")


# Rows are added in batches, one flush per kind: hundreds of rows, a few statements.


async def _towns(session: AsyncSession, region: DemoRegion) -> None:
    """Each town found by its name or its INSEE code (an import may have brought it first)."""
    rows = list((await session.execute(select(Town))).scalars())
    by_name = {t.name: t for t in rows}
    by_code = {t.code: t for t in rows if t.code}
    found: dict[str, Town] = {}
    for spec in demo.TOWNS:
        town = by_name.get(spec.name) or by_code.get(spec.code)
        if town is None:
            town = Town(name=spec.name, code=spec.code)
            session.add(town)
            _count(region, "towns")
        found[spec.name] = town
    await session.flush()
    region.towns.update((name, town.id) for name, town in found.items())


async def _companies(session: AsyncSession, region: DemoRegion) -> None:
    specs = demo.companies()
    rows = await session.execute(select(Company).where(Company.name.in_([c.name for c in specs])))
    existing = {c.name: c for c in rows.scalars()}
    found: dict[str, Company] = {}
    for spec in specs:
        company = existing.get(spec.name)
        if company is None:
            company = Company(
                name=spec.name,
                contact_email=demo.company_contact_email(spec),
                description=spec.description,
                themes=list(spec.themes),
                tags=list(spec.tags),
                areas=[region.towns[town] for town in spec.areas],
                locale=spec.locale,
            )
            session.add(company)
            _count(region, "companies")
        found[spec.name] = company
    await session.flush()
    region.companies.update((name, company.id) for name, company in found.items())


async def _users(session: AsyncSession, region: DemoRegion) -> None:
    specs = demo.demo_users()
    rows = await session.execute(select(User).where(User.email.in_([u.email for u in specs])))
    existing = {u.email: u for u in rows.scalars()}
    password_hash: str | None = None
    for spec in specs:
        user = existing.get(spec.email)
        if user is None:
            # One hash for the one shared demo password: argon2 is slow on purpose.
            password_hash = password_hash or hash_password(demo.DEMO_PASSWORD)
            user = User(
                email=spec.email,
                name=spec.name,
                role=spec.role,
                town_id=region.towns[spec.town] if spec.town else None,
                company_id=region.companies[spec.company] if spec.company else None,
                locale=spec.locale,
                password_hash=password_hash,
            )
            session.add(user)
            _count(region, "users")
        region.users[spec.email] = user
    await session.flush()


def write_accounts(settings: Settings) -> Path:
    """Every demo account with its town or company, for a developer looking for someone."""
    path = settings.data_dir / demo.ACCOUNTS_FILE
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["role", "email", "password", "name", "town", "company"])
        for u in demo.demo_users():
            row = [u.role, u.email, demo.DEMO_PASSWORD, u.name, u.town or "", u.company or ""]
            writer.writerow(row)
    return path


def _count(region: DemoRegion, kind: str) -> None:
    region.created[kind] = region.created.get(kind, 0) + 1


async def region_has_pilots(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        return bool((await session.execute(select(func.count()).select_from(Pilot))).scalar())


async def seed(settings: Settings, *, pilots: bool = True, spread: bool = True) -> bool:
    """Seed the demo region; True if everything asked for is there, False if pilots failed.

    `spread=False` starts only the five hand-written pilots, not those spread over the towns.
    """
    engine = create_engine(settings.effective_database_url)
    sessions = create_sessionmaker(engine)
    try:
        region = await seed_reference_data(sessions, settings)
        created = ", ".join(f"{n} {kind}" for kind, n in region.created.items()) or "nothing new"
        print(f"reference data: {created}", flush=True)
        print(f"demo accounts listed in {write_accounts(settings)}", flush=True)
        if not pilots:
            return True
        if await region_has_pilots(sessions):
            print("the region already has pilots: no demo pilots started", flush=True)
        else:
            from cli.seed_pilots import start_demo_pilots

            if not await start_demo_pilots(settings, region, spread=spread):
                return False
        mark_seeded(settings)
        return True
    finally:
        await engine.dispose()

"""The rewrites RESULTS.md suggests, timed beside today's queries on the same scratch database.

Nothing here changes the code under test: each alternative is written out in this file.

    .venv/bin/python -m benchmarks.query_alternatives                 # 10k pilots
    .venv/bin/python -m benchmarks.query_alternatives --size 50000
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import load_only

from activities.matching import _track_records
from benchmarks.common import (
    DATABASES,
    load_average,
    machine_facts,
    ms,
    p50,
    p95,
    scratch_database,
    table,
    timed,
)
from benchmarks.read_model_listing import middle_cursor
from benchmarks.region import NEW_COMPANY, company_id, seed_pilots, seed_reference
from core.db import create_engine, create_sessionmaker
from core.models import Candidate, Pilot
from core.pilot_repository import decode_cursor
from workflows.stages import OPEN_STAGES

Reader = Callable[[], Awaitable[None]]
CANDIDATES_INDEX = "CREATE INDEX ix_bench_candidates_company ON candidates (company_id, pilot_id)"


def page(sessions: async_sessionmaker[AsyncSession], *where: Any) -> Reader:
    async def read() -> None:
        async with sessions() as session:
            query = select(Pilot).where(*where).order_by(Pilot.created_at.desc(), Pilot.id.desc())
            list(await session.scalars(query.limit(21)))

    return read


def reader(sessions: async_sessionmaker[AsyncSession], statement: Any) -> Reader:
    async def read() -> None:
        async with sessions() as session:
            list(await session.execute(statement))

    return read


async def cases(sessions: async_sessionmaker[AsyncSession], size: int) -> dict[str, Reader]:
    at, last_id = decode_cursor(await middle_cursor(sessions, size))
    found: dict[str, Reader] = {
        "deep cursor: a < X OR (a = X AND id < Y) (today)": page(
            sessions, or_(Pilot.created_at < at, and_(Pilot.created_at == at, Pilot.id < last_id))
        ),
        "deep cursor: a <= X AND (a < X OR id < Y)": page(
            sessions, Pilot.created_at <= at, or_(Pilot.created_at < at, Pilot.id < last_id)
        ),
        "deep cursor: (a, id) < (X, Y)": page(
            sessions, tuple_(Pilot.created_at, Pilot.id) < tuple_(at, last_id)
        ),
    }
    for name, cid in (
        ("median company", company_id(100)),
        ("company invited nowhere", NEW_COMPANY),
    ):
        invited = (Candidate.pilot_id == Pilot.id) & (Candidate.company_id == cid)
        found[f"{name}: EXISTS (today)"] = page(sessions, exists().where(invited))
        found[f"{name}: id IN (SELECT pilot_id ...)"] = page(
            sessions, Pilot.id.in_(select(Candidate.pilot_id).where(Candidate.company_id == cid))
        )
    partnered = Pilot.partner_company_id.is_not(None)
    columns = (Pilot.partner_company_id, Pilot.stage, Pilot.outcome)

    async def track_records() -> None:
        async with sessions() as session:
            await _track_records(session)

    found["track records: every partnered row (today)"] = track_records
    found["track records: GROUP BY in SQL"] = reader(
        sessions, select(*columns, func.count()).where(partnered).group_by(*columns)
    )
    open_pilots = select(Pilot).where(Pilot.stage.in_([str(s) for s in OPEN_STAGES]))
    found["open pilots: whole rows (today)"] = reader(sessions, open_pilots)
    overview_columns = (Pilot.id, Pilot.title, Pilot.town_id, Pilot.stage, Pilot.deadline)
    found["open pilots: the 7 columns the overview shows"] = reader(
        sessions,
        open_pilots.options(load_only(*overview_columns, Pilot.waiting_on, Pilot.updated_at)),
    )
    return found


async def measure(dialect: str, args: argparse.Namespace) -> list[list[str]]:
    rows = []
    async with scratch_database(dialect) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        try:
            await seed_reference(sessions, 90, 200)
            await seed_pilots(sessions, args.size, towns=90, companies=200)
            async with sessions() as session, session.begin():
                await session.execute(text("ANALYZE"))
            found = await cases(sessions, args.size)
            for name, read in found.items():
                samples = await timed(read, args.repeats)
                rows.append([dialect, name, "", f"{ms(p50(samples))} / {ms(p95(samples))}"])
            async with sessions() as session, session.begin():
                await session.execute(text(CANDIDATES_INDEX))
                await session.execute(text("ANALYZE"))
            # New connections, as after a migration and a restart: PostgreSQL keeps choosing a
            # prepared statement's generic plan made before the index existed otherwise.
            await engine.dispose()
            for name, read in found.items():
                if "compan" in name:
                    samples = await timed(read, args.repeats)
                    index = "candidates (company_id, pilot_id)"
                    rows.append([dialect, name, index, f"{ms(p50(samples))} / {ms(p95(samples))}"])
        finally:
            await engine.dispose()
    return rows


async def main(args: argparse.Namespace) -> None:
    print(f"# query_alternatives — {machine_facts()}")
    rows = []
    for dialect in args.databases:
        rows += await measure(dialect, args)
    header = ["db", f"query ({args.size:,} pilots)", "added index", "p50 / p95 ms"]
    print(f"{args.repeats} timed calls each\n\n" + table(header, rows))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES))
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    print(f"\nload average at the end: {load_average()}")

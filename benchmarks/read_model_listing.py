"""How listing pilots (`PilotRepository.page`) scales with the number of pilots in the read model.

For each size and database: seed a synthetic region, then time the list page an admin, a
town officer (visibility filter) and companies (EXISTS on candidates) ask for, with filters,
text search (`q=`, ILIKE) and a deep cursor. Prints p50/p95 per query and the ratio to the
smallest size, measured in the same run.

    .venv/bin/python -m benchmarks.read_model_listing                       # 1k and 10k
    .venv/bin/python -m benchmarks.read_model_listing --sizes 1000,10000,50000 --explain
    .venv/bin/python -m benchmarks.read_model_listing --suggested-indexes   # try the fixes
"""

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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
from benchmarks.region import NEW_COMPANY, company_id, seed_pilots, seed_reference, town_id
from core.db import create_engine, create_sessionmaker
from core.models import Pilot, User
from core.pilot_repository import PilotFilters, PilotRepository, encode_cursor
from service.pilots import to_public

TOWNS, COMPANIES = 90, 200

# Indexes RESULTS.md suggests, tried on the scratch database only (the schema is not changed).
SUGGESTED_INDEXES = {
    "sqlite": [
        "CREATE INDEX ix_bench_candidates_company ON candidates (company_id, pilot_id)",
        "ANALYZE",
    ],
    "postgresql": [
        "CREATE INDEX ix_bench_candidates_company ON candidates (company_id, pilot_id)",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX ix_bench_pilots_title_trgm ON pilots USING gin (title gin_trgm_ops)",
        "CREATE INDEX ix_bench_pilots_summary_trgm ON pilots USING gin (summary gin_trgm_ops)",
        "ANALYZE",
    ],
}


@dataclass(frozen=True)
class Case:
    name: str
    filters: PilotFilters = field(default_factory=PilotFilters)
    deep: bool = False  # start from a cursor halfway down the list


CASES = (
    Case("first page"),
    Case("stage=matching", PilotFilters(stage="matching")),
    Case("q=compost (~5% match)", PilotFilters(q="compost")),
    Case("q=zzyzx (no match)", PilotFilters(q="zzyzx")),
    Case("deep cursor (middle)", deep=True),
)
ADMIN_ONLY = (Case("town+theme", PilotFilters(town_id=town_id(10), theme="creative-city")),)


def users() -> dict[str, User]:
    def company(index: int | str) -> User:
        cid = index if isinstance(index, str) else company_id(index)
        return User(id=f"user-{cid}", role="company", company_id=cid)

    return {
        "admin": User(id="admin", role="admin"),
        "officer": User(id="officer-town10", role="town_officer", town_id=town_id(10)),
        "company, most invited": company(0),
        "company, median": company(COMPANIES // 2),
        "company, least invited": company(COMPANIES - 1),
        "company, invited nowhere": company(NEW_COMPANY),
    }


class LastStatement:
    """Remembers the last SQL sent, so EXPLAIN can be asked about exactly that statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sql, self.parameters = "", ()
        event.listen(engine.sync_engine, "before_cursor_execute", self._remember)

    def _remember(self, _conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        self.sql, self.parameters = sql, parameters


async def explain(
    sessions: async_sessionmaker[AsyncSession], dialect: str, last: LastStatement
) -> str:
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    sql, parameters = last.sql, last.parameters
    async with sessions() as session:
        connection = await session.connection()
        rows = await connection.exec_driver_sql(prefix + sql, parameters)
        return "\n".join("    " + " ".join(str(c) for c in row) for row in rows)


async def middle_cursor(sessions: async_sessionmaker[AsyncSession], count: int) -> str:
    async with sessions() as session:
        query = select(Pilot).order_by(Pilot.created_at.desc(), Pilot.id.desc())
        pilot = await session.scalar(query.offset(count // 2).limit(1))
    assert pilot is not None
    return encode_cursor(pilot)


async def measure(
    dialect: str, size: int, args: argparse.Namespace
) -> tuple[dict[tuple[str, str], list[float]], dict[str, float]]:
    """Seed `size` pilots on a scratch database; seconds per call for each (user, case)."""
    async with scratch_database(dialect) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        extra: dict[str, float] = {}
        try:
            await seed_reference(sessions, TOWNS, COMPANIES)
            started = time.perf_counter()
            await seed_pilots(sessions, size, towns=TOWNS, companies=COMPANIES)
            extra["insert rows/s"] = size / (time.perf_counter() - started)
            async with sessions() as session, session.begin():
                await session.execute(text("ANALYZE"))
                for statement in SUGGESTED_INDEXES[dialect] if args.suggested_indexes else []:
                    await session.execute(text(statement))
            cursor = await middle_cursor(sessions, size)
            pagers = {
                (who, case.name): _pager(
                    sessions, user, case, cursor if case.deep else None, args.limit
                )
                for who, user in users().items()
                for case in CASES + (ADMIN_ONLY if who == "admin" else ())
            }
            for page in pagers.values():  # one pass over all first: pool, caches, plans
                await page()
            last = LastStatement(engine)
            results: dict[tuple[str, str], list[float]] = {}
            for (who, case_name), page in pagers.items():
                results[who, case_name] = await timed(page, args.repeats)
                if args.explain and size == max(args.sizes):
                    plan = await explain(sessions, dialect, last)
                    print(f"\n  EXPLAIN {dialect} {size} {who} / {case_name}\n{plan}")
            extra["serialize a page (to_public), ms"] = 1000 * p50(
                await timed(_serializer(sessions, users()["admin"], args.limit), args.repeats)
            )
            return results, extra
        finally:
            await engine.dispose()


def _pager(
    sessions: async_sessionmaker[AsyncSession],
    user: User,
    case: Case,
    cursor: str | None,
    limit: int,
) -> Callable[[], Any]:
    async def page() -> None:
        async with sessions() as session:
            await PilotRepository(session).page(user, case.filters, limit=limit, cursor=cursor)

    return page


def _serializer(
    sessions: async_sessionmaker[AsyncSession], user: User, limit: int
) -> Callable[[], Any]:
    """What the route adds to the query: the recorded state parsed and turned into PilotPublic."""

    async def serialize() -> None:
        async with sessions() as session:
            rows, _ = await PilotRepository(session).page(
                user, PilotFilters(), limit=limit, cursor=None
            )
        [to_public(stored.state, user) for stored in rows]

    return serialize


def report(
    dialect: str, sizes: list[int], runs: dict[int, dict[tuple[str, str], list[float]]]
) -> str:
    header = (
        ["who", "query"]
        + [f"{n:,} p50 / p95 ms" for n in sizes]
        + [f"{sizes[-1]:,} / {sizes[0]:,}"]
    )
    rows = []
    for key in runs[sizes[0]]:
        cells = [f"{ms(p50(runs[n][key]))} / {ms(p95(runs[n][key]))}" for n in sizes]
        ratio = p50(runs[sizes[-1]][key]) / p50(runs[sizes[0]][key])
        rows.append([*key, *cells, f"x{ratio:.1f}"])
    return f"### {dialect}\n\n" + table(header, rows)


async def main(args: argparse.Namespace) -> None:
    print(f"# read_model_listing — {machine_facts()}")
    print(
        f"sizes {args.sizes}, {TOWNS} towns, {COMPANIES} companies, page of {args.limit}, "
        f"{args.repeats} timed calls per query after 2 warm-up calls"
        + (", WITH the suggested indexes" if args.suggested_indexes else "")
    )
    for dialect in args.databases:
        runs, extras = {}, {}
        for size in args.sizes:
            runs[size], extras[size] = await measure(dialect, size, args)
            print(f"  {dialect} {size:,} pilots measured", flush=True)
        print("\n" + report(dialect, args.sizes, runs) + "\n")
        for size in args.sizes:
            print(f"  {size:,}: " + ", ".join(f"{k} {v:,.1f}" for k, v in extras[size].items()))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 10000]
    )
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES))
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per query")
    parser.add_argument("--limit", type=int, default=20, help="page size (the API's default)")
    parser.add_argument("--explain", action="store_true", help="print plans at the largest size")
    parser.add_argument("--suggested-indexes", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    print(f"\nload average at the end: {load_average()}")

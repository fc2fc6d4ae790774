"""The operations that read the whole region rather than one page, against its size.

- `find_candidates` (matching): loads every active company and the track record of every
  pilot that ever had a partner, on each matching round of each pilot;
- the admin overview (`GET /api/v1/admin/overview`): every open pilot, unpaginated, plus
  three GROUP BY counts;
- `send_notification` of a generalization offer: one email to each officer of every
  other town, rendered and sent over one SMTP connection to the sink (a child process).

    .venv/bin/python -m benchmarks.region_scans                  # 1k and 10k pilots
    .venv/bin/python -m benchmarks.region_scans --sizes 1000,10000,50000 --companies 1000
"""

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.matching import MatchingActivities
from activities.notifications import NotificationActivities
from benchmarks.common import (
    DATABASES,
    load_average,
    machine_facts,
    ms,
    p50,
    p95,
    scratch_database,
    smtp_sink_process,
    table,
    timed,
)
from benchmarks.region import seed_pilots, seed_reference, town_id
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from service.use_cases.overview import overview
from tests.support.sample_pilot import sample_pilot_state
from workflows.contracts import Audience, MatchingRequest, NotificationRequest

TOWNS = 90


def matcher(sessions: async_sessionmaker[AsyncSession]) -> Callable[[], Any]:
    activities = MatchingActivities(sessions)
    request = MatchingRequest("p1", town_id(3), "efficient-city", ["compost", "vélo"], 1, 5)

    async def match() -> None:
        await activities.find_candidates(request)

    return match


def admin_overview(
    sessions: async_sessionmaker[AsyncSession], sizes: dict[str, float]
) -> Callable[[], Any]:
    async def read() -> None:
        async with sessions() as session:
            body = await overview(session)
        sizes["overview items (waiting + overdue)"] = len(body.waiting) + len(body.overdue)
        sizes["overview response KiB"] = len(body.model_dump_json()) / 1024

    return read


def offer_sender(sessions: async_sessionmaker[AsyncSession], smtp_port: int) -> Callable[[], Any]:
    settings = Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port=smtp_port)  # type: ignore[call-arg]
    activities = NotificationActivities(sessions, settings)
    state = sample_pilot_state(town_id=town_id(0))
    sequence = iter(range(1, 1_000_000))

    async def offer() -> None:
        # A new seq each time, so the outbox does not recognise (and skip) the same offer.
        request = NotificationRequest(
            "generalization_offer", next(sequence), state, [Audience.OTHER_TOWNS]
        )
        result = await activities.send_notification(request)
        assert result.sent == TOWNS - 1, result

    return offer


async def measure(
    dialect: str, size: int, smtp_port: int, args: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, float]]:
    async with scratch_database(dialect) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        facts: dict[str, float] = {}
        try:
            await seed_reference(sessions, TOWNS, args.companies)
            await seed_pilots(sessions, size, towns=TOWNS, companies=args.companies)
            return {
                "find_candidates (matching)": await timed(matcher(sessions), args.repeats),
                "admin overview": await timed(admin_overview(sessions, facts), args.repeats),
                f"generalization offer, {TOWNS - 1} emails": await timed(
                    offer_sender(sessions, smtp_port), max(3, args.repeats // 5), warmup=1
                ),
            }, facts
        finally:
            await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    print(f"# region_scans — {machine_facts()}")
    print(f"sizes {args.sizes}, {TOWNS} towns, {args.companies} companies")
    with smtp_sink_process() as sink:
        for dialect in args.databases:
            runs, facts = {}, {}
            for size in args.sizes:
                runs[size], facts[size] = await measure(dialect, size, sink.port, args)
                print(f"  {dialect} {size:,} pilots measured", flush=True)
            sizes = args.sizes
            header = ["operation"] + [f"{n:,} p50 / p95 ms" for n in sizes]
            header.append(f"{sizes[-1]:,} / {sizes[0]:,}")
            rows = [
                [name]
                + [f"{ms(p50(runs[n][name]))} / {ms(p95(runs[n][name]))}" for n in sizes]
                + [f"x{p50(runs[sizes[-1]][name]) / p50(runs[sizes[0]][name]):.1f}"]
                for name in runs[sizes[0]]
            ]
            print(f"\n### {dialect}\n\n" + table(header, rows) + "\n")
            for size in sizes:
                print(f"  {size:,}: " + ", ".join(f"{k} {v:,.0f}" for k, v in facts[size].items()))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 10000]
    )
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES))
    parser.add_argument("--repeats", type=int, default=15)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    print(f"\nload average at the end: {load_average()}")

"""CPU per API read, in process: the officer's list, a pilot by id, a text search.

Seeds a region (90 towns, 200 companies, N pilots) into a scratch database, signs in the
busiest town's officer (and a company and the admin), and drives the app through
httpx.ASGITransport one request at a time, so the process's CPU time divided by the number
of requests is the CPU one read costs (on SQLite that includes the database's own work, in
aiosqlite's thread; on PostgreSQL the server's is not counted, so wall time is shown too).

    PYTHONPATH=. .venv/bin/python benchmarks/read_cpu.py sqlite [--pilots 10000]
    PYTHONPATH=. .venv/bin/python benchmarks/read_cpu.py postgresql --profile /tmp/pg.prof

`--answers FILE` writes every answer's JSON, so a change can be shown not to alter them.
"""

import argparse
import asyncio
import cProfile
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import scratch_database
from benchmarks.http_load import BUSIEST_TOWN, bearer, town_pilot_ids
from benchmarks.region import WORDS, company_id, seed_pilots, seed_reference
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from service.main import create_app

BATCHES, BATCH = 9, 10  # requests of each kind measured: batches of a few, taking turns
Read = Callable[[int], Awaitable[httpx.Response]]


def reads(http: httpx.AsyncClient, tokens: dict[str, str], ids: list[str]) -> dict[str, Read]:
    """The reads measured, by name; the first three are the issue's."""
    officer = {"Authorization": tokens["officer"]}

    def listing(token: str, **params: Any) -> Read:
        async def read(index: int) -> httpx.Response:
            query = {k: (v(index) if callable(v) else v) for k, v in params.items()}
            return await http.get("/api/v1/pilots", params=query, headers={"Authorization": token})

        return read

    async def detail(index: int) -> httpx.Response:
        return await http.get(f"/api/v1/pilots/{ids[index % len(ids)]}", headers=officer)

    def word(index: int) -> str:
        return WORDS[index % len(WORDS)]

    return {
        "list": listing(tokens["officer"]),
        "detail": detail,
        "search": listing(tokens["officer"], q=word),
        "company list": listing(tokens["company"]),
        "admin list": listing(tokens["admin"]),
        "admin search": listing(tokens["admin"], q=word),
        "list closed": listing(tokens["officer"], stage="closed"),
    }


async def measure(kind: str, pilots: int, profile: str | None, answers: str | None) -> None:
    async with scratch_database(kind) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        await seed_reference(sessions, 90, 200)
        await seed_pilots(sessions, pilots, towns=90, companies=200)
        with tempfile.TemporaryDirectory(prefix="pilotflow-read-cpu-") as data_dir:
            settings = Settings(database_url=url, data_dir=data_dir)
            tokens = {
                "officer": await bearer(sessions, settings, f"officer-{BUSIEST_TOWN}"),
                "company": await bearer(sessions, settings, f"user-{company_id(0)}"),
                "admin": await bearer(sessions, settings, "admin"),
            }
            ids = await town_pilot_ids(sessions)
            await engine.dispose()
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    await _run(reads(http, tokens, ids), kind, pilots, profile, answers)


async def _run(
    kinds: dict[str, Read], db: str, pilots: int, profile: str | None, answers: str | None
) -> None:
    seen: dict[str, list[bytes]] = {}
    for read in kinds.values():  # warm up: caches, connections, statements
        for i in range(10):
            response = await read(i)
            assert response.status_code == 200, response.text
    print(f"{db}, {pilots} pilots: CPU and wall ms per request, median (min) of {BATCHES} batches")
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    wall: dict[str, list[float]] = {name: [] for name in kinds}
    # Kinds take turns batch by batch, so a noisy neighbour on the machine spreads over all.
    for batch in range(BATCHES):
        for name, read in kinds.items():
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            for i in range(batch * BATCH, (batch + 1) * BATCH):
                response = await read(i)
                assert response.status_code == 200, response.text
                seen.setdefault(name, []).append(response.content)  # parsed after
            cpu[name].append((time.process_time() - started_cpu) / BATCH * 1000)
            wall[name].append((time.perf_counter() - started_wall) / BATCH * 1000)
    for name in kinds:
        print(
            f"  {name:<14} cpu {statistics.median(cpu[name]):6.2f} ({min(cpu[name]):6.2f})"
            f"  wall {statistics.median(wall[name]):6.2f} ({min(wall[name]):6.2f})"
        )
    if answers:
        parsed = {name: [json.loads(body) for body in bodies] for name, bodies in seen.items()}
        text = json.dumps(parsed, indent=1, sort_keys=True, ensure_ascii=False)
        Path(answers).write_text(text, encoding="utf-8")  # noqa: ASYNC240 (after the timing)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(BATCH * 3):
            for read in list(kinds.values())[:3]:
                await read(i)
        profiler.disable()
        profiler.dump_stats(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=("sqlite", "postgresql"))
    parser.add_argument("--pilots", type=int, default=10_000)
    parser.add_argument("--profile", help="write a cProfile of the three reads here")
    parser.add_argument("--answers", help="write every answer's JSON here")
    args = parser.parse_args()
    asyncio.run(measure(args.database, args.pilots, args.profile, args.answers))


if __name__ == "__main__":
    main()

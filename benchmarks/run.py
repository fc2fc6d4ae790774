"""The benchmark of issue 10: the whole path on the real stack, in one go, into one JSON file.

For each database (a temp SQLite file, a throwaway PostgreSQL database): the Temporal dev
server on its file, the SMTP sink, `pilotflow worker` and `pilotflow api` start as processes
of their own on free ports, with the bare twin's worker beside them (benchmarks.twin). Then:

1. a burst of pilots from start to the last invitation sent, approved by the `review`
   Update, through the real worker and then through the twin (same dev server, same run);
2. the CPU one email costs, by the real activity on the real SMTP server;
3. creation through the API, in open loop at 20/s;
4. the read model seeded in bulk to 1,000 then 10,000 pilots: list and detail p99 at each
   size, then reads offered at 200/s;
5. pilots started until many wait on their timers: the worker's resident memory.

    .venv/bin/python -m benchmarks.run            # full: `make bench`
    .venv/bin/python -m benchmarks.run --quick    # smaller sizes: `make bench-quick`
"""

import argparse
import asyncio
import os
import random
import signal
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import func, select, text
from temporalio.client import Client

from benchmarks import http_load, lifecycle
from benchmarks.common import (
    DATABASES,
    local_database_server,
    scratch_database,
    tree_cpu_seconds,
)
from benchmarks.region import seed_pilots, seed_reference, town_id
from benchmarks.results import (
    RESULTS_DIR,
    assemble,
    git_commit,
    load_average,
    machine,
    started_at,
    write,
)
from benchmarks.stack import Stack, running_stack
from benchmarks.twin import start_twin_worker
from core import temporal_client
from core.db import create_engine, create_sessionmaker
from core.models import Pilot

TOWNS, COMPANIES = 90, 200
SMALL_READ_MODEL, READ_MODEL = 1_000, 10_000
WARM_UP_PILOTS = 3


@dataclass(frozen=True)
class Sizes:
    burst: int  # pilots started, approved and invited at once
    email_pilots: int  # pilots whose invitations are sent again to time the email path
    create_seconds: float  # at 20/s
    list_seconds: float  # at each read-model size, at 20/s
    read_seconds: float  # at 200/s
    open_pilots: int  # waiting on their timers when the worker's memory is read
    pairs: int  # real and twin bursts, in turn; the ratio is the median of the pairs'


FULL = Sizes(
    pairs=3,
    burst=200,
    email_pilots=40,
    create_seconds=30,
    list_seconds=15,
    read_seconds=30,
    open_pilots=10_000,
)
QUICK = Sizes(
    pairs=2,
    burst=12,
    email_pilots=5,
    create_seconds=3,
    list_seconds=2,
    read_seconds=3,
    open_pilots=30,
)


async def bench_database(dialect: str, sizes: Sizes, phases: tuple[str, ...]) -> dict[str, Any]:
    load_before = load_average()
    began = time.perf_counter()
    async with scratch_database(dialect) as url:
        engine = create_engine(url)
        sessions = create_sessionmaker(engine)
        try:
            await seed_reference(sessions, TOWNS, COMPANIES)
            with tempfile.TemporaryDirectory(prefix="pilotflow-bench-") as directory:
                async with running_stack(url, Path(directory)) as stack:
                    figures = await _bench_stack(stack, sessions, sizes, phases)
        finally:
            await engine.dispose()
    return {
        "database": dialect,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "seconds": round(time.perf_counter() - began),
        **figures,
    }


PHASES = ("engine", "api", "memory")


async def _bench_stack(
    stack: Stack, sessions: Any, sizes: Sizes, phases: tuple[str, ...]
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    client = await temporal_client.connect(stack.settings)
    if "engine" in phases:
        figures |= await _bench_engine(client, stack, sessions, sizes)
    if "api" in phases:
        figures |= await _bench_api(stack, sessions, sizes)
    if "memory" in phases:
        figures |= await _bench_memory(client, stack, sessions, sizes)
    return figures


async def _bench_engine(
    client: Client, stack: Stack, sessions: Any, sizes: Sizes
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    twin_queue = f"twin-{uuid.uuid4().hex[:8]}"
    twin, events, stop_twin = start_twin_worker(stack.fields, twin_queue)
    try:
        assert twin.pid is not None
        await asyncio.to_thread(events.get, True, 60)  # the twin's worker polls
        day = stack.settings.day_seconds
        rng = random.Random(1)
        say(f"{sizes.pairs} pairs of bursts of {sizes.burst} pilots")
        await lifecycle.real_burst(client, stack, sessions, WARM_UP_PILOTS, rng)
        await lifecycle.twin_burst(client, twin_queue, twin.pid, events, WARM_UP_PILOTS, day)
        reals: list[lifecycle.Burst] = []
        bares: list[lifecycle.Burst] = []
        database = await local_database_server(sessions)
        real_parts = stack.lifecycle_parts | database
        twin_parts = {"dev_server": stack.lifecycle_parts["dev_server"], "twin_worker": twin.pid}
        twin_parts |= database

        async def real_burst() -> None:
            reals.append(
                await lifecycle.real_burst(
                    client, stack, sessions, sizes.burst, rng, parts=real_parts
                )
            )

        async def twin_burst() -> None:
            assert twin.pid is not None
            bares.append(
                await lifecycle.twin_burst(
                    client,
                    twin_queue,
                    twin.pid,
                    events,
                    sizes.burst,
                    day,
                    parts=twin_parts,
                )
            )

        for pair in range(sizes.pairs):
            # The other one first every other pair: the machine's pace drifts within
            # minutes, and a pair close in time sees the same pace.
            first, second = (real_burst, twin_burst) if pair % 2 == 0 else (twin_burst, real_burst)
            await first()
            await second()
        figures |= lifecycle.pairs_figures(reals, bares)
        real = reals[0]
        figures |= {
            "retried_activities": sum(burst.retried_activities for burst in reals),
            "emails_per_pilot": await lifecycle.emails_per_pilot(sessions, real.pilot_ids),
        }
        await lifecycle.settle(sessions)
        say("email CPU")
        email_ms, messages = await lifecycle.email_cpu_ms(
            client, stack, sessions, real.pilot_ids[: sizes.email_pilots]
        )
        return figures | {"email_cpu_ms": email_ms, "email_messages_timed": messages}
    finally:
        stop_twin.set()
        await asyncio.to_thread(twin.join, 30)


async def _bench_memory(
    client: Client, stack: Stack, sessions: Any, sizes: Sizes
) -> dict[str, Any]:
    say(f"{sizes.open_pilots} open pilots")
    memory = await lifecycle.worker_rss_with_open_pilots(
        client, stack, sessions, sizes.open_pilots, random.Random(2)
    )
    return {
        "worker_rss_mb_10k": memory["worker_rss_mb"],
        "worker_rss_mb_by_process": memory["worker_rss_mb_by_process"],
        "worker_rss_mb_by_open_pilots": memory["worker_rss_mb_by_open_pilots"],
        "worker_rss_open_pilots": memory["open_pilots"],
        "worker_peak_rss_mb": memory["worker_peak_rss_mb"],
        "open_pilots_started_per_s": memory["open_pilots_started_per_s"],
    }


async def _bench_api(stack: Stack, sessions: Any, sizes: Sizes) -> dict[str, Any]:
    figures: dict[str, Any] = {"api_processes": stack.settings.effective_api_workers}
    officers = [
        await http_load.bearer(sessions, stack.settings, f"officer-{town_id(i)}")
        for i in range(TOWNS)
    ]
    say("creation at 20/s")
    created, created_ids = await http_load.creates(
        stack.api_url, officers, sizes.create_seconds, random.Random(3)
    )
    figures |= created
    # The created pilots' workflows and email are the workers' work, not the reads': the
    # reads start on a quiet stack, and how long it took to get quiet is a figure too.
    caught_up = await lifecycle.settle_created(sessions, created_ids)
    figures["create_backlog_seconds"] = round(caught_up, 1)
    for size, label in ((SMALL_READ_MODEL, "1k"), (READ_MODEL, "10k")):
        say(f"read model at {label} pilots")
        skip = SMALL_READ_MODEL if size == READ_MODEL else 0
        await seed_pilots(sessions, size, towns=TOWNS, companies=COMPANIES, skip=skip)
        async with sessions() as session, session.begin():
            await session.execute(text("ANALYZE"))
        pilot_ids = await http_load.town_pilot_ids(sessions)
        figures |= await http_load.list_and_detail(
            stack.api_url, officers[0], pilot_ids, sizes.list_seconds, label
        )
    async with sessions() as session:
        figures["read_model_pilots"] = await session.scalar(select(func.count()).select_from(Pilot))
    say("reads at 200/s")
    cpu_before, client_cpu_before = tree_cpu_seconds(stack.api_pid), time.process_time()
    figures |= await http_load.reads(stack.api_url, officers[0], pilot_ids, sizes.read_seconds)
    answered = figures["read_requests"] - figures["read_errors"]
    api_cpu_ms = 1000 * (tree_cpu_seconds(stack.api_pid) - cpu_before)
    figures["api_cpu_ms_per_read"] = round(api_cpu_ms / max(answered, 1), 1)
    # The load generator shares the machine's cores with the stack: what it costs them.
    client_cpu_ms = 1000 * (time.process_time() - client_cpu_before)
    figures["client_cpu_ms_per_read"] = round(client_cpu_ms / figures["read_requests"], 2)
    return figures


def say(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def main(args: argparse.Namespace) -> Path:
    # A stop (SIGTERM, or SIGINT that a background job does not get) unwinds the run, so
    # its processes are stopped and the scratch databases dropped.
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    sizes = QUICK if args.quick else FULL
    open_pilots = {d: args.open_pilots.get(d, sizes.open_pilots) for d in args.databases}
    run: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": started_at(),
        "git_commit": git_commit(),
        "machine": machine(),
        "load_average_before": load_average(),
        "sizes": {
            **asdict(sizes),
            "open_pilots": open_pilots,
            "read_model": READ_MODEL,
            "small_read_model": SMALL_READ_MODEL,
        },
        "databases": args.databases,
        "phases": list(args.phases),
    }
    fewer = {d: n for d, n in open_pilots.items() if n != READ_MODEL}
    if fewer:
        read_with = ", ".join(f"{n} on {d}" for d, n in fewer.items())
        run["note"] = f"worker_rss_mb_10k was read with {read_with} open pilots, not 10,000"
    began = time.perf_counter()
    databases = {}
    for dialect in args.databases:
        print(f"{dialect}:", flush=True)
        databases[dialect] = await bench_database(
            dialect, replace(sizes, open_pilots=open_pilots[dialect]), args.phases
        )
    run |= {"load_average_after": load_average(), "seconds": round(time.perf_counter() - began)}
    complete = set(args.phases) == set(PHASES)
    name = ("quick" if args.quick else "latest") + ("" if complete else "-" + "-".join(args.phases))
    path = args.output or RESULTS_DIR / f"{name}.json"
    write(assemble(run, databases, complete=complete), path)
    return path


def _open_pilots(text: str) -> dict[str, int]:
    """`N` (every database) or `db=N,...`, as a count by database."""
    if "=" not in text:
        return dict.fromkeys(DATABASES, int(text))
    counts = {}
    for part in text.split(","):
        database, count = part.split("=", 1)
        if database not in DATABASES:
            raise argparse.ArgumentTypeError(f"no database {database!r}: {', '.join(DATABASES)}")
        counts[database] = int(count)
    return counts


def _phases(text: str) -> tuple[str, ...]:
    phases = tuple(text.split(","))
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise argparse.ArgumentTypeError(f"no phase {', '.join(sorted(unknown))}: {PHASES}")
    return phases


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about 3 minutes")
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES))
    parser.add_argument(
        "--open-pilots",
        type=_open_pilots,
        default={},
        help="open pilots for the worker's memory (default: by mode): N for every database, "
        "or per database, e.g. sqlite=2000,postgresql=10000",
    )
    parser.add_argument(
        "--phases",
        type=_phases,
        default=PHASES,
        help=f"some of {','.join(PHASES)} (default: all), e.g. api: writes <mode>-api.json",
    )
    parser.add_argument("--output", type=Path, help="default: benchmarks/results/<mode>.json")
    return parser.parse_args()


if __name__ == "__main__":
    # uvloop, as the API runs: the load generator's own CPU per request is a third lower.
    print(f"wrote {uvloop.run(main(parse_args()))}", flush=True)
    # Not through the interpreter's finalisation, which can abort once a Temporal client was
    # opened (sdk-python #300, see cli.main.main): the results are written by now.
    os._exit(0)

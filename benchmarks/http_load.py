"""The API's side, through HTTP as a client sees it, in open loop (see benchmarks.open_loop).

The client is aiohttp: the load generator shares the machine's two cores with the stack,
and httpx cost about 3 ms of CPU per request here against aiohttp's 0.8 ms; at 200 requests
a second that is the difference between 60 % of a core and 16 %.
"""

import random
from collections.abc import Callable, Sequence
from itertools import cycle
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.open_loop import Outcome, Shed, open_loop, p99_by_window, summarise
from benchmarks.region import THEMES, WORDS, town_id
from core.db import transaction
from core.models import Pilot, User
from core.settings import Settings
from service.auth import open_session

CREATE_RATE, READ_RATE, LIST_RATE = 20.0, 200.0, 20.0
TIMEOUT_SECONDS = 10.0
# As many as open_loop lets be in flight (its default), so none waits in the client's pool.
CONNECTIONS = 256
BUSIEST_TOWN = town_id(0)  # the region's skew makes town 0 propose the most


class UnexpectedStatus(Exception):
    """The API answered, but not with the status the request should get."""


async def bearer(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, user_id: str
) -> str:
    """A signed-in session for a seeded user, opened as sign-in would, without its password."""
    async with transaction(sessions) as session:
        user = await session.get(User, user_id)
        assert user is not None, user_id
        token = (await open_session(session, user, settings)).access_token
    return f"Bearer {token}"


def http_client(api_url: str) -> aiohttp.ClientSession:
    """Keep-alive connections to the API; open_loop bounds each request's time."""
    return aiohttp.ClientSession(
        api_url, connector=aiohttp.TCPConnector(limit=CONNECTIONS), timeout=aiohttp.ClientTimeout()
    )


async def _expect(response: aiohttp.ClientResponse, status: int) -> None:
    """The whole body read (as a client would), and the status the request should get."""
    async with response:
        await response.read()
    if response.status == 503 and "Retry-After" in response.headers:
        raise Shed(response.headers["Retry-After"])
    if response.status != status:
        raise UnexpectedStatus(f"HTTP {response.status}")


def create_body(rng: random.Random) -> dict[str, Any]:
    a, b = rng.sample(WORDS, 2)
    return {
        "title": f"Essai de {a} et {b}",
        "summary": "Un pilote pour mesurer l'effet sur le quartier.",
        "theme": rng.choice(THEMES),
        "needs": [a, b],
        "budget_eur": 20000.0,
        "desired_start": "2027-03-01",
        "duration_days": 90,
        "kpis": [{"name": "usage", "unit": "visits", "baseline": 0, "target": 100}],
    }


async def creates(
    api_url: str, officers: Sequence[str], seconds: float, rng: random.Random
) -> tuple[dict[str, Any], list[str]]:
    """`POST /api/v1/pilots` at 20/s by the towns' officers (round robin); the figures, and
    the ids of the pilots created."""
    count = int(seconds * CREATE_RATE)
    bodies = [create_body(rng) for _ in range(count)]
    tokens = cycle(officers)
    headers = [{"Authorization": next(tokens)} for _ in range(count)]
    created: list[str] = []
    async with http_client(api_url) as http:

        async def send(index: int) -> None:
            response = await http.post("/api/v1/pilots", json=bodies[index], headers=headers[index])
            await _expect(response, 201)
            created.append((await response.json())["id"])

        outcomes = await open_loop(
            send, rate=CREATE_RATE, count=count, timeout_seconds=TIMEOUT_SECONDS
        )
    summary = summarise(outcomes)
    return {"create_rate_per_s": CREATE_RATE, **summary.as_dict("create")}, created


async def town_pilot_ids(sessions: async_sessionmaker[AsyncSession], limit: int = 500) -> list[str]:
    async with sessions() as session:
        query = select(Pilot.id).where(Pilot.town_id == BUSIEST_TOWN).limit(limit)
        return list(await session.scalars(query))


def read_requests(
    http: aiohttp.ClientSession, token: str, pilot_ids: list[str]
) -> dict[str, Callable[[int], Any]]:
    """The three reads of the issue, as the officer of the busiest town makes them."""
    headers = {"Authorization": token}

    async def officer_list(index: int) -> None:
        await _expect(await http.get("/api/v1/pilots", headers=headers), 200)

    async def by_id(index: int) -> None:
        pilot_id = pilot_ids[index % len(pilot_ids)]
        await _expect(await http.get(f"/api/v1/pilots/{pilot_id}", headers=headers), 200)

    async def search(index: int) -> None:
        word = WORDS[index % len(WORDS)]
        await _expect(await http.get("/api/v1/pilots", params={"q": word}, headers=headers), 200)

    return {"list": officer_list, "detail": by_id, "search": search}


async def mixed_reads(
    api_url: str,
    token: str,
    pilot_ids: list[str],
    *,
    kinds: Sequence[str],
    rate: float,
    seconds: float,
) -> dict[str, list[Outcome]]:
    """The given kinds of read in turn, `rate` per second in all; outcomes by kind."""
    count = int(seconds * rate)
    async with http_client(api_url) as http:
        requests = read_requests(http, token, pilot_ids)

        async def send(index: int) -> None:
            await requests[kinds[index % len(kinds)]](index)

        outcomes = await open_loop(send, rate=rate, count=count, timeout_seconds=TIMEOUT_SECONDS)
    return {kind: outcomes[offset :: len(kinds)] for offset, kind in enumerate(kinds)}


async def list_and_detail(
    api_url: str, token: str, pilot_ids: list[str], seconds: float, size: str
) -> dict[str, Any]:
    """List and detail p99 at a gentle rate (no queue): how they grow with the read model."""
    by_kind = await mixed_reads(
        api_url, token, pilot_ids, kinds=("list", "detail"), rate=LIST_RATE, seconds=seconds
    )
    figures: dict[str, Any] = {}
    for kind, outcomes in by_kind.items():
        summary = summarise(outcomes)
        figures[f"{kind}_p99_{size}_ms"] = summary.p99_ms
        figures[f"{kind}_errors_{size}"] = summary.errors
    return figures


async def reads(api_url: str, token: str, pilot_ids: list[str], seconds: float) -> dict[str, Any]:
    """An officer's list, a pilot by id and a text search, in turn, offered at 200/s."""
    by_kind = await mixed_reads(
        api_url,
        token,
        pilot_ids,
        kinds=("list", "detail", "search"),
        rate=READ_RATE,
        seconds=seconds,
    )
    every_read = [o for outcomes in by_kind.values() for o in outcomes]
    figures: dict[str, Any] = {
        "read_rate_per_s": READ_RATE,
        **summarise(every_read).as_dict("read"),
        "read_p99_ms_by_5s": p99_by_window(every_read),
    }
    for kind, outcomes in by_kind.items():
        figures[f"read_{kind}_p99_ms"] = summarise(outcomes).p99_ms
    return figures

"""The workload: people pushing pilots through their lifecycle over HTTP, whatever breaks.

Every request that got a 2xx is an accepted request, recorded with the audit event it must
have left. A 503 or 429 is retried after its Retry-After, a lost connection or another 5xx
on the next API process, always with the same Idempotency-Key, so a retry never acts twice.
"""

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.faults.stack import ADMIN, TRIAL_DAYS

PASSWORD = "fault-suite-password"
THEME = "efficient-city"
TOWNS = 4
COMPANIES = 3
REQUEST_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 1.0
RETRY_AFTER_CAP_SECONDS = 3.0
# An API that refused a connection is skipped this long: the failover of a load balancer.
API_DOWN_SECONDS = 5.0
Headers = dict[str, str]

# The audit event each action leaves: how an accepted request is seen to have taken effect.
EVENT_OF_ACTION = {
    "submit": "submitted",
    "review": "reviewed",
    "respond": "answered",
    "select-partner": "partner_selected",
    "progress": "progress_reported",
    "evaluation": "evaluation_submitted",
    "decide": "decided",
}
END_STAGE = "closed"


class Refused(AssertionError):
    """The API answered a final 4xx to a step the lifecycle needs."""


@dataclass(frozen=True)
class Accepted:
    pilot_id: str
    action: str
    idempotency_key: str

    @property
    def event(self) -> str:
        return EVENT_OF_ACTION[self.action]


@dataclass
class Api:
    """The API processes as one client: round robin, and on to the next one when one fails."""

    urls: Callable[[], list[str]]
    client: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS)
    )
    retries: Counter[str] = field(default_factory=Counter)
    _turn: Iterator[int] = field(default_factory=itertools.count)
    _down_until: dict[str, float] = field(default_factory=dict)

    def _base(self) -> str:
        """The next API in turn among those not seen down lately (any, if all were)."""
        now = time.monotonic()
        urls = self.urls()
        up = [url for url in urls if self._down_until.get(url, 0) <= now] or urls
        return up[next(self._turn) % len(up)]

    async def call(
        self,
        method: str,
        path: str,
        headers: Headers,
        body: dict[str, Any] | None = None,
        *,
        deadline: float,
    ) -> httpx.Response:
        """The first answer that is not a retryable failure; gives up at `deadline`."""
        while True:
            base = self._base()
            try:
                url = base + path
                response = await self.client.request(method, url, headers=headers, json=body)
            except httpx.TransportError as error:
                self.retries[f"connection: {type(error).__name__}"] += 1
                self._down_until[base] = time.monotonic() + API_DOWN_SECONDS
            else:
                status = response.status_code
                if status not in (429, 500, 502, 503, 504):
                    return response
                self.retries[str(status)] += 1
                wait = float(response.headers.get("Retry-After", 0.5))
                await asyncio.sleep(min(wait, RETRY_AFTER_CAP_SECONDS))
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path}: still failing at the deadline")
            await asyncio.sleep(0.3)

    async def close(self) -> None:
        await self.client.aclose()


@dataclass
class Region:
    """The people of the region, created through the admin API and signed in."""

    admin: Headers
    officers: list[Headers]
    staff: dict[str, Headers]  # company id -> a signed-in user of that company

    @classmethod
    async def build(cls, api: Api, *, deadline: float) -> "Region":
        admin = await _sign_in(api, *ADMIN, deadline=deadline)
        officers = []
        for n in range(TOWNS):
            town = await _create(api, admin, "/api/v1/towns", {"name": f"Town {n}"}, deadline)
            officers.append(
                await _user(
                    api,
                    admin,
                    f"officer{n}@town.example",
                    "town_officer",
                    deadline,
                    town_id=town["id"],
                )
            )
        staff = {}
        for n in range(COMPANIES):
            company = await _create(
                api,
                admin,
                "/api/v1/companies",
                {
                    "name": f"Company {n}",
                    "contact_email": f"contact@company{n}.example",
                    "themes": [THEME],
                    "tags": ["iot"],
                },
                deadline,
            )
            staff[company["id"]] = await _user(
                api,
                admin,
                f"staff@company{n}.example",
                "company",
                deadline,
                company_id=company["id"],
            )
        return cls(admin, officers, staff)


async def _sign_in(api: Api, email: str, password: str, *, deadline: float) -> Headers:
    body = {"email": email, "password": password}
    response = await api.call("POST", "/api/v1/auth/token", {}, body, deadline=deadline)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _create(
    api: Api, admin: Headers, path: str, body: dict[str, Any], deadline: float
) -> dict[str, Any]:
    response = await api.call("POST", path, admin, body, deadline=deadline)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _user(
    api: Api, admin: Headers, email: str, role: str, deadline: float, **ids: str
) -> Headers:
    body = {"email": email, "password": PASSWORD, "role": role, "locale": "fr", **ids}
    await _create(api, admin, "/api/v1/users", body, deadline)
    return await _sign_in(api, email, PASSWORD, deadline=deadline)


@dataclass
class Workload:
    """N pilots pushed concurrently from submission to `closed`; what was accepted."""

    api: Api
    region: Region
    pilots: int
    deadline: float
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    accepted: list[Accepted] = field(default_factory=list)
    pilot_ids: list[str] = field(default_factory=list)
    finished: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    @property
    def in_progress(self) -> int:
        """Pilots accepted and not yet decided: mid-lifecycle."""
        return len(set(self.pilot_ids) - self.finished)

    async def run(self) -> None:
        results = await asyncio.gather(
            *(self._pilot(n) for n in range(self.pilots)), return_exceptions=True
        )
        for n, result in enumerate(results):
            if isinstance(result, BaseException):
                self.failures.append(f"pilot #{n}: {type(result).__name__}: {result}")

    async def _pilot(self, n: int) -> None:
        officer = self.region.officers[n % len(self.region.officers)]
        admin = self.region.admin
        body = {
            "title": f"Fault suite pilot {self.run_id}-{n}",
            "summary": "Streetlights that dim when the street is empty.",
            "theme": THEME,
            "needs": ["iot"],
            "budget_eur": 10000,
            "desired_start": datetime.now(UTC).date().isoformat(),
            "duration_days": TRIAL_DAYS,
            "kpis": [{"name": "energy", "unit": "kWh", "baseline": 1000, "target": 700}],
        }
        pilot = await self._act(None, "submit", officer, body, n, path="/api/v1/pilots")
        pilot_id = pilot["id"]
        await self._act(pilot_id, "review", admin, {"decision": "approve", "comment": "Go"}, n)
        invited = await self._until(pilot_id, lambda p: bool(p["candidates"]))
        company_id = invited["candidates"][0]["company_id"]
        staff = self.region.staff[company_id]
        await self._act(pilot_id, "respond", staff, {"interested": True, "message": "Yes"}, n)
        await self._act(pilot_id, "select-partner", officer, {"company_id": company_id}, n)
        progress = {"measurements": [{"kpi": "energy", "value": 820}], "note": "halfway"}
        # The trial is short: a report that comes after its end is refused, and that is fine.
        await self._act(pilot_id, "progress", staff, progress, n, optional=True)
        await self._until(pilot_id, lambda p: p["stage"] == "evaluation")
        evaluation = {
            "kpi_results": [{"kpi": "energy", "value": 690}],
            "satisfaction": 4,
            "lessons": "Works",
            "recommendation": "stop",
        }
        await self._act(pilot_id, "evaluation", officer, evaluation, n)
        await self._act(pilot_id, "decide", admin, {"decision": "stop", "comment": "Done"}, n)
        self.finished.add(pilot_id)

    async def _act(
        self,
        pilot_id: str | None,
        action: str,
        who: Headers,
        body: dict[str, Any],
        n: int,
        *,
        path: str | None = None,
        optional: bool = False,
    ) -> dict[str, Any]:
        key = f"{self.run_id}-{n}-{action}"
        path = path or f"/api/v1/pilots/{pilot_id}/{action}"
        headers = who | {"Idempotency-Key": key}
        response = await self.api.call("POST", path, headers, body, deadline=self.deadline)
        if response.status_code == 409 and optional:
            return {}
        if response.status_code not in (200, 201):
            raise Refused(f"{action} on {pilot_id}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        pilot_id = pilot_id or result["id"]
        if action == "submit":
            self.pilot_ids.append(pilot_id)
        self.accepted.append(Accepted(pilot_id, action, key))
        return result

    async def _until(self, pilot_id: str, ready: Callable[[dict[str, Any]], bool]) -> Any:
        path = f"/api/v1/pilots/{pilot_id}"
        while True:
            response = await self.api.call("GET", path, self.region.admin, deadline=self.deadline)
            assert response.status_code == 200, response.text
            pilot = response.json()
            if ready(pilot):
                return pilot
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"pilot {pilot_id} stuck in {pilot['stage']}")
            await asyncio.sleep(POLL_SECONDS)

"""A region built over HTTP for the end-to-end tests: towns, companies, their people, a proposal."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

PASSWORD = "a-good-password"
Headers = dict[str, str]


def proposal(**changes: Any) -> dict[str, Any]:
    """A pilot's body that Lumen's matching picks up (its theme and need), starting today."""
    body = {
        "title": "Éclairage intelligent",
        "summary": "Dim the lights when the street is empty.",
        "theme": "efficient-city",
        "needs": ["lighting"],
        "budget_eur": 30000,
        "desired_start": datetime.now(UTC).date().isoformat(),
        "duration_days": 3650,
        "kpis": [{"name": "energy", "unit": "kWh", "baseline": 1000, "target": 700}],
    }
    return body | changes


@dataclass(frozen=True)
class Company:
    """A company and its one staff member, signed in."""

    id: str
    staff: Headers


@dataclass(frozen=True)
class Town:
    """A town and its officer, signed in."""

    id: str
    officer: Headers


class Region:
    """Builds the region through the admin API and signs people in."""

    def __init__(self, api: AsyncClient) -> None:
        self.api = api
        self.admin: Headers = {}

    @classmethod
    async def signed_in(cls, api: AsyncClient, admin: tuple[str, str]) -> "Region":
        """A region whose admin, with these email and password, is signed in."""
        region = cls(api)
        region.admin = await region.sign_in(*admin)
        return region

    async def sign_in(self, email: str, password: str = PASSWORD) -> Headers:
        response = await self.api.post(
            "/api/v1/auth/token", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def post(self, path: str, body: dict[str, Any], headers: Headers | None = None) -> Any:
        response = await self.api.post(path, json=body, headers=headers or self.admin)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def user(self, email: str, role: str, locale: str = "fr", **ids: str) -> Headers:
        body = {"email": email, "password": PASSWORD, "role": role, "locale": locale, **ids}
        await self.post("/api/v1/users", body)
        return await self.sign_in(email)

    async def town(self, name: str, locale: str = "fr", **fields: str) -> Town:
        """A town and its officer, officer@<name>.example, writing in `locale`."""
        town = await self.post("/api/v1/towns", {"name": name, **fields})
        email = f"officer@{name.lower()}.example"
        return Town(town["id"], await self.user(email, "town_officer", locale, town_id=town["id"]))

    async def company(
        self, name: str, theme: str = "efficient-city", tags: tuple[str, ...] = ("lighting",)
    ) -> Company:
        """A company of one theme, contact@<name>.example, and its staff, staff@<name>.example."""
        slug = name.lower()
        body = {
            "name": name,
            "contact_email": f"contact@{slug}.example",
            "themes": [theme],
            "tags": list(tags),
        }
        company = await self.post("/api/v1/companies", body)
        staff = await self.user(f"staff@{slug}.example", "company", company_id=company["id"])
        return Company(company["id"], staff)


async def get_json(api: AsyncClient, path: str, headers: Headers) -> Any:
    """The JSON of a GET that must answer 200."""
    response = await api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def until(fetch: Callable[[], Awaitable[Any]], ready: Callable[[Any], bool]) -> Any:
    """What `fetch` answers once `ready` accepts it, asking every 0.1 s for 30 s at most."""
    for _ in range(300):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("the pilot never got there")

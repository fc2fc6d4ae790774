"""The site under test: a real uvicorn server, a browser per person, and the region's people."""

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "browser-pass-123"
ADMIN_EMAIL = "admin@region.example"
ADMIN_PASSWORD = "admin-pass-123"
CHROMIUM = "/usr/bin/chromium"
# As the machine's probe starts Chromium: headless, as root, and never onto the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Person:
    email: str
    password: str = PASSWORD


ADMIN = Person(ADMIN_EMAIL, ADMIN_PASSWORD)
LILLE_OFFICER = Person("officer@lille.example")
ROUBAIX_OFFICER = Person("officer@roubaix.example")
LUMEN = Person("staff@lumen.example")  # follows efficient-city: invited to Lille's pilots
VERDI = Person("staff@verdi.example")  # follows efficient-city too
ARTS = Person("staff@arts.example")  # follows creative-city only: never invited to them
READER = Person("reader@arts.example")  # switches the pages to English


@dataclass
class Site:
    """The running service and a browser to open it with."""

    url: str
    settings: Settings
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(self, viewport: dict[str, int] | None = None) -> Page:
        """A fresh browser profile (its own cookies), in French as the region's default."""
        context = await self.browser.new_context(
            viewport=viewport or DESKTOP, locale="fr-FR", timezone_id="Europe/Paris"
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return await context.new_page()

    async def signed_in(self, person: Person, viewport: dict[str, int] | None = None) -> Page:
        """A browser where this person has signed in through the form."""
        page = await self.page(viewport)
        await page.goto(f"{self.url}/login")
        await page.get_by_label("Adresse e-mail").fill(person.email)
        await page.get_by_label("Mot de passe").fill(person.password)
        await page.get_by_role("button", name="Se connecter").click()
        await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
        return page

    async def close_pages(self) -> None:
        for context in self.contexts:
            await context.close()
        self.contexts.clear()


async def screenshot(page: Page, name: str) -> None:
    """Take a picture of the page; with PILOTFLOW_SCREENSHOTS=1, refresh the README's copy.

    Every run takes it (so a page that cannot be drawn fails); only a deliberate run
    rewrites docs/screenshots/, so a test run leaves the work tree clean.
    """
    picture = await page.screenshot()
    assert picture.startswith(b"\x89PNG")
    if os.environ.get("PILOTFLOW_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(picture)


async def reload_until(page: Page, url: str, text: str, seconds: float = 30.0) -> None:
    """Open `url` again until it shows `text`: the workflow's activities run on their own time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        await page.goto(url)
        if await page.get_by_text(text).count():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{url} never showed {text!r}")
        await asyncio.sleep(0.3)


class Api:
    """The JSON API of the same server, to set a scene quickly without the pages."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def token(self, client: httpx.AsyncClient, person: Person) -> dict[str, str]:
        body = {"email": person.email, "password": person.password}
        response = await client.post(f"{self.url}/api/v1/auth/token", json=body)
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def submitted_pilot(
        self, title: str, *, officer: Person = LILLE_OFFICER, theme: str = "efficient-city"
    ) -> str:
        """A pilot submitted through POST /api/v1/pilots; returns its id."""
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{self.url}/api/v1/pilots",
                headers=await self.token(client, officer),
                json=_proposal(title, theme),
            )
            response.raise_for_status()
            return str(response.json()["id"])

    async def review(self, pilot_id: str, decision: str, comment: str = "OK") -> None:
        """The programme team's review, through POST .../review."""
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                f"{self.url}/api/v1/pilots/{pilot_id}/review",
                headers=await self.token(client, ADMIN),
                json={"decision": decision, "comment": comment},
            )
            response.raise_for_status()

    async def approved_pilot(self, title: str) -> str:
        """A pilot of Lille, approved, once its companies are invited; returns its id."""
        pilot_id = await self.submitted_pilot(title)
        await self.review(pilot_id, "approve")
        async with httpx.AsyncClient(timeout=30) as client:
            await self._until_invited(client, await self.token(client, ADMIN), pilot_id)
        return pilot_id

    async def _until_invited(
        self, client: httpx.AsyncClient, headers: dict[str, str], pilot_id: str
    ) -> None:
        for _ in range(100):
            response = await client.get(f"{self.url}/api/v1/pilots/{pilot_id}", headers=headers)
            if response.json()["candidates"]:
                return
            await asyncio.sleep(0.2)
        raise AssertionError("no company was invited")


def _proposal(title: str, theme: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": "Un essai de quelques mois dans un quartier, avant d'aller plus loin.",
        "theme": theme,
        "needs": ["lighting"],
        "budget_eur": 12000,
        "desired_start": datetime.now(UTC).date().isoformat(),
        "duration_days": 365,
        "kpis": [{"name": "Énergie", "unit": "kWh", "baseline": 1000, "target": 700}],
    }

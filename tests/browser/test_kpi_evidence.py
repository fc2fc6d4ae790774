"""The trial's evidence in a browser: progress reports through the pages become each KPI's
chart and table, a check-in nobody answers is marked missed, and the evaluation form starts
from the last values.

The package's settings hold every timer back; this pilot is started with rules of its own
(a day lasts a second) so its check-ins come while the test runs.
"""

import asyncio

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from core.db import transaction
from core.models import User
from core.settings import Settings
from service.pilots import create_pilot
from tests.browser.site import (
    LILLE_OFFICER,
    LUMEN,
    PHONE,
    Api,
    Site,
    reload_until,
    screenshot,
)
from workflows.contracts import Kpi, Proposal

pytestmark = pytest.mark.devserver

TITLE = "Éclairage adaptatif rue de Béthune"
# A day lasts a second: check-ins every 10 s, their reminder 4 s later, the trial 40 s long.
CHECKIN_SECONDS = 10


async def _running_trial(
    site: Site, api: Api, sessions: async_sessionmaker[AsyncSession], dev_env: WorkflowEnvironment
) -> str:
    """A pilot of Lille on fast rules, its trial running with Lumen; returns its id."""
    rules: Settings = site.settings.model_copy(
        update={"checkin_period_days": CHECKIN_SECONDS, "checkin_reminder_days": 4}
    )
    proposal = Proposal(
        town_id="lille",
        title=TITLE,
        summary="Des lampadaires qui baissent quand la rue est vide.",
        theme="efficient-city",
        needs=["lighting"],
        budget_eur=18000.0,
        desired_start=(await dev_env.get_current_time()).date(),
        duration_days=4 * CHECKIN_SECONDS,
        kpis=[Kpi("Consommation", "kWh", 1000.0, 700.0), Kpi("Pannes", "", 12.0, 4.0)],
    )
    async with transaction(sessions) as session:
        officer = await session.scalar(select(User).where(User.email == LILLE_OFFICER.email))
    assert officer is not None
    pilot = await create_pilot(sessions, dev_env.client, rules, officer, proposal)
    await api.review(pilot.id, "approve")
    async with httpx.AsyncClient(timeout=30) as client:
        await _until_invited(client, api, site.url, pilot.id)
        for person, action, body in (
            (LUMEN, "respond", {"interested": True, "message": "Prêts."}),
            (LILLE_OFFICER, "select-partner", {"company_id": "lumen"}),
        ):
            response = await client.post(
                f"{site.url}/api/v1/pilots/{pilot.id}/{action}",
                headers=await api.token(client, person),
                json=body,
            )
            response.raise_for_status()
    return pilot.id


async def _until_invited(client: httpx.AsyncClient, api: Api, url: str, pilot_id: str) -> None:
    headers = await api.token(client, LILLE_OFFICER)
    for _ in range(100):
        response = await client.get(f"{url}/api/v1/pilots/{pilot_id}", headers=headers)
        if response.json()["candidates"]:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("no company was invited")


async def _report(page: Page, url: str, value: str) -> None:
    await page.goto(url)
    await page.get_by_label("Consommation (kWh)").fill(value)
    await page.locator("#progress-note").fill(f"Relevé : {value} kWh.")
    await page.get_by_role("button", name="Envoyer le point d'étape").click()
    await expect(page.locator(".flash-success")).to_have_text("Point d'étape enregistré.")


async def test_progress_reports_draw_each_kpi_against_baseline_and_target(
    site: Site,
    api: Api,
    sessions: async_sessionmaker[AsyncSession],
    dev_env: WorkflowEnvironment,
) -> None:
    pilot_id = await _running_trial(site, api, sessions, dev_env)
    url = f"{site.url}/pilots/{pilot_id}"
    officer = await site.signed_in(LILLE_OFFICER)
    partner = await site.signed_in(LUMEN)
    await _report(officer, url, "950")
    await _report(partner, url, "905")
    # Check-in 1 at 10 s: the town answers it.
    await reload_until(officer, url, "Point d'étape demandé")
    await _report(officer, url, "860")
    # Check-in 2 at 20 s: nobody answers; its reminder goes out, and check-in 3 marks it missed.
    await reload_until(officer, url, "Point d'étape manqué", seconds=40)
    await expect(officer.locator(".timeline")).to_contain_text("Rappel de point d'étape envoyé")
    await _report(partner, url, "812.5")
    await reload_until(officer, url, "Transmettre l'évaluation", seconds=40)

    evidence = officer.locator("section[aria-labelledby=evidence-title]")
    await expect(evidence.get_by_role("heading", name="Les mesures de l'essai")).to_be_visible()
    charts = evidence.locator("svg.kpi-chart")
    await expect(charts).to_have_count(2)
    first = charts.first
    await expect(first.locator("circle.point")).to_have_count(4)
    await expect(first.locator("polyline.series")).to_have_count(1)
    await expect(first.locator("line.baseline")).to_have_count(1)
    await expect(first.locator("line.target")).to_have_count(1)
    await expect(first.locator("rect.missed")).to_have_count(1)
    # The values, in the order reported, and who reported each.
    table = evidence.locator("table.kpi-values").first
    await expect(table.locator("tbody tr td.number")).to_have_text(["950", "905", "860", "812,5"])
    await expect(table.locator("tbody tr td:nth-child(3)")).to_have_text(
        ["Commune", "Partenaire", "Commune", "Partenaire"]
    )
    await expect(evidence.locator(".missed-checkins")).to_contain_text("1 point d'étape manqué")
    await expect(evidence.locator(".missed-checkins")).to_contain_text("n°2")
    await expect(evidence.locator("table.kpi-values").nth(1)).to_contain_text(
        "Aucune valeur relevée pour le moment."
    )
    # Dots lie inside the chart's box; no script draws them.
    box = await first.get_attribute("viewBox")
    assert box == "0 0 480 240"
    assert await officer.locator("script").count() == 0

    # The evaluation form starts from the last values; the town may change them.
    await expect(officer.locator("#evaluation-kpi-0-value")).to_have_value("812.5")
    await expect(officer.locator("#evaluation-kpi-1-value")).to_have_value("")
    await evidence.evaluate("section => section.scrollIntoView()")
    await screenshot(officer, "pilot-kpis")

    # The partner reads the same evidence; nobody else's browser is needed to show it.
    await partner.goto(url)
    await expect(partner.locator("svg.kpi-chart circle.point")).to_have_count(4)

    # On a phone the chart shrinks to the screen and the table goes below it.
    phone = await site.signed_in(LILLE_OFFICER, viewport=PHONE)
    await phone.goto(url)
    await expect(phone.locator("svg.kpi-chart").first).to_be_visible()
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the pilot's page is {width}px wide on a phone"

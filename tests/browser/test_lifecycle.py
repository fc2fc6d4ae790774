"""A pilot's whole life through the pages, each person in their own browser."""

from datetime import UTC, datetime

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.site import (
    ADMIN,
    LILLE_OFFICER,
    LUMEN,
    PHONE,
    ROUBAIX_OFFICER,
    Api,
    Site,
    reload_until,
    screenshot,
)

pytestmark = pytest.mark.devserver

TITLE = "Éclairage intelligent rue Nationale"
OFFER = "Nous posons 40 lampadaires à détection en mars."


async def test_a_pilot_from_submission_to_generalization(site: Site, api: Api) -> None:
    # Other pilots around it, so each role's page looks like a working day.
    await api.approved_pilot("Capteurs de qualité de l'air près des écoles")
    await api.submitted_pilot("Bancs connectés au parc Barbieux", officer=ROUBAIX_OFFICER)
    await api.submitted_pilot("Jardins partagés", officer=ROUBAIX_OFFICER, theme="creative-city")
    officer = await site.signed_in(LILLE_OFFICER)
    pilot_url = await _submit(officer)

    admin = await site.signed_in(ADMIN)
    await admin.goto(pilot_url)
    await admin.get_by_label("Approuver : inviter des entreprises partenaires").check()
    await admin.get_by_label("Commentaire pour la commune").fill("Très bon projet.")
    await admin.get_by_role("button", name="Envoyer l'avis").click()
    await _done(admin, "Avis enregistré.")
    await expect(_stage(admin)).to_have_text("Recherche de partenaire")

    company = await site.signed_in(LUMEN)
    await reload_until(company, f"{site.url}/company", TITLE)
    await screenshot(company, "company-invitations")
    await (
        company.get_by_role("article")
        .filter(has_text=TITLE)
        .get_by_role("link", name="Lire et répondre")
        .click()
    )
    await company.get_by_label("Oui, nous sommes intéressés").check()
    await company.get_by_label("Votre offre").fill(OFFER)
    await company.get_by_role("button", name="Envoyer la réponse").click()
    await _done(company, "Votre réponse a été transmise à la commune.")

    await officer.goto(pilot_url)
    await expect(officer.get_by_text(OFFER).first).to_be_visible()
    await officer.get_by_role("button", name="Choisir Lumen").click()
    await _done(officer, "Partenaire choisi : les entreprises sont prévenues.")
    await expect(_stage(officer)).to_have_text("Expérimentation en cours")
    await officer.get_by_label("Consommation (kWh)").fill("850")
    await officer.locator("#progress-note").fill("Premier mois : -15 %.")
    await officer.get_by_role("button", name="Envoyer le point d'étape").click()
    await _done(officer, "Point d'étape enregistré.")
    await expect(officer.locator(".timeline")).to_contain_text("Consommation: 850")

    # The officer keeps this page open while the programme team ends the trial.
    await admin.goto(pilot_url)
    await admin.locator("#end-trial-reason").fill("Résultats déjà probants.")
    await admin.get_by_role("button", name="Terminer l'expérimentation").click()
    await _done(admin, "Expérimentation terminée : l'évaluation est attendue.")
    await expect(_stage(admin)).to_have_text("Évaluation")

    # A form sent from the stale page is refused by the workflow, and said so on the page.
    await officer.locator("#end-trial-reason").fill("Fin anticipée")
    await officer.get_by_role("button", name="Terminer l'expérimentation").click()
    await expect(officer.locator(".flash-error")).to_contain_text("Action non effectuée")

    await officer.goto(pilot_url)
    await officer.locator("#evaluation-kpi-0-value").fill("690")
    await officer.get_by_label("Satisfaction, de 1 (insuffisante) à 5 (excellente)").select_option(
        "4"
    )
    await officer.get_by_label("Enseignements").fill("Les riverains ont apprécié.")
    await officer.get_by_label("Généraliser aux autres communes").check()
    await officer.get_by_role("button", name="Transmettre l'évaluation").click()
    await _done(officer, "Évaluation transmise.")
    await officer.goto(f"{site.url}/officer")
    await screenshot(officer, "officer-dashboard")

    await admin.goto(pilot_url)
    await admin.get_by_label("Généraliser : le proposer aux autres communes").check()
    await admin.get_by_role("button", name="Enregistrer la décision").click()
    await _done(admin, "Décision enregistrée.")
    await expect(_stage(admin)).to_have_text("Clôturé · Généraliser")
    await _check_monitoring(site, admin)
    await admin.goto(f"{site.url}/admin")
    await screenshot(admin, "admin-overview")

    await _replicate_in_roubaix(site)


async def test_the_pages_fit_a_phone(site: Site) -> None:
    officer = await site.signed_in(LILLE_OFFICER, viewport=PHONE)
    for path in ("/officer", "/officer/pilots/new"):
        await officer.goto(f"{site.url}{path}")
        width = await officer.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a phone"
    await officer.goto(f"{site.url}/officer")
    await screenshot(officer, "officer-dashboard-phone")


async def _submit(officer: Page) -> str:
    await officer.get_by_role("link", name="Proposer un pilote").first.click()
    await officer.get_by_label("Titre").fill(TITLE)
    await officer.get_by_label("Résumé").fill("Des lampadaires qui baissent quand la rue est vide.")
    await officer.get_by_label("Thème").select_option("efficient-city")
    await officer.get_by_label("Besoins").fill("lighting, iot")
    await officer.get_by_label("Budget (euros)").fill("25000")
    await officer.get_by_label("Début souhaité").fill(datetime.now(UTC).date().isoformat())
    await officer.get_by_label("Durée de l'expérimentation (jours)").fill("365")
    await officer.locator("#kpi-0-name").fill("Consommation")
    await officer.locator("#kpi-0-unit").fill("kWh")
    await officer.locator("#kpi-0-baseline").fill("1000")
    await officer.locator("#kpi-0-target").fill("700")
    await officer.get_by_role("button", name="Soumettre le pilote").click()
    await _done(officer, "Pilote soumis : l'équipe du programme va l'examiner.")
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE)
    return officer.url


async def _check_monitoring(site: Site, admin: Page) -> None:
    """The pilot's Temporal history, its email as sent, and the dev mailbox."""
    await admin.get_by_role("link", name="Historique des événements Temporal").click()
    await expect(admin.locator("table")).to_contain_text("workflow_execution_started")
    web_ui = admin.get_by_role("link", name="Ouvrir dans l'interface web de Temporal")
    assert "/workflows/pilot-" in str(await web_ui.get_attribute("href"))
    await admin.go_back()
    await admin.get_by_role("link", name="E-mails envoyés").click()
    await expect(admin.locator("iframe.email").first).to_be_attached()
    assert await admin.locator("iframe.email").first.get_attribute("sandbox") == ""
    await admin.goto(f"{site.url}/admin/mailbox")
    await expect(admin.locator("article").first).to_be_visible()


async def _replicate_in_roubaix(site: Site) -> None:
    roubaix = await site.signed_in(ROUBAIX_OFFICER)
    await expect(roubaix.get_by_text(TITLE)).to_be_visible()
    await roubaix.get_by_role("button", name="Répliquer dans ma commune").click()
    await _done(roubaix, "Pilote répliqué dans votre commune : il est soumis à examen.")
    await expect(roubaix.get_by_text("réplique du pilote d'une autre commune")).to_be_visible()
    await expect(_stage(roubaix)).to_have_text("Soumis")


async def _done(page: Page, message: str) -> None:
    await expect(page.locator(".flash-success")).to_have_text(message)


def _stage(page: Page) -> Locator:
    return page.locator(".page-head .badge")

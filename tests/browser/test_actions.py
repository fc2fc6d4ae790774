"""The other actions of a pilot's page: amend, withdraw, cancel, and an evaluation sent back."""

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.site import ADMIN, LILLE_OFFICER, LUMEN, Api, Site

pytestmark = pytest.mark.devserver


async def test_the_town_amends_what_the_programme_team_asked_for(site: Site, api: Api) -> None:
    pilot_id = await api.submitted_pilot("Navettes autonomes")
    await api.review(pilot_id, "request_changes", "Précisez le budget.")
    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/pilots/{pilot_id}")
    await expect(officer.locator(".timeline")).to_contain_text("Précisez le budget.")
    await officer.get_by_role("link", name="Modifier la proposition").click()
    await expect(officer.get_by_label("Titre")).to_have_value("Navettes autonomes")
    await expect(officer.locator("#kpi-0-name")).to_have_value("Énergie")

    await officer.get_by_label("Budget (euros)").fill("")
    await officer.get_by_role("button", name="Envoyer la proposition modifiée").click()
    await expect(officer.locator("#budget_eur-error")).to_contain_text("Ce champ est obligatoire.")

    await officer.get_by_label("Titre").fill("Navettes autonomes du campus")
    await officer.get_by_label("Budget (euros)").fill("48000")
    await officer.get_by_role("button", name="Envoyer la proposition modifiée").click()
    await _done(officer, "Proposition modifiée : elle est de nouveau soumise à examen.")
    await expect(officer.get_by_role("heading", level=1)).to_have_text(
        "Navettes autonomes du campus"
    )
    await expect(_stage(officer)).to_have_text("Soumis")


async def test_the_town_withdraws_and_the_programme_team_cancels(site: Site, api: Api) -> None:
    withdrawn = await api.submitted_pilot("Ruches en ville")
    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/pilots/{withdrawn}")
    await officer.locator("#withdraw-reason").fill("Le budget n'est plus là.")
    await officer.get_by_role("button", name="Retirer").click()
    await _done(officer, "Pilote retiré.")
    await expect(_stage(officer)).to_have_text("Retiré")
    await expect(
        officer.get_by_role("heading", name="Ce que vous pouvez faire maintenant")
    ).to_have_count(0)

    cancelled = await api.approved_pilot("Bornes de recharge")
    admin = await site.signed_in(ADMIN)
    await admin.goto(f"{site.url}/pilots/{cancelled}")
    await admin.locator("#cancel-reason").fill("Doublon d'un autre pilote.")
    await admin.get_by_role("button", name="Annuler le pilote").click()
    await _done(admin, "Pilote annulé.")
    await expect(_stage(admin)).to_have_text("Annulé")


async def test_an_incomplete_evaluation_comes_back_with_its_errors(site: Site, api: Api) -> None:
    pilot_id = await api.approved_pilot("Lampadaires solaires")
    company = await site.signed_in(LUMEN)
    await company.goto(f"{site.url}/pilots/{pilot_id}")
    await company.get_by_label("Oui, nous sommes intéressés").check()
    await company.get_by_role("button", name="Envoyer la réponse").click()
    await _done(company, "Votre réponse a été transmise à la commune.")

    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/pilots/{pilot_id}")
    await officer.get_by_role("button", name="Choisir Lumen").click()
    await officer.locator("#end-trial-reason").fill("Fin de saison.")
    await officer.get_by_role("button", name="Terminer l'expérimentation").click()
    await _done(officer, "Expérimentation terminée : l'évaluation est attendue.")

    await officer.locator("#evaluation-kpi-0-value").fill("640")
    await officer.get_by_label("Enseignements").fill("À refaire en hiver.")
    async with officer.expect_response(
        f"{site.url}/pilots/{pilot_id}/actions/evaluation"
    ) as answer:
        await officer.get_by_role("button", name="Transmettre l'évaluation").click()
    assert (await answer.value).status == 422
    await expect(officer.locator("#evaluation-satisfaction-error")).to_contain_text(
        "Ce champ est obligatoire."
    )
    await expect(officer.locator("#evaluation-recommendation-error")).to_contain_text(
        "Ce champ est obligatoire."
    )
    await expect(officer.locator("#evaluation-kpi-0-value")).to_have_value("640")
    await expect(officer.get_by_label("Enseignements")).to_have_value("À refaire en hiver.")

    # The partner reports during a trial, not after it: its page no longer offers the form.
    await company.goto(f"{site.url}/pilots/{pilot_id}")
    await expect(company.get_by_role("button", name="Envoyer le point d'étape")).to_have_count(0)


async def _done(page: Page, message: str) -> None:
    await expect(page.locator(".flash-success")).to_have_text(message)


def _stage(page: Page) -> Locator:
    return page.locator(".page-head .badge")

"""Profiles in the browser: an officer's own, and a candidate company's public profile."""

import pytest
from playwright.async_api import Page, expect

from tests.browser.site import LILLE_OFFICER, ROUBAIX_OFFICER, Api, Site, screenshot

pytestmark = pytest.mark.devserver

OFFERS = (
    "M'envoyer par e-mail les pilotes que d'autres communes ont généralisés, pour les reprendre"
)


async def test_an_officer_saves_the_profile(site: Site) -> None:
    officer = await site.signed_in(ROUBAIX_OFFICER)
    await officer.get_by_role("link", name="Mon profil").click()
    await expect(officer.get_by_role("heading", name="Mon profil")).to_be_visible()
    await expect(officer.get_by_label("Votre nom")).to_have_value("Yanis Benali")
    await expect(officer.get_by_label(OFFERS)).to_be_checked()

    await officer.get_by_label("Votre nom").fill("Y" * 201)
    await officer.get_by_label(OFFERS).uncheck()
    await officer.get_by_role("button", name="Enregistrer le profil").click()
    await _error_beside(officer, "name", "Saisissez au plus 200 caractères.")
    # Nothing was saved: what was typed is shown again, the box as it was left.
    await expect(officer.get_by_label(OFFERS)).not_to_be_checked()

    await officer.get_by_label("Votre nom").fill("Yanis B.")
    await officer.get_by_role("button", name="Enregistrer le profil").click()
    await expect(officer.locator(".flash-success")).to_have_text("Profil enregistré.")
    await expect(officer.get_by_label("Votre nom")).to_have_value("Yanis B.")
    await expect(officer.get_by_label(OFFERS)).not_to_be_checked()
    await expect(officer.locator(".who")).to_contain_text("Yanis B.")

    # The other towns' offers again, and the name as the other tests know it.
    await officer.get_by_label("Votre nom").fill("Yanis Benali")
    await officer.get_by_label(OFFERS).check()
    await officer.get_by_role("button", name="Enregistrer le profil").click()
    await expect(officer.locator(".flash-success")).to_have_text("Profil enregistré.")
    await expect(officer.get_by_label(OFFERS)).to_be_checked()


async def test_an_officer_opens_a_candidates_public_profile(site: Site, api: Api) -> None:
    pilot_id = await api.approved_pilot("Éclairage des quais")
    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/pilots/{pilot_id}")
    candidates = officer.locator("section", has=officer.locator("#candidates-title"))
    await candidates.get_by_role("link", name="Lumen").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Lumen")
    await expect(officer.get_by_role("heading", name="Pilotes passés")).to_be_visible()
    await expect(officer.get_by_text("lighting")).to_be_visible()
    await expect(officer.get_by_text("Toute la métropole")).to_be_visible()
    # The company's contact address is its own and the admins'.
    assert "contact@lumen.example" not in await officer.content()
    await screenshot(officer, "company-public-profile")

    # In English too (and back to French for the other tests).
    await officer.get_by_role("button", name="English").click()
    await expect(officer.get_by_role("heading", name="Past pilots")).to_be_visible()
    await expect(officer.get_by_text("The whole region")).to_be_visible()
    await officer.get_by_role("button", name="Français").click()
    await expect(officer.get_by_role("heading", name="Pilotes passés")).to_be_visible()

    # A company met on none of Lille's pilots: hidden.
    answer = await officer.goto(f"{site.url}/companies/arts")
    assert answer is not None and answer.status == 404


async def _error_beside(page: Page, field: str, message: str) -> None:
    error = page.locator(f"#{field}-error")
    await expect(error).to_contain_text(message)
    field_input = page.locator(f"#{field}")
    await expect(field_input).to_have_attribute("aria-invalid", "true")

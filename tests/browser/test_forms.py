"""Forms say what is wrong beside the field, keep what was typed, and save what is right."""

import pytest
from playwright.async_api import Page, expect

from tests.browser.site import ADMIN, LILLE_OFFICER, READER, VERDI, Site

pytestmark = pytest.mark.devserver


async def test_a_validation_error_is_shown_beside_its_field(site: Site) -> None:
    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/officer/pilots/new")
    await officer.get_by_label("Résumé").fill("Des composteurs au pied des immeubles.")
    await officer.get_by_label("Thème").select_option("creative-city")
    await officer.get_by_label("Budget (euros)").fill("-5")
    await officer.get_by_label("Début souhaité").fill("2027-03-01")
    await officer.get_by_label("Durée de l'expérimentation (jours)").fill("90")
    await officer.locator("#kpi-1-name").fill("Déchets évités")
    async with officer.expect_response(f"{site.url}/officer/pilots/new") as answer:
        await officer.get_by_role("button", name="Soumettre le pilote").click()
    assert (await answer.value).status == 422

    await _error_beside(officer, "budget_eur", "Saisissez une valeur d'au moins 0.")
    await _error_beside(officer, "title", "Ce champ est obligatoire.")
    await _error_beside(officer, "kpi-1-baseline", "Ce champ est obligatoire.")
    await expect(officer.get_by_role("alert")).to_contain_text("corriger les champs signalés")
    # What was typed is still there.
    await expect(officer.get_by_label("Résumé")).to_have_value(
        "Des composteurs au pied des immeubles."
    )
    await expect(officer.locator("#kpi-1-name")).to_have_value("Déchets évités")

    await officer.get_by_label("Titre").fill("Compost partagé")
    await officer.get_by_label("Budget (euros)").fill("5000")
    await officer.locator("#kpi-1-name").fill("")
    await officer.get_by_role("button", name="Soumettre le pilote").click()
    await expect(officer.locator(".flash-success")).to_contain_text("Pilote soumis")


async def test_a_company_edits_its_profile_and_email_preferences(site: Site) -> None:
    company = await site.signed_in(VERDI)
    await company.get_by_role("link", name="Profil").click()
    await company.get_by_label("E-mail de contact").fill("not an address")
    await company.get_by_role("button", name="Enregistrer le profil").click()
    await _error_beside(
        company, "contact_email", "Saisissez une adresse e-mail comme nom@exemple.fr."
    )

    await company.get_by_label("E-mail de contact").fill("bonjour@verdi.example")
    await company.get_by_label("Mots-clés").fill("energy, solar")
    await company.get_by_label("Roubaix").check()
    await company.get_by_label(
        "Nous envoyer par e-mail les invitations aux nouveaux pilotes"
    ).uncheck()
    await company.get_by_role("button", name="Enregistrer le profil").click()
    await expect(company.locator(".flash-success")).to_have_text("Profil enregistré.")
    await expect(company.get_by_label("Mots-clés")).to_have_value("energy, solar")
    await expect(company.get_by_label("Roubaix")).to_be_checked()
    invitations = company.get_by_label(
        "Nous envoyer par e-mail les invitations aux nouveaux pilotes"
    )
    await expect(invitations).not_to_be_checked()
    await invitations.check()
    await company.get_by_label("Roubaix").uncheck()
    await company.get_by_role("button", name="Enregistrer le profil").click()
    await expect(company.locator(".flash-success")).to_have_text("Profil enregistré.")


async def test_the_programme_team_adds_reference_data(site: Site) -> None:
    admin = await site.signed_in(ADMIN)
    await admin.get_by_role("link", name="Communes").click()
    await admin.get_by_label("Nom").fill("Tourcoing")
    await admin.get_by_role("button", name="Ajouter la commune").click()
    await expect(admin.locator(".flash-success")).to_have_text("Commune ajoutée.")
    await expect(admin.get_by_role("cell", name="Tourcoing")).to_be_visible()

    await admin.get_by_label("Nom").fill("Lille")
    await admin.get_by_role("button", name="Ajouter la commune").click()
    await expect(admin.get_by_role("alert")).to_contain_text("une commune avec ce nom existe déjà")

    await admin.get_by_role("link", name="Utilisateurs").click()
    await admin.get_by_label("Adresse e-mail").fill("new.officer@tourcoing.example")
    await admin.get_by_label("Mot de passe").fill("long-enough-pass")
    await admin.get_by_label("Rôle").select_option("town_officer")
    await admin.get_by_role("button", name="Ajouter l'utilisateur").click()
    await expect(admin.get_by_role("alert")).to_contain_text(
        "un agent de commune doit être rattaché à une commune"
    )
    await admin.get_by_label("Commune (pour un agent de commune)").select_option(label="Tourcoing")
    await admin.get_by_label("Mot de passe").fill("long-enough-pass")
    await admin.get_by_role("button", name="Ajouter l'utilisateur").click()
    await expect(admin.locator(".flash-success")).to_have_text("Utilisateur ajouté.")
    await expect(admin.get_by_role("cell", name="new.officer@tourcoing.example")).to_be_visible()


async def test_the_language_is_the_users_choice_and_is_kept(site: Site) -> None:
    reader = await site.signed_in(READER)
    await expect(reader.get_by_role("heading", level=1)).to_have_text(
        "Invitations et expérimentations"
    )
    await reader.get_by_role("button", name="English").click()
    await expect(reader.get_by_role("heading", level=1)).to_have_text("Invitations and trials")
    await expect(reader.locator("html")).to_have_attribute("lang", "en")

    await reader.get_by_role("button", name="Sign out").click()
    await reader.get_by_label("Email").fill(READER.email)
    await reader.get_by_label("Password").fill(READER.password)
    await reader.get_by_role("button", name="Sign in").click()
    await expect(reader.get_by_role("heading", level=1)).to_have_text("Invitations and trials")


async def _error_beside(page: Page, field: str, message: str) -> None:
    """The field's error is in its own block, tied to the input by aria-describedby."""
    error = page.locator(f"#{field}-error")
    await expect(error).to_contain_text(message)
    block = page.locator(".field", has=page.locator(f"#{field}"))
    await expect(block.locator(f"#{field}-error")).to_have_count(1)
    field_input = page.locator(f"#{field}")
    await expect(field_input).to_have_attribute("aria-invalid", "true")
    assert f"{field}-error" in str(await field_input.get_attribute("aria-describedby"))

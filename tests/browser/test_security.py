"""Sessions, CSRF and who may see what, as a browser meets them."""

import pytest
from playwright.async_api import expect

from core.settings import Settings
from service.pages.session import cookie_options
from tests.browser.site import ARTS, LILLE_OFFICER, LUMEN, ROUBAIX_OFFICER, Api, Site

pytestmark = pytest.mark.devserver


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    officer = await site.signed_in(LILLE_OFFICER)
    await officer.goto(f"{site.url}/officer/pilots/new")
    await officer.get_by_label("Titre").fill("Forged")
    await officer.locator("form.card input[name=csrf_token]").evaluate("input => input.remove()")
    async with officer.expect_response(f"{site.url}/officer/pilots/new") as answer:
        await officer.get_by_role("button", name="Soumettre le pilote").click()
    assert (await answer.value).status == 403
    await expect(officer.get_by_role("heading", level=1)).to_have_text(
        "Vous ne pouvez pas faire cela"
    )
    await expect(officer.locator("main")).to_contain_text("jeton de sécurité")

    # The same form posted from elsewhere, without a token or with another one.
    for form in ({"locale": "en"}, {"locale": "en", "csrf_token": "0" * 64}):
        response = await officer.request.post(f"{site.url}/language", form=form)
        assert response.status == 403
    await officer.goto(f"{site.url}/officer")
    await expect(officer.get_by_text("Forged")).to_have_count(0)
    await expect(officer.locator("html")).to_have_attribute("lang", "fr")


async def test_a_company_cannot_open_another_companys_invitation(site: Site, api: Api) -> None:
    pilot_id = await api.approved_pilot("Capteurs de bruit")
    lumen = await site.signed_in(LUMEN)
    response = await lumen.goto(f"{site.url}/pilots/{pilot_id}")
    assert response is not None and response.status == 200

    arts = await site.signed_in(ARTS)
    response = await arts.goto(f"{site.url}/pilots/{pilot_id}")
    assert response is not None and response.status == 404
    await expect(arts.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    await expect(arts.locator("main")).not_to_contain_text("Capteurs de bruit")

    # Nor answer it, even with a valid form.
    token = await arts.locator("input[name=csrf_token]").first.get_attribute("value")
    form = {"csrf_token": str(token), "interested": "yes", "message": "Us too"}
    response = await arts.request.post(f"{site.url}/pilots/{pilot_id}/actions/respond", form=form)
    assert response.status == 404


async def test_an_officer_sees_only_the_own_towns_pilots(site: Site, api: Api) -> None:
    pilot_id = await api.submitted_pilot("Parcours sportif connecté")
    roubaix = await site.signed_in(ROUBAIX_OFFICER)
    response = await roubaix.goto(f"{site.url}/pilots/{pilot_id}")
    assert response is not None and response.status == 404
    response = await roubaix.goto(f"{site.url}/admin")
    assert response is not None and response.status == 403


async def test_signing_in_and_out(site: Site) -> None:
    page = await site.page()
    await page.goto(f"{site.url}/officer")
    assert page.url == f"{site.url}/login?next=/officer"
    await page.get_by_label("Adresse e-mail").fill(LILLE_OFFICER.email)
    await page.get_by_label("Mot de passe").fill("wrong password")
    async with page.expect_response(f"{site.url}/login") as answer:
        await page.get_by_role("button", name="Se connecter").click()
    assert (await answer.value).status == 401
    await expect(page.get_by_role("alert")).to_have_text(
        "Adresse e-mail ou mot de passe incorrect."
    )

    await page.get_by_label("Mot de passe").fill(LILLE_OFFICER.password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(f"{site.url}/officer")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["pf_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and not session["secure"]

    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.locator(".flash-success")).to_have_text("Vous êtes déconnecté(e).")
    assert "pf_session" not in {c["name"] for c in await page.context.cookies()}
    await page.goto(f"{site.url}/officer")
    assert page.url.startswith(f"{site.url}/login")


async def test_sign_in_never_leads_to_another_site(site: Site) -> None:
    page = await site.page()
    await page.goto(f"{site.url}/login?next=//evil.example/")
    await page.get_by_label("Adresse e-mail").fill(LILLE_OFFICER.email)
    await page.get_by_label("Mot de passe").fill(LILLE_OFFICER.password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(f"{site.url}/officer")


def test_the_session_cookie_is_secure_behind_https() -> None:
    options = cookie_options(Settings(_env_file=None, public_url="https://pilotflow.example"))
    assert options == {"httponly": True, "samesite": "lax", "secure": True, "path": "/"}

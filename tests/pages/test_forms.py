"""The pages' forms through httpx: a valid form acts once and says so after the redirect, a
form without its token is refused, a wrong field comes back beside itself; none of the
refused ones changes anything."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.pages.conftest import csrf_of, page_sign_in
from tests.service.conftest import Headers


async def _town_names(client: AsyncClient, admin: Headers) -> list[str]:
    return [town["name"] for town in (await client.get("/api/v1/towns", headers=admin)).json()]


async def test_a_valid_form_acts_and_says_so_after_the_redirect(
    admin_browser: AsyncClient, admin: Headers
) -> None:
    form = {"csrf_token": await csrf_of(admin_browser, "/admin/towns"), "name": "Lille"}
    response = await admin_browser.post("/admin/towns", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/towns"
    assert await _town_names(admin_browser, admin) == ["Lille"]
    page = await admin_browser.get("/admin/towns")
    assert '<div class="flash flash-success" role="status">Town added.</div>' in page.text
    # Said once: the next page has no message.
    assert "flash-success" not in (await admin_browser.get("/admin/towns")).text


async def test_a_form_without_its_page_s_token_is_refused(
    admin_browser: AsyncClient, admin: Headers
) -> None:
    token = await csrf_of(admin_browser, "/admin/towns")
    for form in ({"name": "Lille"}, {"csrf_token": token[::-1], "name": "Lille"}):
        response = await admin_browser.post("/admin/towns", data=form)
        assert response.status_code == 403
        assert "This form was refused" in response.text
    assert await _town_names(admin_browser, admin) == []


async def test_a_wrong_field_comes_back_beside_itself(
    admin_browser: AsyncClient, admin: Headers
) -> None:
    form = {
        "csrf_token": await csrf_of(admin_browser, "/admin/companies"),
        "name": "Acme",
        "contact_email": "not an address",
        "description": "",
    }
    response = await admin_browser.post("/admin/companies", data=form)
    assert response.status_code == 422
    assert 'id="contact_email-error"' in response.text
    assert "Enter an email address such as name@example.org." in response.text
    assert 'value="Acme"' in response.text  # what was typed is kept
    assert (await admin_browser.get("/api/v1/companies", headers=admin)).json() == []


async def test_an_unknown_reference_comes_back_beside_its_field(
    admin_browser: AsyncClient, admin: Headers
) -> None:
    form = {
        "csrf_token": await csrf_of(admin_browser, "/admin/users"),
        "email": "officer@town.example",
        "password": "a-good-password",
        "role": "town_officer",
        "town_id": "nosuchtown",
    }
    response = await admin_browser.post("/admin/users", data=form)
    assert response.status_code == 422
    assert 'id="town_id-error"' in response.text
    emails = [u["email"] for u in (await admin_browser.get("/api/v1/users", headers=admin)).json()]
    assert "officer@town.example" not in emails


async def test_a_duplicate_is_refused_on_the_form(admin_browser: AsyncClient, make_town) -> None:
    await make_town("Lille")
    form = {"csrf_token": await csrf_of(admin_browser, "/admin/towns"), "name": "Lille"}
    response = await admin_browser.post("/admin/towns", data=form)
    assert response.status_code == 409
    assert "a town with this name exists" in response.text


async def test_every_directory_form_creates_what_its_endpoint_creates(
    admin_browser: AsyncClient, admin: Headers, make_town
) -> None:
    town = await make_town("Roubaix")
    forms: dict[str, dict[str, Any]] = {
        "/admin/themes": {
            "code": "quiet-streets",
            "name": "Quiet streets",
            "description": "Less noise",
        },
        "/admin/companies": {
            "name": "Acme",
            "contact_email": "hello@acme.example",
            "description": "Sensors",
            "themes": "quiet-streets",
            "tags": "iot, lighting",
            "areas": town["id"],
        },
        "/admin/users": {
            "email": "officer@roubaix.example",
            "name": "Officer",
            "password": "a-good-password",
            "role": "town_officer",
            "town_id": town["id"],
        },
    }
    for path, fields in forms.items():
        form = {"csrf_token": await csrf_of(admin_browser, path), **fields}
        response = await admin_browser.post(path, data=form)
        assert (response.status_code, response.headers.get("location")) == (303, path), (
            response.text
        )
    (company,) = (await admin_browser.get("/api/v1/companies", headers=admin)).json()
    assert (company["themes"], company["tags"], company["areas"]) == (
        ["quiet-streets"],
        ["iot", "lighting"],
        [town["id"]],
    )
    themes = (await admin_browser.get("/api/v1/themes", headers=admin)).json()
    assert "quiet-streets" in [theme["code"] for theme in themes]
    admin_browser.cookies.clear()
    await page_sign_in(admin_browser, "officer@roubaix.example", "a-good-password")
    assert (await admin_browser.get("/officer")).status_code == 200


async def test_the_company_profile_form_saves_and_checks_its_fields(
    client: AsyncClient, make_company, make_user
) -> None:
    company = await make_company("Acme")
    headers = await make_user("team@acme.example", "company", company_id=company["id"])
    await page_sign_in(client, "team@acme.example")
    fields = {
        "name": "Acme Lighting",
        "contact_email": "hello@acme.example",
        "description": "",
        "locale": "en",
        "tags": "lighting",
    }
    form = {"csrf_token": await csrf_of(client, "/company/profile"), **fields, "emails": "yes"}
    response = await client.post("/company/profile", data=form)
    assert (response.status_code, response.headers["location"]) == (303, "/company/profile")
    assert "Profile saved." in (await client.get("/company/profile")).text
    form = {"csrf_token": await csrf_of(client, "/company/profile"), **fields, "name": ""}
    refused = await client.post("/company/profile", data=form)
    assert refused.status_code == 422
    assert 'id="name-error"' in refused.text
    saved = (await client.get(f"/api/v1/companies/{company['id']}", headers=headers)).json()
    assert (saved["name"], saved["tags"], saved["unsubscribed"]) == (
        "Acme Lighting",
        ["lighting"],
        False,
    )


class UnusedTemporal:
    """A connector whose client nobody may use: a refused form never reaches Temporal."""

    async def get(self) -> object:
        return object()


async def test_the_proposal_form_sends_each_error_beside_its_field_or_kpi_row(
    app: FastAPI, client: AsyncClient, make_town, make_user
) -> None:
    app.state.temporal = UnusedTemporal()
    town = await make_town("Lille")
    headers = await make_user("officer@lille.example", "town_officer", town_id=town["id"])
    await page_sign_in(client, "officer@lille.example")
    form = {
        "csrf_token": await csrf_of(client, "/officer/pilots/new"),
        "title": "Connected benches",
        "summary": "Benches that count their users.",
        "theme": "efficient-city",
        "budget_eur": "a lot",
        "desired_start": "2027-03-01",
        "duration_days": "90",
        # The first row is left empty: the second row's error is the second row's.
        "kpi-1-name": "Uses per day",
        "kpi-1-unit": "uses",
        "kpi-1-baseline": "0",
        "kpi-1-target": "many",
    }
    response = await client.post("/officer/pilots/new", data=form)
    assert response.status_code == 422
    assert 'id="budget_eur-error"' in response.text
    assert 'id="kpi-1-target-error"' in response.text
    assert "Enter a number." in response.text
    assert 'value="Connected benches"' in response.text
    pilots = (await client.get("/api/v1/pilots", headers=headers)).json()
    assert pilots["items"] == []

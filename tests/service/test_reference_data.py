"""Themes, towns and companies: admins manage them; a company edits only its own profile."""

from httpx import AsyncClient

from tests.service.conftest import Headers

COMPANY_FIELDS = {
    "id", "name", "contact_email", "themes", "tags", "areas", "active",
    "description", "locale", "unsubscribed",
}  # fmt: skip


async def test_themes(client: AsyncClient, admin: Headers, make_town, make_user) -> None:
    theme = {"code": "green-city", "name": "Green city", "description": "Trees."}
    assert (await client.post("/api/v1/themes", json=theme, headers=admin)).status_code == 201
    again = await client.post("/api/v1/themes", json=theme, headers=admin)
    assert again.status_code == 409
    town = await make_town()
    officer = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    listed = (await client.get("/api/v1/themes", headers=officer)).json()
    assert theme in listed
    other = {"code": "blue-city", "name": "Blue"}
    assert (await client.post("/api/v1/themes", json=other, headers=officer)).status_code == 403
    assert (await client.get("/api/v1/themes")).status_code == 401


async def test_theme_update(client: AsyncClient, admin: Headers, make_theme) -> None:
    await make_theme("green-city")
    response = await client.patch(
        "/api/v1/themes/green-city", json={"name": "Greener"}, headers=admin
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Greener"
    missing = await client.patch("/api/v1/themes/no-such", json={"name": "X"}, headers=admin)
    assert missing.status_code == 404


async def test_towns(client: AsyncClient, admin: Headers, make_company, make_user) -> None:
    created = await client.post(
        "/api/v1/towns", json={"name": "Roubaix", "code": "59512"}, headers=admin
    )
    assert created.status_code == 201
    town = created.json()
    assert set(town) == {"id", "name", "code"}
    assert town["code"] == "59512"
    for duplicate in [{"name": "Roubaix"}, {"name": "Other", "code": "59512"}]:
        response = await client.post("/api/v1/towns", json=duplicate, headers=admin)
        assert response.status_code == 409, duplicate
    company = await make_company()
    staff = await make_user("t@acme.example", "company", company_id=company["id"])
    assert (await client.get("/api/v1/towns", headers=staff)).json() == [town]
    assert (
        await client.post("/api/v1/towns", json={"name": "X"}, headers=staff)
    ).status_code == 403


async def test_company_creation_checks_themes_and_areas(
    client: AsyncClient, admin: Headers, make_theme, make_town
) -> None:
    await make_theme("green-city")
    town = await make_town()
    body = {
        "name": "Acme",
        "contact_email": "hello@acme.example",
        "themes": ["green-city", "green-city"],
        "tags": ["iot", "energy"],
        "areas": [town["id"]],
        "description": "Sensors.",
    }
    response = await client.post("/api/v1/companies", json=body, headers=admin)
    assert response.status_code == 201
    company = response.json()
    assert set(company) == COMPANY_FIELDS
    assert company["themes"] == ["green-city"]
    assert company["areas"] == [town["id"]]
    assert company["active"] is True
    for field, value in [("themes", ["no-such-theme"]), ("areas", ["nosuchtown"])]:
        response = await client.post("/api/v1/companies", json=body | {field: value}, headers=admin)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_who_sees_which_company(
    client: AsyncClient, admin: Headers, make_company, make_town, make_user
) -> None:
    acme, globex = await make_company("Acme"), await make_company("Globex")
    staff = await make_user("t@acme.example", "company", company_id=acme["id"])
    town = await make_town()
    officer = await make_user("o@lille.example", "town_officer", town_id=town["id"])

    everyone = (await client.get("/api/v1/companies", headers=admin)).json()
    assert [c["name"] for c in everyone] == ["Acme", "Globex"]
    assert (await client.get("/api/v1/companies", headers=staff)).json() == [acme]
    assert (await client.get(f"/api/v1/companies/{acme['id']}", headers=staff)).json() == acme
    assert (await client.get(f"/api/v1/companies/{globex['id']}", headers=admin)).json() == globex

    hidden = await client.get(f"/api/v1/companies/{globex['id']}", headers=staff)
    assert hidden.status_code == 404
    patch = await client.patch(
        f"/api/v1/companies/{globex['id']}", json={"tags": []}, headers=staff
    )
    assert patch.status_code == 404
    assert (await client.get("/api/v1/companies/nosuch", headers=admin)).status_code == 404

    assert (await client.get("/api/v1/companies", headers=officer)).status_code == 403
    # An officer reads only the companies met on its pilots (tests/service/test_profiles.py).
    for_officer = await client.get(f"/api/v1/companies/{acme['id']}", headers=officer)
    assert for_officer.status_code == 404
    body = {"name": "X", "contact_email": "x@x.example", "themes": [], "tags": []}
    assert (await client.post("/api/v1/companies", json=body, headers=staff)).status_code == 403


async def test_company_edits_its_profile_but_not_active(
    client: AsyncClient, admin: Headers, make_company, make_theme, make_user
) -> None:
    await make_theme("green-city")
    acme = await make_company("Acme")
    staff = await make_user("t@acme.example", "company", company_id=acme["id"])
    url = f"/api/v1/companies/{acme['id']}"
    changes = {
        "description": "Now with drones.",
        "themes": ["green-city"],
        "tags": ["drones"],
        "locale": "en",
        "unsubscribed": True,
    }
    response = await client.patch(url, json=changes, headers=staff)
    assert response.status_code == 200
    assert response.json() == acme | changes
    assert (await client.patch(url, json={"active": False}, headers=staff)).status_code == 403
    bad_theme = await client.patch(url, json={"themes": ["nope"]}, headers=staff)
    assert bad_theme.status_code == 422
    deactivated = await client.patch(url, json={"active": False}, headers=admin)
    assert deactivated.json()["active"] is False

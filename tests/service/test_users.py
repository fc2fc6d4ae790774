"""Admins create users; the role says which town or company the user belongs to."""

import pytest
from httpx import AsyncClient

from tests.service.conftest import PASSWORD, Headers

USER_FIELDS = {"id", "email", "name", "role", "town_id", "company_id", "locale"}


def user(email: str, role: str, **fields: object) -> dict[str, object]:
    return {"email": email, "password": PASSWORD, "role": role, **fields}


async def test_admin_creates_each_role(
    client: AsyncClient, admin: Headers, make_town, make_company
) -> None:
    town = await make_town()
    company = await make_company()
    for body in [
        user("officer@lille.example", "town_officer", town_id=town["id"], name="Officer"),
        user("team@acme.example", "company", company_id=company["id"], locale="en"),
        user("second@pilotflow.local", "admin"),
    ]:
        response = await client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 201, response.text
        created = response.json()
        assert set(created) == USER_FIELDS
        assert created["role"] == body["role"]
    officer = (await client.get("/api/v1/users", headers=admin)).json()
    assert {u["email"] for u in officer} >= {"officer@lille.example", "team@acme.example"}


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "town_officer"},
        {"role": "company"},
        {"role": "admin", "town_id": "TOWN"},
        {"role": "town_officer", "town_id": "TOWN", "company_id": "COMPANY"},
        {"role": "company", "town_id": "TOWN"},
        {"role": "mayor"},
    ],
)
async def test_role_and_attachment_must_agree(
    client: AsyncClient, admin: Headers, make_town, make_company, fields: dict[str, str]
) -> None:
    town, company = await make_town(), await make_company()
    ids = {"TOWN": town["id"], "COMPANY": company["id"]}
    body = {"email": "x@y.example", "password": PASSWORD}
    body |= {key: ids.get(value, value) for key, value in fields.items()}
    response = await client.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == 422, response.text


async def test_town_and_company_must_exist(client: AsyncClient, admin: Headers) -> None:
    for body, field in [
        (user("o@x.example", "town_officer", town_id="nosuchtown"), "town_id"),
        (user("c@x.example", "company", company_id="nosuchcompany"), "company_id"),
    ]:
        response = await client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_existing_email_is_409(client: AsyncClient, admin: Headers) -> None:
    first = await client.post("/api/v1/users", json=user("a@x.example", "admin"), headers=admin)
    assert first.status_code == 201
    again = await client.post("/api/v1/users", json=user("A@X.example", "admin"), headers=admin)
    assert again.status_code == 409
    assert "exists" in again.json()["detail"]


async def test_only_admins_manage_users(
    client: AsyncClient, make_town, make_company, make_user
) -> None:
    town, company = await make_town(), await make_company()
    officer = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    staff = await make_user("t@acme.example", "company", company_id=company["id"])
    for headers in (officer, staff):
        body = user("new@x.example", "admin")
        assert (await client.post("/api/v1/users", json=body, headers=headers)).status_code == 403
        assert (await client.get("/api/v1/users", headers=headers)).status_code == 403
        me = (await client.get("/api/v1/me", headers=headers)).json()
        patch = await client.patch(f"/api/v1/users/{me['id']}", json={}, headers=headers)
        assert patch.status_code == 403
    assert (
        await client.post("/api/v1/users", json=user("n@x.example", "admin"))
    ).status_code == 401


async def test_admin_reads_and_updates_users(client: AsyncClient, admin: Headers) -> None:
    created = (
        await client.post("/api/v1/users", json=user("a@x.example", "admin"), headers=admin)
    ).json()
    url = f"/api/v1/users/{created['id']}"
    assert (await client.get(url, headers=admin)).json() == created
    response = await client.patch(url, json={"name": "Ada", "locale": "en"}, headers=admin)
    assert response.status_code == 200
    assert response.json() | {"name": "Ada", "locale": "en"} == response.json()
    assert (await client.get("/api/v1/users/nosuchuser", headers=admin)).status_code == 404
    assert (
        await client.patch("/api/v1/users/nosuchuser", json={}, headers=admin)
    ).status_code == 404


async def test_admin_cannot_deactivate_themselves(client: AsyncClient, admin: Headers) -> None:
    me = (await client.get("/api/v1/me", headers=admin)).json()
    response = await client.patch(
        f"/api/v1/users/{me['id']}", json={"active": False}, headers=admin
    )
    assert response.status_code == 409


async def test_demo_domains_are_valid_emails(client: AsyncClient, admin: Headers) -> None:
    for email in ["officer.lille@demo.pilotflow.local", "Team+x@Acme.test"]:
        response = await client.post("/api/v1/users", json=user(email, "admin"), headers=admin)
        assert response.status_code == 201, response.text
        assert response.json()["email"] == email.lower()
    for email in [
        "not-an-email",
        "a@b",
        "a@@b.example",
        "a b@c.example",
        "a@b.example\r\nBcc: x@y.z",
    ]:
        response = await client.post("/api/v1/users", json=user(email, "admin"), headers=admin)
        assert response.status_code == 422, email

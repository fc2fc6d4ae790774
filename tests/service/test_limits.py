"""Bodies have sane limits: oversized, malformed or unprintable input is a 4xx, never a 500."""

import pytest
from httpx import AsyncClient

from tests.service.conftest import PASSWORD, Headers

COMPANY = {"name": "Acme", "contact_email": "hello@acme.example", "themes": [], "tags": []}


@pytest.mark.parametrize(
    "change",
    [
        {"name": "x" * 201},
        {"name": ""},
        {"name": "   "},
        {"name": "two\nlines"},
        {"name": "nul\x00byte"},
        {"contact_email": "x" * 310 + "@acme.example"},
        {"description": "x" * 5001},
        {"tags": ["t"] * 51},
        {"tags": ["x" * 65]},
        {"tags": [""]},
        {"themes": ["Not A Code"]},
        {"areas": ["../etc"]},
        {"locale": "de"},
        {"unexpected": "field"},
        {"tags": "not-a-list"},
    ],
)
async def test_company_body_limits(client: AsyncClient, admin: Headers, change: dict) -> None:
    response = await client.post("/api/v1/companies", json=COMPANY | change, headers=admin)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("password", ["short", "x" * 257])
async def test_password_length(client: AsyncClient, admin: Headers, password: str) -> None:
    body = {"email": "a@x.example", "password": password, "role": "admin"}
    assert (await client.post("/api/v1/users", json=body, headers=admin)).status_code == 422


async def test_limits_are_inclusive(client: AsyncClient, admin: Headers) -> None:
    change = {
        "name": "x" * 200,
        "description": "é" * 5000,
        "tags": [f"{i:064d}" for i in range(50)],
    }
    response = await client.post("/api/v1/companies", json=COMPANY | change, headers=admin)
    assert response.status_code == 201, response.text
    body = {"email": "a@x.example", "password": "p" * 256, "role": "admin"}
    assert (await client.post("/api/v1/users", json=body, headers=admin)).status_code == 201


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\\ud800", "code": null}',
        b'{"name": "ok", "code": "\\udfff"}',
        b'{"name": "\\u0000"}',
        b'{"name": ',
        b"[]",
        b"null",
    ],
)
async def test_malformed_bodies_are_422(client: AsyncClient, admin: Headers, raw: bytes) -> None:
    headers = admin | {"Content-Type": "application/json"}
    response = await client.post("/api/v1/towns", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


async def test_undecodable_body_is_422(client: AsyncClient, admin: Headers) -> None:
    headers = admin | {"Content-Type": "application/json"}
    response = await client.post("/api/v1/towns", content=b"\xff\xfe not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


async def test_method_not_allowed_names_every_method(client: AsyncClient) -> None:
    response = await client.delete("/api/v1/companies")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_surrogates_at_sign_in_are_not_a_server_error(client: AsyncClient) -> None:
    raw = b'{"email": "\\ud800@x.example", "password": "\\udfff"}'
    headers = {"Content-Type": "application/json"}
    response = await client.post("/api/v1/auth/token", content=raw, headers=headers)
    assert response.status_code == 422


async def test_odd_path_ids_are_not_a_server_error(client: AsyncClient, admin: Headers) -> None:
    for company_id in ["%00", "%ED%A0%80", "x" * 500, "a%20b"]:
        response = await client.get(f"/api/v1/companies/{company_id}", headers=admin)
        assert response.status_code in (404, 422), company_id


async def test_null_or_loose_types_in_a_patch_are_422(
    client: AsyncClient, admin: Headers, make_company
) -> None:
    company = await make_company()
    url = f"/api/v1/companies/{company['id']}"
    for change in [{"name": None}, {"active": 0}, {"unsubscribed": "yes"}]:
        assert (await client.patch(url, json=change, headers=admin)).status_code == 422, change


async def test_oversized_body_is_413(client: AsyncClient, admin: Headers) -> None:
    body = COMPANY | {"description": "x" * 2_000_000}
    response = await client.post("/api/v1/companies", json=body, headers=admin)
    assert response.status_code == 413


async def test_sign_in_limits(client: AsyncClient) -> None:
    for body in [{"email": "a@x.example"}, {"email": "a@x.example", "password": "p" * 257}]:
        assert (await client.post("/api/v1/auth/token", json=body)).status_code == 422
    body = {"email": "nobody@x.example", "password": PASSWORD}
    assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401

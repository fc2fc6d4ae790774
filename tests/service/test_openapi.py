"""The OpenAPI document describes every route, its body and its error responses."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

ADMIN_ONLY = {
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}"),
    ("patch", "/api/v1/users/{user_id}"),
    ("post", "/api/v1/users/{user_id}/invitation"),
    ("post", "/api/v1/themes"),
    ("patch", "/api/v1/themes/{code}"),
    ("post", "/api/v1/towns"),
    ("post", "/api/v1/companies"),
}
CONFLICTS = {
    ("post", "/api/v1/users"),
    ("post", "/api/v1/users/{user_id}/invitation"),
    ("post", "/api/v1/themes"),
    ("post", "/api/v1/towns"),
}


async def operations(client: AsyncClient) -> dict[tuple[str, str], dict[str, Any]]:
    document = (await client.get("/openapi.json")).json()
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


async def test_every_route_is_described(app: FastAPI, client: AsyncClient) -> None:
    described = await operations(client)
    # The web pages are HTML for browsers, left out of the API's document on purpose.
    routes = [
        r
        for r in iter_route_contexts(app.routes)
        if isinstance(r.original_route, APIRoute) and r.original_route.include_in_schema
    ]
    assert len(routes) >= 18
    for route in routes:
        for method in route.methods or ():
            assert (method.lower(), route.path) in described


# What anyone may call without a token: signing in, and choosing a password by email.
PUBLIC = {"/api/v1/auth/token", "/api/v1/auth/password-reset", "/api/v1/auth/password"}


async def test_error_responses_are_declared(client: AsyncClient) -> None:
    described = await operations(client)
    for (method, path), operation in described.items():
        codes = set(operation["responses"])
        if path.startswith("/api/v1") and path not in PUBLIC:
            assert "401" in codes, (method, path)
        if path.startswith("/api/v1") and path not in PUBLIC:
            assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
        if (method, path) in ADMIN_ONLY or path.startswith("/api/v1/companies"):
            assert "403" in codes, (method, path)
        if "{" in path:
            assert {"404", "422"} <= codes, (method, path)
        if "requestBody" in operation:
            assert "422" in codes, (method, path)
        if (method, path) in CONFLICTS:
            assert "409" in codes, (method, path)
    assert "503" in described[("get", "/readyz")]["responses"]


async def test_errors_have_a_schema(client: AsyncClient) -> None:
    described = await operations(client)
    me = described[("get", "/api/v1/me")]["responses"]["401"]
    assert me["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorMessage"
    }
    created = described[("post", "/api/v1/users")]
    assert created["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserCreate"
    }
    assert "201" in created["responses"]


# The coded values the API takes and gives, as they were when they were bare Literals: the
# enums they now come from must not change what the document (and Schemathesis) allow.
CODED_VALUES = {
    "CandidatePublic.status": [
        "declined",
        "expired",
        "interested",
        "invited",
        "not_selected",
        "selected",
    ],
    "DecideBody.decision": ["extend", "generalize", "stop"],
    "EvaluationBody.recommendation": ["extend", "generalize", "stop"],
    "EvaluationPublic.recommendation": ["extend", "generalize", "stop"],
    "NotificationPublic.status": ["failed", "queued", "sending", "sent"],
    "PilotPublic.outcome": ["generalize", "stop"],
    "ReviewBody.decision": ["approve", "reject", "request_changes"],
    "SystemActor.system": ["timer", "workflow"],
}


def _enum_values(schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """The enum a property allows, through `$ref`s and a nullable `anyOf`."""
    if "$ref" in schema:
        return _enum_values(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    if "enum" in schema:
        return sorted(schema["enum"])
    return [v for option in schema.get("anyOf", []) for v in _enum_values(option, schemas)]


async def test_coded_values_are_the_enums_strings(client: AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name, values in CODED_VALUES.items():
        model, field = name.split(".")
        assert _enum_values(schemas[model]["properties"][field], schemas) == values, name
    # Whom a deadline waits on stays a plain string in the document, as it was.
    assert "enum" not in str(schemas["PilotPublic"]["properties"]["waiting_on"])

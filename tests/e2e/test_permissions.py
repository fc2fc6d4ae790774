"""The permission matrix: every endpoint, for every role, on own and foreign objects.

No forbidden call succeeds; a hidden object answers 404, a role that may never act 403,
no token 401. Permitted calls reach the real workflow, which may still say 409 for the
pilot's stage (the matrix runs its calls in order, so an earlier call can end the pilot).
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient

from tests.e2e.conftest import ADMIN
from tests.support.region import Region, until

OK = "ok"  # 2xx, or 409: allowed to this caller, and the stage decided
ROLES = ("anonymous", "admin", "officer_a", "officer_b", "company_x", "company_y")


def expect(
    *,
    admin: object = OK,
    officer_a: object = OK,
    officer_b: object = OK,
    company_x: object = OK,
    company_y: object = OK,
) -> dict[str, object]:
    return {
        "anonymous": 401,
        "admin": admin,
        "officer_a": officer_a,
        "officer_b": officer_b,
        "company_x": company_x,
        "company_y": company_y,
    }


ONLY_ADMIN = expect(officer_a=403, officer_b=403, company_x=403, company_y=403)
PILOT_READ = expect(officer_b=404, company_y=404)


def _town_action(stranger_company: int = 403) -> dict[str, object]:
    return expect(admin=403, officer_b=404, company_x=stranger_company, company_y=404)


def _admin_action() -> dict[str, object]:
    return expect(officer_a=403, officer_b=404, company_x=403, company_y=404)


PILOT = "{pilot}"
COMPANY = "{company_x}"
PROPOSAL = {
    "title": "Bancs connectés",
    "summary": "Des bancs qui comptent.",
    "theme": "efficient-city",
    "needs": ["iot"],
    "budget_eur": 1000,
    "desired_start": "2030-01-01",
    "duration_days": 30,
    "kpis": [{"name": "usage", "unit": "visits", "baseline": 1, "target": 2}],
}
# (method, path, body, expected by role), in the order they run: mutating calls come last.
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, object]]] = [
    ("GET", "/api/v1/me", None, expect()),
    ("GET", "/api/v1/themes", None, expect()),
    ("GET", "/api/v1/towns", None, expect()),
    ("GET", "/api/v1/companies", None, expect(officer_a=403, officer_b=403)),
    (
        "GET",
        f"/api/v1/companies/{COMPANY}",
        None,
        # officer_a's pilot invited X: its public profile; officer_b met X on no pilot.
        expect(officer_b=404, company_y=404),
    ),
    (
        "PATCH",
        f"/api/v1/companies/{COMPANY}",
        {"description": "Lighting"},
        expect(officer_a=403, officer_b=403, company_y=404),
    ),
    ("GET", "/api/v1/users", None, ONLY_ADMIN),
    ("GET", "/api/v1/pilots", None, expect()),
    ("GET", f"/api/v1/pilots/{PILOT}", None, PILOT_READ),
    ("GET", f"/api/v1/pilots/{PILOT}/events", None, PILOT_READ),
    ("GET", f"/api/v1/pilots/{PILOT}/workflow-history", None, ONLY_ADMIN),
    ("GET", f"/api/v1/pilots/{PILOT}/notifications", None, ONLY_ADMIN),
    ("GET", "/api/v1/admin/overview", None, ONLY_ADMIN),
    ("GET", "/api/v1/admin/lead-times?group=town", None, ONLY_ADMIN),
    ("GET", "/api/v1/admin/funnel?by=month", None, ONLY_ADMIN),
    ("POST", "/api/v1/themes", {"code": "green", "name": "Green"}, ONLY_ADMIN),
    ("POST", "/api/v1/towns", {"name": "Wattrelos"}, ONLY_ADMIN),
    (
        "POST",
        "/api/v1/companies",
        {"name": "New", "contact_email": "n@new.example", "themes": [], "tags": []},
        ONLY_ADMIN,
    ),
    (
        "POST",
        "/api/v1/users",
        {"email": "x@y.example", "password": "long-enough-1", "role": "admin"},
        ONLY_ADMIN,
    ),
    ("POST", "/api/v1/pilots", PROPOSAL, expect(admin=403, company_x=403, company_y=403)),
    ("POST", f"/api/v1/pilots/{PILOT}/review", {"decision": "approve"}, _admin_action()),
    ("POST", f"/api/v1/pilots/{PILOT}/amend", {"title": "Renamed"}, _town_action()),
    (
        "POST",
        f"/api/v1/pilots/{PILOT}/respond",
        {"interested": False, "message": "no"},
        expect(admin=403, officer_a=403, officer_b=404, company_y=404),
    ),
    ("POST", f"/api/v1/pilots/{PILOT}/select-partner", {"company_id": COMPANY}, _town_action()),
    (
        "POST",
        f"/api/v1/pilots/{PILOT}/progress",
        {"note": "n"},
        expect(admin=403, officer_b=404, company_x=403, company_y=404),
    ),
    (
        "POST",
        f"/api/v1/pilots/{PILOT}/evaluation",
        {"satisfaction": 3, "recommendation": "stop"},
        _town_action(),
    ),
    ("POST", f"/api/v1/pilots/{PILOT}/decide", {"decision": "stop"}, _admin_action()),
    (
        "POST",
        f"/api/v1/pilots/{PILOT}/replicate",
        {},
        expect(admin=403, officer_b=404, company_x=403, company_y=404),
    ),
    (
        "POST",
        f"/api/v1/pilots/{PILOT}/end-trial",
        {"reason": "r"},
        expect(officer_b=404, company_x=403, company_y=404),
    ),
    ("POST", f"/api/v1/pilots/{PILOT}/withdraw", {"reason": "r"}, _town_action()),
    ("POST", f"/api/v1/pilots/{PILOT}/cancel", {"reason": "r"}, _admin_action()),
    # Last: signing out ends each role's token.
    ("POST", "/api/v1/auth/logout", None, expect()),
    (
        "GET",
        "/api/v1/me",
        None,
        expect(admin=401, officer_a=401, officer_b=401, company_x=401, company_y=401),
    ),
]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_every_endpoint_for_every_role(api: AsyncClient) -> None:
    region = Region(api)
    region.admin = await region.sign_in(*ADMIN)
    lille = await region.post("/api/v1/towns", {"name": "Lille"})
    roubaix = await region.post("/api/v1/towns", {"name": "Roubaix"})
    x = await region.post(
        "/api/v1/companies",
        {"name": "X", "contact_email": "x@x.example", "themes": ["efficient-city"], "tags": []},
    )
    y = await region.post(
        "/api/v1/companies",
        {"name": "Y", "contact_email": "y@y.example", "themes": ["creative-city"], "tags": []},
    )
    headers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "admin": region.admin,
        "officer_a": await region.user("a@lille.example", "town_officer", town_id=lille["id"]),
        "officer_b": await region.user("b@roubaix.example", "town_officer", town_id=roubaix["id"]),
        "company_x": await region.user("staff@x.example", "company", company_id=x["id"]),
        "company_y": await region.user("staff@y.example", "company", company_id=y["id"]),
    }
    body = PROPOSAL | {"desired_start": datetime.now(UTC).date().isoformat()}
    pilot = await region.post("/api/v1/pilots", body, headers["officer_a"])
    await region.post(f"/api/v1/pilots/{pilot['id']}/review", {"decision": "approve"})
    await until(
        lambda: api.get(f"/api/v1/pilots/{pilot['id']}", headers=headers["company_x"]),
        lambda response: response.status_code == 200,
    )

    failures = []
    for method, template, payload, expected in MATRIX:
        path = template.format(pilot=pilot["id"], company_x=x["id"])
        for role in ROLES:
            sent = _fill(payload, x["id"])
            response = await api.request(method, path, json=sent, headers=headers[role])
            wanted = expected[role]
            good = (
                response.status_code < 300 or response.status_code == 409
                if wanted == OK
                else response.status_code == wanted
            )
            if not good:
                failures.append(
                    f"{method} {template} as {role}: {response.status_code} "
                    f"(wanted {wanted}) {response.text[:120]}"
                )
    assert not failures, "\n".join(failures)


def _fill(payload: dict[str, Any] | None, company_id: str) -> dict[str, Any] | None:
    if payload is None:
        return None
    return {k: (company_id if v == COMPANY else v) for k, v in payload.items()}

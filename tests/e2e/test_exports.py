"""A pilot's audit export on the real dev server: the admin's joins the Temporal history and
the email; the town's and an invited company's hold only what their endpoints show them.
"""

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

from tests.e2e.conftest import ADMIN
from tests.e2e.test_http_lifecycle import Region, _until

Headers = dict[str, str]


async def _get(api: AsyncClient, path: str, headers: Headers) -> Any:
    response = await api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_audit_export_joins_trail_history_and_email(api: AsyncClient) -> None:
    region = Region(api)
    region.admin = await region.sign_in(*ADMIN)
    lille = await region.post("/api/v1/towns", {"name": "Lille"})
    roubaix = await region.post("/api/v1/towns", {"name": "Roubaix"})
    lumen = await region.post(
        "/api/v1/companies",
        {
            "name": "Lumen",
            "contact_email": "contact@lumen.example",
            "themes": ["efficient-city"],
            "tags": ["lighting"],
        },
    )
    officer = await region.user("officer@lille.example", "town_officer", town_id=lille["id"])
    stranger = await region.user("officer@roubaix.example", "town_officer", town_id=roubaix["id"])
    staff = await region.user("staff@lumen.example", "company", company_id=lumen["id"])
    body = {
        "title": 'Éclairage, "intelligent"',
        "summary": "Dim the lights.",
        "theme": "efficient-city",
        "needs": ["lighting"],
        "budget_eur": 1000,
        "desired_start": datetime.now(UTC).date().isoformat(),
        "duration_days": 30,
        "kpis": [{"name": "energy", "unit": "kWh", "baseline": 100, "target": 70}],
    }
    pilot = await region.post("/api/v1/pilots", body, officer)
    url = f"/api/v1/pilots/{pilot['id']}"
    await region.post(f"{url}/review", {"decision": "approve", "comment": "internal note"})
    await _until(lambda: _get(api, url, region.admin), lambda p: p.get("candidates"))
    # Every email the approval causes is out, the last being the invitations: the export
    # then reads what the endpoint reads after it (waiting on three let a queued one race).
    invited = {"contact@lumen.example", "staff@lumen.example"}
    sent = await _until(
        lambda: _get(api, f"{url}/notifications", region.admin),
        lambda mails: (
            invited <= {m["to"] for m in mails if m["template"] == "invitation"}
            and all(m["status"] == "sent" for m in mails)
        ),
    )

    export = await _get(api, f"{url}/audit-export", region.admin)
    assert export["pilot"] == await _get(api, url, region.admin)
    assert export["events"] == await _get(api, f"{url}/events", region.admin)
    assert export["notifications"] == await _get(api, f"{url}/notifications", region.admin)
    assert len(export["notifications"]) >= len(sent)
    history = await _get(api, f"{url}/workflow-history", region.admin)
    exported = export["workflow_history"]
    assert exported["temporal_ui_url"] == history["temporal_ui_url"]
    # The workflow may have moved on between the two reads: the export is a prefix of now.
    assert exported["events"] == history["events"][: len(exported["events"])]
    assert exported["events"][0]["type"] == "workflow_execution_started"

    for party in (officer, staff):
        mine = await _get(api, f"{url}/audit-export", party)
        assert mine["events"] == await _get(api, f"{url}/events", party)
        assert mine["workflow_history"] is None and mine["notifications"] is None
    town_comment = [
        e["data"].get("comment")
        for e in (await _get(api, f"{url}/audit-export", officer))["events"]
    ]
    assert "internal note" in town_comment
    company_events = (await _get(api, f"{url}/audit-export", staff))["events"]
    assert all("comment" not in e["data"] for e in company_events)
    assert (await api.get(f"{url}/audit-export", headers=stranger)).status_code == 404

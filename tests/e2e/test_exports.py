"""A pilot's audit export on the real dev server: the admin's joins the Temporal history and
the email; the town's and an invited company's hold only what their endpoints show them.
"""

from httpx import AsyncClient

from tests.e2e.conftest import ADMIN
from tests.support.region import Region, get_json, proposal, until


async def test_audit_export_joins_trail_history_and_email(api: AsyncClient) -> None:
    region = await Region.signed_in(api, ADMIN)
    lille = await region.town("Lille")
    roubaix = await region.town("Roubaix")
    lumen = await region.company("Lumen")
    officer, stranger, staff = lille.officer, roubaix.officer, lumen.staff
    # A comma and quotes in the title: the export's JSON must carry them as they are.
    body = proposal(title='Éclairage, "intelligent"')
    pilot = await region.post("/api/v1/pilots", body, officer)
    url = f"/api/v1/pilots/{pilot['id']}"
    await region.post(f"{url}/review", {"decision": "approve", "comment": "internal note"})
    await until(lambda: get_json(api, url, region.admin), lambda p: p.get("candidates"))
    # Every email the approval causes is out, the last being the invitations: the export
    # then reads what the endpoint reads after it (waiting on three let a queued one race).
    invited = {"contact@lumen.example", "staff@lumen.example"}
    sent = await until(
        lambda: get_json(api, f"{url}/notifications", region.admin),
        lambda mails: (
            invited <= {m["to"] for m in mails if m["template"] == "invitation"}
            and all(m["status"] == "sent" for m in mails)
        ),
    )

    export = await get_json(api, f"{url}/audit-export", region.admin)
    assert export["pilot"] == await get_json(api, url, region.admin)
    assert export["events"] == await get_json(api, f"{url}/events", region.admin)
    assert export["notifications"] == await get_json(api, f"{url}/notifications", region.admin)
    assert len(export["notifications"]) >= len(sent)
    history = await get_json(api, f"{url}/workflow-history", region.admin)
    exported = export["workflow_history"]
    assert exported["temporal_ui_url"] == history["temporal_ui_url"]
    # The workflow may have moved on between the two reads: the export is a prefix of now.
    assert exported["events"] == history["events"][: len(exported["events"])]
    assert exported["events"][0]["type"] == "workflow_execution_started"

    for party in (officer, staff):
        mine = await get_json(api, f"{url}/audit-export", party)
        assert mine["events"] == await get_json(api, f"{url}/events", party)
        assert mine["workflow_history"] is None and mine["notifications"] is None
    town_comment = [
        e["data"].get("comment")
        for e in (await get_json(api, f"{url}/audit-export", officer))["events"]
    ]
    assert "internal note" in town_comment
    company_events = (await get_json(api, f"{url}/audit-export", staff))["events"]
    assert all("comment" not in e["data"] for e in company_events)
    assert (await api.get(f"{url}/audit-export", headers=stranger)).status_code == 404

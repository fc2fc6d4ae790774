"""The permission matrix, field by field: what each party reads of a pilot and of its events.

Real pilots played through HTTP on the real dev server. Every field of the Pilot body and
every key of every event's data is named in the tables below with the parties that read
it (docs/SECURITY.md, "Confidentiality"); each party's answers are then compared with the
admin's, which are whole. A field or an event key the tables do not name fails the test.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient

from core.settings import Settings
from service.pages.session import SESSION_COOKIE
from service.schemas.pilots import PilotPublic
from tests.e2e.conftest import ADMIN
from tests.support.region import Region, proposal, until

ADMIN_R, OWN, OTHER = "admin", "own_town", "other_town"
PARTNER, DECLINED, INVITED = "partner", "declined", "invited"
TOWN_SIDE = {ADMIN_R, OWN}
COMPANIES = {PARTNER, DECLINED, INVITED}
TRIAL = TOWN_SIDE | {PARTNER}
PUBLISHED = TRIAL | {OTHER}
MATCHING = TRIAL | COMPANIES
EVERYONE = PUBLISHED | COMPANIES

# Each field of the Pilot body: who reads its value (the others read null or []).
OWN_ENTRY, CALLER = "own entry", "caller"
EVERYONES_FIELDS = (
    "id", "town_id", "title", "summary", "theme", "needs", "budget_eur", "desired_start",
    "duration_days", "kpis", "stage", "round", "parent_id", "created_at", "updated_at",
)  # fmt: skip
PILOT_FIELDS: dict[str, set[str] | str] = {
    **dict.fromkeys(EVERYONES_FIELDS, EVERYONE),
    "candidates": OWN_ENTRY,  # all for the town's side, its own for a company, none else
    "allowed_actions": CALLER,
    "outcome": PUBLISHED,
    "partner_company_id": PUBLISHED,
    "partner_company_name": PUBLISHED,
    "trial_start": PUBLISHED,
    "trial_end": PUBLISHED,
    "evaluation": PUBLISHED,
    "deadline": TRIAL,  # and an invited company's, while it may answer
    "waiting_on": TRIAL,
    # The trial's evidence (the others read [], [] and 0).
    "kpi_series": TRIAL,
    "missed_checkins": TRIAL,
    "missed_checkin_count": TRIAL,
}
# Each event kind: who reads it, and who reads each key of its data.
EVENTS: dict[str, tuple[set[str], dict[str, set[str]]]] = {
    "submitted": (EVERYONE, {"title": EVERYONE}),
    "amended": (EVERYONE, {"title": EVERYONE}),
    "review_reminder": (TOWN_SIDE, {"reminder": TOWN_SIDE}),
    "reviewed": (EVERYONE, {"decision": EVERYONE, "comment": TOWN_SIDE}),
    "companies_invited": (MATCHING, {"round": MATCHING, "company_ids": MATCHING}),
    "invitation_reminder": (MATCHING, {"company_ids": MATCHING}),
    "responses_closed": (MATCHING, {"round": MATCHING, "expired": MATCHING}),
    # A company reads its own answer only (checked apart).
    "answered": (
        TOWN_SIDE | COMPANIES,
        {"company_id": MATCHING, "interested": MATCHING, "message": MATCHING},
    ),
    "partner_selected": (EVERYONE, {"company_id": PUBLISHED, "trial_start": PUBLISHED}),
    "trial_started": (EVERYONE, {}),
    "progress_reported": (TRIAL, {"measurements": TRIAL, "note": TRIAL}),
    "checkin_requested": (TRIAL, {"checkin": TRIAL}),
    "checkin_reminder": (TRIAL, {"checkin": TRIAL, "parties": TRIAL}),
    "checkin_missed": (TRIAL, {"checkin": TRIAL}),
    "trial_ended": (EVERYONE, {"reason": TRIAL}),
    "evaluation_reminder": (TRIAL, {"reminder": TRIAL}),
    "evaluation_submitted": (
        PUBLISHED,
        {k: PUBLISHED for k in ("kpi_results", "satisfaction", "lessons", "recommendation")},
    ),
    "decided": (
        EVERYONE,
        {"decision": PUBLISHED, "extension_days": PUBLISHED, "comment": TOWN_SIDE},
    ),
    "unmatched": (EVERYONE, {"reason": TRIAL}),
    "cancelled": (EVERYONE, {"reason": TRIAL}),
    "withdrawn": (EVERYONE, {"reason": TRIAL}),
    "generalization_offered": (EVERYONE, {}),
}
DEADLINE = ("deadline", "waiting_on")
# Lists of company ids: a company reads its own id there and no other.
COMPANY_LISTS = ("company_ids", "expired")

REVIEW_COMMENT = "REVIEW-COMMENT-to-the-town"
DECISION_COMMENT = "DECISION-COMMENT-to-the-town"
OFFER_P, OFFER_D = "OFFER-of-the-partner", "OFFER-of-the-declined"
NOTE_P, NOTE_TOWN = "NOTE-of-the-partner", "NOTE-of-the-town"
END_REASON = "END-REASON-sensors-broke"
LESSONS = "LESSONS-learnt-publicly"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The e2e settings with this test's lifecycle rules (a day is half a second)."""
    return settings.model_copy(update=getattr(request, "param", {}))


@dataclass
class Party:
    relation: str
    headers: dict[str, str]
    company_id: str | None = None

    @property
    def cookie(self) -> dict[str, str]:
        """The page session of the same user: the cookie holds the API's token."""
        token = self.headers["Authorization"].removeprefix("Bearer ")
        return {"Cookie": f"{SESSION_COOKIE}={token}"}


class Scene:
    """A region with a town, another town, three invited companies and a stranger."""

    def __init__(self, api: AsyncClient) -> None:
        self.api = api
        self.region = Region(api)

    async def build(self) -> None:
        region = self.region
        region.admin = await region.sign_in(*ADMIN)
        lille = await region.post("/api/v1/towns", {"name": "Lille"})
        roubaix = await region.post("/api/v1/towns", {"name": "Roubaix"})
        self.parties = {
            ADMIN_R: Party(ADMIN_R, region.admin),
            OWN: Party(OWN, await self._officer("o@lille.example", lille["id"])),
            OTHER: Party(OTHER, await self._officer("o@roubaix.example", roubaix["id"])),
        }
        for relation, name in ((PARTNER, "Partner Co"), (DECLINED, "Declining Co")):
            self.parties[relation] = await self._company(relation, name, "efficient-city")
        self.parties[INVITED] = await self._company(INVITED, "Idle Co", "efficient-city")
        self.stranger = await self._company("stranger", "Stranger Co", "creative-city")

    async def _officer(self, email: str, town_id: str) -> dict[str, str]:
        return await self.region.user(email, "town_officer", town_id=town_id)

    async def _company(self, relation: str, name: str, theme: str) -> Party:
        slug = name.split()[0].lower()
        body = {"name": name, "contact_email": f"hello@{slug}.example", "themes": [theme]}
        company = await self.region.post("/api/v1/companies", body | {"tags": ["lighting"]})
        staff = await self.region.user(f"staff@{slug}.example", "company", company_id=company["id"])
        return Party(relation, staff, company["id"])

    def headers(self, relation: str) -> dict[str, str]:
        return self.parties[relation].headers

    async def submit(self) -> str:
        pilot = await self.region.post("/api/v1/pilots", proposal(), self.headers(OWN))
        return f"/api/v1/pilots/{pilot['id']}"

    async def act(self, url: str, action: str, body: dict[str, Any], relation: str) -> Any:
        return await self.region.post(f"{url}/{action}", body, self.headers(relation))

    async def get(self, url: str, relation: str) -> Any:
        response = await self.api.get(url, headers=self.headers(relation))
        assert response.status_code == 200, (relation, response.text)
        return response.json()

    async def until_event(self, url: str, kind: str) -> None:
        await until(
            lambda: self.get(f"{url}/events", ADMIN_R),
            lambda events: any(e["kind"] == kind for e in events),
        )

    async def check_pilot(
        self, url: str, relations: tuple[str, ...], answering: frozenset[str] = frozenset()
    ) -> None:
        """Every field of the body, for every party, against the admin's whole body.

        `answering`: the companies still asked for their answer, who read its deadline.
        """
        assert set(PILOT_FIELDS) == set(PilotPublic.model_fields), "a field has no rule"
        whole = await self.get(url, ADMIN_R)
        listed = await self.get("/api/v1/pilots?limit=100", ADMIN_R)
        assert next(p for p in listed["items"] if p["id"] == whole["id"]) == whole
        for key in relations:
            party = self.parties[key]
            relation = party.relation
            seen = await self.get(url, key)
            # The list shows each pilot exactly as its detail does.
            listed = await self.get("/api/v1/pilots?limit=100", key)
            assert next(p for p in listed["items"] if p["id"] == whole["id"]) == seen
            for name, readers in PILOT_FIELDS.items():
                where = f"{name} as {relation}"
                if readers == OWN_ENTRY:
                    own = [c for c in whole[name] if c["company_id"] == party.company_id]
                    wanted = whole[name] if relation in TOWN_SIDE else own
                    assert seen[name] == wanted, where
                elif readers == CALLER:
                    continue
                elif relation in readers or (name in DEADLINE and relation in answering):
                    assert seen[name] == whole[name], where
                else:
                    assert seen[name] in (None, [], 0), where
        assert (await self.api.get(url, headers=self.stranger.headers)).status_code == 404

    async def check_events(self, url: str, relations: tuple[str, ...]) -> list[str]:
        """Every key of every event, for every party, against the admin's whole trail."""
        whole = await self.get(f"{url}/events", ADMIN_R)
        for event in whole:
            assert event["kind"] in EVENTS, f"no rule for {event['kind']}"
            assert set(event["data"]) <= set(EVENTS[event["kind"]][1]), event
        for key in relations:
            party = self.parties[key]
            seen = {e["seq"]: e for e in await self.get(f"{url}/events", key)}
            wanted = {}
            for event in whole:
                shown = _expected(event, party)
                if shown is not None:
                    wanted[event["seq"]] = shown
            assert seen == wanted, key
        return [e["kind"] for e in whole]


def _expected(event: dict[str, Any], party: Party) -> dict[str, Any] | None:
    relation = party.relation
    readers, keys = EVENTS[event["kind"]]
    if relation not in readers:
        return None
    mine = event["data"].get("company_id") == party.company_id
    if event["kind"] == "answered" and relation in COMPANIES and not mine:
        return None
    data = {}
    for key, value in event["data"].items():
        if relation not in keys[key]:
            continue
        if key in COMPANY_LISTS and relation in COMPANIES:
            value = [c for c in value if c == party.company_id]
        data[key] = value
    actor = dict(event["actor"])
    if relation == OTHER and "user_id" in actor:
        actor["user_id"] = None  # another town reads who acted by role only
    return {**event, "data": data, "actor": actor}


MAIN_RULES = {
    "review_reminder_days": 1,
    "review_reminders": 1,
    "response_days": 10_000,
    "checkin_period_days": 4,
    "evaluation_reminder_days": 1,
    "evaluation_reminders": 1,
}


@pytest.mark.parametrize("settings", [MAIN_RULES], indirect=True)
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_each_party_reads_its_part_of_a_generalized_pilot(api: AsyncClient) -> None:
    scene = Scene(api)
    await scene.build()
    p, d = scene.parties[PARTNER], scene.parties[DECLINED]
    url = await scene.submit()
    await scene.until_event(url, "review_reminder")
    changes = {"decision": "request_changes", "comment": REVIEW_COMMENT}
    await scene.act(url, "review", changes, ADMIN_R)
    await scene.act(url, "amend", {"title": "Éclairage très intelligent"}, OWN)
    await scene.act(url, "review", {"decision": "approve", "comment": "Go"}, ADMIN_R)
    await until(lambda: scene.get(url, ADMIN_R), lambda pilot: len(pilot["candidates"]) == 3)

    await scene.act(url, "respond", {"interested": True, "message": OFFER_P}, PARTNER)
    await scene.act(url, "respond", {"interested": False, "message": OFFER_D}, DECLINED)
    # While they may answer, the invited companies read their deadline.
    companies = (PARTNER, DECLINED, INVITED)
    # Before the choice, the partner-to-be is one invited company among others.
    p.relation = INVITED
    await scene.check_pilot(url, (ADMIN_R, OWN, *companies), answering=frozenset(companies))
    p.relation = PARTNER
    await scene.act(url, "select-partner", {"company_id": p.company_id}, OWN)
    measurements = [{"kpi": "energy", "value": 820}]
    await scene.act(url, "progress", {"measurements": measurements, "note": NOTE_P}, PARTNER)
    await scene.act(url, "progress", {"measurements": measurements, "note": NOTE_TOWN}, OWN)
    await scene.until_event(url, "checkin_requested")
    await scene.check_pilot(url, (ADMIN_R, OWN, *companies))
    await scene.act(url, "end-trial", {"reason": END_REASON}, PARTNER)
    await scene.until_event(url, "evaluation_reminder")
    evaluation = {
        "kpi_results": [{"kpi": "energy", "value": 690}],
        "satisfaction": 5,
        "lessons": LESSONS,
        "recommendation": "generalize",
    }
    await scene.act(url, "evaluation", evaluation, OWN)
    decision = {"decision": "generalize", "comment": DECISION_COMMENT}
    await scene.act(url, "decide", decision, ADMIN_R)
    await scene.until_event(url, "generalization_offered")

    await scene.check_pilot(url, tuple(scene.parties))
    kinds = await scene.check_events(url, tuple(scene.parties))
    assert {
        "submitted", "review_reminder", "reviewed", "amended", "companies_invited", "answered",
        "partner_selected", "progress_reported", "checkin_requested", "trial_ended",
        "evaluation_reminder", "evaluation_submitted", "decided", "generalization_offered",
    } <= set(kinds)  # fmt: skip
    other = await scene.get(url, OTHER)
    assert other["partner_company_name"] == "Partner Co" and other["evaluation"]["lessons"]
    # The evidence the matrix compared was there: the partner's and the town's reports.
    reporters = [p["reporter"] for p in (await scene.get(url, ADMIN_R))["kpi_series"][0]["points"]]
    assert reporters == ["partner", "town"] and other["kpi_series"] == []
    assert other["candidates"] == [] and other["allowed_actions"] == ["replicate"]
    declined = await scene.get(url, DECLINED)
    assert [c["message"] for c in declined["candidates"]] == [OFFER_D]

    # The pages show the same, no more.
    pilot_page = url.replace("/api/v1", "")
    page = await api.get(pilot_page, headers=d.cookie)
    assert page.status_code == 200, page.text
    for secret in (NOTE_P, NOTE_TOWN, DECISION_COMMENT, REVIEW_COMMENT, END_REASON, OFFER_P):
        assert secret not in page.text, secret
    assert LESSONS not in page.text and "Partner Co" not in page.text
    page = await api.get(pilot_page, headers=scene.parties[OTHER].cookie)
    assert page.status_code == 200, page.text
    assert 'id="candidates-title"' not in page.text
    for secret in (OFFER_P, OFFER_D, "Declining Co", "Idle Co", NOTE_P, DECISION_COMMENT):
        assert secret not in page.text, secret
    for address in ("o@lille.example", "staff@partner.example", "hello@partner.example"):
        assert address not in page.text, address
    assert LESSONS in page.text and "Partner Co" in page.text
    page = await api.get(pilot_page, headers=p.cookie)
    assert NOTE_TOWN in page.text and END_REASON in page.text
    assert DECISION_COMMENT not in page.text and OFFER_D not in page.text
    page = await api.get(pilot_page, headers=scene.parties[OWN].cookie)
    for shown in (NOTE_P, DECISION_COMMENT, REVIEW_COMMENT, OFFER_P, OFFER_D, "Idle Co"):
        assert shown in page.text, shown


TIMER_RULES = {
    "review_reminder_days": 1,
    "review_reminders": 1,
    "response_days": 2,
    "response_reminder_before_days": 1,
    "matching_rounds": 1,
}


@pytest.mark.parametrize("settings", [TIMER_RULES], indirect=True)
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_each_party_reads_its_part_of_a_pilot_no_company_answered(
    api: AsyncClient,
) -> None:
    """Reminders, closed responses and the end: what the invited companies read of them."""
    scene = Scene(api)
    await scene.build()
    url = await scene.submit()
    await scene.until_event(url, "review_reminder")
    await scene.act(url, "review", {"decision": "approve"}, ADMIN_R)
    await until(lambda: scene.get(url, ADMIN_R), lambda pilot: pilot["stage"] == "unmatched")
    # Nobody answered: every invited company is just that, an invited one.
    for relation in (PARTNER, DECLINED, INVITED):
        scene.parties[relation].relation = INVITED
    assert (await api.get(url, headers=scene.headers(OTHER))).status_code == 404
    del scene.parties[OTHER]
    await scene.check_pilot(url, tuple(scene.parties))
    kinds = await scene.check_events(url, tuple(scene.parties))
    for kind in ("review_reminder", "invitation_reminder", "responses_closed", "unmatched"):
        assert kind in kinds, kind

"""Profiles: a company's public profile for the officers who met it, and one's own profile.

Pilots are written to the read model the way the workflow's activity writes them
(`apply_state`), so these tests need no Temporal server; each runs on SQLite and PostgreSQL.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.disclosure import (
    COMPANY_FIELDS,
    PAST_PILOT_FIELDS,
    ProfileReader,
    Viewer,
    company_fields,
    profile_reader,
)
from core.models import Candidate, Pilot, User
from core.pilot_state import apply_state
from service.schemas.reference import CompanyProfile, CompanyPublic, PastPilot
from tests.pages.conftest import page_sign_in
from tests.service.conftest import Headers
from workflows.contracts import CandidateState, PilotState, Proposal

NOW = datetime.now(UTC)
PUBLIC_KEYS = {"id", "name", "description", "themes", "tags", "areas", "past_pilots"}
PAST_KEYS = {"id", "title", "town_id", "theme", "outcome", "trial_end"}
OFFER = "Nous posons 40 lampadaires pour 9000 euros"
SCORE = 77.25


async def _pilot(
    sessions: async_sessionmaker[AsyncSession],
    pilot_id: str,
    town_id: str,
    title: str,
    *,
    stage: str,
    candidates: list[tuple[str, str, str]],
    partner: str | None = None,
    outcome: str | None = None,
) -> str:
    """A pilot with its candidates (company id, name, status) and maybe a partner."""
    proposal = Proposal(
        town_id, title, f"About {title}", "efficient-city", [], 1.0, date(2027, 1, 1), 30
    )
    state = PilotState(pilot_id, town_id, proposal, stage, NOW, NOW, outcome=outcome)
    state.candidates = [
        CandidateState(cid, name, SCORE, ["fits"], 1, status, OFFER)
        for cid, name, status in candidates
    ]
    state.partner_company_id = partner
    if partner:
        state.trial_start, state.trial_end = NOW - timedelta(days=60), NOW - timedelta(days=30)
    async with transaction(sessions) as session:
        row = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=NOW)
        apply_state(row, state, 1)
        session.add(row)
        await session.flush()
        for cid, _name, status in candidates:
            session.add(
                Candidate(
                    pilot_id=pilot_id,
                    company_id=cid,
                    score=SCORE,
                    reasons=["fits"],
                    status=status,
                    round=1,
                    message=OFFER,
                )
            )
    return pilot_id


class Region:
    """Lille and Roubaix; Acme, Globex and Initech; four pilots.

    - lille-open: Lille, matching, Acme interested (with an offer and a score);
    - lille-done: Lille, closed `stop`, Acme the partner;
    - roubaix-done: Roubaix, closed `stop`, Acme the partner (Lille may not see it);
    - roubaix-gen: Roubaix, closed `generalize`, Globex the partner (every town sees it);
    Initech is on no pilot.
    """

    def __init__(self, client: AsyncClient, admin: Headers) -> None:
        self.client, self.admin = client, admin

    async def build(
        self, make_town: Any, make_company: Any, make_user: Any, sessions: Any, make_theme: Any
    ) -> "Region":
        self.lille, self.roubaix = await make_town("Lille"), await make_town("Roubaix")
        self.acme = await make_company(
            "Acme",
            contact_email="secret-contact@acme.example",
            description="Smart lighting for streets",
            themes=["efficient-city"],
            tags=["lighting"],
            areas=[self.lille["id"]],
        )
        self.globex = await make_company("Globex", contact_email="hidden@globex.example")
        self.initech = await make_company("Initech")
        acme, globex = self.acme["id"], self.globex["id"]
        await _pilot(
            sessions, "lille-open", self.lille["id"], "Lampadaires connectés",
            stage="matching", candidates=[(acme, "Acme", "interested")],
        )  # fmt: skip
        await _pilot(
            sessions, "lille-done", self.lille["id"], "Éclairage du parc",
            stage="closed", outcome="stop", partner=acme,
            candidates=[(acme, "Acme", "selected")],
        )  # fmt: skip
        await _pilot(
            sessions, "roubaix-done", self.roubaix["id"], "Éclairage de Roubaix",
            stage="closed", outcome="stop", partner=acme,
            candidates=[(acme, "Acme", "selected")],
        )  # fmt: skip
        await _pilot(
            sessions, "roubaix-gen", self.roubaix["id"], "Capteurs de bruit",
            stage="closed", outcome="generalize", partner=globex,
            candidates=[(globex, "Globex", "selected")],
        )  # fmt: skip
        self.lille_officer = await make_user(
            "o@lille.example", "town_officer", town_id=self.lille["id"]
        )
        self.roubaix_officer = await make_user(
            "o@roubaix.example", "town_officer", town_id=self.roubaix["id"]
        )
        self.acme_staff = await make_user("staff@acme.example", "company", company_id=acme)
        return self

    async def get(self, company: dict[str, Any], headers: Headers) -> Any:
        return await self.client.get(f"/api/v1/companies/{company['id']}", headers=headers)


async def _region(
    client, admin, make_town, make_company, make_user, sessions, make_theme
) -> Region:
    return await Region(client, admin).build(
        make_town, make_company, make_user, sessions, make_theme
    )


async def test_an_officer_reads_the_public_profile_of_a_candidate(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions, make_theme
) -> None:
    region = await _region(client, admin, make_town, make_company, make_user, sessions, make_theme)
    response = await region.get(region.acme, region.lille_officer)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert set(profile) == PUBLIC_KEYS
    assert profile["name"] == "Acme"
    assert profile["description"] == "Smart lighting for streets"
    assert profile["themes"] == ["efficient-city"]
    assert profile["areas"] == [region.lille["id"]]
    # Its past pilots: Lille's own, not Roubaix's stopped one (another town reads nothing of it).
    assert [p["id"] for p in profile["past_pilots"]] == ["lille-done"]
    past = profile["past_pilots"][0]
    assert set(past) == PAST_KEYS
    assert (past["title"], past["town_id"], past["outcome"]) == (
        "Éclairage du parc",
        region.lille["id"],
        "stop",
    )
    # Nothing the confidentiality table keeps: no address, no offer, no score, no settings.
    for secret in ("secret-contact@acme.example", OFFER, str(SCORE), "unsubscribed", "locale"):
        assert secret not in response.text


async def test_an_officer_reads_the_partner_of_a_generalized_pilot_and_nothing_else(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions, make_theme
) -> None:
    region = await _region(client, admin, make_town, make_company, make_user, sessions, make_theme)
    globex = await region.get(region.globex, region.lille_officer)
    assert globex.status_code == 200, globex.text
    assert [p["id"] for p in globex.json()["past_pilots"]] == ["roubaix-gen"]
    assert "hidden@globex.example" not in globex.text
    # Initech is on none of Lille's pilots: hidden, as an unknown id is.
    assert (await region.get(region.initech, region.lille_officer)).status_code == 404
    unknown = await client.get("/api/v1/companies/nosuch", headers=region.lille_officer)
    assert unknown.status_code == 404
    # Roubaix met Acme as its own pilot's partner: it reads its own past pilot, not Lille's.
    acme = await region.get(region.acme, region.roubaix_officer)
    assert acme.status_code == 200, acme.text
    assert [p["id"] for p in acme.json()["past_pilots"]] == ["roubaix-done"]
    # Officers still list no companies.
    assert (await client.get("/api/v1/companies", headers=region.lille_officer)).status_code == 403


async def test_admins_and_the_company_keep_the_full_answer_others_get_404(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions, make_theme
) -> None:
    region = await _region(client, admin, make_town, make_company, make_user, sessions, make_theme)
    full = set(CompanyPublic.model_fields)
    as_admin = await region.get(region.acme, admin)
    assert as_admin.json() == region.acme and set(as_admin.json()) == full
    itself = await region.get(region.acme, region.acme_staff)
    assert itself.json() == region.acme
    assert (await region.get(region.globex, region.acme_staff)).status_code == 404
    assert (await region.get(region.initech, region.acme_staff)).status_code == 404


def test_the_policy_rules_every_part_of_the_public_profile() -> None:
    officer = company_fields(ProfileReader.OFFICER)
    # The schema an officer receives carries exactly what the policy gives an officer.
    assert set(CompanyProfile.model_fields) == officer
    assert set(CompanyPublic.model_fields) <= set(COMPANY_FIELDS)
    assert {"contact_email", "locale", "unsubscribed", "active"}.isdisjoint(officer)
    assert set(PastPilot.model_fields) == set(PAST_PILOT_FIELDS)
    company = Viewer("company", company_id="c1")
    assert profile_reader(company, "c1", knows_company=False) == ProfileReader.ITSELF
    assert profile_reader(company, "c2", knows_company=True) == ProfileReader.NONE
    officer_viewer = Viewer("town_officer", town_id="t1")
    assert profile_reader(officer_viewer, "c1", knows_company=False) == ProfileReader.NONE
    assert profile_reader(officer_viewer, "c1", knows_company=True) == ProfileReader.OFFICER
    assert profile_reader(Viewer("admin"), "c1", knows_company=False) == ProfileReader.ADMIN


# ---- the pages ---------------------------------------------------------------------------


async def test_the_company_profile_page_from_the_candidates_list(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions, make_theme
) -> None:
    region = await _region(client, admin, make_town, make_company, make_user, sessions, make_theme)
    await page_sign_in(client, "o@lille.example")
    pilot_page = await client.get("/pilots/lille-open")
    assert pilot_page.status_code == 200, pilot_page.text
    link = f'href="/companies/{region.acme["id"]}"'
    assert link in pilot_page.text
    page = await client.get(f"/companies/{region.acme['id']}")
    assert page.status_code == 200, page.text
    assert "Smart lighting for streets" in page.text
    assert "Éclairage du parc" in page.text and 'href="/pilots/lille-done"' in page.text
    assert "Éclairage de Roubaix" not in page.text
    assert "secret-contact@acme.example" not in page.text and OFFER not in page.text
    assert (await client.get(f"/companies/{region.initech['id']}")).status_code == 404
    # In French too.
    await page_sign_in(client, "o@lille.example", locale="fr")
    french = await client.get(f"/companies/{region.acme['id']}")
    assert "Pilotes passés" in french.text


async def test_a_company_user_gets_404_for_another_companys_page(
    client: AsyncClient, admin: Headers, make_town, make_company, make_user, sessions, make_theme
) -> None:
    region = await _region(client, admin, make_town, make_company, make_user, sessions, make_theme)
    await page_sign_in(client, "staff@acme.example")
    assert (await client.get(f"/companies/{region.globex['id']}")).status_code == 404
    own = await client.get(f"/companies/{region.acme['id']}")
    assert own.status_code == 200 and "Smart lighting for streets" in own.text


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _csrf(client: AsyncClient, path: str) -> str:
    page = await client.get(path)
    match = CSRF.search(page.text)
    assert page.status_code == 200 and match is not None, page.text
    return match.group(1)


async def test_an_officer_saves_the_profile_and_the_setting_is_stored(
    client: AsyncClient, admin: Headers, make_town, make_user, sessions
) -> None:
    town = await make_town("Lille")
    headers = await make_user("o@lille.example", "town_officer", town_id=town["id"])
    await page_sign_in(client, "o@lille.example")
    dashboard = await client.get("/officer")
    assert 'href="/profile"' in dashboard.text
    page = await client.get("/profile")
    assert page.status_code == 200
    assert re.search(r'name="receives_offers" type="checkbox" value="yes" checked', page.text)

    # Unticked: no more offers; a new name and French.
    form = {"csrf_token": await _csrf(client, "/profile"), "name": "Camille", "locale": "fr"}
    saved = await client.post("/profile", data=form)
    assert saved.status_code == 303, saved.text
    async with transaction(sessions) as session:
        user = await session.get(
            User, (await client.get("/api/v1/me", headers=headers)).json()["id"]
        )
        assert user is not None
        assert (user.receives_offers, user.name, user.locale) == (False, "Camille", "fr")
    again = await client.get("/profile")
    assert "Mon profil" in again.text and "Profil enregistré." in again.text
    assert not re.search(r'name="receives_offers" type="checkbox" value="yes" checked', again.text)

    # Ticked again, back to English.
    form = {"csrf_token": await _csrf(client, "/profile"), "name": "Camille", "locale": "en"}
    form["receives_offers"] = "yes"
    assert (await client.post("/profile", data=form)).status_code == 303
    async with transaction(sessions) as session:
        user = await session.get(User, user.id)
        assert user is not None and user.receives_offers is True and user.locale == "en"


async def test_profile_errors_go_beside_their_fields_and_change_nothing(
    client: AsyncClient, admin: Headers, make_town, make_user, sessions
) -> None:
    town = await make_town("Lille")
    await make_user("o@lille.example", "town_officer", town_id=town["id"], name="Camille")
    await page_sign_in(client, "o@lille.example")
    form = {"csrf_token": await _csrf(client, "/profile"), "name": "x" * 201, "locale": "de"}
    refused = await client.post("/profile", data=form)
    assert refused.status_code == 422
    assert 'id="name-error"' in refused.text and 'id="locale-error"' in refused.text
    # Without the form's token, nothing is saved either.
    assert (await client.post("/profile", data={"name": "Mallory"})).status_code == 403
    me = await client.get("/profile")
    assert 'value="Camille"' in me.text


async def test_a_company_user_has_a_profile_without_offers(
    client: AsyncClient, admin: Headers, make_company, make_user
) -> None:
    company = await make_company("Acme")
    await make_user("staff@acme.example", "company", company_id=company["id"])
    await page_sign_in(client, "staff@acme.example")
    # Every signed-in user reaches it from the name in the page's header.
    assert 'href="/profile"' in (await client.get("/company")).text
    page = await client.get("/profile")
    assert page.status_code == 200 and "receives_offers" not in page.text
    form = {"csrf_token": await _csrf(client, "/profile"), "name": "Léa", "locale": "en"}
    assert (await client.post("/profile", data=form)).status_code == 303
    assert 'value="Léa"' in (await client.get("/profile")).text

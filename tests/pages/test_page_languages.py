"""The service's refusals read in the reader's language on the pages, while the API's JSON keeps
its English `detail`: a conflict on a form, a 403 and a 404 page, a refusal flash after an
action, and pydantic's errors beside a field."""

from datetime import UTC, date, datetime
from html import unescape

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import Pilot
from core.pilot_state import apply_state
from tests.pages.conftest import csrf_of, page_sign_in
from tests.service.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Headers
from workflows.contracts import PilotState, Proposal
from workflows.stages import Stage

LOCALES = ("fr", "en")


def _either(french: str, english: str) -> dict[str, str]:
    return {"fr": french, "en": english}


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_conflict_on_a_form_is_said_in_the_reader_s_language(
    client: AsyncClient, make_town, locale: str
) -> None:
    await make_town("Lille")
    await page_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, locale=locale)
    form = {"csrf_token": await csrf_of(client, "/admin/towns"), "name": "Lille"}
    response = await client.post("/admin/towns", data=form)
    assert response.status_code == 409
    said = _either("une commune avec ce nom existe déjà", "a town with this name exists")
    assert said[locale] in response.text
    assert said[{"fr": "en", "en": "fr"}[locale]] not in response.text


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_role_refusal_is_a_403_page_in_the_reader_s_language(
    client: AsyncClient, make_town, make_user, locale: str
) -> None:
    town = await make_town()
    headers = await make_user("officer@town.example", "town_officer", town_id=town["id"])
    await page_sign_in(client, "officer@town.example", locale=locale)
    response = await client.get("/admin/towns")
    assert response.status_code == 403
    titles = _either("Vous ne pouvez pas faire cela", "You may not do this")
    details = _either(
        "le rôle town_officer ne permet pas de faire cela", "a town_officer may not do this"
    )
    assert titles[locale] in response.text
    assert details[locale] in response.text
    api = await client.get("/api/v1/users", headers=headers)
    assert (api.status_code, api.json()) == (403, {"detail": "a town_officer may not do this"})


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_missing_pilot_is_a_404_page_in_the_reader_s_language(
    client: AsyncClient, admin: Headers, locale: str
) -> None:
    await page_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, locale=locale)
    response = await client.get("/pilots/" + "0" * 32)
    assert response.status_code == 404
    said = _either("Page introuvable", "Page not found")
    assert said[locale] in response.text
    api = await client.get("/api/v1/pilots/" + "0" * 32, headers=admin)
    assert (api.status_code, api.json()) == (404, {"detail": "no such pilot"})


class UnusedTemporal:
    """A connector whose client nobody may use: an ended pilot is refused before Temporal."""

    async def get(self) -> object:
        return object()


async def _ended_pilot(sessions: async_sessionmaker[AsyncSession], town_id: str) -> str:
    """A withdrawn pilot in this town, written as the workflow's activity writes it."""
    now = datetime.now(UTC)
    proposal = Proposal(town_id, "Benches", "Benches that count", "efficient-city", [], 1.0,
                        date(2027, 1, 1), 30)  # fmt: skip
    pilot_id = "e" * 32
    state = PilotState(pilot_id, town_id, proposal, Stage.WITHDRAWN, now, now)
    async with transaction(sessions) as session:
        pilot = Pilot(id=pilot_id, workflow_id=f"pilot-{pilot_id}", created_at=now)
        apply_state(pilot, state, 1)
        session.add(pilot)
    return pilot_id


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_refused_action_flashes_why_in_the_reader_s_language(
    app, client: AsyncClient, sessions, make_town, make_user, locale: str
) -> None:
    app.state.temporal = UnusedTemporal()
    town = await make_town()
    headers = await make_user("officer@town.example", "town_officer", town_id=town["id"])
    pilot_id = await _ended_pilot(sessions, town["id"])
    await page_sign_in(client, "officer@town.example", locale=locale)
    page = f"/pilots/{pilot_id}"
    form = {"csrf_token": await csrf_of(client, page), "reason": "no budget"}
    response = await client.post(f"{page}/actions/withdraw", data=form)
    assert (response.status_code, response.headers["location"]) == (303, page)
    said = _either(
        "Action non effectuée : le pilote est terminé (withdrawn) : il n'accepte plus d'action",
        "This was not done: the pilot has ended (withdrawn): it takes no more actions",
    )
    assert said[locale] in unescape((await client.get(page)).text)
    api = await client.post(f"/api/v1{page}/withdraw", json={}, headers=headers)
    assert api.status_code == 409
    assert api.json() == {"detail": "the pilot has ended (withdrawn): it takes no more actions"}


@pytest.mark.parametrize("locale", LOCALES)
async def test_pydantic_s_errors_beside_a_field_are_in_the_reader_s_language(
    client: AsyncClient, admin: Headers, make_town, locale: str
) -> None:
    await make_town("Roubaix")
    await page_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, locale=locale)
    fields = {"email": "new@town.example", "password": "short", "role": "town_officer"}
    form = {"csrf_token": await csrf_of(client, "/admin/users"), **fields}
    response = await client.post("/admin/users", data=form)
    assert response.status_code == 422
    assert 'id="password-error"' in response.text
    short = _either("Saisissez au moins 8 caractères.", "Enter at least 8 characters.")
    assert short[locale] in response.text
    # A validator's own text, about the whole form, once the password is long enough.
    long_enough = fields | {"password": "long-enough"}
    form = {"csrf_token": await csrf_of(client, "/admin/users"), **long_enough}
    response = await client.post("/admin/users", data=form)
    assert response.status_code == 422
    whole = _either(
        "un agent de commune doit être rattaché à une commune, et lui seul peut l'être",
        "a town_officer needs a town_id, and only a town_officer has one",
    )
    assert whole[locale] in unescape(response.text)
    api = await client.post("/api/v1/users", json=fields, headers=admin)
    assert api.status_code == 422
    assert [error["msg"] for error in api.json()["detail"]] == [
        "String should have at least 8 characters"
    ]

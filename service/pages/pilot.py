"""A pilot's page for whoever may see it, and the forms that act on it."""

import re
import uuid
from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from core.models import User
from core.repositories import ThemeRepository
from service.deps import SessionDep, SettingsDep, TemporalClientDep
from service.errors import Invalid, NotFound
from service.pages.actions import ACTIONS, refusal
from service.pages.flash import Flash, redirect
from service.pages.forms import field_errors, invalid_field, text_fields
from service.pages.i18n import translator
from service.pages.pilot_view import FailedForm, pilot_context
from service.pages.proposal_form import kpi_row_count, read_proposal, values_of
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageOfficer, PageUser
from service.pilots import workflow_id
from service.schemas.common import IdPath
from service.schemas.pilots import PilotCreate, PilotUpdate
from service.use_cases import pilot_actions, pilots
from service.use_cases.pilot_actions import PilotAction
from service.workflow_history import temporal_ui_url
from workflows.stages import Action

router = page_router(prefix="/pilots/{pilot_id}")

ActionPath = Annotated[str, Path(max_length=32, pattern=r"^[a-z-]+$")]
SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")


@router.get("")
async def pilot_page(
    *, request: Request, pilot_id: IdPath, session: SessionDep, user: PageUser
) -> Response:
    """The pilot, its partners, its timeline, and what this user may do now."""
    return await _page(request, session, user, pilot_id)


@router.post("/actions/{action}")
async def act(
    *,
    request: Request,
    pilot_id: IdPath,
    action: ActionPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    user: PageUser,
) -> Response:
    """One action, as its JSON endpoint; a refusal comes back as a message on the page."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound("no such action")
    _ = translator(page_locale(request))
    form = await request.form()
    parsed = spec.read(form)
    try:
        body = spec.schema.model_validate(parsed.data)
    except ValidationError as error:
        failed = FailedForm(action, text_fields(form), field_errors(error, _, parsed.field_of))
        return await _page(request, session, user, pilot_id, failed)
    try:
        on = PilotAction(session, client, settings, user, pilot_id, _submission_key(form))
        await spec.take(on, body)
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        flash = Flash("error", f"{_('This was not done:')} {refused.detail}")
        return redirect(f"/pilots/{pilot_id}", settings, flash=flash)
    return redirect(f"/pilots/{pilot_id}", settings, flash=Flash("success", _(spec.done)))


@router.get("/amend")
async def amend_form(
    *, request: Request, pilot_id: IdPath, session: SessionDep, officer: PageOfficer
) -> Response:
    """The proposal form, filled in, for the changes the programme team asked for."""
    pilot = await pilots.read_pilot(session, officer, pilot_id)
    if Action.AMEND not in pilot.allowed_actions:
        _ = translator(page_locale(request))
        flash = Flash("error", _("This pilot cannot be amended now."))
        return redirect(f"/pilots/{pilot_id}", request.app.state.settings, flash=flash)
    return await _amend_page(request, session, pilot_id, values_of(pilot), {})


@router.post("/amend")
async def amend(
    *,
    request: Request,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: PageOfficer,
) -> Response:
    """Send the amended proposal as POST .../amend does; errors go back beside their fields."""
    _ = translator(page_locale(request))
    form = await request.form()
    values = text_fields(form)
    proposal = read_proposal(form)
    try:
        # The form shows the whole proposal, so it must be whole, as when it was submitted.
        complete = PilotCreate.model_validate(proposal.data)
        body = PilotUpdate.model_validate(complete.model_dump())
    except ValidationError as error:
        errors = proposal.errors(error, _)
        return await _amend_page(request, session, pilot_id, values, errors, 422)
    try:
        on = PilotAction(session, client, settings, officer, pilot_id, _submission_key(form))
        await pilot_actions.amend(on, body)
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        field = invalid_field(refused) if isinstance(refused, Invalid) else ""
        return await _amend_page(request, session, pilot_id, values, {field: refused.detail}, 409)
    done = Flash("success", _("Proposal amended: it goes back to review."))
    return redirect(f"/pilots/{pilot_id}", settings, flash=done)


@router.post("/replicate")
async def replicate(
    *,
    request: Request,
    pilot_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: PageOfficer,
) -> Response:
    """Start the same pilot in the officer's town, as POST .../replicate does."""
    _ = translator(page_locale(request))
    key = _submission_key(await request.form())
    try:
        on = PilotAction(session, client, settings, officer, pilot_id, key)
        pilot = await pilot_actions.replicate(on)
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        flash = Flash("error", f"{_('This was not done:')} {refused.detail}")
        return redirect(f"/pilots/{pilot_id}", settings, flash=flash)
    done = Flash("success", _("Pilot replicated in your town: it is submitted for review."))
    return redirect(f"/pilots/{pilot.id}", settings, flash=done)


def _submission_key(form: FormData) -> str | None:
    """The key the page made when it rendered the form: a double submission acts once."""
    key = str(form.get("submission_key") or "")
    return key if SUBMISSION_KEY.match(key) else None


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    pilot_id: str,
    failed: FailedForm | None = None,
) -> Response:
    context = await pilot_context(session, user, pilot_id, failed)
    context["submission_key"] = uuid.uuid4().hex
    context["temporal_link"] = temporal_ui_url(request.app.state.settings, workflow_id(pilot_id))
    return render(request, "pilot.html", context, status_code=422 if failed else 200)


async def _amend_page(
    request: Request,
    session: AsyncSession,
    pilot_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    # The key the form sends back: an amendment submitted twice acts once.
    values.setdefault("submission_key", uuid.uuid4().hex)
    context = {
        "values": values,
        "errors": errors,
        "themes": [(t.code, t.name) for t in await ThemeRepository(session).all()],
        "kpi_rows": kpi_row_count(values),
        "action": f"/pilots/{pilot_id}/amend",
        "amending": {"id": pilot_id, "title": values.get("title", "")},
    }
    return render(request, "proposal_form.html", context, status_code=status_code)

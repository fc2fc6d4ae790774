"""A pilot's page for whoever may see it, and the forms that act on it."""

import uuid
from collections.abc import Awaitable
from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import User
from core.settings import Settings
from service.deps import SessionDep, SessionmakerDep, SettingsDep, TemporalClientDep
from service.errors import DomainError, Invalid, NotFound
from service.pages.actions import ACTIONS, refusal
from service.pages.flash import Flash, redirect
from service.pages.forms import field_errors, invalid_field, submission_key, text_fields
from service.pages.i18n import Translate, said, translator
from service.pages.pilot_view import FailedForm, pilot_context
from service.pages.proposal_form import proposal_page, read_proposal, values_of
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageOfficer, PageUser
from service.schemas.common import IdPath
from service.schemas.pilots import PilotCreate, PilotPublic, PilotUpdate
from service.use_cases import pilot_actions, pilots
from service.use_cases.pilot_actions import PilotAction
from service.workflow_history import temporal_ui_url
from workflows.contracts import workflow_id
from workflows.messages import N_
from workflows.stages import Action

router = page_router(prefix="/pilots/{pilot_id}")

ActionPath = Annotated[str, Path(max_length=32, pattern=r"^[a-z-]+$")]


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
        raise NotFound(N_("no such action"))
    _ = translator(page_locale(request))
    form = await request.form()
    parsed = spec.read(form)
    try:
        body = spec.schema.model_validate(parsed.data)
    except ValidationError as error:
        failed = FailedForm(action, text_fields(form), field_errors(error, _, parsed.field_of))
        return await _page(request, session, user, pilot_id, failed)
    on = PilotAction(session, client, settings, user, pilot_id, submission_key(form))
    answer = await _refused_or(spec.take(on, body))
    if isinstance(answer, DomainError):
        return _refused_redirect(pilot_id, answer, settings, _)
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
    return await proposal_page(request, session, values_of(pilot), {}, amending=pilot_id)


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
        return await proposal_page(
            request, session, values, errors, amending=pilot_id, status_code=422
        )
    on = PilotAction(session, client, settings, officer, pilot_id, submission_key(form))
    answer = await _refused_or(pilot_actions.amend(on, body))
    if isinstance(answer, DomainError):
        errors = {invalid_field(answer) if isinstance(answer, Invalid) else "": said(answer, _)}
        return await proposal_page(
            request, session, values, errors, amending=pilot_id, status_code=409
        )
    done = Flash("success", _("Proposal amended: it goes back to review."))
    return redirect(f"/pilots/{pilot_id}", settings, flash=done)


@router.post("/replicate")
async def replicate(
    *,
    request: Request,
    pilot_id: IdPath,
    session: SessionDep,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: PageOfficer,
) -> Response:
    """Start the same pilot in the officer's town, as POST .../replicate does."""
    _ = translator(page_locale(request))
    key = submission_key(await request.form())
    on = PilotAction(session, client, settings, officer, pilot_id, key)
    answer = await _refused_or(pilot_actions.replicate(on, sessions))
    if isinstance(answer, DomainError):
        return _refused_redirect(pilot_id, answer, settings, _)
    done = Flash("success", _("Pilot replicated in your town: it is submitted for review."))
    return redirect(f"/pilots/{answer.id}", settings, flash=done)


async def _refused_or(action: Awaitable[PilotPublic]) -> PilotPublic | DomainError:
    """The pilot an action answers, or the refusal (409, 422, 429, 503) to show the user.

    Any other error is the pages' error handlers' to answer.
    """
    try:
        return await action
    except Exception as error:
        refused = refusal(error)
        if refused is None:
            raise
        return refused


def _refused_redirect(
    pilot_id: str, refused: DomainError, settings: Settings, _: Translate
) -> Response:
    flash = Flash("error", _("This was not done:") + " " + said(refused, _))
    return redirect(f"/pilots/{pilot_id}", settings, flash=flash)


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

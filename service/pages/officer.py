"""A town officer's pages: the town's pilots by stage, submitting one, and replicable pilots."""

import uuid
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from core.pilot_repository import PilotFilters
from service.deps import SessionDep, SessionmakerDep, SettingsDep, TemporalClientDep
from service.errors import Invalid
from service.pages.directory import load_names
from service.pages.flash import Flash, redirect
from service.pages.forms import invalid_field, submission_key, text_fields
from service.pages.i18n import said, translator
from service.pages.proposal_form import proposal_page, read_proposal
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.pages.session import PageOfficer
from service.schemas.pilots import PilotCreate, PilotPublic
from service.use_cases import pilots
from workflows.stages import Action, Stage

router = page_router(prefix="/officer")

LISTED = 100


@router.get("")
async def dashboard(*, request: Request, session: SessionDep, officer: PageOfficer) -> Response:
    """The town's pilots by stage with their next deadline, and pilots offered to replicate."""
    own = await pilots.list_pilots(
        session, officer, PilotFilters(town_id=officer.town_id), limit=LISTED
    )
    closed = await pilots.list_pilots(
        session, officer, PilotFilters(stage=Stage.CLOSED), limit=LISTED
    )
    by_stage: dict[str, list[PilotPublic]] = {}
    for pilot in own.items:
        by_stage.setdefault(pilot.stage, []).append(pilot)
    offered = [p for p in closed.items if Action.REPLICATE in p.allowed_actions]
    names = await load_names(session)
    context = {
        "names": names,
        "town_name": names.town(officer.town_id),
        "stages": [(stage, by_stage[stage]) for stage in Stage if stage in by_stage],
        "offered": offered,
        "submission_keys": {pilot.id: uuid.uuid4().hex for pilot in offered},
        "now": datetime.now(UTC),
        "truncated": own.next_cursor is not None,
    }
    return render(request, "officer/dashboard.html", context)


@router.get("/pilots/new")
async def new_pilot_form(
    *, request: Request, session: SessionDep, _officer: PageOfficer
) -> Response:
    """The submission form."""
    return await proposal_page(request, session, {}, {})


@router.post("/pilots/new")
async def submit_pilot(
    *,
    request: Request,
    session: SessionDep,
    sessions: SessionmakerDep,
    settings: SettingsDep,
    client: TemporalClientDep,
    officer: PageOfficer,
) -> Response:
    """Submit the pilot as POST /api/v1/pilots does; errors go back beside their fields."""
    _ = translator(page_locale(request))
    form = await request.form()
    values = text_fields(form)
    proposal = read_proposal(form)
    try:
        body = PilotCreate.model_validate(proposal.data)
    except ValidationError as error:
        errors = proposal.errors(error, _)
        return await proposal_page(request, session, values, errors, status_code=422)
    try:
        pilot = await pilots.submit_pilot(
            sessions, client, settings, officer, body, submission_key(form)
        )
    except Invalid as error:
        errors = {invalid_field(error): said(error, _)}
        return await proposal_page(request, session, values, errors, status_code=422)
    done = Flash("success", _("Pilot submitted: the programme team will review it."))
    return redirect(f"/pilots/{pilot.id}", settings, flash=done)

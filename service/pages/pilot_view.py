"""Everything a pilot's page shows, gathered the way the JSON API reads it."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.disclosure import TRIAL, view_pilot
from core.kpi_evidence import KpiEvidence, kpi_evidence, last_values
from core.models import User
from core.pilot_state import kpi_results
from service.pages.directory import load_names, user_names
from service.pages.kpi_chart import Chart, build_chart
from service.pages.timeline import describe
from service.pilots import pilot_state, to_public, viewer_of, visible_pilot
from service.schemas.pilots import EventPublic, PersonActor
from service.use_cases.pilot_history import list_events
from workflows.contracts import CandidateStatus, EventKind, PilotState
from workflows.stages import Action, Role, Stage


@dataclass
class FailedForm:
    """An action form sent back with its values and errors beside its fields."""

    action: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def of(self, action: str) -> "FailedForm":
        """This form's values and errors if it is the one that failed, else an empty form."""
        return self if action == self.action else FailedForm(action)


# The order the forms appear in: the usual next step first, the way out last.
ACTION_ORDER = [
    Action.REVIEW,
    Action.RESPOND,
    Action.SELECT_PARTNER,
    Action.AMEND,
    Action.PROGRESS,
    Action.EVALUATION,
    Action.DECIDE,
    Action.END_TRIAL,
    Action.REPLICATE,
    Action.WITHDRAW,
    Action.CANCEL,
]


# Where a pilot's page shows its trial's evidence even before any report.
TRIAL_STAGES = frozenset({Stage.TRIAL_RUNNING, Stage.EVALUATION, Stage.CLOSED})


@dataclass
class KpiPanel:
    """One KPI's chart and the table of its values beside it."""

    kpi: KpiEvidence
    chart: Chart | None


def kpi_panels(state: PilotState, events: list[EventPublic]) -> list[KpiPanel]:
    """Each KPI's series against its baseline and target, with the missed check-ins marked."""
    missed = missed_spans(events)
    return [
        KpiPanel(
            kpi,
            build_chart(
                [(p.at, p.value) for p in kpi.points],
                baseline=kpi.baseline,
                target=kpi.target,
                start=state.trial_start,
                end=state.trial_end,
                missed=missed,
            ),
        )
        for kpi in kpi_evidence(state)
    ]


def missed_spans(events: list[EventPublic]) -> list[tuple[datetime, datetime]]:
    """Each missed check-in from its request to when it was marked missed, from the trail."""
    requested = {
        e.data.get("checkin"): e.at for e in events if e.kind == EventKind.CHECKIN_REQUESTED
    }
    return [
        (requested.get(e.data.get("checkin"), e.at), e.at)
        for e in events
        if e.kind == EventKind.CHECKIN_MISSED
    ]


def plain_number(value: float) -> str:
    """A value as a form's number field reads it back: 850, not 850.0."""
    return str(int(value)) if value.is_integer() else repr(value)


def evaluation_defaults(state: PilotState) -> dict[str, str]:
    """The evaluation form's fields, pre-filled with each KPI's last reported value."""
    last = last_values(state)
    return {
        f"kpi-{row}-value": plain_number(last[kpi.name])
        for row, kpi in enumerate(state.proposal.kpis)
        if kpi.name in last
    }


async def pilot_context(
    session: AsyncSession, user: User, pilot_id: str, failed: FailedForm | None = None
) -> dict[str, Any]:
    """The pilot as this user may see it, its timeline, and the forms this user may send.

    Everything shown comes from the disclosure policy's view, as the JSON API's does.
    """
    state = pilot_state(await visible_pilot(session, user, pilot_id))
    view = view_pilot(state, viewer_of(user))
    pilot = to_public(state, user)
    events = await list_events(session, user, pilot_id)
    # Names of the companies this user may know: its own entry, or all, and the partner.
    companies = {c.company_id: c.company_name for c in pilot.candidates}
    if pilot.partner_company_id and pilot.partner_company_name:
        companies[pilot.partner_company_id] = pilot.partner_company_name
    users = await user_names(
        session,
        [e.actor.user_id for e in events if isinstance(e.actor, PersonActor) and e.actor.user_id],
    )
    is_company = user.role == Role.COMPANY
    evidence = view.relation in TRIAL and (
        bool(view.state.kpi_series) or view.state.stage in TRIAL_STAGES
    )
    return {
        "pilot": pilot,
        "names": await load_names(session),
        "partner_name": pilot.partner_company_name,
        "kpi_rows": kpi_results(view.state),
        "evaluation": view.state.evaluation,
        # The trial's evidence, for those who read the trial (core.disclosure).
        "kpi_panels": kpi_panels(view.state, events) if evidence else [],
        "missed_checkins": view.state.missed_checkins if evidence else [],
        "missed_checkin_count": view.state.missed_checkin_count if evidence else 0,
        "evaluation_defaults": evaluation_defaults(view.state),
        "timeline": describe(events, companies, users),
        "actions": [a for a in ACTION_ORDER if a in pilot.allowed_actions],
        "interested": [c for c in pilot.candidates if c.status == CandidateStatus.INTERESTED],
        "own_candidate": pilot.candidates[0] if is_company and pilot.candidates else None,
        "failed": failed or FailedForm(""),
        "now": datetime.now(UTC),
        "is_admin": user.role == Role.ADMIN,
    }

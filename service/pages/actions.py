"""The action forms of a pilot page, each validated by the API's body schema and handled by the
same use case as its JSON endpoint, so a form does exactly what the endpoint does.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from starlette.datastructures import FormData

from service.errors import (
    Conflict,
    DomainError,
    Invalid,
    TooManyRequests,
    Unavailable,
    from_temporal,
)
from service.pages.forms import default_field_of, optional, row_field_of, text
from service.schemas.pilots import (
    DecideBody,
    EvaluationBody,
    PilotPublic,
    ProgressBody,
    ReasonBody,
    RespondBody,
    ReviewBody,
    SelectPartnerBody,
)
from service.use_cases import pilot_actions
from service.use_cases.pilot_actions import PilotAction
from workflows.contracts import Decision
from workflows.messages import N_
from workflows.stages import Action

MAX_ROWS = 50


@dataclass
class ActionForm:
    """A form's data for the body schema, and the form row of each measurement it holds."""

    data: dict[str, Any]
    rows: list[int] = field(default_factory=list)

    def field_of(self, loc: Sequence[str | int]) -> str:
        """`("measurements", 0, "value")` is the input of the row it came from."""
        if loc and loc[0] in ("measurements", "kpi_results"):
            # Only the value is typed in; the KPI's name comes with the row.
            row = row_field_of(loc, self.rows, ("value",))
            if row is not None:
                return row
        return default_field_of(loc)


Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class ActionSpec(Generic[Body]):
    """One action's form: how to read it, its body schema, its use case, and what to say after."""

    schema: type[Body]
    take: Callable[[PilotAction, Body], Awaitable[PilotPublic]]
    read: Callable[[FormData], ActionForm]
    done: str


def _given(**values: Any) -> dict[str, Any]:
    """Leave out what was left empty: the schema then says it is required, or uses its default."""
    return {key: value for key, value in values.items() if value is not None}


def _measurements(form: FormData) -> tuple[list[dict[str, str]], list[int]]:
    """Rows `kpi-<n>-name` / `kpi-<n>-value`; a row without a value is not reported."""
    measurements, rows = [], []
    for row in range(MAX_ROWS):
        value = text(form, f"kpi-{row}-value").strip()
        if value:
            measurements.append({"kpi": text(form, f"kpi-{row}-name"), "value": value})
            rows.append(row)
    return measurements, rows


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _review(form: FormData) -> ActionForm:
    return ActionForm(_given(decision=optional(form, "decision"), comment=text(form, "comment")))


def _respond(form: FormData) -> ActionForm:
    interested = _yes_no(optional(form, "interested"))
    return ActionForm(_given(interested=interested, message=text(form, "message")))


def _select_partner(form: FormData) -> ActionForm:
    return ActionForm(_given(company_id=optional(form, "company_id")))


def _progress(form: FormData) -> ActionForm:
    measurements, rows = _measurements(form)
    return ActionForm({"measurements": measurements, "note": text(form, "note")}, rows)


def _reason(form: FormData) -> ActionForm:
    return ActionForm({"reason": text(form, "reason")})


def _evaluation(form: FormData) -> ActionForm:
    results, rows = _measurements(form)
    data = _given(
        kpi_results=results,
        satisfaction=optional(form, "satisfaction"),
        lessons=text(form, "lessons"),
        recommendation=optional(form, "recommendation"),
    )
    return ActionForm(data, rows)


def _decide(form: FormData) -> ActionForm:
    decision = optional(form, "decision")
    # The length only counts for an extension; the other decisions ignore the field.
    days = optional(form, "extension_days") if decision == Decision.EXTEND else None
    return ActionForm(_given(decision=decision, extension_days=days, comment=text(form, "comment")))


ACTIONS: dict[str, ActionSpec[Any]] = {
    Action.REVIEW: ActionSpec(ReviewBody, pilot_actions.review, _review, N_("Review recorded.")),
    Action.RESPOND: ActionSpec(
        RespondBody, pilot_actions.respond, _respond, N_("Your answer was sent to the town.")
    ),
    Action.SELECT_PARTNER: ActionSpec(
        SelectPartnerBody,
        pilot_actions.select_partner,
        _select_partner,
        N_("Partner chosen: the companies are told."),
    ),
    Action.PROGRESS: ActionSpec(
        ProgressBody, pilot_actions.progress, _progress, N_("Progress report recorded.")
    ),
    Action.END_TRIAL: ActionSpec(
        ReasonBody, pilot_actions.end_trial, _reason, N_("Trial ended: the evaluation is due.")
    ),
    Action.EVALUATION: ActionSpec(
        EvaluationBody, pilot_actions.evaluation, _evaluation, N_("Evaluation submitted.")
    ),
    Action.DECIDE: ActionSpec(DecideBody, pilot_actions.decide, _decide, N_("Decision recorded.")),
    Action.WITHDRAW: ActionSpec(
        ReasonBody, pilot_actions.withdraw, _reason, N_("Pilot withdrawn.")
    ),
    Action.CANCEL: ActionSpec(ReasonBody, pilot_actions.cancel, _reason, N_("Pilot cancelled.")),
}


# Shown on the page as a message: the user may wait, or change what they sent.
SHOWN = (Conflict, Invalid, TooManyRequests, Unavailable)


def refusal(error: Exception) -> DomainError | None:
    """The 409, 422, 429 or 503 an action answered with, to show as a message; else None."""
    mapped = error if isinstance(error, DomainError) else from_temporal(error)
    return mapped if isinstance(mapped, SHOWN) else None

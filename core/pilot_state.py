"""The workflow's PilotState as JSON, for the read model, and the rules computed from it."""

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter

from core.models import Pilot
from workflows.contracts import PilotState

# Read as the data converter reads a payload: the same dates, enums and defaults.
_PILOT_STATE = TypeAdapter(PilotState)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def state_to_json(state: PilotState) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(state), default=_encode))
    return document


def state_from_json(data: dict[str, Any]) -> PilotState:
    return _PILOT_STATE.validate_python(data)


def state_columns(state: PilotState, seq: int) -> dict[str, Any]:
    """The read-model row's columns that follow the workflow's state, as of audit entry `seq`.

    The row's identity and creation (id, workflow id, creator, idempotency key, creation
    time) are not among them: they stay as first written.
    """
    proposal = state.proposal
    document = state_to_json(state)
    return {
        "town_id": state.town_id,
        "title": proposal.title,
        "summary": proposal.summary,
        "theme": proposal.theme,
        "needs": list(proposal.needs),
        "budget_eur": proposal.budget_eur,
        "desired_start": proposal.desired_start,
        "duration_days": proposal.duration_days,
        "kpis": document["proposal"]["kpis"],
        "stage": state.stage,
        "outcome": state.outcome,
        "round": state.round,
        "partner_company_id": state.partner_company_id,
        "trial_start": state.trial_start,
        "trial_end": state.trial_end,
        "deadline": state.deadline,
        "waiting_on": state.waiting_on,
        "parent_id": state.parent_id,
        "updated_at": state.updated_at,
        "version": seq,
        "state": document,
    }


def apply_state(pilot: Pilot, state: PilotState, seq: int) -> None:
    """Copy the workflow's state into its read-model row, as of audit entry `seq`."""
    for column, value in state_columns(state, seq).items():
        setattr(pilot, column, value)


@dataclass
class KpiRow:
    """A KPI of the proposal beside the result the evaluation reports for it."""

    name: str
    unit: str
    baseline: float
    target: float
    result: float | None
    met: bool | None


def kpi_results(pilot: PilotState) -> list[KpiRow]:
    """The proposal's KPIs with the evaluation's results, for the evaluation report."""
    results = {m.kpi: m.value for m in pilot.evaluation.kpi_results} if pilot.evaluation else {}
    rows = []
    for kpi in pilot.proposal.kpis:
        result = results.get(kpi.name)
        met = None
        if result is not None:
            # A KPI may aim down (waste, energy) as well as up.
            met = result >= kpi.target if kpi.target >= kpi.baseline else result <= kpi.target
        rows.append(KpiRow(kpi.name, kpi.unit, kpi.baseline, kpi.target, result, met))
    return rows

"""The workflow's PilotState as JSON, for the read model and the rules computed from it."""

import dataclasses
import json
from datetime import date, datetime
from typing import Any

from temporalio.converter import value_to_type

from workflows.contracts import PilotState


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def state_to_json(state: PilotState) -> dict[str, Any]:
    return json.loads(json.dumps(dataclasses.asdict(state), default=_encode))


def state_from_json(data: dict[str, Any]) -> PilotState:
    return value_to_type(PilotState, data)

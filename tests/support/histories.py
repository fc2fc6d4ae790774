"""Saving workflow histories from real runs, for the replay test.

Set PILOTFLOW_RECORD_HISTORIES=1 and run the tests that call `save_history` to refresh
tests/histories/ after a deliberate change to the workflow.
"""

import os
from pathlib import Path

from temporalio.client import WorkflowHandle

HISTORIES_DIR = Path(__file__).resolve().parent.parent / "histories"


def recording() -> bool:
    return os.environ.get("PILOTFLOW_RECORD_HISTORIES") == "1"


async def save_history(handle: WorkflowHandle, name: str) -> None:  # type: ignore[type-arg]
    """Write the finished workflow's history as JSON when recording is on."""
    if not recording():
        return
    history = await handle.fetch_history()
    HISTORIES_DIR.mkdir(exist_ok=True)
    (HISTORIES_DIR / f"{name}.json").write_text(history.to_json())

"""A deliberate change to PilotWorkflow, deployed while pilots run: with `workflow.patched`
pilots started on the old code finish on the new; without it the replay test fails.

The change and its two versions are in tests/workflows/upgraded_pilot.py.
"""

import asyncio
import uuid
from collections.abc import Callable

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker
from temporalio.workflow import NondeterminismError

from core.temporal_client import DATA_CONVERTER
from tests.support.histories import HISTORIES_DIR
from tests.workflows.harness import ADMIN, OFFICER, Recorder, company, start_pilot
from tests.workflows.upgraded_pilot import (
    NOTICE,
    PatchedPilotWorkflow,
    UnpatchedPilotWorkflow,
)
from workflows.contracts import (
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    PilotState,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow

Handle = WorkflowHandle[PilotWorkflow, object]


def _worker(client: Client, recorder: Recorder, queue: str, code: type[PilotWorkflow]) -> Worker:
    """A worker that caches no workflow, so nothing is sticky to it once it stops.

    The time-skipping server keeps sending a stopped worker's sticky tasks (queries
    included) to its sticky queue; without a cache each task replays the history from the
    start, as a freshly deployed worker does.
    """
    return Worker(
        client,
        task_queue=queue,
        workflows=[code],
        activities=recorder.activities(),
        max_cached_workflows=0,
    )


async def _state(handle: Handle) -> PilotState:
    return await handle.query("get_state", result_type=PilotState)


async def _until(handle: Handle, ready: Callable[[PilotState], object]) -> PilotState:
    for _ in range(200):
        state = await _state(handle)
        if ready(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"pilot never got there; stage {state.stage}")


async def _approve(handle: Handle) -> None:
    await handle.execute_update("review", ReviewRequest(ADMIN, "approve"))
    await _until(handle, lambda s: s.candidates)


async def _to_closed(handle: Handle) -> PilotState:
    """From submitted or matching, through every remaining step, to closed."""
    state = await _state(handle)
    if state.stage == "submitted":
        await _approve(handle)
    await handle.execute_update("respond", RespondRequest(company("c1"), True, "Yes."))
    await handle.execute_update("select_partner", SelectPartnerRequest(OFFICER, "c1"))
    await handle.execute_update("end_trial", ReasonRequest(OFFICER, "Enough seen."))
    evaluation = Evaluation([Measurement("energy", 720.0)], 4, "Worth it.", "stop")
    await handle.execute_update("submit_evaluation", EvaluationRequest(OFFICER, evaluation))
    await handle.execute_update("decide", DecideRequest(ADMIN, "stop"))
    await handle.result()
    return await _state(handle)


async def _replays(code: type[PilotWorkflow], history: WorkflowHistory) -> None:
    await Replayer(workflows=[code], data_converter=DATA_CONVERTER).replay_workflow(history)


async def test_pilots_started_on_the_old_code_finish_on_the_patched_code(
    env: WorkflowEnvironment,
) -> None:
    recorder, queue = Recorder(), f"upgrade-{uuid.uuid4().hex}"
    now = await env.get_current_time()
    async with _worker(env.client, recorder, queue, PilotWorkflow):  # today's code
        before = await start_pilot(env.client, queue, now=now)  # will reach matching after
        past = await start_pilot(env.client, queue, now=now)
        await _approve(past)  # already in matching on the old code
        await _until(before, lambda s: s.seq >= 1)
    old_history_of_past = await past.fetch_history()

    async with _worker(env.client, recorder, queue, PatchedPilotWorkflow):  # the deployment
        ends = [await _to_closed(before), await _to_closed(past)]

    assert [state.stage for state in ends] == ["closed", "closed"]
    told = [n.state.pilot_id for n in recorder.sent(NOTICE)]
    # Only the pilot that began matching on the new code gets the new email; the other one
    # had passed that point and keeps its history.
    assert told == [ends[0].pilot_id]

    # The histories as they are now replay on the patched code...
    for handle in (before, past):
        await _replays(PatchedPilotWorkflow, await handle.fetch_history())
    # ...and the replay test catches the same change made without the patch.
    with pytest.raises(NondeterminismError):
        await _replays(UnpatchedPilotWorkflow, old_history_of_past)


@pytest.mark.parametrize(
    "name",
    ["full_path_to_generalization", "matching_rounds_end_unmatched", "generalized_on_dev_server"],
)
async def test_the_recorded_histories_catch_the_change_without_the_patch(name: str) -> None:
    path = HISTORIES_DIR / f"{name}.json"
    history = WorkflowHistory.from_json(f"pilot-{name}", path.read_text())
    await _replays(PatchedPilotWorkflow, history)
    with pytest.raises(NondeterminismError):
        await _replays(UnpatchedPilotWorkflow, history)

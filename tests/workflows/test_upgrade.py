"""A deliberate change to PilotWorkflow, deployed while pilots run: with `workflow.patched`
pilots started on the old code finish on the new; without it the replay test fails.

The change and its two versions are in tests/workflows/upgraded_pilot.py.
"""

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from core.temporal_client import DATA_CONVERTER
from tests.support.histories import HISTORIES_DIR
from tests.workflows.harness import ADMIN, OFFICER, Recorder, company, start_pilot, worker
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
from workflows.pilot import PATCH_EMAIL_TASK_QUEUE, PilotWorkflow
from workflows.task_queues import email_task_queue

Handle = WorkflowHandle[PilotWorkflow, object]


def _worker(
    client: Client, recorder: Recorder, queue: str, code: type[PilotWorkflow]
) -> AbstractAsyncContextManager[None]:
    """Workers that cache no workflow, so nothing is sticky to them once they stop.

    The time-skipping server keeps sending a stopped worker's sticky tasks (queries
    included) to its sticky queue; without a cache each task replays the history from the
    start, as a freshly deployed worker does.
    """
    return worker(client, recorder, queue, workflows=[code], max_cached_workflows=0)


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


async def test_a_new_pilots_email_goes_to_the_email_queue_under_its_patch(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await _approve(handle)
    await recorder.email("invitation")
    # Only the email worker took it, though the pilots' worker can send email too (for pilots
    # whose history sends it on their own queue: they replay, test_replay.py).
    assert recorder.email_task_queues == {email_task_queue(task_queue)}
    # The history holds the patch's marker (base64 in its payload) and the email queue.
    history = (await handle.fetch_history()).to_json()
    assert '"markerName": "core_patch"' in history
    assert base64.b64encode(json.dumps(PATCH_EMAIL_TASK_QUEUE).encode()).decode() in history
    assert f'"name": "{email_task_queue(task_queue)}"' in history

"""Updates the stage or the actor does not allow are refused at once and change nothing."""

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import (
    ADMIN,
    OFFICER,
    OTHER_OFFICER,
    Recorder,
    company,
    start_pilot,
)
from workflows.contracts import (
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    ProgressRequest,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow


async def _refused(handle: WorkflowHandle, update: object, request: object) -> ApplicationError:  # type: ignore[type-arg]
    before = await handle.query(PilotWorkflow.get_state)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, request)  # type: ignore[call-overload]
    after = await handle.query(PilotWorkflow.get_state)
    assert after == before, "a refused update changed the pilot"
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_refusals_carry_their_kind_and_reason(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await recorder.email("pilot_submitted")
    recorded = len(recorder.transitions)

    cause = await _refused(handle, PilotWorkflow.review, ReviewRequest(OFFICER, "approve"))
    assert cause.type == "role"
    cause = await _refused(handle, PilotWorkflow.review, ReviewRequest(ADMIN, "maybe"))
    assert cause.type == "invalid"
    assert "approve" in cause.message
    cause = await _refused(handle, PilotWorkflow.withdraw, ReasonRequest(OTHER_OFFICER, "x"))
    assert cause.type == "hidden"
    cause = await _refused(handle, PilotWorkflow.decide, DecideRequest(ADMIN, "stop"))
    assert cause.type == "stage"
    assert "submitted" in cause.message
    cause = await _refused(
        handle, PilotWorkflow.respond, RespondRequest(company("c1"), True, "me!")
    )
    assert cause.type == "hidden"
    assert len(recorder.transitions) == recorded

    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    await recorder.email("invitation")
    cause = await _refused(
        handle, PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1")
    )
    assert cause.type == "stage"
    assert "interested" in cause.message
    cause = await _refused(
        handle, PilotWorkflow.respond, RespondRequest(company("c9"), True, "not invited")
    )
    assert cause.type == "hidden"
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(company("c1"), True, "ok"))
    cause = await _refused(
        handle, PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c2")
    )
    assert cause.type == "stage"

    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    cause = await _refused(
        handle, PilotWorkflow.report_progress, ProgressRequest(company("c1"), [], "too early")
    )
    assert cause.type == "stage"
    await handle.execute_update(PilotWorkflow.end_trial, ReasonRequest(company("c1"), "done"))
    cause = await _refused(handle, PilotWorkflow.decide, DecideRequest(ADMIN, "generalize"))
    assert "evaluation" in cause.message
    cause = await _refused(
        handle,
        PilotWorkflow.submit_evaluation,
        EvaluationRequest(OFFICER, Evaluation([], 9, "", "generalize")),
    )
    assert cause.type == "invalid"
    cause = await _refused(handle, PilotWorkflow.withdraw, ReasonRequest(OFFICER, "too late"))
    assert cause.type == "stage"
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    assert (await handle.result()).stage == "cancelled"


async def test_only_the_partner_company_reports_progress(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now, start_in_days=0)
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    await recorder.email("invitation")
    for name in ("c1", "c2"):
        await handle.execute_update(PilotWorkflow.respond, RespondRequest(company(name), True, ""))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    cause = await _refused(
        handle, PilotWorkflow.report_progress, ProgressRequest(company("c2"), [], "not mine")
    )
    assert cause.type == "role"
    cause = await _refused(
        handle,
        PilotWorkflow.report_progress,
        ProgressRequest(OFFICER, [Measurement("noise", 1.0)], "no such KPI"),
    )
    assert cause.type == "invalid"
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    await handle.result()

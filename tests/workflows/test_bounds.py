"""No party can grow a pilot's history or the town's mail without bound."""

import asyncio
from datetime import datetime, timedelta

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.support.histories import save_history
from tests.workflows.harness import ADMIN, OFFICER, Recorder, company, rules, start_pilot
from tests.workflows.test_refusals import _refused
from workflows.contracts import (
    Actor,
    Measurement,
    PilotState,
    ProgressRequest,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow
from workflows.stages import allowed_actions

DAY = timedelta(days=1)
C1 = company("c1")


async def _matching(
    env: WorkflowEnvironment, task_queue: str, start_in_days: int = 10, **limits: float
) -> WorkflowHandle:  # type: ignore[type-arg]
    """An approved pilot once its first companies are invited."""
    now = await env.get_current_time()
    handle = await start_pilot(
        env.client, task_queue, now=now, start_in_days=start_in_days, lifecycle=rules(**limits)
    )
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    for _ in range(100):
        if (await handle.query(PilotWorkflow.get_state)).candidates:
            return handle
        await env.sleep(timedelta(seconds=1))
    raise AssertionError("no company was invited")


def _allowed(state: PilotState, actor: Actor, now: datetime) -> list[str]:
    return allowed_actions(state, actor, now)


async def test_an_identical_answer_changes_nothing_and_changes_are_bounded(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _matching(env, task_queue, answer_changes=2)
    first = await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "Offer A"))
    await recorder.email("answer_received")
    recorded = len(recorder.transitions)

    repeat = await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "Offer A"))
    assert repeat == first
    assert len(recorder.transitions) == recorded
    assert len(recorder.sent("answer_received")) == 1

    # Two changes are allowed, then the answer stands; repeating it is still accepted.
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, False, "No longer"))
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "Offer B"))
    state = await handle.query(PilotWorkflow.get_state)
    candidate = state.candidate("c1")
    assert candidate is not None
    assert (candidate.answers, candidate.status, candidate.message) == (3, "interested", "Offer B")
    cause = await _refused(handle, PilotWorkflow.respond, RespondRequest(C1, True, "Offer C"))
    assert cause.type == "stage"
    assert "cannot change again" in cause.message
    again = await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "Offer B"))
    assert again.seq == state.seq
    assert "respond" not in _allowed(state, C1, await env.get_current_time())
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    await handle.result()
    await save_history(handle, "answers_bounded_and_repeats_change_nothing")
    assert len(recorder.sent("answer_received")) == 3


async def test_the_town_hears_of_one_companys_answers_five_times_at_most(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _matching(env, task_queue, answer_changes=20)
    for answer in range(12):
        request = RespondRequest(C1, answer % 2 == 0, f"answer {answer}")
        await handle.execute_update(PilotWorkflow.respond, request)
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    await handle.result()
    assert recorder.kinds().count("answered") == 12
    assert len(recorder.sent("answer_received")) == 5


async def test_progress_reports_are_rate_limited_per_party_and_check_in_period(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _matching(
        env, task_queue, start_in_days=0, progress_reports_per_checkin=2, checkin_period_days=30
    )
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "ok"))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    report = ProgressRequest(OFFICER, [Measurement("energy", 900.0)], "on track")
    for _ in range(2):
        await handle.execute_update(PilotWorkflow.report_progress, report)
    cause = await _refused(handle, PilotWorkflow.report_progress, report)
    assert cause.type == "rate"
    (retry_after,) = cause.details
    assert 29 * 86400 < float(retry_after) <= 30 * 86400
    state = await handle.query(PilotWorkflow.get_state)
    now = await env.get_current_time()
    assert "progress" not in _allowed(state, OFFICER, now)
    assert "progress" in _allowed(state, C1, now)
    # The partner has a budget of its own.
    partner = ProgressRequest(C1, [], "installed")
    await handle.execute_update(PilotWorkflow.report_progress, partner)

    await env.sleep(30 * DAY)
    await handle.execute_update(PilotWorkflow.report_progress, report)
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    await handle.result()
    assert recorder.kinds().count("progress_reported") == 4
    # Email requests carry the partner's name, not every candidate's score, reasons and offer.
    for request in await recorder.email("trial_started"):
        assert [c.company_id for c in request.state.candidates] == ["c1"]
    for request in recorder.notifications:
        for candidate in request.state.candidates:
            assert (candidate.score, candidate.reasons, candidate.message) == (0.0, [], "")


async def test_a_burst_of_concurrent_reports_stays_within_the_bound(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _matching(env, task_queue, start_in_days=0, progress_reports_per_checkin=2)
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(C1, True, "ok"))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    # Each validator runs after the handlers before it have counted their report (the count
    # comes before the handler's first await), so a burst cannot slip past the bound.
    report = ProgressRequest(OFFICER, [], "burst")
    outcomes = await asyncio.gather(
        *(handle.execute_update(PilotWorkflow.report_progress, report) for _ in range(12)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, WorkflowUpdateFailedError)]
    assert len(refused) == 10
    assert all(isinstance(o.cause, ApplicationError) and o.cause.type == "rate" for o in refused)
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    await handle.result()
    assert recorder.kinds().count("progress_reported") == 2

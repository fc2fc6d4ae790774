"""Every path of the lifecycle to its end stage, on the time-skipping test server."""

import asyncio
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.support.histories import save_history
from tests.workflows.harness import ADMIN, OFFICER, Recorder, act, company, start_pilot
from workflows.contracts import (
    AmendRequest,
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

DAY = timedelta(days=1)


async def test_review_reminders_fire_then_rejection_ends_it(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await env.sleep(20 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert state.stage == "submitted"
    submitted_at, *_ = recorder.at("submitted")
    reminders = recorder.at("review_reminder")
    assert [round((r - submitted_at) / DAY) for r in reminders] == [7, 14]
    assert len(recorder.sent("review_reminder")) == 2
    assert recorder.sent("review_reminder")[0].audiences == ["admins"]

    state = await act(handle, PilotWorkflow.review, ReviewRequest(ADMIN, "reject", "Out of scope"))
    assert state.stage == "rejected"
    result = await handle.result()
    await save_history(handle, "review_reminders_fire_then_rejection_ends_it")
    assert result.stage == "rejected"
    assert recorder.kinds() == ["submitted", "review_reminder", "review_reminder", "reviewed"]
    assert recorder.sent("review_outcome")[0].extra["decision"] == "reject"


async def test_changes_requested_amended_and_approved(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    state = await act(
        handle, PilotWorkflow.review, ReviewRequest(ADMIN, "request_changes", "Add a KPI")
    )
    assert state.stage == "changes_requested"
    amended = state.proposal
    amended.title = "Smarter street lighting"
    state = await act(handle, PilotWorkflow.amend, AmendRequest(OFFICER, amended))
    assert state.stage == "submitted"
    assert state.proposal.title == "Smarter street lighting"
    state = await act(handle, PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    assert state.stage == "matching"
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "budget frozen"))
    assert (await handle.result()).stage == "cancelled"
    await save_history(handle, "changes_requested_amended_and_approved")
    assert recorder.kinds()[:4] == ["submitted", "reviewed", "amended", "reviewed"]
    assert recorder.sent("pilot_submitted")[-1].extra == {"resubmitted": True}


async def test_full_path_to_generalization(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now, start_in_days=10)
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    state = await _wait_for(handle, lambda s: s.candidates)
    assert [c.company_id for c in state.candidates] == ["c1", "c2"]
    assert (await recorder.email("invitation"))[0].company_ids == ["c1", "c2"]

    state = await act(
        handle, PilotWorkflow.respond, RespondRequest(company("c2"), True, "We can do it")
    )
    assert state.candidate("c2").status == "interested"
    assert (await recorder.email("answer_received"))[0].audiences == ["town"]
    state = await act(handle, PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c2"))
    assert state.stage == "trial_scheduled"
    assert state.partner_company_id == "c2"
    assert {c.company_id: c.status for c in state.candidates} == {
        "c1": "not_selected",
        "c2": "selected",
    }
    assert (await recorder.email("partner_chosen"))[0].company_ids == ["c2"]
    assert (await recorder.email("partner_not_chosen"))[0].company_ids == ["c1"]

    await env.sleep(11 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert state.stage == "trial_running"
    await handle.execute_update(
        PilotWorkflow.report_progress,
        ProgressRequest(company("c2"), [Measurement("energy", 850.0)], "on track"),
    )
    await env.sleep(90 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert state.stage == "evaluation"
    started, *_ = recorder.at("trial_started")
    checkins = [round((c - started) / DAY) for c in recorder.at("checkin_requested")]
    assert checkins == [30, 60]
    assert round((recorder.at("trial_ended")[0] - started) / DAY) == 90
    assert len(await recorder.email("checkin_request", 2)) == 2
    assert recorder.sent("checkin_request")[0].company_ids == ["c2"]

    evaluation = Evaluation([Measurement("energy", 680.0)], 5, "Works well", "generalize")
    await handle.execute_update(
        PilotWorkflow.submit_evaluation, EvaluationRequest(OFFICER, evaluation)
    )
    state = await act(
        handle, PilotWorkflow.decide, DecideRequest(ADMIN, "generalize", comment="Offer it")
    )
    assert state.stage == "closed"
    assert state.outcome == "generalize"
    result = await handle.result()
    await save_history(handle, "full_path_to_generalization")
    assert (result.stage, result.outcome) == ("closed", "generalize")
    offer = recorder.sent("generalization_offer")
    assert len(offer) == 1
    assert offer[0].audiences == ["other_towns"]
    assert offer[0].state.evaluation.recommendation == "generalize"
    assert recorder.kinds()[-2:] == ["decided", "generalization_offered"]


async def test_trial_starts_at_once_when_desired_start_has_passed(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now, start_in_days=-3)
    state = await _to_interest(handle)
    state = await act(handle, PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    assert state.stage == "trial_running"
    assert state.trial_end - state.trial_start == 90 * DAY
    assert len(await recorder.email("trial_started")) == 1
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "stop"))
    assert (await handle.result()).stage == "cancelled"
    await save_history(handle, "trial_starts_at_once_when_desired_start_has_passed")


async def test_matching_rounds_end_unmatched(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    await _wait_for(handle, lambda s: s.candidates)
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(company("c1"), False, "no"))
    result = await handle.result()
    await save_history(handle, "matching_rounds_end_unmatched")
    assert result.stage == "unmatched"

    approved = next(t.at for t in recorder.transitions if t.kind == "reviewed")
    reminders = recorder.sent("invitation_reminder")
    # One reminder per round, only to those who had not answered, 3 days before the deadline.
    assert [r.company_ids for r in reminders] == [["c2"], ["c3", "c4"]]
    assert [round((t - approved) / DAY) for t in recorder.at("invitation_reminder")] == [11, 25]
    assert [round((t - approved) / DAY) for t in recorder.at("responses_closed")] == [14, 28]
    assert [r.round for r in recorder.matching_requests] == [1, 2]
    assert recorder.matching_requests[1].exclude_company_ids == ["c1", "c2"]
    state = await handle.query(PilotWorkflow.get_state)
    assert {c.company_id: c.status for c in state.candidates} == {
        "c1": "declined",
        "c2": "expired",
        "c3": "expired",
        "c4": "expired",
    }
    assert recorder.sent("pilot_ended")[0].extra["stage"] == "unmatched"


async def test_interest_at_the_deadline_waits_for_the_town(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await _to_interest(handle)
    await env.sleep(60 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert state.stage == "matching"
    assert state.round == 1
    assert state.waiting_on == "town"
    assert state.candidate("c2").status == "expired"
    await handle.execute_update(PilotWorkflow.withdraw, ReasonRequest(OFFICER, "changed plans"))
    assert (await handle.result()).stage == "withdrawn"
    await save_history(handle, "interest_at_the_deadline_waits_for_the_town")


async def test_extend_returns_to_the_trial_then_stop_closes(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now, start_in_days=0)
    await _to_interest(handle)
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    state = await act(
        handle, PilotWorkflow.end_trial, ReasonRequest(company("c1"), "sensor failure")
    )
    assert state.stage == "evaluation"
    assert (await recorder.email("trial_ended"))[0].extra == {"reason": "sensor failure"}
    evaluation = Evaluation([Measurement("energy", 900.0)], 3, "Needs more time", "extend")
    await handle.execute_update(
        PilotWorkflow.submit_evaluation, EvaluationRequest(OFFICER, evaluation)
    )
    state = await act(
        handle, PilotWorkflow.decide, DecideRequest(ADMIN, "extend", extension_days=20)
    )
    assert state.stage == "trial_running"
    assert state.evaluation is None
    await env.sleep(21 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert state.stage == "evaluation"
    await handle.execute_update(
        PilotWorkflow.submit_evaluation,
        EvaluationRequest(OFFICER, Evaluation([], 2, "Not worth it", "stop")),
    )
    await handle.execute_update(PilotWorkflow.decide, DecideRequest(ADMIN, "stop"))
    result = await handle.result()
    await save_history(handle, "extend_returns_to_the_trial_then_stop_closes")
    assert (result.stage, result.outcome) == ("closed", "stop")
    assert recorder.sent("generalization_offer") == []
    assert recorder.sent("decision")[-1].company_ids == ["c1"]


async def test_evaluation_reminders_until_it_comes(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now, start_in_days=0)
    await _to_interest(handle)
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    await handle.execute_update(PilotWorkflow.end_trial, ReasonRequest(ADMIN, "early"))
    await env.sleep(40 * DAY)
    ended, *_ = recorder.at("trial_ended")
    gaps = [round((r - ended) / DAY) for r in recorder.at("evaluation_reminder")]
    assert gaps == [7, 14, 21]
    assert len(recorder.sent("evaluation_request")) == 1
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "no answer"))
    assert (await handle.result()).stage == "cancelled"
    await save_history(handle, "evaluation_reminders_until_it_comes")


async def test_withdraw_while_scheduled_and_preferred_partner_first(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(
        env.client, task_queue, now=now, start_in_days=30, preferred_company_id="c4"
    )
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    state = await _wait_for(handle, lambda s: s.candidates)
    assert state.candidates[0].company_id == "c4"
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(company("c4"), True, "again"))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c4"))
    await handle.execute_update(PilotWorkflow.withdraw, ReasonRequest(OFFICER, "no budget"))
    result = await handle.result()
    await save_history(handle, "withdraw_while_scheduled_and_preferred_partner_first")
    assert result.stage == "withdrawn"
    assert recorder.sent("pilot_ended")[0].company_ids == ["c4"]


async def _to_interest(handle):  # type: ignore[no-untyped-def]
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    await _wait_for(handle, lambda s: s.candidates)
    return await handle.execute_update(
        PilotWorkflow.respond, RespondRequest(company("c1"), True, "yes")
    )


async def _wait_for(handle, predicate):  # type: ignore[no-untyped-def]
    """Poll the query until the workflow's own progress (an activity) shows."""
    for _ in range(200):
        state = await handle.query(PilotWorkflow.get_state)
        if predicate(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("the workflow did not get there")


async def test_a_company_backing_out_after_the_deadline_opens_the_next_round(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    now = await env.get_current_time()
    handle = await start_pilot(env.client, task_queue, now=now)
    await _to_interest(handle)
    await env.sleep(20 * DAY)
    state = await handle.query(PilotWorkflow.get_state)
    assert (state.round, state.waiting_on, state.deadline) == (1, "town", None)
    await handle.execute_update(
        PilotWorkflow.respond, RespondRequest(company("c1"), False, "no longer")
    )
    invitations = await recorder.email("invitation", 2)
    assert invitations[1].company_ids == ["c3", "c4"]
    state = await handle.query(PilotWorkflow.get_state)
    assert state.round == 2
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "end of test"))
    assert (await handle.result()).stage == "cancelled"

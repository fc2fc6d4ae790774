"""The trial's evidence on the time-skipping server: each KPI's series, the check-in's one
reminder to whoever has not reported, and the check-ins nobody answered marked missed."""

import asyncio
import base64
import json
from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.support.histories import HISTORIES_DIR, save_history
from tests.workflows.harness import ADMIN, OFFICER, Recorder, company, rules, start_pilot
from workflows.contracts import (
    SERIES_POINTS_KEPT,
    Actor,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    PilotState,
    ProgressRequest,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PATCH_CHECKIN_EVIDENCE, PilotWorkflow

DAY = timedelta(days=1)
PARTNER = company("c1")
Handle = WorkflowHandle[PilotWorkflow, object]


async def _running_trial(env: WorkflowEnvironment, task_queue: str, **limits: float) -> Handle:
    """A 90-day trial running from now, with c1 as partner."""
    now = await env.get_current_time()
    handle = await start_pilot(
        env.client, task_queue, now=now, start_in_days=0, lifecycle=rules(**limits)
    )
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    for _ in range(200):  # matching is an activity: poll until it shows
        if (await _state(handle)).candidates:
            break
        await asyncio.sleep(0.05)
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(PARTNER, True, "Yes"))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))
    assert (await _state(handle)).stage == "trial_running"
    return handle


async def _state(handle: Handle) -> PilotState:
    return await handle.query(PilotWorkflow.get_state)


async def _report(handle: Handle, actor: Actor, value: float) -> None:
    request = ProgressRequest(actor, [Measurement("energy", value)], "measured")
    await handle.execute_update(PilotWorkflow.report_progress, request)


async def _close(handle: Handle) -> None:
    """End the pilot: the module's time-skipping server waits on no pilot of a finished test."""
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "done"))
    await handle.result()


def _days(recorder: Recorder, kind: str) -> list[int]:
    started, *_ = recorder.at("trial_started") or recorder.at("partner_selected")
    return [round((at - started) / DAY) for at in recorder.at(kind)]


def _data(recorder: Recorder, kind: str) -> list[dict[str, object]]:
    return [t.data for t in sorted(recorder.transitions, key=lambda t: t.seq) if t.kind == kind]


async def test_series_one_reminder_per_checkin_and_missed_checkins(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _running_trial(env, task_queue)
    await _report(handle, OFFICER, 900.0)  # before the first check-in
    await env.sleep(31 * DAY)  # check-in 1 at day 30
    await _report(handle, PARTNER, 850.0)  # the partner answers it, the town does not
    await env.sleep(29 * DAY + timedelta(hours=1))  # check-in 2 at day 60: nobody answers
    state = await _state(handle)
    assert state.checkins == 2 and state.missed_checkins == []
    await env.sleep(31 * DAY)  # the trial ends at day 90
    state = await _state(handle)
    assert state.stage == "evaluation"

    # Each check-in reminded once, at day 7 after it, only whoever had not reported.
    assert _days(recorder, "checkin_reminder") == [37, 67]
    assert _data(recorder, "checkin_reminder") == [
        {"checkin": 1, "parties": ["town"]},
        {"checkin": 2, "parties": ["town", "partner"]},
    ]
    reminders = await recorder.email("checkin_reminder", 2)
    by_checkin = {r.extra["checkin"]: r for r in reminders}
    assert (by_checkin[1].audiences, by_checkin[1].company_ids) == (["town"], [])
    assert (by_checkin[2].audiences, by_checkin[2].company_ids) == (["town", "companies"], ["c1"])
    # The email carries each KPI's last value, not the whole series.
    assert [len(s.points) for s in by_checkin[1].state.kpi_series] == [1]
    assert by_checkin[1].state.kpi_series[0].points[0].value == 850.0

    # Check-in 1 was answered; check-in 2 was not by the trial's end: marked missed.
    assert _days(recorder, "checkin_missed") == [90]
    assert _data(recorder, "checkin_missed") == [{"checkin": 2}]
    assert (state.missed_checkins, state.missed_checkin_count) == ([2], 1)

    # The series: each report's value, when and by whom, in order.
    (series,) = state.kpi_series
    assert series.kpi == "energy"
    assert [(p.value, p.reporter) for p in series.points] == [(900.0, "town"), (850.0, "partner")]
    assert round((series.points[1].at - series.points[0].at) / DAY) == 31

    # The check-in emails show the last values too.
    requests = await recorder.email("checkin_request", 2)
    assert [s.points[-1].value for s in requests[-1].state.kpi_series] == [850.0]
    await handle.execute_update(PilotWorkflow.cancel, ReasonRequest(ADMIN, "done"))
    await handle.result()
    await save_history(handle, "checkin_reminded_and_missed")


async def test_an_answered_checkin_is_neither_reminded_nor_missed(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _running_trial(env, task_queue)
    await env.sleep(30 * DAY + timedelta(hours=1))
    await _report(handle, OFFICER, 910.0)
    await _report(handle, PARTNER, 905.0)
    await env.sleep(29 * DAY)
    await _report(handle, OFFICER, 800.0)  # check-in 2: the town only, within the week
    await handle.execute_update(PilotWorkflow.end_trial, ReasonRequest(OFFICER, "enough"))
    state = await _state(handle)
    assert state.stage == "evaluation"
    assert recorder.kinds().count("checkin_reminder") == 0
    assert recorder.kinds().count("checkin_missed") == 0
    assert state.missed_checkin_count == 0
    assert [p.value for p in state.kpi_series[0].points] == [910.0, 905.0, 800.0]
    await _close(handle)


async def test_no_reminder_when_it_would_not_come_before_the_next_checkin(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _running_trial(env, task_queue, checkin_reminder_days=30)
    await env.sleep(91 * DAY)
    assert (await _state(handle)).stage == "evaluation"
    assert recorder.kinds().count("checkin_reminder") == 0
    assert _data(recorder, "checkin_missed") == [{"checkin": 1}, {"checkin": 2}]
    await _close(handle)


async def test_the_series_is_bounded(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _running_trial(
        env, task_queue, progress_reports_per_checkin=SERIES_POINTS_KEPT + 10
    )
    for value in range(SERIES_POINTS_KEPT + 5):
        await _report(handle, OFFICER, float(value))
    points = (await _state(handle)).kpi_series[0].points
    assert len(points) == SERIES_POINTS_KEPT
    assert points[-1].value == SERIES_POINTS_KEPT + 4 and points[0].value == 5
    await _close(handle)


async def test_checkins_caught_up_after_an_extension_are_neither_missed_nor_reminded_at_once(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder
) -> None:
    handle = await _running_trial(env, task_queue)
    await env.sleep(91 * DAY)  # nobody reports: check-ins 1 and 2 missed, the trial ends
    evaluation = Evaluation([Measurement("energy", 900.0)], 3, "More time", "extend")
    await env.sleep(69 * DAY)  # the evaluation comes late
    await handle.execute_update(
        PilotWorkflow.submit_evaluation, EvaluationRequest(OFFICER, evaluation)
    )
    extend = DecideRequest(ADMIN, "extend", extension_days=40)
    await handle.execute_update(PilotWorkflow.decide, extend)
    await env.sleep(41 * DAY)
    state = await _state(handle)
    assert state.stage == "evaluation"
    # On resuming, the check-ins the evaluation's time held back are asked at once (3 to 5);
    # none of them is missed for want of an answer given in no time, nor reminded at once.
    assert [d["checkin"] for d in _data(recorder, "checkin_requested")] == [1, 2, 3, 4, 5, 6]
    assert [d["checkin"] for d in _data(recorder, "checkin_missed")] == [1, 2, 5, 6]
    assert [d["checkin"] for d in _data(recorder, "checkin_reminder")] == [1, 2, 5, 6]
    assert _days(recorder, "checkin_reminder") == [37, 67, 167, 187]
    assert (state.missed_checkins, state.missed_checkin_count) == ([1, 2, 5, 6], 4)
    await _close(handle)


def test_the_new_path_is_recorded_under_its_patch_and_old_histories_lack_it() -> None:
    """Pilots whose history predates the reminders replay without them (test_replay.py)."""
    assert PATCH_CHECKIN_EVIDENCE in _patches("checkin_reminded_and_missed")
    for old in ("full_path_to_generalization", "extend_returns_to_the_trial_then_stop_closes"):
        assert PATCH_CHECKIN_EVIDENCE not in _patches(old), old


def _patches(name: str) -> set[str]:
    """The patch ids whose markers a committed history holds."""
    history = json.loads((HISTORIES_DIR / f"{name}.json").read_text())
    found = set()
    for event in history["events"]:
        marker = event.get("markerRecordedEventAttributes")
        for payload in (marker or {}).get("details", {}).get("patch-data", {}).get("payloads", []):
            found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found

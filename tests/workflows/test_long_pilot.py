"""A pilot that runs for years stays far below Temporal's history limits: it continues as new.

Five years and more of monthly check-ins, two progress reports a month and ten extensions,
on the time-skipping server. `pytest -s` prints each run's event count and size.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.support.histories import save_history
from tests.workflows.harness import ADMIN, OFFICER, Recorder, company, rules, start_pilot
from workflows.contracts import (
    SERIES_POINTS_KEPT,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Measurement,
    ProgressRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
)
from workflows.pilot import PilotWorkflow

DAY = timedelta(days=1)
EXTENSIONS = 10
FIRST_TRIAL_DAYS = 120
EXTENSION_DAYS = 180
# Temporal refuses a run past 51,200 events or 50 MB, and warns from 10,240 events or 10 MB.
TEMPORAL_WARNS_AT_EVENTS = 10_240
TEMPORAL_WARNS_AT_BYTES = 10 * 1024 * 1024


@dataclass
class Run:
    events: int
    size: int


@dataclass
class LongPilot:
    runs: list[Run]
    days: int
    reports: int


async def play_long_pilot(env: WorkflowEnvironment, task_queue: str, **limits: float) -> LongPilot:
    """Play the years-long pilot to `closed`: each run's figures, the days and reports."""
    began = await env.get_current_time()
    started = await start_pilot(
        env.client,
        task_queue,
        now=began,
        start_in_days=0,
        lifecycle=rules(**limits),
    )
    # Without a run id, a handle follows the pilot into each new run.
    handle = env.client.get_workflow_handle_for(PilotWorkflow.run, started.id)
    await handle.execute_update(PilotWorkflow.review, ReviewRequest(ADMIN, "approve"))
    partner = company("c1")
    while not (await handle.query(PilotWorkflow.get_state)).candidates:
        await env.sleep(timedelta(seconds=1))
    await handle.execute_update(PilotWorkflow.respond, RespondRequest(partner, True, "Let us"))
    await handle.execute_update(PilotWorkflow.select_partner, SelectPartnerRequest(OFFICER, "c1"))

    extensions = reports = 0
    while True:
        await env.sleep(30 * DAY)
        state = await handle.query(PilotWorkflow.get_state)
        if state.stage == "trial_running":
            for reporter in (OFFICER, partner):
                report = ProgressRequest(reporter, [Measurement("energy", 800.0)], "on track")
                await handle.execute_update(PilotWorkflow.report_progress, report)
                reports += 1
            continue
        assert state.stage == "evaluation", state.stage
        evaluation = Evaluation([Measurement("energy", 700.0)], 4, "Keep going", "extend")
        await handle.execute_update(
            PilotWorkflow.submit_evaluation, EvaluationRequest(OFFICER, evaluation)
        )
        if extensions == EXTENSIONS:
            await handle.execute_update(PilotWorkflow.decide, DecideRequest(ADMIN, "stop"))
            break
        extensions += 1
        extend = DecideRequest(ADMIN, "extend", extension_days=EXTENSION_DAYS)
        await handle.execute_update(PilotWorkflow.decide, extend)
    result = await handle.result()
    assert (result.stage, result.outcome) == ("closed", "stop")
    days = ((await env.get_current_time()) - began) // DAY
    if limits.get("continue_as_new_after_events") == 300:
        first = env.client.get_workflow_handle(started.id, run_id=started.first_execution_run_id)
        await save_history(first, "long_pilot_continues_as_new")  # ends continuing as new
    return LongPilot(await _runs(env.client, started), days, reports)


async def _runs(client: Client, started: WorkflowHandle) -> list[Run]:  # type: ignore[type-arg]
    """Each run of the pilot's chain, following continue-as-new from the first."""
    runs, run_id = [], started.first_execution_run_id or started.run_id
    while run_id:
        history = await client.get_workflow_handle(started.id, run_id=run_id).fetch_history()
        runs.append(Run(len(history.events), History(events=history.events).ByteSize()))
        last = history.events[-1]
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return runs


@pytest.mark.parametrize("threshold", [2000, 300], ids=["default", "often"])
async def test_a_five_year_pilot_continues_as_new_and_stays_small(
    env: WorkflowEnvironment, task_queue: str, recorder: Recorder, threshold: int
) -> None:
    played = await play_long_pilot(
        env, task_queue, checkin_period_days=30, continue_as_new_after_events=threshold
    )
    runs, days = played.runs, played.days
    largest = max(runs, key=lambda run: run.events)
    print(
        f"\nlong pilot: {days} days, {len(runs)} runs, {sum(r.events for r in runs)} events"
        f" in all; largest run {largest.events} events, {largest.size} bytes;"
        f" largest size {max(r.size for r in runs)} bytes"
    )
    assert days >= 5 * 365
    assert len(runs) > 1, "the pilot never continued as new"
    # A run ends a little past the threshold: it waits for a quiet moment to hand over.
    assert largest.events < threshold + 100
    assert max(r.size for r in runs) < TEMPORAL_WARNS_AT_BYTES / 10
    assert largest.events < TEMPORAL_WARNS_AT_EVENTS / 4
    # Every check-in and report of the years is in the audit trail, once, in order.
    kinds = recorder.kinds()
    assert kinds.count("decided") == EXTENSIONS + 1
    assert kinds.count("progress_reported") == played.reports
    assert kinds.count("checkin_requested") >= 5 * 12
    assert [t.seq for t in sorted(recorder.transitions, key=lambda t: t.seq)] == list(
        range(1, len(kinds) + 1)
    )
    # Each KPI's series is carried from run to run, bounded to its latest points.
    last = max(recorder.transitions, key=lambda t: t.seq).state
    (series,) = last.kpi_series
    assert len(series.points) == min(played.reports, SERIES_POINTS_KEPT)
    assert played.reports > SERIES_POINTS_KEPT // 2 > 0
    assert {p.reporter for p in series.points} == {"town", "partner"}

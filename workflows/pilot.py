"""PilotWorkflow: one pilot's whole lifecycle, from submission to generalization.

People act through Updates (validated against the stage machine, so a refusal reaches
the caller at once); timers drive reminders, deadlines and check-ins. Every transition
is recorded by an activity before the Update returns, and email goes out in the
background so a slow SMTP server never holds up a person.
"""

import asyncio
import copy
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    # Activities are called by reference; their modules pass through, so the I/O libraries
    # they import are loaded once by the worker, never run in the sandbox.
    from activities.matching import MatchingActivities
    from activities.notifications import NotificationActivities
    from activities.read_model import ReadModelActivities
    from workflows import search_attributes
    from workflows.contracts import (
        KEYED_UPDATE_PREFIX,
        ActionBounds,
        ActionResult,
        Actor,
        AmendRequest,
        Audience,
        CandidateStatus,
        DecideRequest,
        Decision,
        EmailTemplate,
        EvaluationRequest,
        EventKind,
        MatchingRequest,
        NotificationRequest,
        Outcome,
        PilotInput,
        PilotResult,
        PilotState,
        ProgressRequest,
        ReasonRequest,
        Receipt,
        ReportingParty,
        RespondRequest,
        ReviewDecision,
        ReviewRequest,
        SelectPartnerRequest,
        TransitionRecord,
        WaitingOn,
        checkin_reminder_delay_days,
        email_view,
        timer_actor,
        workflow_actor,
    )
    from workflows.messages import N_
    from workflows.retries import (
        MATCHING_RETRY,
        MATCHING_TIMEOUT,
        NOTIFICATION_DELIVERY_HEARTBEAT,
        NOTIFICATION_DELIVERY_RETRY,
        NOTIFICATION_DELIVERY_TIMEOUT,
        READ_MODEL_WRITE_RETRY,
        READ_MODEL_WRITE_TIMEOUT,
    )
    from workflows.stages import (
        END_STAGES,
        Action,
        RefusalKind,
        Stage,
        is_repeat_answer,
        progress_window,
        refusal,
        reporter,
    )
    from workflows.task_queues import email_task_queue

ANSWERABLE = frozenset({CandidateStatus.INVITED, CandidateStatus.INTERESTED})
# The audit entry of each stage a pilot can end in early (`_end`).
ENDED_EVENT = {
    Stage.WITHDRAWN: EventKind.WITHDRAWN,
    Stage.CANCELLED: EventKind.CANCELLED,
    Stage.UNMATCHED: EventKind.UNMATCHED,
}
RECEIPTS_KEPT = 10
# Patch ids: behaviour that changed the commands a running pilot's history holds.
PATCH_ANSWER_BOUNDS = "bounded-answers"
PATCH_CONTINUE_AS_NEW = "continue-as-new"
PATCH_EMAIL_TASK_QUEUE = "email-task-queue"
PATCH_CHECKIN_EVIDENCE = "checkin-reminder-and-missed"


@workflow.defn
class PilotWorkflow:
    @workflow.init
    def __init__(self, input: PilotInput) -> None:
        now = workflow.now()
        self._rules = input.rules
        self._input = input
        self._preferred_company_id = input.preferred_company_id
        self._created_by = input.submitted_by.user_id
        self._emails: list[asyncio.Task[None]] = []
        # Only a workflow started with its search attributes keeps them up to date: a server
        # that knows no custom attributes (the time-skipping test server) never sees one.
        indexed = workflow.info().typed_search_attributes.get(search_attributes.PILOT_STAGE)
        self._indexed = indexed is not None
        self._submission: TransitionRecord | None = None
        if input.resume is not None:
            # A continued run carries on from the state the previous run handed over.
            self._state = input.resume
            return
        self._state = PilotState(
            pilot_id=input.pilot_id,
            town_id=input.proposal.town_id,
            proposal=input.proposal,
            stage=Stage.SUBMITTED,
            created_at=now,
            updated_at=now,
            parent_id=input.parent_id,
            bounds=ActionBounds(
                answer_changes=input.rules.answer_changes,
                progress_reports_per_window=input.rules.progress_reports_per_checkin,
                progress_window_seconds=input.rules.checkin_period_days * input.rules.day_seconds,
            ),
        )
        # Sequence number 1 is the submission's even if an update is handled before `run`.
        self._set_deadline(input.rules.review_reminder_days, WaitingOn.ADMIN)
        self._submission = self._next_record(
            EventKind.SUBMITTED, input.submitted_by, {"title": input.proposal.title}
        )

    # ---- the lifecycle -------------------------------------------------------------

    @workflow.run
    async def run(self, input: PilotInput) -> PilotResult:
        if self._submission is not None:
            await self._write(self._submission)
            self._notify(
                EmailTemplate.PILOT_SUBMITTED,
                self._submission.seq,
                [Audience.TOWN, Audience.ADMINS],
            )
        phases = {
            Stage.SUBMITTED: self._await_review,
            Stage.CHANGES_REQUESTED: self._await_amendment,
            Stage.MATCHING: self._run_matching,
            Stage.TRIAL_SCHEDULED: self._await_trial_start,
            Stage.TRIAL_RUNNING: self._run_trial,
            Stage.EVALUATION: self._await_decision,
        }
        while self._state.stage not in END_STAGES:
            await self._continue_as_new_if_long()
            await phases[Stage(self._state.stage)]()
        if self._state.outcome == Outcome.GENERALIZE:
            seq = await self._record(EventKind.GENERALIZATION_OFFERED, workflow_actor())
            self._notify(EmailTemplate.GENERALIZATION_OFFER, seq, [Audience.OTHER_TOWNS])
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._emails)
        return PilotResult(self._state.pilot_id, self._state.stage, self._state.outcome)

    async def _await_review(self) -> None:
        for reminder in range(1, self._rules.review_reminders + 1):
            if await self._stage_leaves(Stage.SUBMITTED, self._rules.review_reminder_days):
                return
            seq = await self._record(
                EventKind.REVIEW_REMINDER, timer_actor(), {"reminder": reminder}
            )
            self._notify(
                EmailTemplate.REVIEW_REMINDER, seq, [Audience.ADMINS], extra={"reminder": reminder}
            )
        await self._stage_leaves(Stage.SUBMITTED)

    async def _await_amendment(self) -> None:
        await self._stage_leaves(Stage.CHANGES_REQUESTED)

    async def _run_matching(self) -> None:
        while self._state.stage == Stage.MATCHING:
            if self._state.round >= self._rules.matching_rounds:
                await self._end(Stage.UNMATCHED, timer_actor(), "no company answered interested")
                return
            invited = await self._invite_next_round()
            if self._state.stage != Stage.MATCHING:
                return
            if invited and await self._await_responses(invited):
                return
            if self._interested():
                # The town picks at its own pace, unless every interested company backs out.
                await self._wait(
                    lambda: self._state.stage != Stage.MATCHING or not self._interested(), None
                )

    async def _invite_next_round(self) -> list[str]:
        self._state.round += 1
        request = MatchingRequest(
            pilot_id=self._state.pilot_id,
            town_id=self._state.town_id,
            theme=self._state.proposal.theme,
            needs=list(self._state.proposal.needs),
            round=self._state.round,
            limit=self._rules.invites_per_round,
            exclude_company_ids=[c.company_id for c in self._state.candidates],
            preferred_company_id=self._preferred_company_id if self._state.round == 1 else None,
        )
        result = await workflow.execute_activity_method(
            MatchingActivities.find_candidates,
            request,
            start_to_close_timeout=MATCHING_TIMEOUT,
            retry_policy=MATCHING_RETRY,
        )
        if self._state.stage != Stage.MATCHING:
            return []
        for candidate in result.candidates:
            candidate.round, candidate.status = self._state.round, CandidateStatus.INVITED
            self._state.candidates.append(candidate)
        invited = [c.company_id for c in result.candidates]
        self._set_deadline(self._rules.response_days, WaitingOn.COMPANIES)
        data = {"round": self._state.round, "company_ids": invited}
        seq = await self._record(EventKind.COMPANIES_INVITED, workflow_actor(), data)
        if invited:
            self._notify(EmailTemplate.INVITATION, seq, [Audience.COMPANIES], company_ids=invited)
        return invited

    async def _await_responses(self, invited: list[str]) -> bool:
        """Wait out one round's response time; True if the stage moved on meanwhile."""
        rules = self._rules
        before_reminder = max(rules.response_days - rules.response_reminder_before_days, 0)
        if await self._stage_leaves(Stage.MATCHING, before_reminder):
            return True
        silent = [c for c in invited if self._status(c) == CandidateStatus.INVITED]
        if silent:
            seq = await self._record(
                EventKind.INVITATION_REMINDER, timer_actor(), {"company_ids": silent}
            )
            self._notify(
                EmailTemplate.INVITATION_REMINDER, seq, [Audience.COMPANIES], company_ids=silent
            )
        if await self._stage_leaves(Stage.MATCHING, rules.response_days - before_reminder):
            return True
        expired = [c for c in self._state.candidates if c.status == CandidateStatus.INVITED]
        for candidate in expired:
            candidate.status = CandidateStatus.EXPIRED
        if self._interested():
            self._state.deadline, self._state.waiting_on = None, WaitingOn.TOWN
        data = {"round": self._state.round, "expired": [c.company_id for c in expired]}
        await self._record(EventKind.RESPONSES_CLOSED, timer_actor(), data)
        return False

    async def _await_trial_start(self) -> None:
        assert self._state.trial_start is not None
        wait = self._state.trial_start - workflow.now()
        if await self._stage_leaves(Stage.TRIAL_SCHEDULED, seconds=wait.total_seconds()):
            return
        await self._start_trial(timer_actor())

    async def _run_trial(self) -> None:
        assert self._state.trial_start is not None and self._state.trial_end is not None
        period = self._days(self._rules.checkin_period_days)
        while self._state.stage == Stage.TRIAL_RUNNING:
            await self._continue_as_new_if_long()
            if self._state.stage != Stage.TRIAL_RUNNING:
                return
            next_checkin = self._state.trial_start + period * (self._state.checkins + 1)
            wake = min(next_checkin, self._state.trial_end)
            if await self._remind_checkin_before(wake):
                continue
            wait = max((wake - workflow.now()).total_seconds(), 0)
            if await self._stage_leaves(Stage.TRIAL_RUNNING, seconds=wait):
                return
            # A check-in whose successor was already due when it was asked (the trial resumed
            # after an extension and catches up) had no time to be answered: it is not missed.
            if wait > 0:
                await self._mark_checkin_missed()
            if workflow.now() >= self._state.trial_end:
                await self._enter_evaluation(EventKind.TRIAL_ENDED, timer_actor(), {})
                return
            self._state.checkins += 1
            self._state.checkin_at = workflow.now()
            self._state.checkin_reporters, self._state.checkin_reminded = [], False
            seq = await self._record(
                EventKind.CHECKIN_REQUESTED, timer_actor(), {"checkin": self._state.checkins}
            )
            self._notify(
                EmailTemplate.CHECKIN_REQUEST,
                seq,
                [Audience.TOWN, Audience.COMPANIES],
                company_ids=self._partner(),
                extra={"checkin": self._state.checkins},
            )

    def _checkin_evidence(self) -> bool:
        """Reminders and missed check-ins: pilots whose history predates them go without."""
        return self._state.checkins > 0 and workflow.patched(PATCH_CHECKIN_EVIDENCE)

    async def _remind_checkin_before(self, wake: datetime) -> bool:
        """Wait for the latest check-in's reminder time and remind whoever has not reported.

        True once it was handled (sent, or not needed) or the stage moved on; False if no
        reminder is due before `wake` (the next check-in or the trial's end).
        """
        delay = checkin_reminder_delay_days(self._rules)
        if self._state.checkin_reminded or delay is None or not self._checkin_evidence():
            return False
        assert self._state.trial_start is not None
        # From the request itself: one made late (the trial resumed after an extension) is
        # reminded as late; a state carried over from older code knows only its schedule.
        period = self._days(self._rules.checkin_period_days)
        requested = self._state.checkin_at or (
            self._state.trial_start + period * self._state.checkins
        )
        remind_at = requested + self._days(delay)
        if remind_at >= wake:
            return False
        wait = max((remind_at - workflow.now()).total_seconds(), 0)
        if await self._stage_leaves(Stage.TRIAL_RUNNING, seconds=wait):
            return True
        self._state.checkin_reminded = True
        town, partner = ReportingParty.TOWN, ReportingParty.PARTNER
        silent = [p for p in (town, partner) if p not in self._state.checkin_reporters]
        companies = self._partner() if partner in silent else []
        audiences = ([Audience.TOWN] if town in silent else []) + (
            [Audience.COMPANIES] if companies else []
        )
        if not audiences:
            return True
        checkin = self._state.checkins
        data = {"checkin": checkin, "parties": [str(p) for p in silent]}
        seq = await self._record(EventKind.CHECKIN_REMINDER, timer_actor(), data)
        self._notify(
            EmailTemplate.CHECKIN_REMINDER,
            seq,
            audiences,
            company_ids=companies,
            extra={"checkin": checkin},
        )
        return True

    async def _mark_checkin_missed(self) -> None:
        """The next check-in or the trial's end came with no report since the latest one."""
        if self._state.checkin_reporters or not self._checkin_evidence():
            return
        checkin = self._state.checkins
        if checkin in self._state.missed_checkins:
            return  # marked at the trial's end, before an extension resumed it
        self._state.mark_missed(checkin)
        await self._record(EventKind.CHECKIN_MISSED, timer_actor(), {"checkin": checkin})

    async def _await_decision(self) -> None:
        for reminder in range(1, self._rules.evaluation_reminders + 1):
            if await self._evaluation_or_stage_change(self._rules.evaluation_reminder_days):
                break
            self._set_deadline(self._rules.evaluation_reminder_days, WaitingOn.TOWN)
            seq = await self._record(
                EventKind.EVALUATION_REMINDER, timer_actor(), {"reminder": reminder}
            )
            self._notify(
                EmailTemplate.EVALUATION_REMINDER,
                seq,
                [Audience.TOWN],
                extra={"reminder": reminder},
            )
        await self._evaluation_or_stage_change()
        await self._stage_leaves(Stage.EVALUATION)

    # ---- updates: people acting on the pilot ----------------------------------------

    @workflow.update
    async def review(self, request: ReviewRequest) -> ActionResult:
        target = {
            ReviewDecision.APPROVE: Stage.MATCHING,
            ReviewDecision.REQUEST_CHANGES: Stage.CHANGES_REQUESTED,
            ReviewDecision.REJECT: Stage.REJECTED,
        }[ReviewDecision(request.decision)]
        self._state.deadline, self._state.waiting_on = None, None
        if target == Stage.CHANGES_REQUESTED:
            self._state.waiting_on = WaitingOn.TOWN
        data = {"decision": request.decision, "comment": request.comment}
        seq = await self._record(EventKind.REVIEWED, request.actor, data, target)
        self._notify(EmailTemplate.REVIEW_OUTCOME, seq, [Audience.TOWN], extra=data)
        return self._result()

    @review.validator
    def _validate_review(self, request: ReviewRequest) -> None:
        self._check(Action.REVIEW, request.actor)
        if request.decision not in set(ReviewDecision):
            self._invalid(
                N_("decision must be one of %(choices)s") % {"choices": ", ".join(ReviewDecision)}
            )

    @workflow.update
    async def amend(self, request: AmendRequest) -> ActionResult:
        self._state.proposal = request.proposal
        if self._indexed:
            workflow.upsert_search_attributes(
                [search_attributes.PILOT_THEME.value_set(request.proposal.theme)]
            )
        self._set_deadline(self._rules.review_reminder_days, WaitingOn.ADMIN)
        seq = await self._record(
            EventKind.AMENDED, request.actor, {"title": request.proposal.title}, Stage.SUBMITTED
        )
        self._notify(
            EmailTemplate.PILOT_SUBMITTED,
            seq,
            [Audience.TOWN, Audience.ADMINS],
            extra={"resubmitted": True},
        )
        return self._result()

    @amend.validator
    def _validate_amend(self, request: AmendRequest) -> None:
        self._check(Action.AMEND, request.actor)
        if request.proposal.town_id != self._state.town_id:
            self._invalid(N_("a pilot cannot move to another town"))

    @workflow.update
    async def respond(self, request: RespondRequest) -> ActionResult:
        repeat = is_repeat_answer(self._state, request.actor, request.interested, request.message)
        if repeat and workflow.patched(PATCH_ANSWER_BOUNDS):
            return self._result()  # the same answer again: nothing to record or tell
        candidate = self._state.candidate(request.actor.company_id)
        assert candidate is not None
        candidate.status = (
            CandidateStatus.INTERESTED if request.interested else CandidateStatus.DECLINED
        )
        candidate.message = request.message
        # Counted before the first await, so the next Update's validator already sees it.
        candidate.answers += 1
        data = {
            "company_id": candidate.company_id,
            "interested": request.interested,
            "message": request.message,
        }
        seq = await self._record(EventKind.ANSWERED, request.actor, data)
        over_cap = candidate.answers > self._rules.answer_emails_per_company
        # Whatever a company does, the town hears of its answers a bounded number of times.
        if not (over_cap and workflow.patched(PATCH_ANSWER_BOUNDS)):
            extra = {**data, "company_name": candidate.company_name}
            self._notify(EmailTemplate.ANSWER_RECEIVED, seq, [Audience.TOWN], extra=extra)
        return self._result()

    @respond.validator
    def _validate_respond(self, request: RespondRequest) -> None:
        repeat = is_repeat_answer(self._state, request.actor, request.interested, request.message)
        if repeat and self._state.stage == Stage.MATCHING:
            return  # accepted even past the bound on changes: the handler changes nothing
        self._check(Action.RESPOND, request.actor)

    @workflow.update
    async def select_partner(self, request: SelectPartnerRequest) -> ActionResult:
        others = []
        for candidate in self._state.candidates:
            if candidate.company_id == request.company_id:
                candidate.status = CandidateStatus.SELECTED
            elif candidate.status in ANSWERABLE:
                candidate.status = CandidateStatus.NOT_SELECTED
                others.append(candidate.company_id)
        self._state.partner_company_id = request.company_id
        start_in_days = (self._state.proposal.desired_start - workflow.now().date()).days
        self._state.trial_start = workflow.now() + self._days(max(start_in_days, 0))
        starts_now = start_in_days <= 0
        self._state.deadline = None if starts_now else self._state.trial_start
        self._state.waiting_on = None
        target = Stage.TRIAL_RUNNING if starts_now else Stage.TRIAL_SCHEDULED
        if starts_now:
            self._begin_trial_clock()
        data = {
            "company_id": request.company_id,
            "trial_start": self._state.trial_start.isoformat(),
        }
        seq = await self._record(EventKind.PARTNER_SELECTED, request.actor, data, target)
        self._notify(
            EmailTemplate.PARTNER_CHOSEN,
            seq,
            [Audience.COMPANIES],
            company_ids=[request.company_id],
        )
        if others:
            self._notify(
                EmailTemplate.PARTNER_NOT_CHOSEN, seq, [Audience.COMPANIES], company_ids=others
            )
        if starts_now:
            self._notify(
                EmailTemplate.TRIAL_STARTED,
                seq,
                [Audience.TOWN, Audience.COMPANIES],
                company_ids=self._partner(),
            )
        return self._result()

    @select_partner.validator
    def _validate_select_partner(self, request: SelectPartnerRequest) -> None:
        self._check(Action.SELECT_PARTNER, request.actor, company_id=request.company_id)

    @workflow.update
    async def report_progress(self, request: ProgressRequest) -> ActionResult:
        data = {
            "measurements": [{"kpi": m.kpi, "value": m.value} for m in request.measurements],
            "note": request.note,
        }
        window = progress_window(self._state, workflow.now())
        if window != self._state.progress_window:
            self._state.progress_window, self._state.progress_reports = window, {}
        # Counted before the first await, so the next Update's validator already sees it.
        party = reporter(request.actor)
        self._state.progress_reports[party] = self._state.progress_reports.get(party, 0) + 1
        self._state.add_measurements(request.measurements, workflow.now(), party)
        if party not in self._state.checkin_reporters:
            self._state.checkin_reporters = [*self._state.checkin_reporters, party]
        await self._record(EventKind.PROGRESS_REPORTED, request.actor, data)
        return self._result()

    @report_progress.validator
    def _validate_report_progress(self, request: ProgressRequest) -> None:
        self._check(Action.PROGRESS, request.actor)
        self._check_kpis([m.kpi for m in request.measurements])

    @workflow.update
    async def end_trial(self, request: ReasonRequest) -> ActionResult:
        await self._enter_evaluation(
            EventKind.TRIAL_ENDED, request.actor, {"reason": request.reason}
        )
        return self._result()

    @end_trial.validator
    def _validate_end_trial(self, request: ReasonRequest) -> None:
        self._check(Action.END_TRIAL, request.actor)

    @workflow.update
    async def submit_evaluation(self, request: EvaluationRequest) -> ActionResult:
        evaluation = request.evaluation
        self._state.evaluation = evaluation
        self._state.deadline, self._state.waiting_on = None, WaitingOn.ADMIN
        data = {
            "kpi_results": [{"kpi": m.kpi, "value": m.value} for m in evaluation.kpi_results],
            "satisfaction": evaluation.satisfaction,
            "lessons": evaluation.lessons,
            "recommendation": evaluation.recommendation,
        }
        await self._record(EventKind.EVALUATION_SUBMITTED, request.actor, data)
        return self._result()

    @submit_evaluation.validator
    def _validate_submit_evaluation(self, request: EvaluationRequest) -> None:
        self._check(Action.EVALUATION, request.actor)
        evaluation = request.evaluation
        if not 1 <= evaluation.satisfaction <= 5:
            self._invalid(N_("satisfaction must be between 1 and 5"))
        if evaluation.recommendation not in set(Decision):
            self._invalid(
                N_("recommendation must be one of %(choices)s") % {"choices": ", ".join(Decision)}
            )
        self._check_kpis([m.kpi for m in evaluation.kpi_results])

    @workflow.update
    async def decide(self, request: DecideRequest) -> ActionResult:
        data: dict[str, Any] = {"decision": request.decision, "comment": request.comment}
        self._state.deadline, self._state.waiting_on = None, None
        if request.decision == Decision.EXTEND:
            days = request.extension_days or self._rules.default_extension_days
            assert self._state.trial_end is not None
            self._state.trial_end = max(self._state.trial_end, workflow.now()) + self._days(days)
            self._state.deadline = self._state.trial_end
            self._state.evaluation = None
            # The latest check-in's reminder time has passed: the extension does not send it.
            self._state.checkin_reminded = True
            data["extension_days"] = days
            seq = await self._record(EventKind.DECIDED, request.actor, data, Stage.TRIAL_RUNNING)
        else:
            self._state.outcome = Outcome(request.decision)
            seq = await self._record(EventKind.DECIDED, request.actor, data, Stage.CLOSED)
        self._notify(
            EmailTemplate.DECISION,
            seq,
            [Audience.TOWN, Audience.COMPANIES, Audience.ADMINS],
            company_ids=self._partner(),
            extra=data,
        )
        return self._result()

    @decide.validator
    def _validate_decide(self, request: DecideRequest) -> None:
        self._check(Action.DECIDE, request.actor)
        if request.decision not in set(Decision):
            self._invalid(
                N_("decision must be one of %(choices)s") % {"choices": ", ".join(Decision)}
            )
        if request.extension_days is not None and request.extension_days < 1:
            self._invalid(N_("extension_days must be at least 1"))

    @workflow.update
    async def withdraw(self, request: ReasonRequest) -> ActionResult:
        await self._end(Stage.WITHDRAWN, request.actor, request.reason)
        return self._result()

    @withdraw.validator
    def _validate_withdraw(self, request: ReasonRequest) -> None:
        self._check(Action.WITHDRAW, request.actor)

    @workflow.update
    async def cancel(self, request: ReasonRequest) -> ActionResult:
        await self._end(Stage.CANCELLED, request.actor, request.reason)
        return self._result()

    @cancel.validator
    def _validate_cancel(self, request: ReasonRequest) -> None:
        self._check(Action.CANCEL, request.actor)

    @workflow.query
    def get_state(self) -> PilotState:
        return self._state

    # ---- transitions ------------------------------------------------------------------

    async def _start_trial(self, actor: Actor) -> None:
        self._begin_trial_clock()
        seq = await self._record(EventKind.TRIAL_STARTED, actor, {}, Stage.TRIAL_RUNNING)
        self._notify(
            EmailTemplate.TRIAL_STARTED,
            seq,
            [Audience.TOWN, Audience.COMPANIES],
            company_ids=self._partner(),
        )

    def _begin_trial_clock(self) -> None:
        now = workflow.now()
        self._state.trial_start = now
        self._state.trial_end = now + self._days(self._state.proposal.duration_days)
        self._state.deadline, self._state.waiting_on = self._state.trial_end, None

    async def _enter_evaluation(self, kind: EventKind, actor: Actor, data: dict[str, Any]) -> None:
        if self._state.stage == Stage.TRIAL_SCHEDULED or self._state.trial_start is None:
            self._state.trial_start = workflow.now()
        self._state.trial_end = workflow.now()
        self._set_deadline(self._rules.evaluation_reminder_days, WaitingOn.TOWN)
        seq = await self._record(kind, actor, data, Stage.EVALUATION)
        partner = self._partner()
        self._notify(
            EmailTemplate.TRIAL_ENDED,
            seq,
            [Audience.TOWN, Audience.COMPANIES],
            company_ids=partner,
            extra=data,
        )
        self._notify(EmailTemplate.EVALUATION_REQUEST, seq, [Audience.TOWN])

    async def _end(self, stage: Stage, actor: Actor, reason: str) -> None:
        self._state.deadline, self._state.waiting_on = None, None
        involved = [
            c.company_id
            for c in self._state.candidates
            if c.status == CandidateStatus.SELECTED or c.status in ANSWERABLE
        ]
        for candidate in self._state.candidates:
            if candidate.status in ANSWERABLE:
                candidate.status = CandidateStatus.EXPIRED
        seq = await self._record(ENDED_EVENT[stage], actor, {"reason": reason}, stage)
        self._notify(
            EmailTemplate.PILOT_ENDED,
            seq,
            [Audience.TOWN, Audience.ADMINS, Audience.COMPANIES],
            company_ids=involved,
            extra={"stage": stage.value, "reason": reason},
        )

    async def _record(
        self,
        kind: EventKind,
        actor: Actor,
        data: dict[str, Any] | None = None,
        stage: Stage | None = None,
    ) -> int:
        """Apply a stage change (if any) at once, then write the audit entry and read model."""
        if stage is not None:
            self._state.stage = stage
            if self._indexed:
                workflow.upsert_search_attributes([search_attributes.PILOT_STAGE.value_set(stage)])
        record = self._next_record(kind, actor, data)
        await self._write(record)
        return record.seq

    def _next_record(
        self, kind: EventKind, actor: Actor, data: dict[str, Any] | None = None
    ) -> TransitionRecord:
        self._state.seq += 1
        self._state.updated_at = workflow.now()
        update = workflow.current_update_info()
        if update is not None and update.id.startswith(KEYED_UPDATE_PREFIX):
            # Kept in the read model too, so a retry after the pilot has ended still finds it.
            receipts = [*self._state.receipts, Receipt(update.id, self._state.seq)]
            self._state.receipts = receipts[-RECEIPTS_KEPT:]
        return TransitionRecord(
            seq=self._state.seq,
            at=self._state.updated_at,
            kind=kind,
            actor=actor.as_record(),
            data=data or {},
            state=self._snapshot(),
            created_by=self._created_by,
        )

    async def _write(self, record: TransitionRecord) -> None:
        await workflow.execute_activity_method(
            ReadModelActivities.record_transition,
            record,
            start_to_close_timeout=READ_MODEL_WRITE_TIMEOUT,
            retry_policy=READ_MODEL_WRITE_RETRY,
        )

    def _notify(
        self,
        template: EmailTemplate,
        seq: int,
        audiences: list[Audience],
        *,
        company_ids: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        request = NotificationRequest(
            template=template,
            seq=seq,
            # Copied after the view is taken: the same payload, without copying candidates'
            # scores, reasons and offers only to drop them (issue 10).
            state=copy.deepcopy(email_view(self._state)),
            audiences=audiences,
            company_ids=company_ids or [],
            extra=extra or {},
        )
        # Sent messages need no keeping: a pilot of many years would hold them all.
        self._emails = [task for task in self._emails if not task.done()]
        self._emails.append(asyncio.create_task(self._send(request)))

    async def _send(self, request: NotificationRequest) -> None:
        # On email's own queue, so invitations never take the slots a person's Update waits
        # on; a pilot whose history sent email on its own queue keeps doing so.
        queue = None
        if workflow.patched(PATCH_EMAIL_TASK_QUEUE):
            queue = email_task_queue(workflow.info().task_queue)
        try:
            await workflow.execute_activity_method(
                NotificationActivities.send_notification,
                request,
                task_queue=queue,
                start_to_close_timeout=NOTIFICATION_DELIVERY_TIMEOUT,
                heartbeat_timeout=NOTIFICATION_DELIVERY_HEARTBEAT,
                retry_policy=NOTIFICATION_DELIVERY_RETRY,
            )
        except ActivityError as error:
            # The outbox keeps the message as failed, with its error, for the admins.
            workflow.logger.error("notification %s failed for good: %s", request.template, error)

    # ---- helpers -------------------------------------------------------------------------

    def _check(self, action: Action, actor: Actor, *, company_id: str | None = None) -> None:
        refused = refusal(self._state, action, actor, company_id=company_id, now=workflow.now())
        if refused is not None:
            details = [] if refused.retry_after is None else [refused.retry_after]
            raise ApplicationError(
                refused.reason, *details, type=refused.kind.value, non_retryable=True
            )

    def _check_kpis(self, names: list[str]) -> None:
        known = {k.name for k in self._state.proposal.kpis}
        unknown = sorted(set(names) - known)
        if unknown:
            self._invalid(N_("unknown KPI: %(names)s") % {"names": ", ".join(unknown)})

    @staticmethod
    def _invalid(reason: str) -> None:
        raise ApplicationError(reason, type=RefusalKind.INVALID.value, non_retryable=True)

    async def _stage_leaves(
        self, stage: Stage, days: float | None = None, *, seconds: float | None = None
    ) -> bool:
        """Wait until the pilot leaves `stage`; False if the time ran out first."""
        timeout = seconds if days is None else days * self._rules.day_seconds
        return await self._wait(lambda: self._state.stage != stage, timeout)

    async def _evaluation_or_stage_change(self, days: float | None = None) -> bool:
        return await self._wait(
            lambda: self._state.stage != Stage.EVALUATION or self._state.evaluation is not None,
            None if days is None else days * self._rules.day_seconds,
        )

    @staticmethod
    async def _wait(condition: Callable[[], bool], timeout_seconds: float | None) -> bool:
        try:
            await workflow.wait_condition(condition, timeout=timeout_seconds)
        except TimeoutError:
            return False
        return True

    def _days(self, days: float) -> timedelta:
        return timedelta(seconds=days * self._rules.day_seconds)

    def _set_deadline(self, days: float, waiting_on: WaitingOn) -> None:
        self._state.deadline = workflow.now() + self._days(days)
        self._state.waiting_on = waiting_on

    def _interested(self) -> bool:
        return any(c.status == CandidateStatus.INTERESTED for c in self._state.candidates)

    def _status(self, company_id: str) -> CandidateStatus | None:
        candidate = self._state.candidate(company_id)
        return candidate.status if candidate else None

    def _partner(self) -> list[str]:
        partner = self._state.partner_company_id
        return [partner] if partner else []

    def _snapshot(self) -> PilotState:
        return copy.deepcopy(self._state)

    def _result(self) -> ActionResult:
        return ActionResult(seq=self._state.seq, stage=self._state.stage)

    # ---- continue-as-new ---------------------------------------------------------------

    async def _continue_as_new_if_long(self) -> None:
        """Hand the state to a fresh run when the history grows long (years of check-ins).

        Only between phases or check-ins, once no Update handler or email is in flight, so
        nothing the new run needs is lost; each phase resumes from the state alone.
        """
        if not self._history_is_long() or not workflow.patched(PATCH_CONTINUE_AS_NEW):
            return
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and all(t.done() for t in self._emails)
        )
        workflow.continue_as_new(dataclasses.replace(self._input, resume=self._state))

    def _history_is_long(self) -> bool:
        info = workflow.info()
        limit = self._rules.continue_as_new_after_events
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit

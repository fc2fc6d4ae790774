"""Writes each transition to the audit trail and the pilots' read model, exactly once."""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import insert_or_ignore, transaction
from core.models import AuditEvent, Candidate, Pilot
from core.pilot_state import state_to_json
from workflows.contracts import PilotState, TransitionRecord


class ReadModelActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name="record_transition")
    async def record_transition(self, record: TransitionRecord) -> None:
        """Idempotent: a retried call, or an older record arriving late, changes nothing."""
        state = record.state
        async with transaction(self._sessions) as session:
            await insert_or_ignore(
                session,
                AuditEvent,
                {
                    "pilot_id": state.pilot_id,
                    "seq": record.seq,
                    "at": record.at,
                    "kind": record.kind,
                    "stage": state.stage,
                    "actor": record.actor,
                    "data": record.data,
                },
                ["pilot_id", "seq"],
            )
            pilot = await session.get(Pilot, state.pilot_id, with_for_update=True)
            if pilot is None:
                pilot = Pilot(
                    id=state.pilot_id,
                    workflow_id=f"pilot-{state.pilot_id}",
                    created_at=state.created_at,
                    created_by=record.created_by,
                    version=0,
                )
                session.add(pilot)
            if pilot.version < record.seq:
                _apply(pilot, state, record.seq)
                await _replace_candidates(session, state)


def _apply(pilot: Pilot, state: PilotState, seq: int) -> None:
    proposal = state.proposal
    pilot.town_id = state.town_id
    pilot.title = proposal.title
    pilot.summary = proposal.summary
    pilot.theme = proposal.theme
    pilot.needs = list(proposal.needs)
    pilot.budget_eur = proposal.budget_eur
    pilot.desired_start = proposal.start_date
    pilot.duration_days = proposal.duration_days
    pilot.kpis = state_to_json(state)["proposal"]["kpis"]
    pilot.stage = state.stage
    pilot.outcome = state.outcome
    pilot.round = state.round
    pilot.partner_company_id = state.partner_company_id
    pilot.trial_start = state.trial_start
    pilot.trial_end = state.trial_end
    pilot.deadline = state.deadline
    pilot.waiting_on = state.waiting_on
    pilot.parent_id = state.parent_id
    pilot.updated_at = state.updated_at
    pilot.version = seq
    pilot.state = state_to_json(state)


async def _replace_candidates(session: AsyncSession, state: PilotState) -> None:
    await session.flush()
    await session.execute(delete(Candidate).where(Candidate.pilot_id == state.pilot_id))
    session.add_all(
        Candidate(
            pilot_id=state.pilot_id,
            company_id=c.company_id,
            score=c.score,
            reasons=list(c.reasons),
            status=c.status,
            round=c.round,
            message=c.message,
        )
        for c in state.candidates
    )

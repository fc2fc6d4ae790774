"""Writes each transition to the audit trail and the pilots' read model, exactly once."""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import insert_or_ignore, transaction
from core.models import AuditEvent, Candidate, Pilot
from core.pilot_state import apply_state
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
                apply_state(pilot, state, record.seq)
                await _replace_candidates(session, state)


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

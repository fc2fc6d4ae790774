"""Writes each transition to the audit trail and the pilots' read model, exactly once."""

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import insert_or_ignore, transaction
from core.models import AuditEvent, Candidate, Pilot
from core.pilot_state import apply_state
from workflows.contracts import PilotState, TransitionRecord, workflow_id


class ReadModelActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
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
            # Two transitions of a new pilot may race to create its row: one inserts, both lock.
            # Its id and its workflow id are both unique: either may be the one that collides.
            await insert_or_ignore(session, Pilot, _new_row(record), None)
            pilot = await session.get(
                Pilot, state.pilot_id, with_for_update=True, populate_existing=True
            )
            assert pilot is not None
            if pilot.version < record.seq:
                apply_state(pilot, state, record.seq)
                await _replace_candidates(session, state)
        # The pilot id comes with every activity line (core/logs.py), so operators can follow one.
        activity.logger.info("recorded %s (seq %d), stage %s", record.kind, record.seq, state.stage)


def _new_row(record: TransitionRecord) -> dict[str, Any]:
    """The columns of a pilot's first row, at version 0 so the record itself still applies."""
    state = record.state
    row = Pilot(
        id=state.pilot_id,
        workflow_id=workflow_id(state.pilot_id),
        created_at=state.created_at,
        created_by=record.created_by,
    )
    apply_state(row, state, 0)
    columns = (column.key for column in Pilot.__table__.columns)
    return {key: value for key in columns if (value := getattr(row, key)) is not None}


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

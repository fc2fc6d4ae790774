"""Writes each transition to the audit trail and the pilots' read model, exactly once."""

from typing import Any

from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import insert_or_ignore, transaction
from core.models import AuditEvent, Candidate, Pilot
from core.pilot_state import state_columns
from workflows.contracts import PilotState, TransitionRecord, workflow_id


class ReadModelActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def record_transition(self, record: TransitionRecord) -> None:
        """Idempotent: a retried call, or an older record arriving late, changes nothing.

        Everything is computed before the first write and the writes are few: on SQLite a
        transaction holds the whole database's write lock from its first write to its
        commit, and each statement is a round trip through the event loop (its time under
        load made this the lock's longest holder; docs/PERFORMANCE.md).
        """
        state = record.state
        columns = state_columns(state, record.seq)
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
            # A row at an older version takes this record; the row's lock makes the check
            # and the write one step, whatever else records this pilot at the same time.
            applied = await _apply_if_newer(session, state.pilot_id, record.seq, columns)
            if not applied and await session.get(Pilot, state.pilot_id) is None:
                # The pilot's first record, and no row yet (the API makes one before it starts
                # the workflow; a generalized pilot's child does not). Two first records may
                # race to create it: one inserts, the other then updates it if it is newer.
                # Its id and its workflow id are both unique: either may be the one that
                # collides.
                await insert_or_ignore(session, Pilot, _new_row(record, columns), None)
                applied = await _apply_if_newer(session, state.pilot_id, record.seq, columns)
            if applied:
                await _replace_candidates(session, state)
        # The pilot id comes with every activity line (core/logs.py), so operators can follow one.
        activity.logger.info("recorded %s (seq %d), stage %s", record.kind, record.seq, state.stage)


async def _apply_if_newer(
    session: AsyncSession, pilot_id: str, seq: int, columns: dict[str, Any]
) -> bool:
    """Write the columns if the row is at an older version; whether it was."""
    result = await session.execute(
        update(Pilot)
        .where(Pilot.id == pilot_id, Pilot.version < seq)
        .values(columns)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return bool(result.rowcount)


def _new_row(record: TransitionRecord, columns: dict[str, Any]) -> dict[str, Any]:
    """A pilot's first row, at version 0 so the record itself still applies."""
    state = record.state
    return columns | {
        "id": state.pilot_id,
        "workflow_id": workflow_id(state.pilot_id),
        "created_at": state.created_at,
        "created_by": record.created_by,
        "version": 0,
    }


async def _replace_candidates(session: AsyncSession, state: PilotState) -> None:
    await session.execute(delete(Candidate).where(Candidate.pilot_id == state.pilot_id))
    if not state.candidates:
        return
    await session.execute(
        insert(Candidate),
        [
            {
                "pilot_id": state.pilot_id,
                "company_id": c.company_id,
                "score": c.score,
                "reasons": list(c.reasons),
                "status": c.status,
                "round": c.round,
                "message": c.message,
            }
            for c in state.candidates
        ],
    )

"""Read-model queries behind a company's profile: who met it on a pilot, its past pilots."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from core.models import Candidate, Pilot, User
from core.pilot_repository import visible_to
from workflows.stages import Stage

PAST_PILOTS_SHOWN = 50


class CompanyProfileQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def officer_knows(self, officer: User, company_id: str) -> bool:
        """A candidate on one of the officer's town's pilots, or the partner of one it sees."""
        candidate = (
            select(Candidate.pilot_id)
            .join(Pilot, Pilot.id == Candidate.pilot_id)
            .where(Candidate.company_id == company_id, Pilot.town_id == officer.town_id)
            .limit(1)
        )
        partner = (
            select(Pilot.id)
            .where(Pilot.partner_company_id == company_id, visible_to(officer))
            .limit(1)
        )
        if await self.session.scalar(candidate) is not None:
            return True
        return await self.session.scalar(partner) is not None

    async def past_pilots(self, reader: User, company_id: str) -> Sequence[Pilot]:
        """The company's pilots as partner closed with an outcome, that `reader` may see."""
        rows = await self.session.scalars(
            select(Pilot)
            .options(
                load_only(
                    Pilot.id,
                    Pilot.title,
                    Pilot.town_id,
                    Pilot.theme,
                    Pilot.outcome,
                    Pilot.trial_end,
                    Pilot.updated_at,
                )
            )
            .where(
                Pilot.partner_company_id == company_id,
                Pilot.stage == Stage.CLOSED,
                Pilot.outcome.is_not(None),
                visible_to(reader),
            )
            .order_by(Pilot.updated_at.desc(), Pilot.id)
            .limit(PAST_PILOTS_SHOWN)
        )
        return rows.all()

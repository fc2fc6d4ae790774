"""Partner matching: the companies that can serve a pilot, scored with their reasons."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from core.db import autocommitting
from core.models import Company, Pilot
from workflows.contracts import CandidateState, MatchingRequest, MatchingResult
from workflows.messages import N_

# Points: needs met weigh most; a record of evaluated pilots helps; current trials weigh down.
NEEDS_WEIGHT = 60.0
PAST_GENERALIZED = 8.0
PAST_EVALUATED = 4.0
PAST_CAP = 24.0
LOAD_PENALTY = 7.0
LOAD_CAP = 21.0
BASE = 20.0
ACTIVE_STAGES = ("trial_scheduled", "trial_running", "evaluation")


@dataclass
class TrackRecord:
    closed: int = 0
    generalized: int = 0
    running: int = 0


class MatchingActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn
    async def find_candidates(self, request: MatchingRequest) -> MatchingResult:
        """The best `limit` eligible companies not yet invited, the preferred one first."""
        async with autocommitting(self._sessions) as session:
            companies = list(await session.scalars(select(Company).where(Company.active)))
            records = await _track_records(session)
        excluded = set(request.exclude_company_ids)
        eligible = [
            c
            for c in companies
            if c.id not in excluded and _serves(c, request.theme, request.town_id)
        ]
        scored = [score_company(c, request, records.get(c.id, TrackRecord())) for c in eligible]
        scored.sort(
            key=lambda c: (c.company_id != request.preferred_company_id, -c.score, c.company_name)
        )
        return MatchingResult(candidates=scored[: request.limit])


def _serves(company: Company, theme: str, town_id: str) -> bool:
    return theme in company.themes and (not company.areas or town_id in company.areas)


def score_company(
    company: Company, request: MatchingRequest, record: TrackRecord
) -> CandidateState:
    """Score one eligible company and say why."""
    # English in the candidate's state (its wire format); the pages translate them.
    reasons = [N_("follows the theme %(theme)s") % {"theme": request.theme}]
    reasons.append(
        N_("serves the whole region") if not company.areas else N_("serves the pilot's town")
    )
    score = BASE
    needs = {n.strip().lower() for n in request.needs if n.strip()}
    tags = {t.strip().lower() for t in company.tags}
    if needs:
        met = sorted(needs & tags)
        score += NEEDS_WEIGHT * len(met) / len(needs)
        if met:
            reasons.append(
                N_("meets %(met)s of %(needs)s needs: %(names)s")
                % {"met": len(met), "needs": len(needs), "names": ", ".join(met)}
            )
        else:
            reasons.append(N_("meets none of the %(needs)s needs") % {"needs": len(needs)})
    past = min(
        PAST_GENERALIZED * record.generalized
        + PAST_EVALUATED * (record.closed - record.generalized),
        PAST_CAP,
    )
    if record.closed:
        score += past
        reasons.append(
            N_("%(closed)s past pilot(s) evaluated, %(generalized)s generalized")
            % {"closed": record.closed, "generalized": record.generalized}
        )
    if record.running:
        score -= min(LOAD_PENALTY * record.running, LOAD_CAP)
        reasons.append(
            N_("already partner of %(running)s ongoing pilot(s)") % {"running": record.running}
        )
    if company.id == request.preferred_company_id:
        reasons.append(N_("partner of the pilot this one replicates: invited first"))
    return CandidateState(
        company_id=company.id,
        company_name=company.name,
        score=round(score, 1),
        reasons=reasons,
        round=request.round,
    )


async def _track_records(session: AsyncSession) -> dict[str, TrackRecord]:
    rows = await session.execute(
        select(Pilot.partner_company_id, Pilot.stage, Pilot.outcome).where(
            Pilot.partner_company_id.is_not(None)
        )
    )
    records: dict[str, TrackRecord] = {}
    for company_id, stage, outcome in rows:
        record = records.setdefault(str(company_id), TrackRecord())
        if stage == "closed":
            record.closed += 1
            record.generalized += outcome == "generalize"
        elif stage in ACTIVE_STAGES:
            record.running += 1
    return records

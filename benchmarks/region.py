"""A synthetic region written straight into the read model: towns, companies, users, pilots.

Deterministic (seeded), skewed like a real region: some towns propose far more than others,
a few companies are invited to most pilots and many to very few.
"""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import transaction
from core.models import Candidate, Company, Pilot, Town, User
from core.pilot_state import state_to_json
from workflows.contracts import CandidateState, Kpi, PilotState, Proposal

THEMES = ("efficient-city", "creative-city", "european-city")
WORDS = (
    "compost", "vélo", "lampadaires", "capteurs", "navette", "parking", "école", "cantine",
    "bibliothèque", "eau", "chauffage", "tiers-lieu", "jardins", "seniors", "déchets", "arbres",
    "bancs", "wifi", "énergie", "mobilité", "marché", "musée", "piscine", "stade", "crèche",
    "mairie", "canal", "friche", "toitures", "fontaines", "trottinettes", "covoiturage",
    "recyclerie", "ateliers", "festival", "jumelage", "éclairage", "bornes", "bus", "parcs",
)  # fmt: skip
SENTENCES = (
    "Nous voulons tester {a} dans le quartier de la gare pendant un trimestre.",
    "Le projet associe les habitants et {a} pour réduire les coûts de fonctionnement.",
    "Une expérimentation sur {a} et {b}, mesurée chaque mois avec les services techniques.",
    "Les agents ont constaté que {a} posait problème l'hiver dernier.",
)
# Where pilots are in their life, roughly: most of an old region's pilots have ended.
STAGE_WEIGHTS = {
    "submitted": 6, "changes_requested": 3, "matching": 10, "trial_scheduled": 4,
    "trial_running": 8, "evaluation": 4, "closed": 45, "rejected": 8, "unmatched": 7,
    "withdrawn": 3, "cancelled": 2,
}  # fmt: skip
INVITED_STAGES = frozenset(STAGE_WEIGHTS) - {"submitted", "changes_requested", "rejected"}
PARTNERED_STAGES = frozenset({"trial_scheduled", "trial_running", "evaluation", "closed"})
# Who an open pilot waits on, by stage (trials wait on the calendar).
WAITING_ON = {
    "submitted": "admin", "changes_requested": "town", "matching": "companies",
    "evaluation": "town",
}  # fmt: skip
NEW_COMPANY = "co-new"  # registered today: invited to nothing yet


def town_id(index: int) -> str:
    return f"town{index:02d}"


def company_id(index: int) -> str:
    return f"co{index:04d}"


async def seed_reference(
    sessions: async_sessionmaker[AsyncSession], towns: int, companies: int
) -> None:
    """Towns with an officer each, companies with a user each (and one new company), an admin."""
    async with transaction(sessions) as session:
        session.add_all(Town(id=town_id(i), name=f"Commune {i:02d}") for i in range(towns))
        rng = random.Random(7)
        ids = [company_id(i) for i in range(companies)] + [NEW_COMPANY]
        session.add_all(
            Company(
                id=cid,
                name=f"Entreprise {cid}",
                contact_email=f"contact@{cid}.example",
                themes=sorted(rng.sample(THEMES, rng.choice((1, 2, 3)))),
                tags=rng.sample(WORDS, 4),
                areas=[] if rng.random() < 0.6 else [town_id(rng.randrange(towns))],
                locale=rng.choice(("fr", "en")),
            )
            for cid in ids
        )
        await session.flush()
        session.add(User(id="admin", email="admin@region.example", role="admin", password_hash="-"))
        session.add_all(
            User(
                id=f"officer-{town_id(i)}",
                email=f"officer@{town_id(i)}.example",
                role="town_officer",
                town_id=town_id(i),
                password_hash="-",
            )
            for i in range(towns)
        )
        session.add_all(
            User(
                id=f"user-{cid}",
                email=f"team@{cid}.example",
                role="company",
                company_id=cid,
                password_hash="-",
            )
            for cid in ids
        )


def _state_template() -> dict[str, Any]:
    """A realistic recorded state (proposal, KPIs, five candidates), as the activity writes it."""
    at = datetime(2025, 1, 1, tzinfo=UTC)
    proposal = Proposal(
        town_id="",
        title="",
        summary="",
        theme=THEMES[0],
        needs=["iot", "energy"],
        budget_eur=25000.0,
        desired_start=date(2025, 4, 1),
        duration_days=90,
        kpis=[Kpi("Énergie consommée", "kWh/mois", 12000, 8000), Kpi("Satisfaction", "%", 60, 75)],
    )
    candidates = [
        CandidateState(company_id(i), f"Entreprise {i}", 70.0, ["follows the theme"], 1)
        for i in range(5)
    ]
    state = PilotState("", "", proposal, "submitted", at, at, candidates=candidates, seq=4)
    return state_to_json(state)


def _pilot_rows(
    count: int, towns: int, companies: int, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    template = _state_template()
    now = datetime.now(UTC)
    span = timedelta(days=5 * 365)  # five years of proposals
    town_weights = [1 / (i + 1) ** 0.5 for i in range(towns)]
    company_weights = [1 / (i + 1) for i in range(companies)]
    stages, stage_weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())
    pilots, candidates = [], []
    for n in range(count):
        pilot_id = f"p{n:031d}"
        town = town_id(rng.choices(range(towns), town_weights)[0])
        stage = rng.choices(stages, stage_weights)[0]
        a, b = rng.sample(WORDS, 2)
        title = f"{a.capitalize()} et {b} à {town}"
        summary = " ".join(s.format(a=a, b=b) for s in rng.sample(SENTENCES, 3))
        created = now - span + span * (n / count) + timedelta(seconds=rng.random())
        invited: list[str] = []
        if stage in INVITED_STAGES:
            invited = sorted(
                {company_id(i) for i in rng.choices(range(companies), company_weights, k=5)}
            )
        partner = invited[0] if invited and stage in PARTNERED_STAGES else None
        outcome = rng.choice(("generalize", "stop", "stop")) if stage == "closed" else None
        proposal = {**template["proposal"], "town_id": town, "title": title, "summary": summary}
        pilots.append(
            {
                "id": pilot_id,
                "workflow_id": f"pilot-{pilot_id}",
                "town_id": town,
                "title": title,
                "summary": summary,
                "theme": rng.choice(THEMES),
                "needs": proposal["needs"],
                "budget_eur": float(rng.randrange(5_000, 200_000)),
                "desired_start": date(2025, 4, 1),
                "duration_days": 90,
                "kpis": proposal["kpis"],
                "stage": stage,
                "outcome": outcome,
                "round": 1 if invited else 0,
                "partner_company_id": partner,
                "deadline": created + timedelta(days=14) if stage in WAITING_ON else None,
                "waiting_on": WAITING_ON.get(stage),
                "created_by": f"officer-{town}",
                "created_at": created,
                "updated_at": created,
                "version": 4,
                "state": {
                    **template,
                    "pilot_id": pilot_id,
                    "town_id": town,
                    "stage": stage,
                    "proposal": proposal,
                },
            }
        )
        candidates += [
            {
                "pilot_id": pilot_id,
                "company_id": c,
                "score": 70.0,
                "reasons": ["follows the theme"],
                "status": "selected" if c == partner else "invited",
                "round": 1,
                "message": "",
            }
            for c in invited
        ]
    return pilots, candidates


async def seed_pilots(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    *,
    towns: int,
    companies: int,
    seed: int = 42,
    batch: int = 2000,
    skip: int = 0,
) -> None:
    """`count` pilots with their candidates, through SQLAlchemy, in batches of `batch` rows.

    `skip`: leave out the first pilots, already there from a smaller seeding (their ids).
    """
    pilots, candidates = _pilot_rows(count, towns, companies, random.Random(seed))
    if skip:
        kept = {p["id"] for p in pilots[skip:]}
        pilots, candidates = pilots[skip:], [c for c in candidates if c["pilot_id"] in kept]
    for rows, model in ((pilots, Pilot), (candidates, Candidate)):
        for start in range(0, len(rows), batch):
            async with transaction(sessions) as session:
                await session.execute(insert(model), rows[start : start + batch])

"""More demo pilots, spread over the metropolis's towns and the three themes.

Each row of `SPREAD` is driven by the same Temporal updates as the hand-written scenarios
(cli/seed_pilots.py) to the stage it names, so the admin's overview, the lists and the
lead-time statistics have something to show. They run a few at a time: start-up stays short.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.contracts import (
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Kpi,
    Measurement,
    ProgressRequest,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
)

if TYPE_CHECKING:
    from cli.seed_pilots import Demo

CONCURRENCY = 6  # pilots driven at once: the worker and a small machine keep up


@dataclass(frozen=True)
class Spread:
    town: str
    theme: str
    title: str
    summary: str
    needs: tuple[str, ...]
    budget: float
    kpi: Kpi
    stage: str  # where the seed leaves it; `closed` ends with `outcome`
    outcome: str = "stop"


SPREAD = (
    Spread("Wattrelos", "efficient-city", "Compteurs d'eau communicants",
           "Relever les compteurs d'eau à distance pour repérer les fuites chez les habitants.",
           ("water", "sensors", "iot"), 42000, Kpi("Fuites détectées par mois", "fuites", 3, 20),
           "trial_running"),
    Spread("Armentières", "creative-city", "Un fablab mobile dans les quartiers",
           "Un camion-atelier qui s'installe une semaine par quartier.",
           ("culture", "education", "participation"), 26000,
           Kpi("Participants par semaine", "personnes", 0, 80), "matching"),
    Spread("Loos", "efficient-city", "Toitures solaires des écoles",
           "Des panneaux solaires sur trois groupes scolaires, la production suivie en ligne.",
           ("energy", "buildings"), 90000, Kpi("Production annuelle", "MWh", 0, 120),
           "closed"),
    Spread("La Madeleine", "european-city", "Signalétique trilingue du centre-ville",
           "Des panneaux en français, anglais et néerlandais pour les visiteurs.",
           ("multilingual", "tourism"), 14000, Kpi("Visiteurs guidés", "visiteurs", 0, 5000),
           "submitted"),
    Spread("Mons-en-Barœul", "creative-city", "Jardins partagés sur les toits",
           "Des potagers sur les toits des résidences, cultivés par les locataires.",
           ("participation", "social-innovation"), 31000,
           Kpi("Jardiniers inscrits", "personnes", 0, 60), "evaluation"),
    Spread("Croix", "efficient-city", "Bornes de recharge pour vélos électriques",
           "Des bornes en libre accès près des arrêts de tramway.",
           ("mobility", "bike", "energy"), 55000, Kpi("Recharges par mois", "recharges", 0, 900),
           "rejected"),
    Spread("Halluin", "european-city", "Navette transfrontalière avec Menin",
           "Une navette électrique entre les deux centres, de part et d'autre de la Lys.",
           ("cross-border", "mobility"), 120000,
           Kpi("Voyageurs par jour", "voyageurs", 0, 400), "closed"),
    Spread("Wasquehal", "efficient-city", "Fuites du réseau de chaleur",
           "Des capteurs acoustiques le long du réseau de chaleur urbain.",
           ("sensors", "energy"), 38000, Kpi("Pertes du réseau", "%", 12, 8), "trial_running"),
    Spread("Ronchin", "creative-city", "Cafés numériques pour les seniors",
           "Un après-midi par semaine pour apprendre à se servir d'une tablette.",
           ("digital-inclusion", "elderly-care"), 9000,
           Kpi("Seniors accompagnés", "personnes", 0, 150), "withdrawn"),
    Spread("Hem", "creative-city", "Une bibliothèque d'objets",
           "Emprunter une perceuse ou une tente comme on emprunte un livre.",
           ("sharing-economy", "participation"), 12000,
           Kpi("Prêts par mois", "prêts", 0, 250), "changes_requested"),
    Spread("Faches-Thumesnil", "efficient-city", "Arrosage intelligent des espaces verts",
           "Des sondes d'humidité pilotent l'arrosage des parcs.",
           ("water", "sensors", "iot"), 24000, Kpi("Eau d'arrosage", "m³/an", 18000, 12000),
           "closed", "generalize"),
    Spread("Haubourdin", "european-city", "Jumelage numérique avec une ville belge",
           "Des échanges en ligne entre écoles et associations des deux villes.",
           ("europe", "events"), 16000, Kpi("Échanges organisés", "échanges", 0, 40),
           "matching"),
    Spread("Comines", "efficient-city", "Collecte des biodéchets des restaurants",
           "Une tournée à vélo cargo chez les restaurateurs, le compost rendu aux jardins.",
           ("waste", "recycling", "bike"), 21000, Kpi("Biodéchets collectés", "t/mois", 0, 6),
           "evaluation"),
    Spread("Seclin", "european-city", "Accueil des touristes à vélo",
           "Des haltes et un itinéraire balisé vers les sentiers de la Pévèle.",
           ("tourism", "attractiveness"), 33000,
           Kpi("Cyclotouristes accueillis", "visiteurs", 0, 3000), "closed"),
    Spread("Saint-André-lez-Lille", "creative-city", "Un orchestre à l'école",
           "Des instruments prêtés et des cours d'orchestre pour deux classes de CM1.",
           ("culture", "schools", "education"), 19000,
           Kpi("Élèves musiciens", "élèves", 0, 50), "trial_running"),
    Spread("Bondues", "efficient-city", "Éclairage des pistes cyclables à la demande",
           "Un éclairage qui s'allume au passage des cyclistes et s'éteint derrière eux.",
           ("public-lighting", "bike", "energy"), 47000,
           Kpi("Consommation", "MWh/an", 60, 25), "submitted"),
)  # fmt: skip


async def _drive(d: "Demo", spec: Spread) -> str:
    """Submit the pilot and move it to its stage with the people who would act."""
    from cli.seed_pilots import proposal

    town = spec.town
    officer = d.officer(town)
    pilot_id = await d.submit(
        town,
        proposal(spec.title, spec.summary, spec.theme, list(spec.needs), spec.budget, spec.kpi),
    )
    for step in _STEPS[spec.stage]:
        await step(d, pilot_id, spec)
    if spec.stage == "withdrawn":
        await d.update(pilot_id, "withdraw", ReasonRequest(officer, "Le budget est reporté."))
    return pilot_id


async def _review(d: "Demo", pilot_id: str, spec: Spread, decision: str, comment: str) -> None:
    await d.update(pilot_id, "review", ReviewRequest(d.admin(), decision, comment))


async def _approve(d: "Demo", pilot_id: str, spec: Spread) -> None:
    await _review(d, pilot_id, spec, "approve", "Bon projet.")


async def _interested(d: "Demo", pilot_id: str, spec: Spread) -> None:
    company_id = await d.invited(pilot_id, None)
    offer = RespondRequest(d.company(company_id), True, "Nous sommes intéressés.")
    await d.update(pilot_id, "respond", offer)


async def _partner(d: "Demo", pilot_id: str, spec: Spread) -> None:
    await d.partner_agreed(pilot_id, spec.town, None)


async def _progress(d: "Demo", pilot_id: str, spec: Spread) -> None:
    state = await d.state(pilot_id)
    assert state.partner_company_id is not None
    value = (spec.kpi.baseline + spec.kpi.target) / 2
    report = ProgressRequest(
        d.company(state.partner_company_id), [Measurement(spec.kpi.name, value)], "À mi-chemin."
    )
    await d.update(pilot_id, "report_progress", report)


async def _end(d: "Demo", pilot_id: str, spec: Spread) -> None:
    await d.update(pilot_id, "end_trial", ReasonRequest(d.officer(spec.town), "Fin prévue."))


async def _evaluate_and_decide(d: "Demo", pilot_id: str, spec: Spread) -> None:
    officer = d.officer(spec.town)
    results = [Measurement(spec.kpi.name, spec.kpi.target)]
    evaluation = Evaluation(results, 4, "À refaire avec plus de temps.", spec.outcome)
    await d.update(pilot_id, "submit_evaluation", EvaluationRequest(officer, evaluation))
    await d.update(pilot_id, "decide", DecideRequest(d.admin(), spec.outcome))


async def _reject(d: "Demo", pilot_id: str, spec: Spread) -> None:
    await _review(d, pilot_id, spec, "reject", "Hors du champ des expérimentations.")


async def _changes(d: "Demo", pilot_id: str, spec: Spread) -> None:
    await _review(d, pilot_id, spec, "request_changes", "Précisez le budget de fonctionnement.")


Step = Callable[["Demo", str, Spread], Awaitable[None]]
_STEPS: dict[str, tuple[Step, ...]] = {
    "submitted": (),
    "changes_requested": (_changes,),
    "rejected": (_reject,),
    "withdrawn": (),
    "matching": (_approve, _interested),
    "trial_running": (_partner, _progress),
    "evaluation": (_partner, _end),
    "closed": (_partner, _end, _evaluate_and_decide),
}


async def start_spread_pilots(d: "Demo") -> tuple[list[str], list[str]]:
    """Drive every row of SPREAD, a few at once: the pilot ids, and a line per failure."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(spec: Spread) -> str:
        async with gate:
            return await _drive(d, spec)

    results = await asyncio.gather(*(one(s) for s in SPREAD), return_exceptions=True)
    ids: list[str] = []
    failures: list[str] = []
    for spec, result in zip(SPREAD, results, strict=True):
        if isinstance(result, BaseException):
            failures.append(f"{spec.town} ({spec.stage}): {type(result).__name__}: {result}")
        else:
            ids.append(result)
    return ids, failures


def expected_stages() -> dict[str, int]:
    """How many spread pilots the seed leaves in each stage."""
    counts: dict[str, int] = {}
    for spec in SPREAD:
        counts[spec.stage] = counts.get(spec.stage, 0) + 1
    return counts

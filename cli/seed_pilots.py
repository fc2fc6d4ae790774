"""The demo pilots: started like any pilot, then moved along by the same Temporal updates
the service sends, so the demo shows real workflows at different stages.

Needs the Temporal server and a worker. Each scenario stands alone: one that fails is
reported and the others still run.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cli import demo_region as demo
from cli.seed import DemoRegion
from cli.seed_spread import start_spread_pilots
from core.settings import Settings
from workflows.contracts import (
    ActionResult,
    Actor,
    DecideRequest,
    Evaluation,
    EvaluationRequest,
    Kpi,
    Measurement,
    PilotState,
    ProgressRequest,
    Proposal,
    ReasonRequest,
    RespondRequest,
    ReviewRequest,
    SelectPartnerRequest,
    workflow_id,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

UPDATE_TIMEOUT = 30.0


@dataclass
class Demo:
    """What a scenario needs: the Temporal client, the settings and the seeded region."""

    client: Any  # temporalio.client.Client, imported lazily with the rest of Temporal
    settings: Settings
    region: DemoRegion

    def officer(self, town: str) -> Actor:
        user = self.region.users[demo.officer_email(town)]
        return Actor(role="town_officer", user_id=user.id, town_id=user.town_id)

    def company(self, company_id: str) -> Actor:
        name = next(n for n, i in self.region.companies.items() if i == company_id)
        user = self.region.users[demo.company_user_email(name)]
        return Actor(role="company", user_id=user.id, company_id=company_id)

    def admin(self) -> Actor:
        return Actor(role="admin", user_id=self.region.admin.id)

    async def submit(self, town: str, proposal: dict[str, Any]) -> str:
        from service.pilots import start_pilot

        actor = self.officer(town)
        full = Proposal(town_id=self.region.towns[town], **proposal)
        return await start_pilot(self.client, self.settings, full, actor)

    async def update(self, pilot_id: str, name: str, request: Any) -> ActionResult:
        from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

        handle = self.client.get_workflow_handle(workflow_id(pilot_id))
        call = handle.execute_update(name, request, result_type=ActionResult)
        try:
            return await asyncio.wait_for(call, UPDATE_TIMEOUT)
        except WorkflowUpdateRPCTimeoutOrCancelledError as error:
            raise TimeoutError(f"update {name} of pilot-{pilot_id} got no answer") from error

    async def state(self, pilot_id: str) -> PilotState:
        handle = self.client.get_workflow_handle(workflow_id(pilot_id))
        state: PilotState = await handle.query("get_state", result_type=PilotState)
        return state

    async def invited(self, pilot_id: str, preferred: str | None) -> str:
        """Wait for the matching round's invitations; the preferred company if it is invited."""
        deadline = time.monotonic() + UPDATE_TIMEOUT
        while time.monotonic() < deadline:
            state = await self.state(pilot_id)
            ids = [c.company_id for c in state.candidates]
            if ids:
                wanted = self.region.companies.get(preferred or "")
                return wanted if wanted in ids else ids[0]
            await asyncio.sleep(0.2)
        raise TimeoutError(f"no company invited to pilot {pilot_id} in {UPDATE_TIMEOUT:.0f}s")

    async def partner_agreed(self, pilot_id: str, town: str, company: str | None) -> str:
        """Approve, let the company answer interested, and have the town pick it."""
        await self.update(pilot_id, "review", ReviewRequest(self.admin(), "approve", "Go ahead."))
        company_id = await self.invited(pilot_id, company)
        offer = RespondRequest(self.company(company_id), True, "We can start right away.")
        await self.update(pilot_id, "respond", offer)
        pick = SelectPartnerRequest(self.officer(town), company_id)
        await self.update(pilot_id, "select_partner", pick)
        return company_id


def proposal(
    title: str,
    summary: str,
    theme: str,
    needs: list[str],
    budget: float,
    kpi: Kpi,
    *,
    start_in_days: int = 0,
    duration_days: int = 90,
) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "title": title,
        "summary": summary,
        "theme": theme,
        "needs": needs,
        "budget_eur": budget,
        "desired_start": today + timedelta(days=start_in_days),
        "duration_days": duration_days,
        "kpis": [kpi],
    }


async def submitted(d: Demo) -> str:
    return await d.submit(
        "Roubaix",
        proposal(
            "Capteurs de remplissage des points d'apport volontaire",
            "Équiper 40 points de tri de capteurs pour n'y passer que lorsqu'ils sont pleins.",
            "efficient-city",
            ["waste", "sensors", "iot"],
            35000,
            Kpi("Tournées de collecte par semaine", "tournées", 12, 8),
            start_in_days=45,
        ),
    )


async def changes_requested(d: Demo) -> str:
    pilot_id = await d.submit(
        "Lambersart",
        proposal(
            "Vélos cargos partagés pour les commerçants",
            "Prêter des vélos cargos aux commerçants du centre pour leurs livraisons.",
            "european-city",
            ["mobility", "bike", "logistics"],
            18000,
            Kpi("Livraisons à vélo par mois", "livraisons", 0, 300),
            start_in_days=60,
        ),
    )
    comment = "Précisez le nombre de commerçants concernés et le budget d'entretien."
    await d.update(pilot_id, "review", ReviewRequest(d.admin(), "request_changes", comment))
    return pilot_id


async def matching(d: Demo) -> str:
    pilot_id = await d.submit(
        "Lille",
        proposal(
            "Visites de convivialité pour les aînés isolés",
            "Des bénévoles formés rendent visite chaque semaine aux personnes âgées isolées.",
            "creative-city",
            ["elderly-care", "volunteering", "social-innovation"],
            22000,
            Kpi("Personnes visitées chaque semaine", "personnes", 0, 120),
            start_in_days=30,
        ),
    )
    await d.update(pilot_id, "review", ReviewRequest(d.admin(), "approve", "Très bon projet."))
    company_id = await d.invited(pilot_id, "Solidaires & Co")
    offer = RespondRequest(d.company(company_id), True, "Notre coopérative peut démarrer en mars.")
    await d.update(pilot_id, "respond", offer)
    return pilot_id


async def trial_running(d: Demo) -> str:
    kpi = Kpi("Consommation de l'éclairage public", "MWh/mois", 410, 330)
    pilot_id = await d.submit(
        "Tourcoing",
        proposal(
            "Éclairage public intelligent du quartier de la Bourgogne",
            "Des lampadaires qui baissent leur intensité quand la rue est vide.",
            "efficient-city",
            ["public-lighting", "energy", "iot"],
            60000,
            kpi,
            duration_days=120,
        ),
    )
    company_id = await d.partner_agreed(pilot_id, "Tourcoing", "Verdi Énergie")
    report = ProgressRequest(
        d.company(company_id), [Measurement(kpi.name, 372)], "120 lampadaires équipés."
    )
    await d.update(pilot_id, "report_progress", report)
    return pilot_id


async def closed_generalize(d: Demo) -> str:
    kpi = Kpi("Élèves formés", "élèves", 0, 400)
    town = "Villeneuve-d'Ascq"
    pilot_id = await d.submit(
        town,
        proposal(
            "Ateliers numériques dans les écoles",
            "Des ateliers de culture numérique pour les élèves de CM1-CM2 et leurs parents.",
            "creative-city",
            ["education", "digital-inclusion", "schools"],
            15000,
            kpi,
            duration_days=60,
        ),
    )
    await d.partner_agreed(pilot_id, town, "Classe Numérique")
    await d.update(
        pilot_id, "end_trial", ReasonRequest(d.officer(town), "Fin de l'année scolaire.")
    )
    evaluation = Evaluation(
        [Measurement(kpi.name, 455)], 5, "Impliquer les parents tôt.", "generalize"
    )
    await d.update(pilot_id, "submit_evaluation", EvaluationRequest(d.officer(town), evaluation))
    decision = DecideRequest(d.admin(), "generalize", comment="À proposer à toute la métropole.")
    await d.update(pilot_id, "decide", decision)
    return pilot_id


SCENARIOS: dict[str, Callable[[Demo], Awaitable[str]]] = {
    "submitted": submitted,
    "changes_requested": changes_requested,
    "matching": matching,
    "trial_running": trial_running,
    "closed (generalize)": closed_generalize,
}


async def worker_polls(client: Any, settings: Settings, *, seconds: float = 20.0) -> bool:
    """Whether a worker polls the pilots' task queue, waiting a little for one starting up."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    request = DescribeTaskQueueRequest(
        namespace=settings.temporal_namespace,
        task_queue=TaskQueue(name=settings.temporal_task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    deadline = time.monotonic() + seconds
    while True:
        response = await client.workflow_service.describe_task_queue(request)
        if response.pollers or time.monotonic() > deadline:
            return bool(response.pollers)
        await asyncio.sleep(0.5)


async def start_demo_pilots(settings: Settings, region: DemoRegion, *, spread: bool = True) -> bool:
    """Start every demo scenario (and the spread pilots); True if all reached their stage."""
    from core import temporal_client

    try:
        client = await temporal_client.connect(settings)
    except Exception as error:
        print(
            f"demo pilots skipped: no Temporal server at {settings.temporal_address} "
            f"({error}); the reference data is in place",
            flush=True,
        )
        return False
    if not await worker_polls(client, settings):
        print(
            f"demo pilots skipped: no worker polls the task queue "
            f"'{settings.temporal_task_queue}'; the reference data is in place",
            flush=True,
        )
        return False
    d = Demo(client, settings, region)
    ok, started = await _start_scenarios(d)
    if ok and spread:
        more, failures = await start_spread_pilots(d)
        started += more
        for failure in failures:
            ok = False
            print(f"demo pilot failed: {failure}", flush=True)
        print(f"demo pilots in {len(more)} more towns", flush=True)
    await _give_a_past(d, started)
    if not ok:
        print("some demo pilots are missing: is `pilotflow worker` running?", flush=True)
    return ok


async def _start_scenarios(d: Demo) -> tuple[bool, list[str]]:
    """The hand-written scenarios, one after the other: all reached, and the pilots started."""
    ok, started = True, list[str]()
    for stage, scenario in SCENARIOS.items():
        try:
            pilot_id = await scenario(d)
        except TimeoutError:
            print(f"demo pilot '{stage}' got no answer in {UPDATE_TIMEOUT:.0f}s", flush=True)
            return False, started  # no worker: the next scenarios would wait as long for nothing
        except Exception as error:
            ok = False
            print(f"demo pilot '{stage}' failed: {type(error).__name__}: {error}", flush=True)
            continue
        started.append(pilot_id)
        print(f"demo pilot {stage:<20} pilot-{pilot_id}", flush=True)
    return ok, started


async def _give_a_past(d: Demo, pilot_ids: list[str]) -> None:
    """Once the read model has every transition, date the demo pilots' trails back."""
    from cli.seed_history import date_back
    from core.db import create_engine, create_sessionmaker

    engine = create_engine(d.settings.effective_database_url)
    try:
        sessions = create_sessionmaker(engine)
        for pilot_id in pilot_ids:
            await _recorded(d, sessions, pilot_id)
        moved = await date_back(sessions, pilot_ids)
    finally:
        await engine.dispose()
    print(f"demo history: {moved} audit events of {len(pilot_ids)} pilots dated back", flush=True)


async def _recorded(d: Demo, sessions: "async_sessionmaker[AsyncSession]", pilot_id: str) -> None:
    """Wait (a little) until the read model holds every transition Temporal made."""
    from sqlalchemy import func, select

    from core.models import AuditEvent

    seq = (await d.state(pilot_id)).seq
    query = select(func.count()).where(AuditEvent.pilot_id == pilot_id)
    deadline = time.monotonic() + UPDATE_TIMEOUT
    while time.monotonic() < deadline:
        async with sessions() as session:
            if (await session.execute(query)).scalar_one() >= seq:
                return
        await asyncio.sleep(0.2)


async def submit_example_pilot(settings: Settings, town: str) -> str:
    """Submit one new pilot as the demo officer of `town`: what a newcomer tries first."""
    from cli.seed import seed_reference_data
    from core import temporal_client
    from core.db import create_engine, create_sessionmaker

    engine = create_engine(settings.effective_database_url)
    try:
        region = await seed_reference_data(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    if town not in region.towns:
        known = ", ".join(list(region.towns)[:3])
        raise ValueError(
            f"no demo town {town!r}: one of {known}... ({len(region.towns)} towns, "
            "reference/towns-mel.csv)"
        )
    client = await temporal_client.connect(settings)
    d = Demo(client, settings, region)
    kpi = Kpi("Bancs connectés utilisés par jour", "utilisations", 0, 200)
    example = proposal(
        "Bancs connectés et ombragés sur les places",
        "Des bancs solaires qui rechargent les téléphones et mesurent la fréquentation.",
        "efficient-city", ["energy", "iot", "open-data"], 12000, kpi, start_in_days=30,
    )  # fmt: skip
    return await d.submit(town, example)

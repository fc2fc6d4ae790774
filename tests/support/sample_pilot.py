"""A realistic pilot state, as the workflow would send it with a notification."""

from datetime import UTC, date, datetime

from workflows.contracts import (
    CandidateState,
    CandidateStatus,
    Evaluation,
    Kpi,
    KpiPoint,
    KpiSeries,
    Measurement,
    PilotState,
    Proposal,
    ReportingParty,
)

PARTNER_ID = "c0ffee00000000000000000000000001"

# One sample `extra` per template, with every key the workflow may send.
SAMPLE_EXTRAS: dict[str, dict[str, object]] = {
    "pilot_submitted": {"resubmitted": True},
    "review_outcome": {"decision": "request_changes", "comment": "Précisez le budget."},
    "review_reminder": {"reminder": 2},
    "invitation": {"round": 1},
    "invitation_reminder": {},
    "answer_received": {"company_name": "Lumina", "interested": True, "message": "Devis joint."},
    "partner_chosen": {},
    "partner_not_chosen": {},
    "trial_started": {},
    "checkin_request": {"checkin": 2},
    "checkin_reminder": {"checkin": 2},
    "trial_ended": {"reason": "Capteurs défaillants"},
    "evaluation_request": {},
    "evaluation_reminder": {"reminder": 1},
    "decision": {"decision": "extend", "comment": "Encore un hiver.", "extension_days": 30},
    "generalization_offer": {},
    "pilot_ended": {"stage": "unmatched", "reason": ""},
}


def sample_pilot_state(
    *, title: str = "Éclairage public intelligent", town_id: str = "t1"
) -> PilotState:
    """A pilot late in its life, so every template finds what it may print."""
    proposal = Proposal(
        town_id=town_id,
        title=title,
        summary="Des lampadaires qui baissent leur intensité quand la rue est vide.",
        theme="efficient-city",
        needs=["iot", "energy"],
        budget_eur=48500.0,
        desired_start=date(2025, 4, 1),
        duration_days=90,
        kpis=[
            Kpi(name="Énergie consommée", unit="kWh/mois", baseline=12000, target=8000),
            Kpi(name="Satisfaction des riverains", unit="%", baseline=60, target=75),
        ],
    )
    at = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    return PilotState(
        pilot_id="p0000000000000000000000000000001",
        town_id=town_id,
        proposal=proposal,
        stage="evaluation",
        created_at=at,
        updated_at=at,
        round=1,
        candidates=[
            CandidateState(
                company_id=PARTNER_ID,
                company_name="Lumina SAS",
                score=0.9,
                reasons=["tags: iot, energy"],
                round=1,
                status=CandidateStatus.SELECTED,
                message="Nous avons équipé trois communes.",
            )
        ],
        partner_company_id=PARTNER_ID,
        trial_start=datetime(2025, 4, 1, 7, 0, tzinfo=UTC),
        trial_end=datetime(2025, 6, 30, 7, 0, tzinfo=UTC),
        deadline=datetime(2025, 7, 14, 15, 45, tzinfo=UTC),
        evaluation=Evaluation(
            kpi_results=[Measurement(kpi="Énergie consommée", value=7421.5)],
            satisfaction=4,
            lessons="Prévoir une réunion publique avant la pose.",
            recommendation="generalize",
        ),
        seq=12,
        kpi_series=[
            KpiSeries(
                "Énergie consommée",
                [
                    KpiPoint(datetime(2025, 5, 2, 8, tzinfo=UTC), 9800.0, ReportingParty.TOWN),
                    KpiPoint(datetime(2025, 6, 3, 8, tzinfo=UTC), 8250.5, ReportingParty.PARTNER),
                ],
            )
        ],
    )

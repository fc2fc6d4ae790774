"""Starting pilots and acting on them through their workflows."""

import uuid

from temporalio.client import Client

from core.settings import Settings
from workflows import search_attributes
from workflows.contracts import Actor, LifecycleRules, PilotInput, Proposal
from workflows.pilot import PilotWorkflow
from workflows.stages import Stage


def workflow_id(pilot_id: str) -> str:
    return f"pilot-{pilot_id}"


def lifecycle_rules(settings: Settings) -> LifecycleRules:
    """The settings' deadlines, periods and counts, fixed into each new pilot."""
    return LifecycleRules(
        day_seconds=settings.day_seconds,
        review_reminder_days=settings.review_reminder_days,
        review_reminders=settings.review_reminders,
        invites_per_round=settings.invites_per_round,
        matching_rounds=settings.matching_rounds,
        response_days=settings.response_days,
        response_reminder_before_days=settings.response_reminder_before_days,
        checkin_period_days=settings.checkin_period_days,
        evaluation_reminder_days=settings.evaluation_reminder_days,
        evaluation_reminders=settings.evaluation_reminders,
        default_extension_days=settings.default_extension_days,
    )


async def start_pilot(
    client: Client,
    settings: Settings,
    proposal: Proposal,
    actor: Actor,
    *,
    parent_id: str | None = None,
    preferred_company_id: str | None = None,
    pilot_id: str | None = None,
) -> str:
    """Start a pilot's workflow, indexed by stage, theme and town; returns the pilot id."""
    pilot_id = pilot_id or uuid.uuid4().hex
    await client.start_workflow(
        PilotWorkflow.run,
        PilotInput(
            pilot_id=pilot_id,
            proposal=proposal,
            submitted_by=actor,
            rules=lifecycle_rules(settings),
            parent_id=parent_id,
            preferred_company_id=preferred_company_id,
        ),
        id=workflow_id(pilot_id),
        task_queue=settings.temporal_task_queue,
        search_attributes=search_attributes.initial(
            Stage.SUBMITTED, proposal.theme, proposal.town_id
        ),
    )
    return pilot_id

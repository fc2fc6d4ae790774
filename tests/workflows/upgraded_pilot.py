"""Two new versions of PilotWorkflow for tests/workflows/test_upgrade.py: one change, made
with `workflow.patched` and without.

The change is a real kind: the town now hears, by an extra email, that matching has begun,
an activity awaited before the first round of invitations. Each version is a subclass
registered under the same workflow type, `@workflow.defn(name="PilotWorkflow")`, that
overrides the one phase that changes; temporalio wants `@workflow.run` declared on every
workflow class, so each re-declares `run` as a call to the parent's. A module of its own,
because the workflow sandbox re-imports the module that defines a workflow.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from workflows.contracts import (
        Audience,
        NotificationRequest,
        PilotInput,
        PilotResult,
        email_view,
    )
    from workflows.pilot import PilotWorkflow
    from workflows.retries import NOTIFICATION_DELIVERY_RETRY, NOTIFICATION_DELIVERY_TIMEOUT

PATCH_MATCHING_NOTICE = "matching-started-notice"
NOTICE = "matching_started"


async def _tell_the_town_matching_began(pilot: PilotWorkflow) -> None:
    state = email_view(pilot._state)
    request = NotificationRequest(NOTICE, pilot._state.seq, state, [Audience.TOWN])
    await workflow.execute_activity_method(
        NotificationActivities.send_notification,
        request,
        start_to_close_timeout=NOTIFICATION_DELIVERY_TIMEOUT,
        retry_policy=NOTIFICATION_DELIVERY_RETRY,
    )


@workflow.defn(name="PilotWorkflow")
class PatchedPilotWorkflow(PilotWorkflow):
    """The new code as it should be deployed: the new command only where it is new."""

    @workflow.run
    async def run(self, input: PilotInput) -> PilotResult:
        return await super().run(input)

    async def _run_matching(self) -> None:
        if workflow.patched(PATCH_MATCHING_NOTICE):
            await _tell_the_town_matching_began(self)
        await super()._run_matching()


@workflow.defn(name="PilotWorkflow")
class UnpatchedPilotWorkflow(PilotWorkflow):
    """The same change made carelessly: every pilot, running or replayed, gets the command."""

    @workflow.run
    async def run(self, input: PilotInput) -> PilotResult:
        return await super().run(input)

    async def _run_matching(self) -> None:
        await _tell_the_town_matching_began(self)
        await super()._run_matching()

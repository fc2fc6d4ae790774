"""AccountEmailWorkflow: one account email (invitation, password reset), sent however long
SMTP stays down.

The workflow id is derived from the purpose, the user, the password fingerprint and the
link's time bucket, so asking twice while a link lives sends one email.
"""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

SEND_ACCOUNT_EMAIL = "send_account_email"
# SMTP down is retried for as long as it takes; a user who is gone is not.
ACCOUNT_EMAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["UnknownPurpose"],
)


@dataclass
class AccountEmailRequest:
    purpose: str  # core.account_links.LinkPurpose
    user_id: str
    fingerprint: str


@dataclass
class AccountEmailResult:
    sent: bool
    # Why nothing was sent: the user is gone or inactive, or the password changed meanwhile.
    skipped_because: str = ""


def account_email_workflow_id(request: AccountEmailRequest, bucket: int) -> str:
    return f"account-email-{request.purpose}-{request.user_id}-{request.fingerprint}-{bucket}"


@workflow.defn
class AccountEmailWorkflow:
    @workflow.run
    async def run(self, request: AccountEmailRequest) -> AccountEmailResult:
        result: AccountEmailResult = await workflow.execute_activity(
            SEND_ACCOUNT_EMAIL,
            request,
            result_type=AccountEmailResult,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=ACCOUNT_EMAIL_RETRY,
        )
        return result

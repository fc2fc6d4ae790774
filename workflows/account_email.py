"""AccountEmailWorkflow: one account email (invitation, password reset), sent however long
SMTP stays down.

The workflow id is derived from the purpose, the user, the password fingerprint and the
link's time bucket, so asking twice while a link lives sends one email.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.account_email import AccountEmailActivities
    from workflows.contracts import AccountEmailRequest, AccountEmailResult
    from workflows.retries import ACCOUNT_EMAIL_DELIVERY_RETRY, ACCOUNT_EMAIL_DELIVERY_TIMEOUT


def account_email_workflow_id(request: AccountEmailRequest, bucket: int) -> str:
    return f"account-email-{request.purpose}-{request.user_id}-{request.fingerprint}-{bucket}"


@workflow.defn
class AccountEmailWorkflow:
    @workflow.run
    async def run(self, request: AccountEmailRequest) -> AccountEmailResult:
        return await workflow.execute_activity_method(
            AccountEmailActivities.send_account_email,
            request,
            start_to_close_timeout=ACCOUNT_EMAIL_DELIVERY_TIMEOUT,
            retry_policy=ACCOUNT_EMAIL_DELIVERY_RETRY,
        )

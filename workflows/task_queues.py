"""The task queues a pilot's activities run on: email beside the pilot's own queue.

Email has a queue of its own, polled by a worker with few activity slots, so that a round
of invitations never fills the slots a person's Update waits on (`record_transition`).
Its name follows the workflow's queue, so the workflow needs no setting to find it and
every deployment (or test) on its own queue has its own email queue too.
"""

EMAIL_QUEUE_SUFFIX = "-email"


def email_task_queue(workflow_task_queue: str) -> str:
    """The queue of the email activities of workflows running on `workflow_task_queue`."""
    return f"{workflow_task_queue}{EMAIL_QUEUE_SUFFIX}"

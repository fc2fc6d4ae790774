"""How long each activity may run and how it is retried: one pair per kind of work.

No policy caps the attempts: what an activity does (a transition recorded, an email sent)
must happen in the end, so a database or SMTP server that is down is waited out, and only
the errors named non-retryable give up at once.
"""

from datetime import timedelta

from temporalio.common import RetryPolicy

# One transaction of a few rows; a write that takes longer is stuck, and the retry is
# harmless because the write is idempotent per (pilot, seq).
READ_MODEL_WRITE_TIMEOUT = timedelta(seconds=30)
# A person waits on the Update that records: retry soon, and at least once a minute while
# the database is down, so the pilot moves on as soon as it is back.
READ_MODEL_WRITE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)

# A read of the companies and their track records.
MATCHING_TIMEOUT = timedelta(seconds=30)
# The invitations wait on it, as a person waits on a write: the same quick backoff.
MATCHING_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)

# A large audience takes a while; the activity heartbeats once it has sent for a second,
# then at most once a second, so a worker that died is noticed within the heartbeat
# timeout, not the whole ten minutes.
NOTIFICATION_DELIVERY_TIMEOUT = timedelta(minutes=10)
NOTIFICATION_DELIVERY_HEARTBEAT = timedelta(seconds=30)
# An SMTP server that is down is retried with backoff for as long as it takes (no person waits
# on email, so up to ten minutes apart): a message is never dropped. A template that is
# missing or uses an undefined value fails the same way every time: refused at once.
NOTIFICATION_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["TemplateNotFound", "UndefinedError"],
)

# One message rendered and sent.
ACCOUNT_EMAIL_DELIVERY_TIMEOUT = timedelta(minutes=2)
# SMTP down is retried for as long as it takes, first after 5 s (the user is waiting for the
# link), then up to ten minutes apart; a purpose this code does not know is refused at once.
ACCOUNT_EMAIL_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["UnknownPurpose"],
)

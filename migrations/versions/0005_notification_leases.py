"""notification leases: an attempt claims an outbox row before it sends it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:45:00

Two attempts of one email activity (one timed out on its heartbeat while still sending,
or a killed worker's retry) could send the same row at once. A row is now claimed first:
status `sending`, the attempt in `lease_owner`, its claim good until `lease_expires_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.models import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("lease_owner", sa.String(200), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("lease_expires_at", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # The code before leases knows no `sending`: such a row is simply not sent yet.
    op.execute("UPDATE notifications SET status = 'queued' WHERE status = 'sending'")
    op.drop_column("notifications", "lease_expires_at")
    op.drop_column("notifications", "lease_owner")

"""candidates by company: an index for a company's list of pilots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:30:00

Measured in benchmarks/RESULTS.md: without it a company's list scans every candidate.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_candidates_company_id_pilot_id", "candidates", ["company_id", "pilot_id"])


def downgrade() -> None:
    op.drop_index("ix_candidates_company_id_pilot_id", table_name="candidates")

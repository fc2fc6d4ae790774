"""default themes: the strategy's three areas, which every region starts with

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:10:00

Themes are data that admins manage; this only adds the defaults that are missing, so it
never overwrites an admin's edits. The rows are written out here, not imported, so the
migration stays what it was when it ran.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_THEMES = [
    {
        "code": "efficient-city",
        "name": "Efficient city",
        "description": (
            "A resolutely efficient and resilient city: sustainable development, "
            "resources, technological excellence."
        ),
    },
    {
        "code": "creative-city",
        "name": "Creative city",
        "description": (
            "A resolutely creative city close to its citizens: social and civic innovation, "
            "solidarity, care for older people, education, sharing economy."
        ),
    },
    {
        "code": "european-city",
        "name": "European city",
        "description": (
            "A resolutely European and international city: attractiveness, Europe, "
            "proximity with the inhabitants."
        ),
    },
]

themes = sa.table(
    "themes",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
)


def upgrade() -> None:
    connection = op.get_bind()
    existing = set(connection.execute(sa.select(themes.c.code)).scalars())
    missing = [theme for theme in DEFAULT_THEMES if theme["code"] not in existing]
    if missing:
        op.bulk_insert(themes, missing)


def downgrade() -> None:
    codes = [theme["code"] for theme in DEFAULT_THEMES]
    op.execute(themes.delete().where(themes.c.code.in_(codes)))

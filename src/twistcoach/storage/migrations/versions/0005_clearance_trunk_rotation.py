"""A clearance's trunk-rotation limit for seated and standing twists (issue 20).

Revision ID: 0005_clearance_trunk_rotation
Revises: 0004_clinician_plans
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_clearance_trunk_rotation"
down_revision: str | None = "0004_clinician_plans"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``clearances.max_trunk_rotation_deg`` (nullable: clearances recorded before it
    set no trunk-rotation limit, as before)."""
    op.add_column("clearances", sa.Column("max_trunk_rotation_deg", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop ``clearances.max_trunk_rotation_deg``."""
    with op.batch_alter_table("clearances") as batch:
        batch.drop_column("max_trunk_rotation_deg")

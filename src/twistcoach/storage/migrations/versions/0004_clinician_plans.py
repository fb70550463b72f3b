"""Plans clinicians write for their students (issue 21).

Revision ID: 0004_clinician_plans
Revises: 0003_web_sessions_links
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from twistcoach.storage.models import UTCDateTime

revision: str = "0004_clinician_plans"
down_revision: str | None = "0003_web_sessions_links"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``clinician_plans`` (nothing stored is touched)."""
    op.create_table(
        "clinician_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("by_name", sa.String(200), nullable=False),
        sa.Column(
            "written_by",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("sessions_per_week", sa.Integer(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_clinician_plans_person_id", "clinician_plans", ["person_id"])


def downgrade() -> None:
    """Drop ``clinician_plans``."""
    op.drop_table("clinician_plans")

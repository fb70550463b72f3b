"""Check-ins after sharp pain and staff reviews of safety flags (issue 15).

Revision ID: 0002_checkins_reviews
Revises: 0001_initial
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from twistcoach.storage.models import UTCDateTime

revision: str = "0002_checkins_reviews"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``checkins`` and ``reviews`` (nothing stored is touched)."""
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("back", sa.String(16), nullable=False),
        sa.Column("new_leg_symptoms", sa.Boolean(), nullable=False),
        sa.Column("weakness_or_numbness", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("back IN ('better', 'same', 'worse')", name="ck_checkins_back"),
    )
    op.create_index("ix_checkins_person_id", "checkins", ["person_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("by_role", sa.String(16), nullable=False),
        sa.Column("by_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "reviewed_by",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("by_role IN ('clinician', 'teacher')", name="ck_reviews_by_role"),
    )
    op.create_index("ix_reviews_person_id", "reviews", ["person_id"])


def downgrade() -> None:
    """Drop ``reviews`` and ``checkins``."""
    op.drop_table("reviews")
    op.drop_table("checkins")

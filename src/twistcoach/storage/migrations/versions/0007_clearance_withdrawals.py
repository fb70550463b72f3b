"""Clearances withdrawn by a clinician (or the teacher who gave one), with who, when and why.

Revision ID: 0007_clearance_withdrawals
Revises: 0006_session_time_zone
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from twistcoach.storage.models import UTCDateTime

revision: str = "0007_clearance_withdrawals"
down_revision: str | None = "0006_session_time_zone"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``clearance_withdrawals`` (nothing stored is touched: every clearance recorded
    before it stays in force, as before)."""
    op.create_table(
        "clearance_withdrawals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "clearance_id",
            sa.Integer(),
            sa.ForeignKey("clearances.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("by_role", sa.String(16), nullable=False),
        sa.Column("by_name", sa.String(200), nullable=False),
        sa.Column(
            "withdrawn_by",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "by_role IN ('clinician', 'teacher')", name="ck_clearance_withdrawals_by_role"
        ),
    )


def downgrade() -> None:
    """Drop ``clearance_withdrawals`` (the clearances it withdrew count again)."""
    op.drop_table("clearance_withdrawals")

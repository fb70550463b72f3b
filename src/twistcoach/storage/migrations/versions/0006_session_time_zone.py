"""The time zone a session was practised in: a sharp-pain stop locks the rest of that day
in the person's own zone, not the server's.

Revision ID: 0006_session_time_zone
Revises: 0005_clearance_trunk_rotation
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_session_time_zone"
down_revision: str | None = "0005_clearance_trunk_rotation"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``sessions.time_zone`` (nullable: sessions stored before it, and the CLI's, use
    the machine's zone, as before)."""
    op.add_column("sessions", sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop ``sessions.time_zone``."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("time_zone")

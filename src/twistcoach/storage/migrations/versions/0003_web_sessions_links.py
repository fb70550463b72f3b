"""Server-side web sessions and students' links to staff (issue 16, items 2 and 9).

Revision ID: 0003_web_sessions_links
Revises: 0002_checkins_reviews
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from twistcoach.storage.models import UTCDateTime

revision: str = "0003_web_sessions_links"
down_revision: str | None = "0002_checkins_reviews"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``web_sessions`` and ``links`` (nothing stored is touched).

    Cookies signed before this revision carry no session id and so sign nobody in: people
    sign in once more after the upgrade.
    """
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("staff_email", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("person_id", "staff_email", name="uq_links_person_staff"),
    )
    op.create_index("ix_links_person_id", "links", ["person_id"])
    op.create_index("ix_links_staff_email", "links", ["staff_email"])


def downgrade() -> None:
    """Drop ``links`` and ``web_sessions``."""
    op.drop_table("links")
    op.drop_table("web_sessions")

"""Crawl state: each article URL's last fetch (``fetch_state``), each run's sites
(``crawl_run_sites``).

``fetch_state`` lets a scheduled re-crawl skip the article URLs it has fetched before and
re-check old ones with a conditional request (``If-None-Match`` / ``If-Modified-Since``).
``crawl_run_sites`` keeps, per run and site, the pages fetched, the articles given and whether
the extraction health check flagged the site. The models are in ``pipelines/state.py``.

Revision ID: 0003_crawl_state
Revises: 0002_search
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_crawl_state"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_fetched_at", _utc(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_state")),
        sa.UniqueConstraint("url", name=op.f("uq_fetch_state_url")),
    )
    op.create_index(op.f("ix_fetch_state_canonical_url"), "fetch_state", ["canonical_url"])
    op.create_index(op.f("ix_fetch_state_site"), "fetch_state", ["site"])
    op.create_table(
        "crawl_run_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("empty_ratio", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_crawl_run_sites_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run_sites")),
        sa.UniqueConstraint("run_id", "site", name=op.f("uq_crawl_run_sites_run_id_site")),
    )


def downgrade() -> None:
    op.drop_table("crawl_run_sites")
    op.drop_index(op.f("ix_fetch_state_site"), table_name="fetch_state")
    op.drop_index(op.f("ix_fetch_state_canonical_url"), table_name="fetch_state")
    op.drop_table("fetch_state")

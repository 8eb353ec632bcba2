"""analytics: KPI targets, stored prediction models, stored cash forecasts (issue 11)

Revision ID: 20261127_analytics
Revises: 20261127_web_users_audit
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_analytics"
down_revision = "20261127_web_users_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("scope_key", sa.String(60), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kpi_target"),
        sa.UniqueConstraint("company_id", "month", "scope", "scope_key", "metric", name="uq_kpi_target"),
    )
    op.create_table(
        "prediction_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("blob", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prediction_model"),
        sa.UniqueConstraint("company_id", "kind", "version", name="uq_prediction_model_version"),
    )
    op.create_table(
        "forecast_week",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("expected_minor", sa.BigInteger(), nullable=False),
        sa.Column("low_minor", sa.BigInteger(), nullable=False),
        sa.Column("high_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_week"),
        sa.UniqueConstraint("company_id", "made_on", "week", name="uq_forecast_week"),
    )


def downgrade() -> None:
    op.drop_table("forecast_week")
    op.drop_table("prediction_model")
    op.drop_table("kpi_target")

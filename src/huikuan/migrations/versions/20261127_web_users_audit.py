"""web workbench: users, roles, API tokens, sessions, settings, append-only audit log

Revision ID: 20261127_web_users_audit
Revises: 20261127_credit_control
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_web_users_audit"
down_revision = "20261127_credit_control"
branch_labels = None
depends_on = None

F = sa.text("false")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("collector_name", sa.String(60), nullable=True),
        sa.Column("lang", sa.String(5), server_default="zh", nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=F, nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("company_id", "name", name="uq_app_user_name"),
        sa.UniqueConstraint("company_id", "id", name="uq_app_user_company_id"),
    )
    op.create_table(
        "user_role",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                                name="fk_user_role_user"),
        sa.UniqueConstraint("company_id", "user_id", "role", name="uq_user_role"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), server_default=F, nullable=False),
        sa.ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                                name="fk_api_token_user"),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("company_id", "token_hash", name="uq_api_token_hash"),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                                name="fk_web_session_user"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
        sa.UniqueConstraint("company_id", "id_hash", name="uq_web_session_id_hash"),
    )
    op.create_table(
        "app_setting",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.UniqueConstraint("company_id", "key", name="uq_app_setting"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(60), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_key", sa.String(120), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["company_id", "at"], unique=False)
    # Append-only in the database itself: no UPDATE or DELETE of an audit row, whoever asks.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("app_setting")
    op.drop_table("web_session")
    op.drop_table("api_token")
    op.drop_table("user_role")
    op.drop_table("app_user")

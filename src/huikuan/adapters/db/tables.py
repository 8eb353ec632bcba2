"""SQLAlchemy Core tables. Valid on SQLite and PostgreSQL.

Conventions (ADR 0002): singular snake_case names, ``*_at`` UTC timestamps, ``*_on`` dates,
``amount_minor`` + ``currency``, named constraints. Every row carries ``company_id`` and every
unique key and foreign key includes it, so the schema can be distributed by tenant (Citus) without
cross-tenant references.

``invoice.open_minor`` and ``invoice.disputed_minor`` are maintained aggregates: the services that
write allocations and disputes update them in the same transaction (the daily run reads 10⁶ invoices
and must not re-sum allocations); an integration test recomputes them from the detail rows.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

Id = Integer  # SQLite rowid alias; BIGINT identity semantics are not needed below 2^31 rows per table


def _company() -> Column[int]:
    return Column("company_id", Integer, nullable=False)


def _fk_customer(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["company_id", "customer_id"], ["customer.company_id", "customer.id"], name=f"fk_{table}_customer"
    )


company = Table(
    "company",
    metadata,
    Column("id", Id, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
)

customer = Table(
    "customer",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("code", String(60), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False, server_default="dealer"),
    Column("terms", String(40), nullable=False, server_default="cash"),
    Column("credit_limit_minor", BigInteger, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("segment", String(60)),
    Column("collector", String(60)),
    Column("sales_owner", String(60)),
    Column("policy", String(60)),
    Column("region", String(60)),
    Column("deliver_two_settle_one", Boolean, nullable=False, server_default=text("false")),
    Column("requires_statement", Boolean, nullable=False, server_default=text("false")),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("credit_status", String(20), nullable=False, server_default="normal"),
    Column("shipment_locked", Boolean, nullable=False, server_default=text("false")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("guard_profile", String(20)),  # b2b_cn | consumer_cn | consumer_us; None: from the customer type
    Column("address", String(300)),  # postal address, printed on letters
    UniqueConstraint("company_id", "code", name="uq_customer_code"),
    UniqueConstraint("company_id", "id", name="uq_customer_company_id"),
)

contact = Table(
    "contact",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False, server_default="other"),
    Column("phone", String(40)),
    Column("email", String(200)),
    Column("best_time", String(60)),
    Column("do_not_contact", Boolean, nullable=False, server_default=text("false")),
    Column("left_on", Date),  # the person left the customer (a warning sign)
    # The compliance guard (issue 9): the contact's own time zone, and channels (comma-separated:
    # email,sms,phone) never to use — do-not-contact set by us, opt-out asked for by the contact.
    Column("timezone", String(60)),
    Column("blocked_channels", String(60)),
    Column("opted_out", String(60)),
    UniqueConstraint("company_id", "customer_id", "name", name="uq_contact_name"),
    _fk_customer("contact"),
)

invoice = Table(
    "invoice",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("number", String(60), nullable=False),
    Column("invoice_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("due_explicit", Boolean, nullable=False, server_default=text("false")),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("open_minor", BigInteger, nullable=False),
    Column("disputed_minor", BigInteger, nullable=False, server_default="0"),
    Column("bill_channel", String(10)),  # electronic | paper (电子/纸质 billing), NULL: unknown
    UniqueConstraint("company_id", "number", name="uq_invoice_number"),
    UniqueConstraint("company_id", "id", name="uq_invoice_company_id"),
    _fk_customer("invoice"),
    # Covers the daily run's read and the aging query (SQLite indexes carry the rowid = id): both scan
    # only this index, in (customer, currency) order — aging groups by both without a sort, and the run
    # reads each customer's invoices of one currency oldest first.
    Index("ix_invoice_open_cover", "company_id", "customer_id", "currency", "due_on", "open_minor", "disputed_minor",
          "number", postgresql_where=text("open_minor <> 0"), sqlite_where=text("open_minor <> 0")),
)

payment = Table(
    "payment",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("number", String(60), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("method", String(30), nullable=False, server_default="transfer"),
    Column("bill_matures_on", Date),  # 承兑汇票 maturity
    Column("bill_kind", String(20)),  # 承兑汇票: bank (counts as paid) or commercial (exposure until maturity)
    Column("invoice_number", String(60)),  # as named by the import, if any
    Column("unapplied_minor", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("company_id", "number", name="uq_payment_number"),
    UniqueConstraint("company_id", "id", name="uq_payment_company_id"),
    _fk_customer("payment"),
    Index("ix_payment_customer", "company_id", "customer_id", "paid_on"),
)

credit_note = Table(
    "credit_note",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("number", String(60), nullable=False),
    Column("invoice_number", String(60)),
    Column("note_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("unapplied_minor", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("company_id", "number", name="uq_credit_note_number"),
    UniqueConstraint("company_id", "id", name="uq_credit_note_company_id"),
    _fk_customer("credit_note"),
)

write_off = Table(
    "write_off",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("invoice_id", Integer, nullable=False),
    Column("written_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reason", Text),
    UniqueConstraint("company_id", "id", name="uq_write_off_company_id"),
    _fk_customer("write_off"),
)

allocation = Table(
    "allocation",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("invoice_id", Integer, nullable=False),
    Column("payment_id", Integer),
    Column("credit_note_id", Integer),
    Column("write_off_id", Integer),
    Column("amount_minor", BigInteger, nullable=False),
    Column("allocated_on", Date, nullable=False),
    ForeignKeyConstraint(["company_id", "invoice_id"], ["invoice.company_id", "invoice.id"],
                         name="fk_allocation_invoice"),
    Index("ix_allocation_invoice", "company_id", "invoice_id"),
    Index("ix_allocation_payment", "company_id", "payment_id"),
)

dispute = Table(
    "dispute",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("invoice_id", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("category", String(30), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("resolved_on", Date),
    Column("note", Text),
    _fk_customer("dispute"),
    Index("ix_dispute_customer", "company_id", "customer_id"),
)

activity = Table(
    "activity",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("at", DateTime(timezone=False), nullable=False),  # UTC
    Column("on", Date, nullable=False),  # local (company time zone) date of ``at``
    Column("channel", String(10), nullable=False),
    Column("outcome", String(30), nullable=False),
    Column("excuse", String(30)),
    Column("note", Text),
    Column("actor", String(60)),
    Column("action_id", Integer),
    Column("next_step", Text),  # what the collector will do next (the workbench's contact form)
    Column("next_on", Date),
    _fk_customer("activity"),
    Index("ix_activity_customer", "company_id", "customer_id", "on"),
)

promise = Table(
    "promise",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("promised_on", Date, nullable=False),
    Column("made_on", Date, nullable=False),
    Column("invoices", JSON, nullable=False),
    Column("instalment_of", Integer),  # a plan's parts share the first promise's id
    Column("note", Text),
    _fk_customer("promise"),
    Index("ix_promise_customer", "company_id", "customer_id", "promised_on"),
)

statement = Table(
    "statement",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("period", String(7), nullable=False),  # YYYY-MM the statement covers
    Column("prepared_on", Date),
    Column("checked_on", Date),
    Column("sent_on", Date),
    Column("confirmed_on", Date),
    UniqueConstraint("company_id", "customer_id", "period", name="uq_statement_period"),
    _fk_customer("statement"),
)

action = Table(
    "action",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("run_on", Date, nullable=False),
    Column("run_id", Integer),
    Column("ladder", String(20), nullable=False),
    Column("stage", String(60), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("channel", String(10)),
    Column("channels", JSON, nullable=False),
    Column("assignee_role", String(30), nullable=False),
    Column("assignee", String(60)),
    Column("letter", String(20)),
    Column("needs_approval", Boolean, nullable=False),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("rule_id", String(60), nullable=False),
    Column("policy_id", String(60), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("anchor", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("invoices", JSON, nullable=False),
    Column("params", JSON, nullable=False),
    Column("reason_zh", Text, nullable=False),
    Column("reason_en", Text, nullable=False),
    Column("decided_on", Date),
    Column("decided_by", String(60)),
    Column("decision_note", Text),
    UniqueConstraint("company_id", "customer_id", "stage", "run_on", name="uq_action_once_a_day"),
    _fk_customer("action"),
    Index("ix_action_history", "company_id", "customer_id", "rule_id", "anchor"),
    Index("ix_action_open", "company_id", "status", "needs_approval", "run_on"),
    # Today's order (amount DESC, id): read backwards, ties sorted within their amount (both backends).
    Index("ix_action_worklist", "company_id", "status", "amount_minor", "id"),
    Index("ix_action_role_worklist", "company_id", "status", "assignee_role", "amount_minor", "id"),
    Index("ix_action_customer_open", "company_id", "customer_id", "status", "needs_approval"),
)

run = Table(
    "run",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("as_of", Date, nullable=False),
    Column("started_at", DateTime(timezone=False), nullable=False),
    Column("finished_at", DateTime(timezone=False)),
    Column("status", String(20), nullable=False),  # running, done, failed, interrupted
    Column("dry_run", Boolean, nullable=False, server_default=text("false")),
    Column("counts", JSON, nullable=False),
    Column("caught_up", JSON, nullable=False),
    Column("errors", JSON, nullable=False),
    # The process doing the run and its lease: renewed while it works, so a dead run is recognised.
    Column("pid", Integer),
    Column("host", String(255)),
    Column("heartbeat_at", DateTime(timezone=False)),
    Index("ix_run_as_of", "company_id", "as_of"),
)

run_lock = Table(
    "run_lock",
    metadata,
    Column("company_id", Integer, primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("locked_at", DateTime(timezone=False), nullable=False),
)

calendar_day = Table(
    "calendar_day",
    metadata,
    _company(),
    Column("on", Date, nullable=False),
    Column("is_workday", Boolean, nullable=False),
    Column("name", String(60)),
    UniqueConstraint("company_id", "on", name="uq_calendar_day"),
)

calendar_year = Table(
    "calendar_year",
    metadata,
    _company(),
    Column("year", Integer, nullable=False),
    Column("source", String(60), nullable=False),
    UniqueConstraint("company_id", "year", name="uq_calendar_year"),
)

segment_policy = Table(
    "segment_policy",
    metadata,
    _company(),
    Column("segment", String(60), nullable=False),
    Column("policy", String(60), nullable=False),
    UniqueConstraint("company_id", "segment", name="uq_segment_policy"),
)


# ── analytics (issue 11): KPI targets, stored prediction models, stored cash forecasts ──────────────
kpi_target = Table(
    "kpi_target",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("scope", String(20), nullable=False),  # company, segment, collector
    Column("scope_key", String(60), nullable=False),  # "" for the company
    Column("metric", String(40), nullable=False),
    Column("value", Float, nullable=False),  # a percentage or a number of days, not money
    UniqueConstraint("company_id", "month", "scope", "scope_key", "metric", name="uq_kpi_target"),
)

prediction_model = Table(
    "prediction_model",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("kind", String(20), nullable=False),  # payment, consumer
    Column("version", Integer, nullable=False),
    Column("as_of", Date, nullable=False),  # trained on what was settled before this day
    Column("trained_at", DateTime(timezone=False), nullable=False),  # UTC
    Column("meta", JSON, nullable=False),
    Column("blob", Text, nullable=False),  # the model as text (LightGBM's own format inside JSON)
    UniqueConstraint("company_id", "kind", "version", name="uq_prediction_model_version"),
)

task_rank = Table(
    "task_rank",
    metadata,
    _company(),
    Column("action_id", Integer, nullable=False),
    Column("ranked_on", Date, nullable=False),  # the day the ranking holds for (the daily run's, or training's)
    Column("position", Integer, nullable=False),  # 1 = act on it first
    Column("value", Float, nullable=False),  # amount × p_late × days at stake, fen × days
    Column("why", JSON, nullable=False),  # [[feature, value, contribution], …] of the model's top reasons
    PrimaryKeyConstraint("company_id", "action_id", name="pk_task_rank"),
    # Today in the ranking's order walks this and stops after a page, instead of sorting 4·10^5 open tasks.
    Index("ix_task_rank_position", "company_id", "position"),
)

cardholder = Table(
    "cardholder",
    metadata,
    _company(),
    Column("code", String(40), nullable=False),  # the card or account number as imported
    Column("limit_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", JSON, nullable=False),  # six months of repayment status, newest first
    Column("bills", JSON, nullable=False),  # six bill amounts in minor units, newest first
    Column("paid", JSON, nullable=False),  # six amounts paid in minor units, newest first
    Column("defaulted", Integer),  # 1 / 0 when the next month's outcome is known
    Column("imported_on", Date, nullable=False),
    PrimaryKeyConstraint("company_id", "code", name="pk_cardholder"),
)

forecast_week = Table(
    "forecast_week",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("made_on", Date, nullable=False),
    Column("week", String(8), nullable=False),  # ISO week, 2026-W48
    Column("week_start", Date, nullable=False),
    Column("expected_minor", BigInteger, nullable=False),
    Column("low_minor", BigInteger, nullable=False),
    Column("high_minor", BigInteger, nullable=False),
    UniqueConstraint("company_id", "made_on", "week", name="uq_forecast_week"),
)


# ── credit control at the order desk (issue 10) ──────────────────────────────────────────────

sales_order = Table(
    "sales_order",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("number", String(60), nullable=False),
    Column("ordered_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("status", String(20), nullable=False, server_default="open"),  # open, closed, cancelled
    UniqueConstraint("company_id", "number", name="uq_sales_order_number"),
    _fk_customer("sales_order"),
    Index("ix_sales_order_customer", "company_id", "customer_id", "status"),
)

delivery = Table(
    "delivery",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("number", String(60), nullable=False),  # 送货单号
    Column("order_number", String(60)),
    Column("delivered_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("signed_by", String(100)),
    Column("signed_on", Date),
    Column("invoice_number", String(60)),  # the invoice it is evidence for, once billed
    UniqueConstraint("company_id", "number", name="uq_delivery_number"),
    _fk_customer("delivery"),
    Index("ix_delivery_customer", "company_id", "customer_id", "delivered_on"),
)

credit_check = Table(
    "credit_check",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("order_number", String(60)),
    Column("amount_minor", BigInteger, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("checked_at", DateTime(timezone=False), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("exposure_minor", BigInteger, nullable=False),
    Column("limit_minor", BigInteger, nullable=False),
    Column("override_id", Integer),
    Column("actor", String(60)),
    _fk_customer("credit_check"),
    Index("ix_credit_check_order", "company_id", "order_number"),
)

credit_override = Table(
    "credit_override",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("order_number", String(60), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("requested_by", String(60), nullable=False),
    Column("requested_at", DateTime(timezone=False), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False, server_default="pending"),  # pending, approved, rejected
    Column("decided_by", String(60)),
    Column("decided_at", DateTime(timezone=False)),
    Column("decision_note", Text),
    _fk_customer("credit_override"),
    Index("ix_credit_override_order", "company_id", "order_number"),
)

credit_application = Table(
    "credit_application",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("requested_limit_minor", BigInteger, nullable=False),
    Column("terms", String(40)),
    Column("refs", Text),  # references (banks, other suppliers)
    Column("reasoning", Text, nullable=False),  # the salesperson's reasoning
    Column("requested_by", String(60), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("required_role", String(30), nullable=False),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("decided_by", String(60)),
    Column("decided_on", Date),
    Column("decision_note", Text),
    _fk_customer("credit_application"),
)

credit_limit_change = Table(
    "credit_limit_change",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("old_minor", BigInteger, nullable=False),
    Column("new_minor", BigInteger, nullable=False),
    Column("reason", String(30), nullable=False),  # application, review, resume_cut, blacklist, manual
    Column("note", Text),
    Column("by", String(60)),
    Column("ref_id", Integer),  # the application or action behind it
    _fk_customer("credit_limit_change"),
    Index("ix_credit_limit_change_customer", "company_id", "customer_id", "changed_on"),
)

alert = Table(
    "alert",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("anchor", String(60), nullable=False),  # the episode: an order number, a contact, or a start date
    Column("raised_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("move", String(30), nullable=False),
    Column("params", JSON, nullable=False),
    Column("reason_zh", Text, nullable=False),
    Column("reason_en", Text, nullable=False),
    UniqueConstraint("company_id", "customer_id", "kind", "anchor", name="uq_alert_episode"),
    _fk_customer("alert"),
    Index("ix_alert_open", "company_id", "closed_on", "raised_on"),
)

lever_record = Table(
    "lever_record",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("lever", String(30), nullable=False),
    Column("done_on", Date, nullable=False),
    Column("by", String(60)),
    Column("note", Text),
    _fk_customer("lever_record"),
)

# ── web workbench: users, roles, API tokens, sessions, settings, and the append-only audit log ──────

app_user = Table(
    "app_user",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("name", String(60), nullable=False),
    Column("password_hash", String(200)),
    Column("collector_name", String(60)),  # as on customer.collector / customer.sales_owner
    Column("email", String(200)),  # the collector's own address: Reply-To of the reminders they own
    Column("lang", String(5), nullable=False, server_default="zh"),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=False)),  # UTC
    Column("created_at", DateTime(timezone=False), nullable=False),
    UniqueConstraint("company_id", "name", name="uq_app_user_name"),
    UniqueConstraint("company_id", "id", name="uq_app_user_company_id"),
)

user_role = Table(
    "user_role",
    metadata,
    _company(),
    Column("user_id", Integer, nullable=False),
    Column("role", String(30), nullable=False),
    UniqueConstraint("company_id", "user_id", "role", name="uq_user_role"),
    ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                         name="fk_user_role_user"),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("user_id", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False),  # sha256 hex; the token itself is shown once
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("revoked", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("company_id", "token_hash", name="uq_api_token_hash"),
    ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                         name="fk_api_token_user"),
)

web_session = Table(
    "web_session",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("id_hash", String(64), nullable=False),  # sha256 hex of the cookie's session id
    Column("user_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("seen_at", DateTime(timezone=False), nullable=False),
    UniqueConstraint("company_id", "id_hash", name="uq_web_session_id_hash"),
    ForeignKeyConstraint(["company_id", "user_id"], ["app_user.company_id", "app_user.id"],
                         name="fk_web_session_user"),
)

app_setting = Table(
    "app_setting",
    metadata,
    _company(),
    Column("key", String(60), nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("company_id", "key", name="uq_app_setting"),
)

# Append-only: the application only inserts and selects; database triggers refuse UPDATE and DELETE.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("at", DateTime(timezone=False), nullable=False),  # UTC
    Column("actor", String(60), nullable=False),  # a user name, or "cli" / "system"
    Column("action", String(60), nullable=False),  # contact.logged, promise.recorded, user.added ...
    Column("entity", String(30), nullable=False),  # customer, action, user, import ...
    Column("entity_key", String(120)),
    Column("customer_id", Integer),
    Column("before", JSON),
    Column("after", JSON),
    Index("ix_audit_log_at", "company_id", "at"),
)


# ── communications (issue 9): the outbox, template versions, letters, statement confirmations ──

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("action_id", Integer),
    Column("contact_id", Integer),
    Column("channel", String(10), nullable=False),  # email | sms
    Column("to_address", String(200), nullable=False),
    Column("to_name", String(100)),
    Column("lang", String(5), nullable=False),
    Column("stage", String(60), nullable=False),
    Column("template_version", Integer, nullable=False),  # 0: the shipped template
    Column("subject", Text),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text),
    Column("sms_params", Text),  # SMS: the approved template's parameters (JSON)
    Column("attachment", String(40)),  # what to attach, rendered at send time: letter:<action id>
    Column("reply_to", String(200)),
    Column("message_id", String(200), nullable=False),  # stable: the Message-ID / provider request id
    Column("status", String(10), nullable=False),  # queued | sending | failed | sent | dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=False), nullable=False),  # UTC
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("sent_at", DateTime(timezone=False)),
    Column("provider_id", String(200)),
    Column("error_code", String(60)),
    Column("error", Text),
    Column("guard_rule", String(40)),
    UniqueConstraint("company_id", "message_id", name="uq_outbox_message_id"),
    _fk_customer("outbox"),
    Index("ix_outbox_due", "company_id", "status", "next_attempt_at"),
    Index("ix_outbox_action", "company_id", "action_id"),
    Index("ix_outbox_customer", "company_id", "customer_id"),
)

outbox_event = Table(
    # What happened to a message that did not simply go: each guard refusal (with its rule) and each
    # dead-lettering, kept as evidence and shown on the customer's timeline.
    "outbox_event",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("outbox_id", Integer, nullable=False),
    Column("at", DateTime(timezone=False), nullable=False),  # UTC
    Column("kind", String(10), nullable=False),  # refused | dead
    Column("channel", String(10), nullable=False),
    Column("rule", String(40)),  # the guard's rule (refused, or dead because it never allows)
    Column("error_code", String(60)),
    Column("reason", Text),  # in the message's language, as the sender wrote it
    _fk_customer("outbox_event"),
    Index("ix_outbox_event_customer", "company_id", "customer_id", "at"),
)

message_template = Table(
    "message_template",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("stage", String(60), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("lang", String(5), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("created_by", String(60)),
    UniqueConstraint("company_id", "stage", "channel", "lang", "version", name="uq_message_template_version"),
)

letter = Table(
    "letter",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("action_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # dunning | confirmation | lawyer
    Column("reference", String(40), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("pdf_sha256", String(64)),
    Column("delivery", String(20)),  # email | ems | hand
    Column("tracking", String(60)),
    Column("delivered_on", Date),
    UniqueConstraint("company_id", "action_id", name="uq_letter_action"),
    _fk_customer("letter"),
)

statement_confirmation = Table(
    "statement_confirmation",
    metadata,
    Column("id", Id, primary_key=True),
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("period", String(7), nullable=False),
    Column("token_id", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),  # confirmed | disputed
    Column("who", String(100), nullable=False),
    Column("at", DateTime(timezone=False), nullable=False),
    Column("ip", String(64)),
    Column("statement_sha256", String(64), nullable=False),
    Column("lines", JSON, nullable=False),  # disputed invoice numbers with comments
    UniqueConstraint("company_id", "token_id", name="uq_statement_confirmation_token"),
    _fk_customer("statement_confirmation"),
)

# Per-customer aging (账龄) for one day, so `aging` and the dashboard read 10⁵ rows, not 10⁶ invoices.
# Rebuilt by each daily run for its day; every change to an invoice (payment, import, credit note,
# write-off, dispute) marks its customer in ``aging_dirty`` through a database trigger (migration
# 20261127_aging_snapshot), and readers recompute dirty customers from their invoices — so the snapshot
# is exact whichever code path wrote. ``version`` grows with each change: a rebuild clears only the
# marks it saw, never one made while it ran.
AGING_SNAPSHOT_BUCKETS = 7  # DEFAULT_BUCKETS (0, 30, 60, 90, 180, 365): not due, five ranges, >365
aging_snapshot = Table(
    "aging_snapshot",
    metadata,
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    *[Column(f"a{i}", BigInteger, nullable=False) for i in range(AGING_SNAPSHOT_BUCKETS)],
    Column("disputed", BigInteger, nullable=False),
    Column("overdue", BigInteger, nullable=False),
    Column("oldest", Date),
    PrimaryKeyConstraint("company_id", "customer_id", "currency", name="pk_aging_snapshot"),
    Index("ix_aging_snapshot_overdue", "company_id", "currency", "overdue"),  # the dashboard's top, read backwards
)

# The snapshot's per-currency column sums, written with it by ``AgingRepo.rebuild`` (same transaction): the
# dashboard adds up 10^5 rows no more. Exact the same way as the snapshot: the dirty customers' snapshot rows
# are taken off and their live sums put on (``AgingRepo.summary``).
aging_snapshot_total = Table(
    "aging_snapshot_total",
    metadata,
    _company(),
    Column("currency", String(3), nullable=False),
    *[Column(f"a{i}", BigInteger, nullable=False) for i in range(AGING_SNAPSHOT_BUCKETS)],
    Column("disputed", BigInteger, nullable=False),
    Column("overdue", BigInteger, nullable=False),
    PrimaryKeyConstraint("company_id", "currency", name="pk_aging_snapshot_total"),
)

aging_snapshot_state = Table(
    "aging_snapshot_state",
    metadata,
    Column("company_id", Integer, primary_key=True),
    Column("as_of", Date, nullable=False),
)

aging_dirty = Table(
    "aging_dirty",
    metadata,
    _company(),
    Column("customer_id", Integer, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="1"),
    PrimaryKeyConstraint("company_id", "customer_id", name="pk_aging_dirty"),
)

"""communications: outbox, template versions, letters, statement confirmations; guard fields on contacts

Revision ID: 20261127_outbox
Revises: 20261127_web_contact_next
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "20261127_outbox"
down_revision = "20261127_web_contact_next"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('company_id', 'stage', 'channel', 'lang', 'version', name='uq_message_template_version')
    )
    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('delivery', sa.String(length=20), nullable=True),
    sa.Column('tracking', sa.String(length=60), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['company_id', 'customer_id'], ['customer.company_id', 'customer.id'], name='fk_letter_customer'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter')),
    sa.UniqueConstraint('company_id', 'action_id', name='uq_letter_action')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('to_address', sa.String(length=200), nullable=False),
    sa.Column('to_name', sa.String(length=100), nullable=True),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('stage', sa.String(length=60), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('sms_params', sa.Text(), nullable=True),
    sa.Column('attachment', sa.String(length=40), nullable=True),
    sa.Column('reply_to', sa.String(length=200), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('guard_rule', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['company_id', 'customer_id'], ['customer.company_id', 'customer.id'], name='fk_outbox_customer'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('company_id', 'message_id', name='uq_outbox_message_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_action', ['company_id', 'action_id'], unique=False)
        batch_op.create_index('ix_outbox_customer', ['company_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_outbox_due', ['company_id', 'status', 'next_attempt_at'], unique=False)

    op.create_table('statement_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('token_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('who', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('statement_sha256', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['company_id', 'customer_id'], ['customer.company_id', 'customer.id'], name='fk_statement_confirmation_customer'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_confirmation')),
    sa.UniqueConstraint('company_id', 'token_id', name='uq_statement_confirmation_token')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('blocked_channels', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('opted_out', sa.String(length=60), nullable=True))

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guard_profile', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('guard_profile')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('opted_out')
        batch_op.drop_column('blocked_channels')
        batch_op.drop_column('timezone')

    op.drop_table('statement_confirmation')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index('ix_outbox_customer')
        batch_op.drop_index('ix_outbox_action')

    op.drop_table('outbox')
    op.drop_table('letter')
    op.drop_table('message_template')

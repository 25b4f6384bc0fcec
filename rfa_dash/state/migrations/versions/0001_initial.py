"""The first schema: accounts, sign-in failures, the audit trail (append-only), cuts,
notify's ledger and what was moved in from the files of earlier versions.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("username", sa.String(200), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False))
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False))
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("user", sa.String(400), nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("export", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("imported", sa.Boolean, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False))
    op.create_table(
        "cuts",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("trial", sa.String(100), nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("cut_of", sa.String(64), nullable=False),
        sa.Column("source_exported_at", sa.String(40), nullable=False),
        sa.Column("saved_at", sa.String(32), nullable=False),
        sa.Column("saved_by", sa.String(400), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False))
    op.create_table(
        "cut_tables",
        sa.Column("cut", sa.String(100), primary_key=True),
        sa.Column("tbl", sa.String(100), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False))
    op.create_table(
        "notify_ledger",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("run", sa.String(40), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.String(32), nullable=False),
        sa.Column("export", sa.String(64), nullable=False))
    op.create_table(
        "moved_in",
        sa.Column("source", sa.String(1000), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False))
    # the database itself refuses to change or remove an audit entry
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION audit_append_only() RETURNS trigger
                       LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""")
        op.execute("""CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
                      FOR EACH ROW EXECUTE FUNCTION audit_append_only()""")
        op.execute("""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
                      FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit
                           BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""")


def downgrade() -> None:
    raise NotImplementedError("the store is never downgraded: restore a backup instead")

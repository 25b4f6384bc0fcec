"""Each saved cut records what saved it: the version, source revision and code digest of
rfa_dash, and the protocol file's digest (``version.Stamp.line``). Cuts saved before
this revision say "not recorded".

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cuts") as batch:
        batch.add_column(sa.Column("made_by", sa.Text, nullable=False,
                                   server_default="not recorded"))

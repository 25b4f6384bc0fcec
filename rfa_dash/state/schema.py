"""The store's tables, as the code reads and writes them (SQLAlchemy Core).

The migrations in ``migrations/versions`` create them; a change here is a new
migration there (``docs/architecture.md``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

accounts = Table(
    "accounts", metadata,
    Column("username", String(200), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("role", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    # HMAC over the four columns above: a row changed by hand no longer signs in
    Column("signature", String(64), nullable=False),
)

signin_failures = Table(
    "signin_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False, index=True),
    Column("at", Float, nullable=False),   # seconds since the epoch (servers share it)
)

audit = Table(
    "audit", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("user", String(400), nullable=False),
    Column("role", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("export", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("imported", Boolean, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# the last entry's number and hash, signed: a trail cut off at its end is found
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)

cuts = Table(
    "cuts", metadata,
    Column("name", String(100), primary_key=True),
    Column("as_of", String(10), nullable=False),
    Column("trial", String(100), nullable=False),
    Column("synthetic", Boolean, nullable=False),
    Column("cut_of", String(64), nullable=False),
    Column("source_exported_at", String(40), nullable=False),
    Column("saved_at", String(32), nullable=False),
    Column("saved_by", String(400), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    # what saved it (version.Stamp.line); migration 0002
    Column("made_by", Text, nullable=False, server_default="not recorded"),
)

cut_tables = Table(
    "cut_tables", metadata,
    Column("cut", String(100), primary_key=True),
    Column("tbl", String(100), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),   # the table as Parquet
)

notify_ledger = Table(
    "notify_ledger", metadata,
    Column("email", String(320), primary_key=True),
    Column("key", String(400), primary_key=True),
    Column("state", String(10), nullable=False),   # 'claimed' or 'sent'
    Column("run", String(40), nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("sent_at", String(32), nullable=False),
    Column("export", String(64), nullable=False),
)

moved_in = Table(
    "moved_in", metadata,
    Column("source", String(1000), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("at", String(32), nullable=False),
    Column("summary", Text, nullable=False),
)

"""Alembic's entry point: run the migrations on the connection the store hands over.

Never run by hand: :func:`rfa_dash.state.store.engine` upgrades the store on
first use, inside a transaction (and, on PostgreSQL, an advisory lock).
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()

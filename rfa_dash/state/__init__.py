"""The dashboard's own records, in one transactional store.

Accounts, the sign-in throttle, the audit trail, saved data cuts and
notify's ledger live in one database chosen by ``RFA_DASH_STATE_URL``: an
SQLite file in the state folder by default, a ``postgresql://`` URL when
several servers share their state. Every action and its audit entry are
written in one transaction (:func:`rfa_dash.state.store.transaction`).

- :mod:`~rfa_dash.state.store`: the engine, transactions, schema migrations.
- :mod:`~rfa_dash.state.schema`: the tables, as SQLAlchemy Core sees them.
- :mod:`~rfa_dash.state.audit`: the hash-chained audit trail and its check.
- :mod:`~rfa_dash.state.cuts`: saved data cuts, each table with its digest.
- :mod:`~rfa_dash.state.earlier_files`: the once-per-file ledger of an earlier
  version's files and their readers (run at start-up by :mod:`rfa_dash.startup`).
- :mod:`~rfa_dash.state.backup`: a copy of an SQLite store while it is in use.

The store is the ground floor: nothing here imports the rest of the package but
``settings``, ``files`` and ``contract``.
"""

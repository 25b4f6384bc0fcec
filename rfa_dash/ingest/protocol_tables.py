"""The protocol file's settings as small tables of the analysis database.

Queries join these instead of holding a trial constant; each table is one
statement in ``sql/protocol/<table>.sql``, its values bound.
"""

from __future__ import annotations

from rfa_dash import db
from rfa_dash.contract import CRITERIA, MONTH_DAYS
from rfa_dash.protocol import Protocol


def create(con: db.Connection, protocol: Protocol) -> None:
    """Create ``protocol_arms``, ``protocol_visits``, ``protocol_criteria``,
    ``spec_constants`` and ``protocol_eligibility`` on ``con``."""
    arms = protocol.arms
    con.execute(db.sql_text("protocol/protocol_arms"), {
        "code": [a.code for a in arms], "label": [a.label for a in arms],
        "ratio": [a.ratio for a in arms], "position": list(range(len(arms)))})
    months = protocol.visit_months
    con.execute(db.sql_text("protocol/protocol_visits"), {
        "m": list(months), "before": [protocol.windows[m][0] for m in months],
        "after": [protocol.windows[m][1] for m in months]})
    con.execute(db.sql_text("protocol/protocol_criteria"), {
        "id": [c.id for c in CRITERIA], "position": list(range(1, len(CRITERIA) + 1)),
        "label": [protocol.criterion_labels[c.id] for c in CRITERIA],
        "lab": [c.lab for c in CRITERIA], "columns": [list(c.columns) for c in CRITERIA]})
    con.execute(db.sql_text("protocol/spec_constants"), {"month_days": MONTH_DAYS})
    e = protocol.eligibility
    con.execute(db.sql_text("protocol/protocol_eligibility"), {
        k: e[k] for k in e if k != "allowed_levels"} | {"allowed_levels": e["allowed_levels"]})

"""The command line's reading commands: each a thin call of one SQL file or analysis function,
returning the spec's columns (:data:`COMMANDS`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rfa_dash.ingest.export import Export

if TYPE_CHECKING:
    import pyarrow as pa


# no command loads pandas: the three plain queries are written from Arrow tables, the
# analyses from columns (a dict of lists; rfa_dash/numpy_columns.py)
def eligibility(exp: Export, as_of: dt.date) -> pa.Table:
    """One row per screened patient: screening_id, status, failed, unknown."""
    return exp.query_arrow("eligibility_status", as_of=as_of)


def visits(exp: Export, as_of: dt.date) -> pa.Table:
    """One row per randomized participant x visit month with window and status."""
    return exp.query_arrow("visit_schedule", as_of=as_of)


def overdue(exp: Export, as_of: dt.date) -> pa.Table:
    """One row per overdue visit, most overdue first."""
    return exp.query_arrow("overdue_visits", as_of=as_of)


def sre(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per arm x report month: at_risk, cif, lower, upper."""
    from rfa_dash.analysis.sre import sre_table

    return sre_table(exp, as_of)


def progression(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per progression criterion of the protocol, in the spec's order: criterion,
    numerator, denominator, value, lower, upper, green, amber, status."""
    from rfa_dash.analysis.progression import progression_table

    return progression_table(exp, as_of)


def sre_rate(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per arm: participants, counted SREs, participant-years and the skeletal
    morbidity rate with its exact Poisson interval."""
    from rfa_dash.analysis.recurrent import sre_rate_table

    return sre_rate_table(exp, as_of)


def recurrent(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per arm x report month: the mean cumulative number of SREs per participant
    (death terminal) with its interval and the number at risk."""
    from rfa_dash.analysis.recurrent import recurrent_table

    return recurrent_table(exp, as_of)


def pain(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per arm x visit month: pain response counts, rate and mean change."""
    from rfa_dash.analysis.pain import pain_table

    return pain_table(exp, as_of)


def safety_rule(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per k = 1 to the larger of n_max and the evaluable: k, max_events, events,
    date, status (the safety stopping rule's boundary and path)."""
    from rfa_dash.analysis.safety_rule import safety_rule_table

    return safety_rule_table(exp, as_of)


def safety_oc(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per true rate p: p, crossing_probability, expected_n (exact)."""
    from rfa_dash.analysis.safety_rule import safety_oc_table

    return safety_oc_table(exp, as_of)


def main_trial(exp: Export, as_of: dt.date) -> dict[str, list]:
    """One row per scenario (estimate, lower): scenario, p_event, events, participants,
    experimental, control, screened, sites, reason."""
    from rfa_dash.analysis.main_trial import main_trial_table

    return main_trial_table(exp, as_of)


COMMANDS = {"eligibility": eligibility, "visits": visits, "overdue": overdue, "sre": sre,
            "progression": progression, "sre-rate": sre_rate, "recurrent": recurrent,
            "pain": pain, "safety-rule": safety_rule, "safety-oc": safety_oc,
            "main-trial": main_trial}

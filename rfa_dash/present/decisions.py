"""The safety stopping rule and the main trial's size as people read them: the status in
words, what counts in one sentence, labelled tables and the frames the charts draw."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from rfa_dash.analysis.main_trial import sensitivity
from rfa_dash.analysis.safety_rule import SafetyRule
from rfa_dash.present.formats import fmt_day


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _long_day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def status_sentence(rule: SafetyRule) -> str:
    """Where the rule stands, in words (the k only where the role sees the path).

    Examples
    --------
    >>> from rfa_dash.analysis.safety_rule import RuleStatus
    >>> r = SafetyRule(None, "RFA/BA + RT", 0.05, {}, {}, RuleStatus(
    ...     "crossed", 20, dt.date(2027, 1, 31), 21), {"k": []})
    >>> print(status_sentence(r).replace(": ", ":\\n"))
    The rule was crossed on 31 January 2027 at the 20th evaluable participant:
    the protocol asks to pause enrolment and convene the DSMB.
    """
    st = rule.status
    if st.status == "crossed" and st.date is not None:
        at = f" at the {_ordinal(st.k)} evaluable participant" if st.k else ""
        return (f"The rule was crossed on {_long_day(st.date)}{at}: the protocol asks to "
                "pause enrolment and convene the DSMB.")
    n_max = rule.settings.n_max
    if st.status == "complete":
        return (f"Monitoring is complete: {n_max} participants evaluable without the rule "
                "being crossed.")
    seen = f" ({st.evaluable} of {n_max} participants evaluable)" if st.evaluable is not None \
        else ""
    return f"The rule has not been crossed{seen}: enrolment goes on."


def counts_sentence(rule: SafetyRule) -> str:
    """What the rule counts and its settings, from the protocol file, in one sentence."""
    s = rule.settings
    related = ", related to the procedure," if s.related_only else ""
    return (f"Counted: treatment-emergent adverse events of grade {s.min_grade} or worse"
            f"{related} with onset within {s.window_days} days of treatment, among the "
            f"participants of {rule.arm_label} who received it. Acceptable rate p0 = "
            f"{s.p0:.0%}, unacceptable p1 = {s.p1:.0%}; up to {s.n_max} participants; at most "
            f"a {s.alpha:.0%} chance of stopping when the true rate is p0 (level "
            f"{rule.level:.4f}; Ivanova, Qaqish and Schell 2005).")


POOLED_NOTE = "Pooled over arms: these figures reveal nothing by arm."
PATH_NOTE = ("The path (events among the participants evaluable so far) is for the closed "
             "session only: it counts one arm's harms.")


def boundary_frame(rule: SafetyRule, protocol=None) -> pd.DataFrame:
    """k, the events that stop the trial at k (max_events + 1), and, where the role sees
    the path, the events among the first k, the day, the participant and the status."""
    df = pd.DataFrame({"k": rule.boundary["k"],
                       "stop_at": [m + 1 for m in rule.boundary["max_events"]]})
    if rule.path is not None:
        path = pd.DataFrame(rule.path)
        df = path.merge(df, on="k", how="left")[["k", "stop_at", "events", "date",
                                                  "participant_id", "status"]]
    return df


def boundary_chart_frame(rule: SafetyRule, protocol=None) -> pd.DataFrame:
    """:func:`boundary_frame` up to n_max: where monitoring ends, and all a chart needs
    (participants evaluable beyond it are in the table; at 100,000 participants they would
    be tens of thousands of points)."""
    df = boundary_frame(rule)
    return df[df["k"] <= rule.settings.n_max].reset_index(drop=True)


def boundary_view(rule: SafetyRule, protocol=None) -> pd.DataFrame:
    """:func:`boundary_frame` with labels and whole numbers (empty cells as "-")."""
    df = boundary_frame(rule)
    out = pd.DataFrame({"Evaluable participants (k)": df["k"],
                        "Stop at this many events": df["stop_at"].map(_whole)})
    if rule.path is not None:
        out["Events among the first k"] = df["events"].map(_whole)
        out["Evaluable on"] = df["date"].map(fmt_day)
        out["Participant"] = df["participant_id"].fillna("-")
        out["Status"] = df["status"].fillna("-")
    return out


def _whole(v: Any) -> str:
    return "-" if v is None or v != v else str(int(v))


def oc_view(rule: SafetyRule, protocol=None) -> pd.DataFrame:
    """The operating characteristics, labelled, in percent and participants."""
    oc = rule.oc
    s = rule.settings
    return pd.DataFrame({
        "True rate": [f"{p:.0%}" + (" (p0)" if p == s.p0 else " (p1)" if p == s.p1 else "")
                      for p in oc["p"]],
        "Probability of stopping": [f"{x:.1%}" for x in oc["crossing_probability"]],
        "Expected participants when monitoring ends": [f"{x:.1f}" for x in oc["expected_n"]],
    })


SCENARIO_LABELS = {"estimate": "F as estimated", "lower": "F at its lower 95% limit"}


def main_trial_view(rows: dict[str, list], protocol=None) -> pd.DataFrame:
    """The main trial's two scenarios as people read them."""
    def n(v: Any) -> str:
        return "-" if v is None else f"{int(v):,}"

    cols = {
        "Scenario": [SCENARIO_LABELS[s] for s in rows["scenario"]],
        "F (first SRE by the horizon)": ["-" if v is None else f"{v:.1%}"
                                         for v in rows["p_event"]],
        "Events": [n(v) for v in rows["events"]],
        "Participants": [n(v) for v in rows["participants"]],
        "Experimental": [n(v) for v in rows["experimental"]],
        "Control": [n(v) for v in rows["control"]],
        "To screen": [n(v) for v in rows["screened"]],
        "Centers like this one": [n(v) for v in rows["sites"]],
    }
    if any(rows["reason"]):   # the column only where a scenario cannot be computed
        cols["Not computable because"] = [r or "-" for r in rows["reason"]]
    return pd.DataFrame(cols)


def main_trial_inputs(protocol) -> list[str]:
    """What each input of the main trial's size is, one line each."""
    m = protocol.main_trial
    a, b = m.allocation
    return [
        f"Effect to detect: a subdistribution hazard ratio of {m.hr:g} for a first SRE "
        f"(two-sided alpha {m.alpha:g}, power {m.power:.0%}); allocation {a}:{b}.",
        f"F: the pilot's pooled cumulative incidence of a first SRE at {m.horizon_months} "
        "months (death competing), with its 95% interval.",
        "Events: Schoenfeld's formula for subdistribution hazards (Latouche, Porcher and "
        "Chevret 2004); participants = events / F, in whole allocation blocks.",
        f"To screen and centers: at the pilot's own funnel and pace, accruing over "
        f"{m.accrual_months} months.",
    ]


def sensitivity_frame(rows: dict[str, list], protocol) -> pd.DataFrame:
    """Participants needed against the hazard ratio
    (:func:`rfa_dash.analysis.main_trial.sensitivity` of the main trial's ``rows``), as a
    frame with the scenarios' labels: a view of the main trial's result."""
    df = pd.DataFrame(sensitivity(rows, protocol.main_trial))
    df["scenario"] = df["scenario"].map(SCENARIO_LABELS)
    return df

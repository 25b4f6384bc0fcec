"""SRE and safety results as people read them: labelled groups, estimates with intervals."""

from __future__ import annotations

import pandas as pd

from rfa_dash.analysis.safety import GRADES, Safety
from rfa_dash.analysis.sre import SreResult
from rfa_dash.blinding import GROUP
from rfa_dash.present.formats import fmt_ci, fmt_p
from rfa_dash.present.labels import group_labels


def gray_note(res: SreResult, labels: dict[str, str]) -> str:
    """Gray's test in a sentence, or why it is not shown yet (too few SREs in an arm).

    Examples
    --------
    >>> import pandas as pd
    >>> few = SreResult(pd.DataFrame(), pd.DataFrame(), {"a": 1, "b": 4}, None, 5)
    >>> gray_note(few, {"a": "Arm A", "b": "Arm B"})
    "Gray's test is shown once every arm has at least 5 SREs (now Arm A: 1, Arm B: 4)."
    >>> done = SreResult(pd.DataFrame(), pd.DataFrame(), {"a": 6, "b": 7},
    ...                  {"statistic": 1.234, "df": 1, "p_value": 0.2667}, 5)
    >>> gray_note(done, {})
    "Gray's test (rho = 0): chi-square 1.23 on 1 df, p = 0.267."
    """
    g = res.gray
    if g is None:
        now = ", ".join(f"{labels.get(a, a)}: {n}" for a, n in res.events_per_group.items())
        return (f"Gray's test is shown once every arm has at least {res.gray_min_events} SREs "
                f"(now {now}).")
    return (f"Gray's test (rho = 0): chi-square {g['statistic']:.2f} on {g['df']} df, "
            f"{fmt_p(g['p_value'])}.")


def estimates_display(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Report-month estimates as people read them: one row per group and month."""
    return pd.DataFrame({
        "Group": [labels.get(a, a) for a in table[GROUP]],
        "Month": table["month"],
        "At risk": table["at_risk"],
        "Cumulative incidence (95% CI)": [fmt_ci(c, lo, hi) for c, lo, hi in
                                          zip(table["cif"], table["lower"], table["upper"],
                                              strict=True)],
    })


def components_display(comp: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Component estimates as a grid: one row per component and group, one column per month."""
    if comp.empty:
        return comp
    df = comp.assign(text=[fmt_ci(c, lo, hi) for c, lo, hi in
                           zip(comp["cif"], comp["lower"], comp["upper"], strict=True)],
                     group=[labels.get(a, a) for a in comp[GROUP]])
    wide = df.pivot_table(index=["component", "group"], columns="month", values="text",
                          aggfunc="first", sort=False)
    wide.columns = [f"Month {m}" for m in wide.columns]
    return wide.reset_index().rename(columns={"component": "Component", "group": "Group"})


def estimates_view(res: SreResult, protocol) -> pd.DataFrame:
    """:func:`estimates_display` of an SRE analysis, labelled by the protocol (a view for
    ``ui.cached``)."""
    return estimates_display(res.table, group_labels(protocol))


def components_view(comp: pd.DataFrame, protocol) -> pd.DataFrame:
    """:func:`components_display` labelled by the protocol (a view for ``ui.cached``)."""
    return components_display(comp, group_labels(protocol))


def grade_table(s: Safety, labels: dict[str, str]) -> pd.DataFrame:
    """Grades as rows, groups as columns: 'participants (%) / events'; the first row
    counts the participants with no adverse event, so each column adds up to its n."""
    out = {"Worst CTCAE grade": ["No adverse event"] + [f"Grade {g}" for g in GRADES]}
    for g, n in s.groups.items():
        part = s.by_grade[s.by_grade["group"] == g].set_index("grade")
        col = f"{labels.get(g, g)} (n={n})"
        none = n - int(sum(part.at[gr, "participants"] for gr in GRADES))
        out[col] = ([f"{none} ({none / n:.0%})" if n else "-"]
                    + [f"{part.at[gr, 'participants']} ({part.at[gr, 'participants'] / n:.0%})"
                       f" / {part.at[gr, 'events']} events" if n else "-" for gr in GRADES])
    return pd.DataFrame(out)


def flags_display(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """A seriousness or relatedness table with group labels instead of codes."""
    return table.assign(group=table["group"].map(lambda g: labels.get(g, g)))


def soc_table(s: Safety, labels: dict[str, str]) -> pd.DataFrame:
    """Treatment-emergent events by system organ class (its line first) and term, groups as
    columns: 'participants (%) / events'."""
    out: dict[str, list[str]] = {"System organ class / term": []}
    cols = {g: f"{labels.get(g, g)} (n={n})" for g, n in s.groups.items()}
    for c in cols.values():
        out[c] = []
    if s.by_soc.empty:
        return pd.DataFrame(out)
    for (soc, term), part in s.by_soc.groupby(["soc", "term"], sort=False):
        out["System organ class / term"].append(soc if term == "" else f"    {term}")
        for g, n in s.groups.items():
            row = part[part["group"] == g].iloc[0]
            out[cols[g]].append(f"{row.participants} ({row.participants / n:.0%}) / "
                                f"{row.events} events" if n else "-")
    return pd.DataFrame(out)


def safety_tables(s: Safety, protocol) -> dict[str, pd.DataFrame]:
    """The safety page's summary tables, labelled by the protocol (a view for ``ui.cached``).

    Keys: ``grades`` (:func:`grade_table`), ``serious`` and ``related``
    (:func:`flags_display`), ``soc`` (:func:`soc_table`).
    """
    labels = group_labels(protocol)
    return {"grades": grade_table(s, labels), "serious": flags_display(s.seriousness, labels),
            "related": flags_display(s.relatedness, labels), "soc": soc_table(s, labels)}

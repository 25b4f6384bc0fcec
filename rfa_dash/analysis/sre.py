"""Skeletal-related events: derivation, cumulative incidence by arm, Gray's test.

The estimator is wrapped, not re-derived: statsmodels' ``CumIncidenceRight``
gives the Aalen-Johansen cumulative incidence with death as the competing risk
(ties handled exactly, no jitter) and its standard error; comprisk's
``gray_test`` gives Gray's K-sample test. Both are checked against R
(``etm``, ``cmprsk``, ``survival``) in ``tests/reference/``.

The 95% interval is the complementary log-log one (as R's ``etm`` with
``ci.fun = "cloglog"``): ``1 - (1 - F) ** exp(+-z * se / ((1 - F) * log(1 - F)))``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from rfa_dash.contract import SRE_TYPES
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export

MONTH_DAYS = 30.4375
Z95 = float(norm.ppf(0.975))
POOLED = "all"


def outcomes(exp: Export, as_of: dt.date, sre_types=SRE_TYPES) -> pd.DataFrame:
    """One row per randomized participant: status (1 SRE, 2 death, 0 censored) and months."""
    return exp.query("sre_outcomes", as_of=as_of, sre_types=list(sre_types))


def cloglog_ci(cif: np.ndarray, se: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Complementary log-log confidence limits; NaN where not estimable (se 0, cif 0 or 1)."""
    cif = np.asarray(cif, dtype=float)
    se = np.asarray(se, dtype=float)
    lower = np.full_like(cif, np.nan)
    upper = np.full_like(cif, np.nan)
    ok = (cif > 0) & (cif < 1) & (se > 0)
    q = 1 - cif[ok]
    a = z * se[ok] / (q * np.log(q))
    one, two = 1 - q ** np.exp(-a), 1 - q ** np.exp(a)
    lower[ok] = np.minimum(one, two)
    upper[ok] = np.maximum(one, two)
    return lower, upper


def cif_curve(months, status) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of status 1 with status 2 competing.

    Parameters
    ----------
    months : array-like of float
        Time from randomization to event or censoring.
    status : array-like of int
        1 event of interest, 2 competing event, 0 censored.

    Returns
    -------
    DataFrame
        One row per distinct time (starting with 0): ``time``, ``cif``, ``se``,
        ``lower``, ``upper``, ``at_risk`` (participants with time >= that time),
        ``events`` and ``competing`` at that time.
    """
    t = np.asarray(months, dtype=float)
    s = np.asarray(status, dtype=int)
    times = np.unique(t) if len(t) else np.array([], dtype=float)
    cif = np.zeros(len(times))
    se = np.zeros(len(times))
    if (s == 1).any():
        from statsmodels.duration.survfunc import CumIncidenceRight

        # causes are numbered 1..max(status); without a death, cause 1 alone is
        # modelled and its incidence is 1 - Kaplan-Meier, as it should be
        # statsmodels' expanded variance formula meets 0 * inf at a time when every
        # participant still at risk has an event (the curve's last step): the
        # interval there is reported as not estimable rather than guessed
        with np.errstate(divide="ignore", invalid="ignore"):
            fit = CumIncidenceRight(t, s)
        ft = np.asarray(fit.times)
        idx = np.searchsorted(ft, times, side="right") - 1
        valid = idx >= 0
        cif[valid] = np.asarray(fit.cinc[0])[idx[valid]]
        se[valid] = np.asarray(fit.cinc_se[0])[idx[valid]]
    lower, upper = cloglog_ci(cif, se)
    at_risk = np.array([(t >= x).sum() for x in times], dtype=int)
    events = np.array([((t == x) & (s == 1)).sum() for x in times], dtype=int)
    competing = np.array([((t == x) & (s == 2)).sum() for x in times], dtype=int)
    df = pd.DataFrame({"time": times, "cif": cif, "se": se, "lower": lower, "upper": upper,
                       "at_risk": at_risk, "events": events, "competing": competing})
    if not len(df) or df["time"].iloc[0] > 0:
        df = pd.concat([pd.DataFrame({"time": [0.0], "cif": [0.0], "se": [0.0],
                                      "lower": [np.nan], "upper": [np.nan],
                                      "at_risk": [len(t)], "events": [0], "competing": [0]}),
                        df], ignore_index=True)
    return df


def estimates_at(curve: pd.DataFrame, months, n_total: int, times: np.ndarray) -> pd.DataFrame:
    """The curve read at each report month (events at that exact time included).

    ``at_risk`` counts participants whose time is >= the month. Where nobody
    is followed that long (``at_risk`` 0) the estimate is not reported (NaN).
    """
    rows = []
    for m in months:
        prior = curve[curve["time"] <= m]
        last = prior.iloc[-1]
        at_risk = int((times >= m).sum())
        if at_risk == 0:
            rows.append((m, 0, np.nan, np.nan, np.nan))
        else:
            rows.append((m, at_risk, float(last["cif"]), float(last["lower"]),
                         float(last["upper"])))
    return pd.DataFrame(rows, columns=["month", "at_risk", "cif", "lower", "upper"])


@dataclass(frozen=True)
class SreResult:
    """Cumulative incidence of SRE for a set of groups (arms, or one pooled group).

    ``curves`` has one row per group and distinct time; ``table`` one row per
    group and report month (the CLI's ``sre`` rows); ``gray`` is None unless
    every arm has enough events for the test to mean something.
    """

    curves: pd.DataFrame
    table: pd.DataFrame
    events_per_group: dict
    gray: dict | None
    gray_note: str


def _groups(df: pd.DataFrame, by_arm: bool, arm_codes: list[str]) -> list[tuple[str, pd.DataFrame]]:
    if by_arm:
        return [(a, df[df["arm"] == a]) for a in arm_codes]
    return [(POOLED, df)]


def cumulative_incidence(out: pd.DataFrame, report_months, arm_codes: list[str], by_arm: bool,
                         gray_min_events: int) -> SreResult:
    """Cumulative incidence of status 1 by arm (``by_arm``) or pooled, with Gray's test.

    Parameters
    ----------
    out : DataFrame
        :func:`outcomes` rows (``arm``, ``status``, ``months``).
    report_months : sequence of int
        Months at which estimates are tabulated.
    arm_codes : list of str
        Arms in display order.
    by_arm : bool
        Split by arm (closed report) or pool every participant (open report).
    gray_min_events : int
        Gray's test is computed only when every arm has at least this many
        events of interest.
    """
    curves, tables, events = [], [], {}
    for g, part in _groups(out, by_arm, arm_codes):
        c = cif_curve(part["months"], part["status"])
        c.insert(0, "arm", g)
        curves.append(c)
        t = estimates_at(c, report_months, len(part), part["months"].to_numpy())
        t.insert(0, "arm", g)
        tables.append(t)
        events[g] = int((part["status"] == 1).sum())
    gray, note = None, ""
    if by_arm:
        low = {a: n for a, n in events.items() if n < gray_min_events}
        if low:
            note = (f"Gray's test is shown once every arm has at least {gray_min_events} SREs "
                    f"(now {', '.join(f'{a}: {n}' for a, n in events.items())}).")
        else:
            from comprisk import gray_test

            r = gray_test(out["months"].to_numpy(float), out["status"].to_numpy(int),
                          out["arm"].to_numpy(str), cause=1)
            gray = {"statistic": float(r.stat), "df": int(r.df), "p_value": float(r.pvalue)}
            note = (f"Gray's test (rho = 0): chi-square {gray['statistic']:.2f} on {gray['df']} "
                    f"df, {fmt_p(gray['p_value'])}.")
    return SreResult(curves=pd.concat(curves, ignore_index=True),
                     table=pd.concat(tables, ignore_index=True), events_per_group=events,
                     gray=gray, gray_note=note)


def sre_analysis(exp: Export, as_of: dt.date, by_arm: bool, sre_types=SRE_TYPES,
                 gray: bool = True) -> SreResult:
    """Cumulative incidence of SRE (of ``sre_types``) at the data cut, by arm or pooled.

    ``gray=False`` skips Gray's test (the component analyses do not report it).
    """
    p = exp.protocol
    return cumulative_incidence(outcomes(exp, as_of, sre_types), p.report_months, p.arm_codes,
                                by_arm, p.gray_min_events_per_arm if gray else 2**62)


def sre_table(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """The ``sre`` command's rows: arm, month, at_risk, cif, lower, upper (always by arm)."""
    return sre_analysis(exp, as_of, by_arm=True).table


def components(exp: Export, as_of: dt.date, by_arm: bool) -> pd.DataFrame:
    """Cumulative incidence of each SRE component (death competing), at the report months."""
    rows = []
    for key, (label, types) in exp.protocol.sre_components.items():
        t = sre_analysis(exp, as_of, by_arm, types, gray=False).table
        t.insert(0, "component", label)
        t.insert(0, "key", key)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def events_by_type(exp: Export, as_of: dt.date, by_arm: bool) -> pd.DataFrame:
    """SRE counts by type (all events, and participants with at least one), by arm or pooled."""
    ev = exp.query("sre_event_listing", as_of=as_of)
    if not by_arm:
        ev = ev.assign(arm=POOLED)
    g = ev.groupby(["arm", "sre_type"]).agg(events=("participant_id", "size"),
                                             participants=("participant_id", "nunique"))
    return g.reset_index()


def event_listing(exp: Export, as_of: dt.date, by_arm: bool) -> pd.DataFrame:
    """Every SRE, in date order; the arm column only when by arm."""
    ev = with_dates(exp.query("sre_event_listing", as_of=as_of))
    return ev if by_arm else ev.drop(columns="arm")


SWIMMER_PAGE = 60


def swimmer(exp: Export, as_of: dt.date, by_arm: bool, page: int = 1,
            page_size: int = SWIMMER_PAGE) -> pd.DataFrame:
    """Swimmer-plot events for one page of participants (in randomization order).

    The arm is kept only when by arm (otherwise every row says "all").
    """
    sw = exp.query("swimmer", as_of=as_of, offset=(page - 1) * page_size, limit=page_size)
    return sw if by_arm else sw.assign(arm=POOLED)


def fmt_p(p: float) -> str:
    """A p-value as reported: three decimals, below 0.001 as "p < 0.001"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_ci(cif: float, lower: float, upper: float) -> str:
    """"12.3% (4.5-30.1)" or "-" when not estimable."""
    if cif is None or (isinstance(cif, float) and math.isnan(cif)):
        return "-"
    if lower is None or math.isnan(lower):
        return f"{cif:.1%}"
    return f"{cif:.1%} ({lower:.1%}-{upper:.1%})"


def group_labels(protocol) -> dict[str, str]:
    """Display labels for arms and the pooled group."""
    return {**protocol.arm_labels, POOLED: "All participants"}


def group_colors(protocol) -> dict[str, str]:
    """Arm colours from the protocol; the pooled group is neutral grey."""
    return {**protocol.arm_colors, POOLED: "#555555"}


def estimates_display(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Report-month estimates as people read them: one row per group and month."""
    return pd.DataFrame({
        "Group": [labels.get(a, a) for a in table["arm"]],
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
                     group=[labels.get(a, a) for a in comp["arm"]])
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

"""Progression criteria as people read them: a word and a symbol with every colour,
plain sentences, and the table of the page and the report."""

from __future__ import annotations

import math

import pandas as pd

# status -> (word, symbol for tables and charts, Streamlit colour name, Material icon).
# Colour never carries the status alone: the word and the symbol go with it.
STATUS = {
    "green": ("Green", "✓", "green", ":material/check_circle:"),
    "amber": ("Amber", "!", "orange", ":material/warning:"),
    "red": ("Red", "✗", "red", ":material/cancel:"),
    "not_yet": ("Not yet", "…", "gray", ":material/schedule:"),
}
# chart colours (Paul Tol's bright scheme: colour-blind safe, apart from the arm colours)
STATUS_COLORS = {"green": "#228833", "amber": "#CCBB44", "red": "#EE6677", "not_yet": "#BBBBBB"}

# how each criterion's numerator and denominator are named in a sentence
_NOUNS = {
    "recruitment": ("randomized of", "expected by now"),
    "consent": ("consented of", "eligible"),
    "retention": ("retained of", "randomized"),
    "adherence": ("visits completed of", "expected"),
    "fidelity": ("received the allocated treatment of", "with it recorded"),
}
_EMPTY = {
    "recruitment": "accrual has not started",
    "consent": "no eligible patient yet",
    "retention": "nobody randomized yet",
    "adherence": "no visit expected yet",
    "fidelity": "no treatment recorded yet",
}


def pct(x: float) -> str:
    """0.8378 -> '84%'; missing -> '-'."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def _count(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.1f}"


def label_status(status: str) -> str:
    """'✓ Green' and the like: the status as a word with its symbol."""
    word, symbol, _, _ = STATUS[status]
    return f"{symbol} {word}"


def sentence(row: pd.Series) -> str:
    """One criterion in a sentence: 'Consent of eligible patients: 31 consented of 37
    eligible (84%, 95% CI 68-94%): green, threshold 70%.'"""
    status = str(row["status"])
    if status == "not_yet":
        return f"{row['label']}: not yet ({_EMPTY.get(row['criterion'], 'no denominator yet')})."
    num_noun, den_noun = _NOUNS.get(str(row["criterion"]), ("of", ""))
    counts = f"{_count(row['numerator'])} {num_noun} {_count(row['denominator'])} {den_noun}"
    interval = f"{pct(row['value'])}, 95% CI {pct(row['lower'])}-{pct(row['upper'])}"
    green, amber = pct(row["green"]), pct(row["amber"])
    rule = {"green": f"green, threshold {green}",
            "amber": f"amber, below the green threshold {green}, at least {amber}",
            "red": f"red, below the amber threshold {amber}"}[status]
    return f"{row['label']}: {counts.strip()} ({interval}): {rule}."


def progression_table(t: pd.DataFrame) -> pd.DataFrame:
    """The criteria as a display table: status (symbol and word), label, value, n/N,
    interval and thresholds."""
    return pd.DataFrame({
        "Status": [label_status(s) for s in t["status"]],
        "Criterion": t["label"],
        "Value": [pct(v) for v in t["value"]],
        "n / N": [f"{_count(n)} / {_count(d)}" for n, d in zip(t["numerator"], t["denominator"],
                                                              strict=True)],
        "95% CI": ["-" if math.isnan(lo) else f"{pct(lo)}-{pct(hi)}"
                   for lo, hi in zip(t["lower"], t["upper"], strict=True)],
        "Green at": [pct(g) for g in t["green"]],
        "Amber at": [pct(a) for a in t["amber"]],
    })


def progression_view(t: pd.DataFrame, protocol: object = None) -> pd.DataFrame:
    """:func:`progression_table` as a view for ``ui.cached``."""
    return progression_table(t)


def sentences_view(t: pd.DataFrame, protocol: object = None) -> list[str]:
    """Every criterion's :func:`sentence` (a view for ``ui.cached``)."""
    return [sentence(r) for _, r in t.iterrows()]


def course_table(course: pd.DataFrame) -> pd.DataFrame:
    """The course over time as a grid: one row per criterion, one column per month end,
    each cell the status symbol, word and value."""
    if course.empty:
        return pd.DataFrame()
    cells = course.assign(
        cut=[d.isoformat() for d in course["as_of"]],
        text=[f"{label_status(s)} {pct(v)}" if s != "not_yet" else label_status(s)
              for s, v in zip(course["status"], course["value"], strict=True)])
    wide = cells.pivot_table(index="label", columns="cut", values="text", aggfunc="first",
                             sort=False)
    return wide.reset_index().rename(columns={"label": "Criterion"})


def course_view(course: pd.DataFrame, protocol: object = None) -> pd.DataFrame:
    """:func:`course_table` as a view for ``ui.cached``."""
    return course_table(course)


def not_green(t: pd.DataFrame) -> list[str]:
    """'Consent (amber)' for every criterion that is not green, in order."""
    return [f"{r.label} ({STATUS[r.status][0].lower()})" for r in t.itertuples()
            if r.status != "green"]


def badge(status: str) -> str:
    """Streamlit markdown for a status badge: colour, icon and word together."""
    word, _, color, icon = STATUS[status]
    return f":{color}-badge[{icon} {word}]"


def card(row: pd.Series) -> str:
    """One criterion for a row of cards: its label, badge, value and n/N."""
    head = f"**{row['label']}**  \n{badge(str(row['status']))}"
    if row["status"] == "not_yet":
        return head
    return (f"{head}  \n{pct(row['value'])} "
            f"({_count(row['numerator'])} / {_count(row['denominator'])})")


def cards_view(t: pd.DataFrame, protocol: object = None) -> list[str]:
    """Every criterion's :func:`card` (a view for ``ui.cached``)."""
    return [card(r) for _, r in t.iterrows()]


def verdict(t: pd.DataFrame) -> str:
    """What is not green, in one sentence (the Overview's answer at a glance)."""
    off = not_green(t)
    if t.empty:
        return "No progression criterion is set in the protocol file."
    return ("**Every criterion is green.**" if not off
            else "**Not green:** " + ", ".join(off) + ".")


def strip(t: pd.DataFrame) -> str:
    """The Overview's strip as one markdown text: what is not green, then every criterion's
    badge and label (one element, so the Overview stays quick to redraw)."""
    lights = " &nbsp; ".join(f"{badge(r.status)} {r.label}" for r in t.itertuples())
    return f"**Pilot progression criteria.** {verdict(t)}  \n{lights}"


def strip_view(t: pd.DataFrame, protocol: object = None) -> str:
    """:func:`strip` as a view for ``ui.cached``."""
    return strip(t)

"""Group labels and colours: the protocol's arms, and the pooled group of open views."""

from __future__ import annotations

import datetime as dt

from rfa_dash.blinding import POOLED

# the colour of anything that is no arm (pooled groups, counts)
NEUTRAL = "#555555"


def group_labels(protocol) -> dict[str, str]:
    """Display labels for arms and the pooled group."""
    return {**protocol.arm_labels, POOLED: "All participants"}


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours (1 to 21).

    Examples
    --------
    >>> round(contrast("#000000"), 1), round(contrast("#0072B2"), 2)
    (21.0, 5.19)
    """
    def luminance(h: str) -> float:
        parts = [int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(hex_color: str, ratio: float = 4.5) -> str:
    """``hex_color``, darkened just enough for text on white (WCAG AA, 4.5:1): a line in the
    arm's colour needs 3:1, its numbers 4.5:1.

    Example
    -------
    >>> text_colour("#0072B2"), text_colour("#D55E00")
    ('#0072B2', '#C25600')
    """
    r, g, b = (int(hex_color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    for step in range(101):
        f = 1 - step / 100
        out = f"#{round(r * f):02X}{round(g * f):02X}{round(b * f):02X}"
        if contrast(out) >= ratio:
            return out if step else hex_color
    return "#000000"


def group_colors(protocol) -> dict[str, str]:
    """Arm colours from the protocol; the pooled group is neutral grey."""
    return {**protocol.arm_colors, POOLED: NEUTRAL}


def chart_cut(registry_id: str, as_of: dt.date, synthetic: bool) -> str:
    """The short data-cut line printed inside every chart (so exported images carry it), on
    the pages and in the report.

    Example
    -------
    >>> chart_cut("NCT07090122", dt.date(2026, 11, 16), synthetic=True)
    'NCT07090122 · data cut 2026-11-16 · synthetic data'
    """
    return f"{registry_id} · data cut {as_of.isoformat()}" + (
        " · synthetic data" if synthetic else "")


def allocation_note(at: dt.date) -> str:
    """Why allocation counts stop at ``at``: the protocol's month-end rule for this role."""
    return (f"Allocation counts as of {at.isoformat()}: this role sees them move only at a "
            "month end, once enough participants have been randomized since they last moved, "
            "so that stepping the data cut does not tell a new participant's arm (protocol: "
            "allocation_counts, allocation_block).")


# column headings of listings as a reader expects them (report, e-mailed alerts)
HEADINGS = {
    "participant_id": "Participant", "arm": "Arm", "group": "Group",
    "death_date": "Date of death", "days_from_randomization": "Days from randomization",
    "onset_date": "Onset", "onset_imputed": "Onset imputed", "onset_text": "Onset as recorded",
    "term": "Term", "soc": "System organ class", "grade": "Grade", "serious": "Serious",
    "related": "Related", "event_date": "Date", "sre_type": "SRE type",
    "spine_level": "Level", "table": "Table", "line": "Line", "column": "Column",
    "message": "Problem", "severity": "Severity", "deviation_date": "Date",
    "category": "Category", "description": "Description", "important": "Important",
    "randomization_date": "Randomized", "off_study_date": "Off study", "record": "Record",
    "changed": "Changed",
    # what the pages' tables show (issue 36: no raw names)
    "screening_id": "Screening ID", "visit_month": "Visit month", "pain_nrs": "Pain (0-10)",
    "omed_mg": "OMED (mg/day)", "mean_pain": "Mean pain (0-10)", "sd_pain": "SD of pain",
    "mean_change": "Mean change from baseline", "n_omed": "With OMED (n)",
    "mean_omed": "Mean OMED (mg/day)", "median_omed": "Median OMED (mg/day)",
    "lower": "95% CI lower", "upper": "95% CI upper", "ast_x_uln": "AST (x ULN)",
    "alt_x_uln": "ALT (x ULN)", "bilirubin_x_uln": "Bilirubin (x ULN)",
    "creatinine_x_uln": "Creatinine (x ULN)", "anc": "ANC", "sins": "SINS", "ecog": "ECOG",
}


def heading(column: object) -> str:
    """A column's heading: :data:`HEADINGS`, else a lower-case (snake_case) name as words
    ("rows_read" -> "Rows read"); anything else (and "n") as it is."""
    text = str(column)
    if text in HEADINGS:
        return HEADINGS[text]
    if text.islower() and len(text) > 1:
        return text.replace("_", " ").capitalize()
    return text

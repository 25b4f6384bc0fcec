"""Data quality: what each file gave, and the problems a role may read."""

from __future__ import annotations

import re

import pandas as pd

from rfa_dash import db
from rfa_dash.blinding import Role, sees, shows_participant_arm
from rfa_dash.contract import table_summary_sql
from rfa_dash.ingest.export import Export

# Tables whose very rows are outcomes or safety events: hidden from roles blind to outcomes.
OUTCOME_TABLES = ("sre_events", "adverse_events")
# The one column elsewhere that codes an outcome: the off-study reason (its values, and the
# list of codes its problems quote, name deaths).
OUTCOME_COLUMNS = (("offstudy", "reason"),)


def reveals_outcomes(problems: pd.DataFrame) -> pd.Series:
    """Which problems are of a kind that reveals outcomes: in an outcome table, or in a
    column that codes an outcome."""
    hide = problems["table"].isin(OUTCOME_TABLES)
    for table, column in OUTCOME_COLUMNS:
        hide |= problems["table"].eq(table) & problems["column"].eq(column)
    return hide


def table_summary(exp: Export, role: Role | None = None) -> pd.DataFrame:
    """Per table: the file read, rows read, rows used, rows left out.

    For a role that must not see outcomes, the outcome tables are left out
    (their row counts are counts of SREs and adverse events).

    Examples
    --------
    The coordinator's summary leaves the outcome tables out:

    >>> t = table_summary(exp, exp.protocol.roles["coordinator"])
    >>> print(t[["table", "rows_read", "rows_left_out"]].to_string(index=False))
            table  rows_read  rows_left_out
        screening         80              0
    randomization         31              0
           visits         69              0
         offstudy          8              0
       deviations          6              0
    """
    df = db.run_text(exp.con, table_summary_sql())
    df.insert(1, "file", df["table"].map(exp.files))
    df["rows_left_out"] = df["rows_read"] - df["rows_used"]
    if role is not None and not sees(role, "outcomes"):
        df = df[~df["table"].isin(OUTCOME_TABLES)].reset_index(drop=True)
    return df


# What a problem in the arm column says to a role that must not see allocation: the value
# (a misspelled or label-form arm, "rfa-rt", "RT alone") would tell the participant's arm.
ARM_HIDDEN = ("arm: the value is not one of the protocol's arm codes{left}; the value is "
              "hidden from this role (it would show the participant's arm)")


# the same for a problem of the REDCap field the arm comes from (its code, label or value,
# in the message or the value, would tell the arm): the field's name is kept
ARM_FIELD_HIDDEN = ("{field}: a problem in the field that gives the arm{left}; its message and "
                    "value are hidden from this role (they would show the participant's arm)")


def _hide_arm_values(problems: pd.DataFrame, arm_fields: tuple[str, ...] = ()
                     ) -> pd.DataFrame:
    arm = problems["column"].isin(("arm", *arm_fields))
    if not arm.any():
        return problems
    out = problems.copy()
    left = out.loc[arm, "message"].str.contains("row left out", na=False)
    out.loc[arm, "message"] = [
        (ARM_HIDDEN.format(left="; row left out" if x else "") if col == "arm" else
         ARM_FIELD_HIDDEN.format(field=col, left="; row left out" if x else ""))
        for col, x in zip(out.loc[arm, "column"], left, strict=True)]
    out.loc[arm, "value"] = None
    return out


# REDCap events of a multi-arm project whose arms are the randomized arms: the arm number in
# an event name (month_3_arm_2) tells the participant's arm, and counts by event the
# allocation counts
ARM_EVENT = re.compile(r"_arm_\d+\b( \(\d+ rows\))?")


def _hide_arm_events(problems: pd.DataFrame) -> pd.DataFrame:
    out = problems.copy()

    def redact(text: object) -> object:
        if not isinstance(text, str):
            return text
        return ARM_EVENT.sub(lambda m: "_arm_\u2022" + (" (rows hidden)" if m.group(1) else ""),
                             text)

    out["message"] = out["message"].map(redact)
    out["value"] = out["value"].map(redact)
    return out


def hidden_arm_values(problems: pd.DataFrame, role: Role,
                      arm_fields: tuple[str, ...] = ()) -> int:
    """How many problems :func:`visible_problems` shows ``role`` with their arm value hidden."""
    return 0 if shows_participant_arm(role) else int(
        problems["column"].isin(("arm", *arm_fields)).sum())


def visible_problems(problems: pd.DataFrame, role: Role, arm_events: bool = False,
                     arm_fields: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """The problems a role may read, and how many were withheld.

    A role blind to outcomes does not see problems of a kind that reveals
    outcomes (:func:`reveals_outcomes`); a role that may not read one participant's arm
    (:func:`~rfa_dash.blinding.shows_participant_arm`: the coordinator, and the open
    role, whose allocation is counts) reads problems in the arm column, or in the REDCap
    field the arm comes from (``arm_fields``), without their value or message
    (:data:`ARM_HIDDEN`, :data:`ARM_FIELD_HIDDEN`) and, when the arms are REDCap arms
    (``arm_events``), event names without their arm number and without row counts by
    event: a problem names its record.
    """
    if not shows_participant_arm(role):
        problems = _hide_arm_values(problems, arm_fields)
        if arm_events:
            problems = _hide_arm_events(problems)
    if sees(role, "outcomes"):
        return problems, 0
    hide = reveals_outcomes(problems)
    return problems[~hide].reset_index(drop=True), int(hide.sum())


def hidden_arms(exp: Export, role: Role) -> int:
    """:func:`hidden_arm_values` of an export (for ``ui.cached_export``)."""
    return hidden_arm_values(exp.problems, role, exp.arm_fields)


def role_problems(exp: Export, role: Role) -> tuple[pd.DataFrame, int]:
    """:func:`visible_problems` of an export, with its arm events and arm fields: what the
    Data quality page, the data-error e-mails and the report list for ``role``."""
    return visible_problems(exp.problems, role, exp.arm_events, exp.arm_fields)


def problem_tables(exp: Export, role: Role) -> list[str]:
    """The tables with a problem ``role`` may read (the Data quality filter's choices)."""
    return sorted(role_problems(exp, role)[0]["table"].unique())


def shown_problems(exp: Export, role: Role, tables=(), severities=(),
                   text: str = "") -> pd.DataFrame:
    """The problems ``role`` may read, filtered as on the Data quality page."""
    return filter_problems(role_problems(exp, role)[0], tables, severities, text)


def filter_problems(problems: pd.DataFrame, tables=None, severities=None,
                    text: str = "") -> pd.DataFrame:
    """Problems restricted to the given tables and severities and containing ``text``."""
    df = problems
    if tables:
        df = df[df["table"].isin(tables)]
    if severities:
        df = df[df["severity"].isin(severities)]
    if text:
        needle = text.lower()
        hay = (df["message"].fillna("") + " " + df["column"].fillna("") + " "
               + df["value"].fillna(""))
        df = df[hay.str.lower().str.contains(needle, regex=False)]
    return df.reset_index(drop=True)


def lines_note(exp: Export) -> str:
    """What the problems' line numbers count, for the Data quality page's caption.

    Example
    -------
    >>> from rfa_dash.ingest.export import SAMPLE_DIR, open_export
    >>> lines_note(open_export(SAMPLE_DIR))
    'Lines are file lines, with the header as line 1.'
    """
    xml = sorted({f.split(" (")[0] for f in exp.files.values()
                  if f and f.endswith("(CDISC ODM)")})
    if xml:
        return (f"Lines are lines of the XML file {', '.join(xml)}: the line of the event, "
                "form or item group a row came from.")
    if exp.source == "redcap":
        return "Lines are lines of the REDCap records export, with the header as line 1."
    return "Lines are file lines, with the header as line 1."

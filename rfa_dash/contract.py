"""The data contract of an export (spec section 1) as data.

Each table lists its columns with a kind; :func:`typed_select` turns a table's
schema into the one SELECT that casts the raw text columns to their types.
A value that cannot be cast (wrong type, unknown code, out of range) becomes
NULL there, and the validator reports it by comparing raw and typed values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rfa_dash.db import ident

# Kinds: id and text stay text; code is one of a list (case-insensitive);
# int and num have a closed range; date is ISO YYYY-MM-DD; bool accepts
# true/false, yes/no, y/n, 1/0 in any case.


# the dates an export, a manifest or an as-of date may hold (sql/staging/parsers.sql too)
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> dt.date:
    """``text`` as a date if it is YYYY-MM-DD within ``DATE_MIN``..``DATE_MAX``.

    Raises
    ------
    ValueError
        With a message saying what was expected (``fromisoformat`` alone would
        take 20251201 or 2025-W01-1, and years pandas cannot hold).
    """
    if not DATE_PATTERN.fullmatch(text):
        raise ValueError(f"not a date YYYY-MM-DD: {text!r}")
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a calendar date: {text!r}") from None
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"{text} is outside {DATE_MIN.year}-{DATE_MAX.year}")
    return value


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    codes: tuple | None = None     # for kind "code": allowed values, or a protocol key
    lo: float | None = None        # for int/num: inclusive bounds
    hi: float | None = None
    upper: bool = False            # codes compared in upper case (sex F/M)

    def expectation(self, codes: tuple = ()) -> str:
        """What a valid value looks like, for problem messages (``codes``: allowed codes)."""
        if self.kind == "date":
            return f"a date YYYY-MM-DD from {DATE_MIN.year} to {DATE_MAX.year}"
        if self.kind == "partial_date":
            return (f"a date YYYY-MM-DD, or YYYY-MM or YYYY when only partly known, from "
                    f"{DATE_MIN.year} to {DATE_MAX.year}")
        if self.kind == "bool":
            return "true/false, yes/no, y/n or 1/0"
        if self.kind == "int":
            return f"a whole number from {self.lo:g} to {self.hi:g}"
        if self.kind == "num":
            return f"a number from {self.lo:g} to {self.hi:g}"
        if self.kind == "code":
            return "one of " + ", ".join(str(c) for c in codes or self.codes or ())
        return "text"


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = field(default=())   # columns that together must be unique
    grain: str = ""

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


# Plausibility bounds on lab and body measurements: wider than any real value,
# tight enough that exact decimal arithmetic in the eligibility rules cannot
# overflow. A value outside them is reported and treated as missing.
NUM_MAX = 100000

SRE_TYPES = ("pathologic_fracture", "cord_compression", "nerve_root_compression",
             "pain_instability", "surgery", "repeat_rfa_ba", "repeat_rt")
OFFSTUDY_REASONS = ("death", "withdrawal", "lost_to_follow_up", "study_completed")
VISIT_STATUSES = ("completed", "missed")

_B = lambda name: Column(name, "bool")  # noqa: E731
_N = lambda name: Column(name, "num", lo=0, hi=NUM_MAX)  # noqa: E731

TABLES: dict[str, Table] = {
    "screening": Table(
        "screening", True, grain="one row per screened patient", unique=("screening_id",),
        columns=(
            Column("screening_id", "id", required=True),
            Column("screen_date", "date", required=True),
            Column("age", "int", lo=0, hi=130),
            Column("sex", "code", codes=("F", "M"), upper=True),
            _N("weight_kg"),
            Column("spine_levels", "text"),
            _B("histology_confirmed"), _B("bone_pain"), _B("sre_imaging_predictors"),
            Column("lab_date", "date"),
            _N("anc"), _N("platelets"), _N("hemoglobin"), _B("transfused_14d"),
            _N("ast"), _N("ast_uln"), _N("alt"), _N("alt_uln"), _B("liver_mets"),
            _N("bilirubin"), _N("bilirubin_uln"), _B("gilbert"), _N("albumin"),
            _N("creatinine"), _N("creatinine_uln"),
            _B("childbearing_potential"), _B("contraception_agreed"),
            _B("pregnant_or_breastfeeding"), _B("cord_compression_or_radicular_pain"),
            _B("prior_rt_target"), _B("surgical_candidate"), _B("rfa_ineligible_lesion"),
            _B("physician_excluded"), _B("consented"),
            Column("consent_date", "date"),
        )),
    "randomization": Table(
        "randomization", True, grain="one row per randomized participant",
        unique=("participant_id",),
        columns=(
            Column("participant_id", "id", required=True),
            Column("screening_id", "id", required=True),
            Column("randomization_date", "date", required=True),
            Column("arm", "code", required=True, codes=("protocol:arms",)),
            Column("treatment_date", "date"),
            _B("received_allocated"),
            Column("primary_tumor", "text"),
            Column("ecog", "int", lo=0, hi=4),
            Column("lesion_type", "code", codes=("lytic", "mixed")),
            Column("sins", "int", lo=0, hi=18),
            Column("pain_nrs", "int", lo=0, hi=10),
            _N("omed_mg"),   # baseline daily oral morphine equivalent dose, mg/day
        )),
    "visits": Table(
        "visits", True, grain="one row per follow-up visit record",
        unique=("participant_id", "visit_month"),
        columns=(
            Column("participant_id", "id", required=True),
            Column("visit_month", "code", required=True, codes=("protocol:visit_months",)),
            Column("status", "code", required=True, codes=VISIT_STATUSES),
            Column("visit_date", "date"),
            Column("pain_nrs", "int", lo=0, hi=10),
            _N("omed_mg"),   # daily oral morphine equivalent dose at the visit, mg/day
        )),
    "sre_events": Table(
        "sre_events", True, grain="one row per skeletal-related event",
        columns=(
            Column("participant_id", "id", required=True),
            Column("event_date", "date", required=True),
            Column("sre_type", "code", required=True, codes=SRE_TYPES),
            Column("spine_level", "text"),
        )),
    "offstudy": Table(
        "offstudy", True, grain="one row per participant who left the study",
        unique=("participant_id",),
        columns=(
            Column("participant_id", "id", required=True),
            Column("off_study_date", "date", required=True),
            Column("reason", "code", required=True, codes=OFFSTUDY_REASONS),
        )),
    "adverse_events": Table(
        "adverse_events", False, grain="one row per adverse event",
        columns=(
            Column("participant_id", "id", required=True),
            Column("onset_date", "partial_date", required=True),
            Column("term", "text", required=True),
            Column("soc", "text"),   # MedDRA system organ class, when coded
            Column("grade", "int", required=True, lo=1, hi=5),
            _B("serious"), _B("related"),
        )),
    "deviations": Table(
        "deviations", False, grain="one row per protocol deviation",
        columns=(
            Column("participant_id", "id", required=True),
            Column("deviation_date", "date", required=True),
            # eligibility, consent, visit_window, treatment, assessment, other (the spec's
            # examples: free text, so a site's own categories are kept as written)
            Column("category", "text", required=True),
            _B("important"),
            Column("description", "text"),
        )),
}
TABLE_ORDER = ("screening", "randomization", "visits", "sre_events", "offstudy",
               "adverse_events", "deviations")
FILE_SUFFIXES = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class Criterion:
    """One eligibility criterion of the spec: its id and the screening columns it reads.

    ``lab`` marks the criteria decided by a lab value, the ones a repeat lab
    could change (near misses). The rule itself is SQL (``eligibility_at`` in
    ``sql/derived/eligibility.sql``, column ``c_<id>``); the label and the
    thresholds are protocol settings.
    """

    id: str
    columns: tuple[str, ...]
    lab: bool = False


# The spec's criteria, in the spec's order: that order is used everywhere
# (failed and unknown lists, counts, tables, the exclusion steps).
CRITERIA: tuple[Criterion, ...] = (
    Criterion("age", ("age",)),
    Criterion("histology", ("histology_confirmed",)),
    Criterion("spine_levels", ("spine_levels",)),
    Criterion("pain_or_imaging", ("bone_pain", "sre_imaging_predictors")),
    Criterion("labs_recent", ("lab_date",)),
    Criterion("anc", ("anc",), lab=True),
    Criterion("platelets", ("platelets",), lab=True),
    Criterion("hemoglobin", ("hemoglobin", "transfused_14d"), lab=True),
    Criterion("ast_alt", ("ast", "ast_uln", "alt", "alt_uln", "liver_mets"), lab=True),
    Criterion("bilirubin", ("bilirubin", "bilirubin_uln", "gilbert"), lab=True),
    Criterion("albumin", ("albumin",), lab=True),
    Criterion("renal", ("creatinine", "creatinine_uln", "age", "weight_kg", "sex"), lab=True),
    Criterion("contraception", ("childbearing_potential", "contraception_agreed")),
    Criterion("pregnant", ("pregnant_or_breastfeeding",)),
    Criterion("cord_compression", ("cord_compression_or_radicular_pain",)),
    Criterion("prior_rt", ("prior_rt_target",)),
    Criterion("surgical_candidate", ("surgical_candidate",)),
    Criterion("rfa_ineligible", ("rfa_ineligible_lesion",)),
    Criterion("physician_excluded", ("physician_excluded",)),
)
CRITERION_IDS = tuple(c.id for c in CRITERIA)



@dataclass(frozen=True)
class ProgressionCriterion:
    """A pilot progression criterion of the spec: its id, what it is called by default, and
    the spec's default green and amber thresholds (a protocol file sets its own)."""

    id: str
    label: str
    green: str
    amber: str


# The spec's progression criteria (CONSORT pilot extension, item 6c), in its order.
PROGRESSION: tuple[ProgressionCriterion, ...] = (
    ProgressionCriterion("recruitment", "Recruitment against the expected pace", "0.80", "0.50"),
    ProgressionCriterion("consent", "Consent of eligible patients", "0.70", "0.50"),
    ProgressionCriterion("retention", "Retention (not withdrawn or lost)", "0.80", "0.65"),
    ProgressionCriterion("adherence", "Visit adherence", "0.80", "0.60"),
    ProgressionCriterion("fidelity", "Treatment received as allocated", "0.90", "0.75"),
)
PROGRESSION_IDS = tuple(c.id for c in PROGRESSION)

# Spec, SRE time-to-event: months = days / 30.4375 (the mean Gregorian month).
MONTH_DAYS = 30.4375


def resolve_codes(col: Column, protocol) -> tuple:
    """Allowed codes of a code column; ``protocol:`` entries come from the protocol."""
    if col.codes == ("protocol:arms",):
        return tuple(protocol.arm_codes)
    if col.codes == ("protocol:visit_months",):
        return tuple(str(m) for m in protocol.visit_months)
    return tuple(col.codes or ())


def typed_expr(col: Column) -> str:
    """SQL expression casting raw text column ``col`` to its type (NULL if invalid).

    Codes are matched against the bound list parameter ``$codes_<column>``.
    """
    name = ident(col.name)
    raw = f"nullif(trim({name}), '')"
    if col.kind in ("id", "text"):
        return raw
    # dates and numbers parse the untrimmed text (their patterns allow spaces)
    if col.kind == "date":
        return f"rfa_date({name})"
    if col.kind == "partial_date":   # kept as text: imputed in sql/derived/adverse_events.sql
        return f"rfa_partial_date({name})"
    if col.kind == "bool":
        # the common spellings first, without the cost of trimming every value
        return (f"CASE {name} WHEN 'true' THEN true WHEN 'false' THEN false "
                f"WHEN 'yes' THEN true WHEN 'no' THEN false ELSE rfa_bool({raw}) END")
    if col.kind == "int":
        return f"rfa_int({name}, {col.lo:g}, {col.hi:g})"
    if col.kind == "num":
        return f"rfa_num({name}, {col.lo:g}, {col.hi:g})"
    if col.kind == "code":
        norm = f"upper({raw})" if col.upper else f"lower({raw})"
        if col.codes == ("protocol:visit_months",):
            # visit_month may arrive as 3, 3.0 or "3"
            return (f"CASE WHEN list_contains($codes_{col.name}, "
                    f"CAST(rfa_int({name}, 0, 1000) AS VARCHAR)) "
                    f"THEN rfa_int({name}, 0, 1000) END")
        # a value already written as its code skips the normalisation
        return (f"CASE WHEN list_contains($codes_{col.name}, {name}) THEN {name} "
                f"WHEN list_contains($codes_{col.name}, {norm}) THEN {norm} END")
    raise ValueError(col.kind)


def typed_select(table: Table, raw_name: str) -> str:
    """The SELECT that turns raw table ``raw_name`` into typed columns."""
    cols = ",\n  ".join(f"{typed_expr(c)} AS {ident(c.name)}" for c in table.columns)
    return f"SELECT _line,\n  {cols}\nFROM {raw_name}"


def code_params(table: Table, protocol) -> dict:
    """Bound parameters needed by :func:`typed_select` of ``table``."""
    return {f"codes_{c.name}": list(resolve_codes(c, protocol))
            for c in table.columns if c.kind == "code"}


def table_summary_sql() -> str:
    """One row per contract table, in :data:`TABLE_ORDER`: rows read from its file
    (``rows_read``, counted at load time: the raw text is not kept) and rows kept after
    validation (``rows_used``; the rest were left out and are listed as problems)."""
    rows = [f"SELECT '{t}' AS \"table\", (SELECT n FROM rows_read WHERE tbl = '{t}') AS rows_read, "
            f"(SELECT count(*) FROM {ident('stg_' + t)}) AS rows_used" for t in TABLE_ORDER]
    return "\nUNION ALL ".join(rows)

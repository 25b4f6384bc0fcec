"""Protocol settings (arms, target, visit windows, eligibility thresholds, roles).

The settings live in a TOML file; the code holds no trial constants. The
default file is the reference trial's, ``rfa_dash/protocols/nct07090122.toml``;
the environment variable ``RFA_DASH_PROTOCOL`` points at another one. This
module parses the file; what a role may see is asked of :mod:`rfa_dash.blinding`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from rfa_dash import settings
from rfa_dash.blinding import ALLOCATION_BLOCK, ALLOCATION_COUNTS, Role
from rfa_dash.contract import CRITERION_IDS, PROGRESSION, PROGRESSION_IDS
from rfa_dash.decision_settings import (
    DecisionSettingError,
    MainTrialSettings,
    SafetyRuleSettings,
    main_trial_settings,
    safety_rule_settings,
)
from rfa_dash.page_registry import PAGES, unknown_pages
from rfa_dash.present.labels import contrast

DEFAULT_PROTOCOL = Path(__file__).parent / "protocols" / "nct07090122.toml"


class ProtocolError(ValueError):
    """The protocol file is missing a setting or has an invalid one."""


@dataclass(frozen=True)
class Arm:
    code: str
    label: str
    ratio: int
    color: str


@dataclass(frozen=True)
class ProgressionRule:
    """A progression criterion as this protocol sets it: its label and its thresholds
    (exact decimals: ``value >= green`` is green, ``>= amber`` amber, else red)."""

    id: str
    label: str
    green: Decimal
    amber: Decimal


REPORT_MODES = ("unmasked", "masked")
REPORT_KEYS = ("page", "omit")


@dataclass(frozen=True)
class ReportSettings:
    """How the closed (by-arm) DSMB report names the arms.

    Attributes
    ----------
    closed : str
        "unmasked" (arm names) or "masked" (Group A, Group B, ...).
    groups : tuple of str
        The key of a masked report: arm codes in group order (the first is
        Group A). Empty: a masked report cannot be made.
    key : str
        "page": the key is printed on a separate last page; "omit": left out.
    """

    closed: str = "unmasked"
    groups: tuple[str, ...] = ()
    key: str = "page"


@dataclass(frozen=True)
class Protocol:
    """Parsed protocol settings.

    Attributes
    ----------
    registry_id, short_title : str
        Trial identification shown on every page.
    comparison_note : str
        What the design allows to conclude from arm comparisons, shown with
        the outcome figures (empty: nothing shown).
    target : int
        Planned number of randomized participants.
    planned_accrual_months : int
        Planned accrual period in months.
    arms : tuple of Arm
        Arms in display order with allocation weights and colours.
    accrual_prior_certainty : float
        Weight P of the accrual model's prior (see the protocol file).
    accrual_start : str or None
        Accrual start date (ISO); None means the first screening date.
    visit_months : tuple of int
        Scheduled follow-up months after treatment.
    windows : dict
        ``{month: (days_before, days_after)}``.
    report_months : tuple of int
        Times at which SRE cumulative incidence is reported.
    gray_min_events_per_arm : int
        Gray's test is shown only with at least this many first SREs per arm.
    sre_min_gap_days : int
        Recurrent SREs: a record fewer than this many days after the previous
        counted SRE of the participant is not a new SRE (0 counts every date).
    sre_components : dict
        ``{key: (label, sre_type codes)}`` for the component analyses.
    eligibility : dict
        Thresholds; numbers as :class:`decimal.Decimal` so that comparisons
        are exact.
    criterion_labels : dict
        ``{criterion id: label}`` for every criterion of the contract, in the
        contract's (the spec's) order: how a failed criterion is named.
    progression : tuple of ProgressionRule
        The pilot progression criteria this protocol uses, in the spec's order
        (a criterion switched off with ``enabled = false`` is left out).
    recent_rate_months : int
        Months of randomizations the "if the current rate holds" outlook uses.
    report : ReportSettings
        The closed report's masking and its key (``[report]``).
    """

    registry_id: str
    short_title: str
    sponsor_id: str
    target: int
    planned_accrual_months: int
    arms: tuple[Arm, ...]
    accrual_prior_certainty: float
    accrual_start: str | None
    visit_months: tuple[int, ...]
    windows: dict[int, tuple[int, int]]
    report_months: tuple[int, ...]
    gray_min_events_per_arm: int
    sre_min_gap_days: int
    sre_components: dict[str, tuple[str, tuple[str, ...]]]
    eligibility: dict
    criterion_labels: dict[str, str]
    roles: dict[str, Role]
    progression: tuple[ProgressionRule, ...]
    recent_rate_months: int
    source: str
    safety_rule: SafetyRuleSettings
    main_trial: MainTrialSettings
    comparison_note: str = ""
    report: ReportSettings = field(default_factory=lambda: ReportSettings())

    @property
    def arm_codes(self) -> list[str]:
        return [a.code for a in self.arms]

    def arm(self, code: str) -> Arm:
        for a in self.arms:
            if a.code == code:
                return a
        raise KeyError(code)

    @property
    def arm_colors(self) -> dict[str, str]:
        return {a.code: a.color for a in self.arms}

    @property
    def arm_labels(self) -> dict[str, str]:
        return {a.code: a.label for a in self.arms}


_DECIMAL_KEYS = (
    "anc_min", "platelets_min", "hemoglobin_min", "ast_alt_max_uln",
    "ast_alt_max_uln_liver_mets", "bilirubin_max_uln", "bilirubin_below_uln_gilbert",
    "albumin_min", "creatinine_max_uln", "creatinine_clearance_min", "near_miss_fraction",
)
_INT_KEYS = ("min_age", "max_levels", "labs_max_age_days")


def _need(d: dict, key: str, where: str):
    if key not in d:
        raise ProtocolError(f"protocol file: [{where}] has no '{key}'")
    return d[key]


def _threshold(value: object, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except ArithmeticError as exc:
        raise ProtocolError(f"protocol file: {where} is not a number: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise ProtocolError(f"protocol file: {where} must be a number >= 0, not {value!r}")
    return d


def _min_gap(value: object) -> int:
    """``[sre] min_gap_days``: a whole number of days >= 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"protocol file: sre.min_gap_days must be a whole number of days "
                            f">= 0, not {value!r}")
    return value


def _progression(raw: dict) -> tuple[tuple[ProgressionRule, ...], int]:
    """``[progression]``: per criterion ``green``, ``amber``, ``label``, ``enabled``; the spec's
    defaults where a criterion or a key is left out."""
    unknown = sorted(k for k, v in raw.items() if isinstance(v, dict)
                     and k not in PROGRESSION_IDS)
    if unknown:
        raise ProtocolError(f"protocol file: [progression.{unknown[0]}] is not a progression "
                            f"criterion; the criteria are {', '.join(PROGRESSION_IDS)}")
    rules = []
    for c in PROGRESSION:
        r = raw.get(c.id, {})
        if not r.get("enabled", True):
            continue
        green = _threshold(r.get("green", c.green), f"progression.{c.id}.green")
        amber = _threshold(r.get("amber", c.amber), f"progression.{c.id}.amber")
        if amber > green:
            raise ProtocolError(f"protocol file: progression.{c.id}: amber ({amber}) is above "
                                f"green ({green})")
        rules.append(ProgressionRule(c.id, str(r.get("label", c.label)), green, amber))
    recent = raw.get("recent_rate_months", 3)
    if not isinstance(recent, int) or isinstance(recent, bool) or recent < 1:
        raise ProtocolError("protocol file: progression.recent_rate_months must be a whole "
                            "number of months >= 1")
    return tuple(rules), recent


def _table(data: dict, name: str) -> dict:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ProtocolError(f"protocol file: [{name}] must be a table of settings")
    return raw


def parse_protocol(data: dict, source: str = "<memory>") -> Protocol:
    """Build a :class:`Protocol` from the parsed TOML mapping.

    Raises
    ------
    ProtocolError
        When a setting is missing or has the wrong type.
    """
    trial = _need(data, "trial", "")
    arms_raw = _need(data, "arms", "")
    if not arms_raw:
        raise ProtocolError("protocol file: at least one [[arms]] entry is needed")
    arms = tuple(
        Arm(str(_need(a, "code", "arms")), str(_need(a, "label", "arms")),
            int(_need(a, "ratio", "arms")), str(_need(a, "color", "arms")))
        for a in arms_raw
    )
    for a in arms:   # a line in the arm's colour must stand out from the page (WCAG 1.4.11)
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", a.color):
            raise ProtocolError(f"protocol file: [[arms]] {a.code}: color must be #rrggbb, "
                                f"not {a.color!r}")
        if contrast(a.color) < 3.0:
            raise ProtocolError(f"protocol file: [[arms]] {a.code}: color {a.color} is "
                                f"{contrast(a.color):.2f}:1 against the white page; a chart "
                                "line needs 3:1 (a darker shade, e.g. Okabe-Ito #D55E00 or "
                                "#0072B2)")
    visits = _need(data, "visits", "")
    months = tuple(int(m) for m in _need(visits, "months", "visits"))
    win_raw = _need(visits, "windows", "visits")
    windows = {}
    for m in months:
        pair = win_raw.get(str(m))
        if pair is None or len(pair) != 2:
            raise ProtocolError(f"protocol file: [visits.windows] needs '{m} = [before, after]'")
        windows[m] = (int(pair[0]), int(pair[1]))
    elig_raw = _need(data, "eligibility", "")
    elig: dict = {}
    for k in _DECIMAL_KEYS:
        try:
            elig[k] = Decimal(str(_need(elig_raw, k, "eligibility")))
        except ArithmeticError as exc:
            raise ProtocolError(f"protocol file: eligibility.{k} is not a number") from exc
    for k in _INT_KEYS:
        elig[k] = int(_need(elig_raw, k, "eligibility"))
    elig["allowed_levels"] = [str(x).upper() for x in _need(elig_raw, "allowed_levels",
                                                             "eligibility")]
    labels_raw = _need(elig_raw, "labels", "eligibility")
    unknown = sorted(set(labels_raw) - set(CRITERION_IDS))
    if unknown:
        raise ProtocolError(f"protocol file: [eligibility.labels] names no criterion of the "
                            f"contract: {', '.join(unknown)}")
    criterion_labels = {c: str(_need(labels_raw, c, "eligibility.labels")) for c in CRITERION_IDS}
    progression, recent = _progression(data.get("progression", {}))
    sre = data.get("sre", {})
    accrual = data.get("accrual", {})
    certainty = float(accrual.get("prior_certainty", 0.5))
    if not 0 < certainty <= 1:
        raise ProtocolError("protocol file: accrual.prior_certainty must be in (0, 1]")
    roles = {}
    for name, r in _need(data, "roles", "").items():
        by_arm = bool(_need(r, "outcomes_by_arm", f"roles.{name}"))
        # the safer choice unless the protocol says otherwise; a closed role sees all anyway
        counts = str(r.get("allocation_counts", "any_date" if by_arm else "month_end"))
        if counts not in ALLOCATION_COUNTS:
            raise ProtocolError(f"protocol file: roles.{name}.allocation_counts must be one of "
                                f"{', '.join(ALLOCATION_COUNTS)}, not {counts!r}")
        ids = r.get("listing_ids", by_arm)
        if not isinstance(ids, bool):
            raise ProtocolError(f"protocol file: roles.{name}.listing_ids must be true or false")
        block = r.get("allocation_block", ALLOCATION_BLOCK if counts == "month_end" else 1)
        if not isinstance(block, int) or isinstance(block, bool) or not 1 <= block <= 1000:
            raise ProtocolError(f"protocol file: roles.{name}.allocation_block must be a whole "
                                f"number from 1 to 1000, not {block!r}")
        allocation = bool(_need(r, "allocation", f"roles.{name}")) and counts != "none"
        pages = tuple(str(x) for x in _need(r, "pages", f"roles.{name}"))
        unknown = unknown_pages(pages)
        if unknown:
            raise ProtocolError(f"protocol file: roles.{name}.pages names no page: "
                                f"{', '.join(unknown)}; the pages are {', '.join(PAGES)}")
        roles[name] = Role(name=name, label=str(r.get("label", name)), pages=pages,
                           allocation=allocation,
                           outcomes=bool(_need(r, "outcomes", f"roles.{name}")),
                           outcomes_by_arm=by_arm,
                           allocation_counts=counts if allocation else "none",
                           listing_ids=bool(ids) or by_arm, allocation_block=block)
    if any(r.outcomes_by_arm and not (r.allocation and r.outcomes) for r in roles.values()):
        raise ProtocolError("protocol file: a role with outcomes_by_arm needs allocation "
                            "and outcomes")
    report = report_settings(data.get("report", {}), tuple(a.code for a in arms))
    target = int(_need(trial, "target", "trial"))
    ratios = {a.code: a.ratio for a in arms}
    try:
        safety_rule = safety_rule_settings(_table(data, "safety_rule"), ratios, target)
        main_trial = main_trial_settings(_table(data, "main_trial"), ratios)
    except DecisionSettingError as exc:
        raise ProtocolError(str(exc)) from None
    return Protocol(
        registry_id=str(_need(trial, "registry_id", "trial")),
        short_title=str(trial.get("short_title", "")),
        sponsor_id=str(trial.get("sponsor_id", "")),
        target=target,
        planned_accrual_months=int(_need(trial, "planned_accrual_months", "trial")),
        arms=arms,
        accrual_prior_certainty=certainty,
        accrual_start=str(accrual["start"]) if accrual.get("start") else None,
        visit_months=months,
        windows=windows,
        report_months=tuple(int(m) for m in sre.get("report_months", months)),
        gray_min_events_per_arm=int(sre.get("gray_min_events_per_arm", 5)),
        sre_min_gap_days=_min_gap(sre.get("min_gap_days", 21)),
        sre_components={k: (str(v["label"]), tuple(str(t) for t in v["types"]))
                        for k, v in sre.get("components", {}).items()},
        eligibility=elig,
        criterion_labels=criterion_labels,
        roles=roles,
        progression=progression,
        recent_rate_months=recent,
        source=source,
        safety_rule=safety_rule,
        main_trial=main_trial,
        comparison_note=str(trial.get("comparison_note", "")),
        report=report,
    )


def report_settings(raw: dict, arm_codes: tuple[str, ...]) -> ReportSettings:
    """``[report]`` checked against the arms (also used for the command line's overrides).

    Raises
    ------
    ProtocolError
        For an unknown mode or key setting, or groups that are not each arm once.
    """
    closed = str(raw.get("closed", "unmasked"))
    if closed not in REPORT_MODES:
        raise ProtocolError(f"protocol file: report.closed must be one of "
                            f"{', '.join(REPORT_MODES)}, not {closed!r}")
    key = str(raw.get("key", "page"))
    if key not in REPORT_KEYS:
        raise ProtocolError(f"protocol file: report.key must be one of {', '.join(REPORT_KEYS)}, "
                            f"not {key!r}")
    groups = tuple(str(g) for g in raw.get("groups", ()))
    if groups and sorted(groups) != sorted(arm_codes):
        raise ProtocolError("protocol file: report.groups must name every arm code once "
                            f"({', '.join(arm_codes)}), not {', '.join(groups)}")
    return ReportSettings(closed, groups, key)


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Protocol:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProtocolError(f"protocol file not found: {p}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"protocol file {p}: {exc}") from exc
    return parse_protocol(data, source=str(p))


def load_protocol(path: str | os.PathLike | None = None) -> Protocol:
    """Load the protocol file.

    Parameters
    ----------
    path : path-like, optional
        TOML file; default ``$RFA_DASH_PROTOCOL`` or the reference trial's.
    """
    chosen = path or settings.protocol_file() or DEFAULT_PROTOCOL
    return _load_cached(str(Path(chosen).resolve()))

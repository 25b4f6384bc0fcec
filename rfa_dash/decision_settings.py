"""The protocol file's ``[safety_rule]`` and ``[main_trial]``: the settings of the two
decisions a pilot is run for, with the spec's defaults, each checked on load.

``[safety_rule]`` (continuous monitoring of one arm's harms): ``arm`` [the arm with the
larger allocation share], ``min_grade`` [3], ``related_only`` [true], ``window_days``
[30], ``p0`` [0.10], ``p1`` [0.30], ``n_max`` [target x the arm's share, halves rounded
up], ``alpha`` [0.10]. ``[main_trial]``: ``hr`` [0.5], ``alpha`` [0.05], ``power``
[0.80], ``allocation`` [the trial's ratio, e.g. "2:1"], ``horizon_months`` [12],
``accrual_months`` [36].

Example
-------
>>> s = safety_rule_settings({}, {"rfa_rt": 2, "rt_alone": 1}, 36)
>>> s.arm, s.n_max, s.p0, s.p1, s.alpha
('rfa_rt', 24, 0.1, 0.3, 0.1)
>>> try:
...     safety_rule_settings({"p0": 0.3, "p1": 0.2}, {"a": 1}, 10)
... except DecisionSettingError as exc:
...     print(exc)
protocol file: safety_rule.p0 (0.3) must be below safety_rule.p1 (0.2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


class DecisionSettingError(ValueError):
    """A setting of ``[safety_rule]`` or ``[main_trial]`` that cannot be used (one line,
    naming the setting); :mod:`rfa_dash.protocol` raises it as a ProtocolError."""


@dataclass(frozen=True)
class SafetyRuleSettings:
    """``[safety_rule]``: which arm is watched, which adverse events count, and the rule."""

    arm: str
    min_grade: int
    related_only: bool
    window_days: int
    p0: float
    p1: float
    n_max: int
    alpha: float


@dataclass(frozen=True)
class MainTrialSettings:
    """``[main_trial]``: what the main trial is to detect, and how it would accrue."""

    hr: float
    alpha: float
    power: float
    allocation: tuple[int, int]     # experimental : control
    horizon_months: int
    accrual_months: int

    @property
    def share(self) -> Fraction:
        """The experimental arm's allocation share q (2/3 for 2:1)."""
        return Fraction(self.allocation[0], sum(self.allocation))

    @property
    def block(self) -> int:
        """Participants in one allocation block (3 for 2:1)."""
        return sum(self.allocation)


def _fail(msg: str) -> DecisionSettingError:
    return DecisionSettingError(f"protocol file: {msg}")


def _number(raw: dict, key: str, where: str, default: float, lo: float, hi: float,
            closed: bool = False) -> float:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _fail(f"{where}.{key} must be a number, not {v!r}")
    inside = lo <= v <= hi if closed else lo < v < hi
    if not inside:
        rng = f"[{lo}, {hi}]" if closed else f"({lo}, {hi})"
        raise _fail(f"{where}.{key} must be in {rng}, not {v!r}")
    return float(v)


def _whole(raw: dict, key: str, where: str, default: int, lo: int) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise _fail(f"{where}.{key} must be a whole number >= {lo}, not {v!r}")
    return v


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def safety_rule_settings(raw: dict, ratios: dict[str, int], target: int) -> SafetyRuleSettings:
    """``[safety_rule]`` with the spec's defaults, checked.

    Parameters
    ----------
    raw : dict
        The TOML table (empty when the protocol file has none).
    ratios : dict
        Arm code to allocation weight, in the protocol's order.
    target : int
        The trial's target (for ``n_max``'s default).

    Raises
    ------
    DecisionSettingError
        An unknown key or arm, p0 >= p1, a probability outside (0, 1), a grade outside
        1-5, a negative window, an n_max below 1.
    """
    w = "safety_rule"
    known = {"arm", "min_grade", "related_only", "window_days", "p0", "p1", "n_max", "alpha"}
    extra = sorted(set(raw) - known)
    if extra:
        raise _fail(f"[{w}] has no setting '{extra[0]}'; the settings are "
                    f"{', '.join(sorted(known))}")
    largest = max(ratios, key=lambda a: ratios[a])   # the first of equals, in file order
    arm = raw.get("arm", largest)
    if arm not in ratios:
        raise _fail(f"{w}.arm is not an arm of the trial: {arm!r}; the arms are "
                    f"{', '.join(ratios)}")
    grade = raw.get("min_grade", 3)
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise _fail(f"{w}.min_grade must be a CTCAE grade 1-5, not {grade!r}")
    related = raw.get("related_only", True)
    if not isinstance(related, bool):
        raise _fail(f"{w}.related_only must be true or false, not {related!r}")
    window = _whole(raw, "window_days", w, 30, 0)
    p0 = _number(raw, "p0", w, 0.10, 0.0, 1.0)
    p1 = _number(raw, "p1", w, 0.30, 0.0, 1.0)
    if p0 >= p1:
        raise _fail(f"{w}.p0 ({p0:g}) must be below {w}.p1 ({p1:g})")
    share = Fraction(ratios[arm], sum(ratios.values()))
    n_max = _whole(raw, "n_max", w, max(1, _round_half_up(target * share)), 1)
    alpha = _number(raw, "alpha", w, 0.10, 0.0, 1.0)
    return SafetyRuleSettings(str(arm), grade, related, window, p0, p1, n_max, alpha)


def main_trial_settings(raw: dict, ratios: dict[str, int]) -> MainTrialSettings:
    """``[main_trial]`` with the spec's defaults, checked (``allocation`` as "2:1", the
    experimental arm first; by default the trial's own ratio, first arm first).

    Raises
    ------
    DecisionSettingError
        An unknown key, an hr of 1 or not above 0, an alpha or power outside (0, 1), an
        allocation that is not two whole numbers >= 1, a horizon or accrual below 1.
    """
    w = "main_trial"
    known = {"hr", "alpha", "power", "allocation", "horizon_months", "accrual_months"}
    extra = sorted(set(raw) - known)
    if extra:
        raise _fail(f"[{w}] has no setting '{extra[0]}'; the settings are "
                    f"{', '.join(sorted(known))}")
    hr = raw.get("hr", 0.5)
    if isinstance(hr, bool) or not isinstance(hr, (int, float)) or not math.isfinite(hr) \
            or hr <= 0 or hr == 1:
        raise _fail(f"{w}.hr must be a hazard ratio above 0 and not 1, not {hr!r}")
    alpha = _number(raw, "alpha", w, 0.05, 0.0, 1.0)
    power = _number(raw, "power", w, 0.80, 0.0, 1.0)
    codes = list(ratios)
    default = f"{ratios[codes[0]]}:{ratios[codes[1]]}" if len(codes) >= 2 else "1:1"
    text = raw.get("allocation", default)
    parts = str(text).split(":") if isinstance(text, str) else []
    try:
        alloc = (int(parts[0]), int(parts[1])) if len(parts) == 2 else (0, 0)
    except ValueError:
        alloc = (0, 0)
    if min(alloc) < 1:
        raise _fail(f"{w}.allocation must be two whole numbers >= 1 as \"2:1\" "
                    f"(experimental:control), not {text!r}")
    horizon = _whole(raw, "horizon_months", w, 12, 1)
    accrual = _whole(raw, "accrual_months", w, 36, 1)
    return MainTrialSettings(float(hr), alpha, power, alloc, horizon, accrual)

"""Blinding: what a role may see, the one guard that asks it, and what an open view shows.

Every function that can reveal allocation or outcomes takes the :class:`Role`
it computes for and asks :func:`sees` (to choose pooled or by arm) or
:func:`require` (raises :class:`BlindingError`); nothing a role may not see is
computed for it. A pooled result names its one group :data:`POOLED` in the
column :data:`GROUP`; a pooled listing that must not name participants goes
through :func:`pseudonymize`. The roles themselves are read from the protocol
file (:func:`rfa_dash.protocol.parse_protocol`, which decides every default).

Example
-------
>>> coordinator = Role("coordinator", "Study coordinator", ("overview",), allocation=False,
...                    outcomes=False, outcomes_by_arm=False, allocation_counts="none",
...                    listing_ids=False)
>>> sees(coordinator, "allocation")
False
>>> require(FULL_ACCESS, "outcomes_by_arm")   # the command line sees everything
>>> require(coordinator, "outcomes")
Traceback (most recent call last):
...
rfa_dash.blinding.BlindingError: the coordinator role does not see outcomes
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rfa_dash.months import last_month_end, month_end

if TYPE_CHECKING:
    import pandas as pd


class BlindingError(PermissionError):
    """A role asked for figures it must not see."""


@dataclass(frozen=True)
class Role:
    """What one role may see (blinding is enforced from these flags, through :func:`require`
    and :func:`sees`, nowhere else).

    Attributes
    ----------
    name, label : str
        The protocol file's key and how the role is named on pages.
    pages : tuple of str
        Page keys (:data:`rfa_dash.page_registry.PAGES`) the role may open.
    allocation, outcomes, outcomes_by_arm : bool
        The three sights (:data:`SIGHTS`).
    allocation_counts : str
        For an open role: when allocation counts are shown ("any_date";
        "month_end": as of the last month end; "none": allocation is off).
        Stepping the data cut a day at a time over exact counts tells each new
        participant's arm.
    listing_ids : bool
        Whether pooled outcome and safety listings name participants (with
        IDs, the day-by-day counts above give outcomes by arm). Without IDs,
        a listing's dates are months and a swimmer row's length whole months
        (:func:`pseudonymize`, :func:`coarse_months`).
    allocation_block : int
        For "month_end": the counts move at a month end only once at least
        this many participants have been randomized since they last moved (a
        month with one randomization would tell that participant's arm).
    """

    name: str
    label: str
    pages: tuple[str, ...]
    allocation: bool
    outcomes: bool
    outcomes_by_arm: bool
    allocation_counts: str
    listing_ids: bool
    allocation_block: int = 1


# What a result can reveal: a participant's arm or counts by arm; outcome and
# safety figures at all (pooled); outcome and safety figures split by arm.
SIGHTS = ("allocation", "outcomes", "outcomes_by_arm")
ALLOCATION_COUNTS = ("any_date", "month_end", "none")
# "month_end" counts move once at least this many have been randomized since they last did
# (protocol: roles.<name>.allocation_block)
ALLOCATION_BLOCK = 6

# Whoever runs the command line reads the export's files themselves: the CLI
# prints by arm, as the spec's ``sre`` table is by arm.
FULL_ACCESS = Role("command_line", "Command line (reads the export itself)", (), True, True,
                   True, "any_date", True)

# The one group of a pooled (open) result, and the column that names a result's group
# (an arm code, or POOLED).
POOLED = "all"
GROUP = "group"


def sees(role: Role, sight: str) -> bool:
    """The blinding guard: may ``role`` see ``sight`` (one of :data:`SIGHTS`)?

    Every function that can reveal allocation or outcomes asks this (or
    :func:`require`) with the role it is computing for, and computes nothing
    the answer forbids.

    Example
    -------
    >>> sees(FULL_ACCESS, "outcomes_by_arm")
    True
    """
    if sight not in SIGHTS:
        raise ValueError(f"unknown sight {sight!r}; one of {', '.join(SIGHTS)}")
    return bool(getattr(role, sight))


def require(role: Role, *sights: str) -> None:
    """Raise :class:`BlindingError` unless ``role`` :func:`sees` every one of ``sights``."""
    for sight in sights:
        if not sees(role, sight):
            raise BlindingError(f"the {role.name} role does not see {sight.replace('_', ' ')}")


def allocation_at_any_date(role: Role) -> bool:
    """True when ``role``'s allocation counts follow the data cut exactly (not month ends)."""
    return role.allocation_counts != "month_end" or role.outcomes_by_arm


def allocation_as_of(role: Role, as_of: dt.date,
                     randomized: Iterable[dt.date] = ()) -> dt.date:
    """The date up to which ``role`` sees allocation counts at the data cut ``as_of``.

    ``as_of`` itself; or, for ``allocation_counts = "month_end"``, the last month
    end on or before it at which the counts *move*: they move at a month end once
    at least ``role.allocation_block`` participants have been randomized since
    they last moved. ``randomized`` holds every randomization date (one per
    participant; the role sees these pooled anyway, so where the counts move tells
    nothing of any arm). Stepping the data cut day by day then shows new counts
    only for groups of at least that many participants, never one participant's
    arm; a group whose members all fell in one arm still tells theirs (for a
    group of 6 at 2:1, about 9 in 100 groups): docs/data-rules.md. Before the
    counts first move: the day before the first randomization (no one yet). Call
    :func:`require` for "allocation" first.

    Examples
    --------
    >>> import dataclasses
    >>> r = dataclasses.replace(FULL_ACCESS, allocation_counts="month_end",
    ...                         outcomes_by_arm=False, allocation_block=3)
    >>> days = [dt.date(2025, 1, 5), dt.date(2025, 2, 3), dt.date(2025, 2, 9),
    ...         dt.date(2025, 3, 1)]
    >>> allocation_as_of(r, dt.date(2025, 2, 20), days)   # two so far: not yet
    datetime.date(2025, 1, 4)
    >>> allocation_as_of(r, dt.date(2025, 4, 2), days)    # three by the end of February
    datetime.date(2025, 2, 28)
    """
    if allocation_at_any_date(role):
        return as_of
    days = list(randomized)
    moves = allocation_moves(role, as_of, days)
    if moves:
        return moves[-1]
    first = min((d for d in days if d <= as_of), default=None)
    return first - dt.timedelta(days=1) if first is not None else last_month_end(as_of)


def allocation_moves(role: Role, as_of: dt.date, randomized: Iterable[dt.date]
                     ) -> list[dt.date]:
    """The month ends up to ``as_of`` at which ``role``'s month-end allocation counts move
    (see :func:`allocation_as_of`), oldest first: the only points of the allocation
    course such a role is shown.

    Example
    -------
    >>> import dataclasses
    >>> r = dataclasses.replace(FULL_ACCESS, allocation_counts="month_end",
    ...                         outcomes_by_arm=False, allocation_block=2)
    >>> allocation_moves(r, dt.date(2025, 6, 1), [dt.date(2025, m, 3) for m in (1, 2, 3, 4)])
    [datetime.date(2025, 2, 28), datetime.date(2025, 4, 30)]
    """
    end = last_month_end(as_of)
    per_month = Counter(month_end(d) for d in randomized if d <= end)
    moves, since = [], 0
    for month in sorted(per_month):
        since += per_month[month]
        if since >= max(1, role.allocation_block):
            moves.append(month)
            since = 0
    return moves


def masks_ids(role: Role) -> bool:
    """True when ``role``'s pooled outcome and safety listings must not name participants."""
    return role.outcomes and not role.outcomes_by_arm and not role.listing_ids


def shows_participant_outcomes(role: Role) -> bool:
    """Whether ``role`` reads a named participant's outcomes (pain, SREs, AEs, deviations,
    why they left the study): it sees outcomes and its listings name participants.

    Examples
    --------
    >>> shows_participant_outcomes(FULL_ACCESS)
    True
    """
    return sees(role, "outcomes") and not masks_ids(role)


def shows_participant_arm(role: Role) -> bool:
    """Whether ``role`` may read one participant's arm (on the Participant page, or in a data
    problem that names a record with its arm value, arm field or arm-numbered REDCap
    event): only a role that sees outcomes by arm. An open role sees allocation as counts
    (month-end by default); a participant's arm beside that participant's ID would give
    outcomes by arm through its pooled listings.

    Examples
    --------
    >>> shows_participant_arm(FULL_ACCESS)
    True
    >>> shows_participant_arm(open_session(FULL_ACCESS))
    False
    """
    return sees(role, "outcomes_by_arm")


def open_session(role: Role) -> Role:
    """``role`` as the DSMB's open session shows it: outcomes pooled, no allocation at all
    (the open report is built for this view, whoever asks for it).

    Examples
    --------
    >>> v = open_session(FULL_ACCESS)
    >>> sees(v, "outcomes"), sees(v, "outcomes_by_arm"), sees(v, "allocation")
    (True, False, False)
    """
    return dataclasses.replace(role, allocation=False, outcomes_by_arm=False,
                               allocation_counts="none")


def groups(role: Role, arm_codes: list[str]) -> list[str]:
    """The groups a result has for ``role``: the arms, in the order given, for a role that
    sees outcomes by arm; else the one pooled group.

    Example
    -------
    >>> groups(FULL_ACCESS, ["rfa_rt", "rt_alone"])
    ['rfa_rt', 'rt_alone']
    """
    return list(arm_codes) if sees(role, "outcomes_by_arm") else [POOLED]


def scope_note(role: Role, n_arms: int) -> str:
    """The line an outcome page opens with: by arm, or pooled over the arms."""
    if sees(role, "outcomes_by_arm"):
        return "Closed report: by arm."
    arms = "both arms" if n_arms == 2 else f"all {n_arms} arms"
    return f"Open report: pooled over {arms}."


def pseudonymize(df: pd.DataFrame, column: str = "participant_id",
                 drop: tuple[str, ...] = ("days_from_randomization",),
                 first: int = 1) -> pd.DataFrame:
    """``df`` with the IDs in ``column`` replaced by #first, #first+1, ... in order of
    first appearance, the columns in ``drop`` (which would give the randomization
    date back) left out, and every date shown as its month (YYYY-MM): a pooled
    listing that names no participant and whose dates single no one out.

    Example
    -------
    >>> import pandas as pd
    >>> pseudonymize(pd.DataFrame({"participant_id": ["P7", "P2", "P7"],
    ...                            "event_date": pd.to_datetime(["2025-10-08", "2025-10-20",
    ...                                                          "2025-11-02"]),
    ...                            "days_from_randomization": [3, 9, 40]}))
      participant_id event_date
    0             #1    2025-10
    1             #2    2025-10
    2             #1    2025-11
    """
    import pandas as pd

    if column not in df:
        return df
    codes = pd.factorize(df[column])[0]
    out = df.drop(columns=[c for c in drop if c in df])
    out[column] = [f"{PSEUDONYM_MARK}{c + first}" for c in codes]
    for c in out.columns:
        if c == column:
            continue
        if _is_date_column(out[c], str(c)):
            when = pd.to_datetime(out[c], errors="coerce")
            out[c] = when.dt.strftime("%Y-%m").where(when.notna(), None)
        elif out[c].dtype == object:   # a date kept as text (an onset "as recorded")
            out[c] = out[c].map(lambda v: _FULL_DATE.sub(r"\1", v) if isinstance(v, str) else v)
    return out


_FULL_DATE = re.compile(r"\b(\d{4}-\d{2})-\d{2}\b")


def _is_date_column(s: pd.Series, name: str) -> bool:
    from pandas.api import types as ptypes

    if ptypes.is_datetime64_any_dtype(s):
        return True
    if name != "date" and not name.endswith("_date"):
        return False
    known = s.dropna()
    return bool(len(known)) and all(isinstance(v, (dt.date, str)) for v in known[:5])


def coarse_months(df: pd.DataFrame, columns: tuple[str, ...] = ("months",
                                                                "last_contact_months")
                  ) -> pd.DataFrame:
    """``df`` with the months in ``columns`` cut to whole months: a swimmer row's length
    no longer gives its randomization date to the day.

    Example
    -------
    >>> import pandas as pd
    >>> coarse_months(pd.DataFrame({"months": [0.0, 2.96, 7.5]}))["months"].tolist()
    [0.0, 2.0, 7.0]
    """
    out = df.copy()
    for c in columns:
        if c in out:
            out[c] = out[c].astype(float).floordiv(1.0)
    return out


PSEUDONYM_MARK = "#"


def is_pseudonym(participant_id: object) -> bool:
    """True for a number :func:`pseudonymize` gave (it names no participant).

    Example
    -------
    >>> is_pseudonym("#3"), is_pseudonym("003")
    (True, False)
    """
    return str(participant_id).startswith(PSEUDONYM_MARK)

"""The open role cannot infer arms by stepping the data cut, nor link pooled listings to
them (protocol: allocation_counts, listing_ids; issue 16)."""

import datetime as dt
from dataclasses import replace

import pytest

from rfa_dash.analysis import balance, eligibility, overview, safety, sre
from rfa_dash.blinding import allocation_as_of
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import ProtocolError, load_protocol

ROLES = load_protocol().roles
INV, DSMB = ROLES["investigator"], ROLES["dsmb"]


@pytest.fixture(scope="module")
def exp():
    return open_export(SAMPLE_DIR)


def test_month_end_rule():
    assert INV.allocation_counts == "month_end" and not INV.listing_ids
    assert allocation_as_of(INV, dt.date(2026, 11, 16)) == dt.date(2026, 10, 31)
    assert allocation_as_of(INV, dt.date(2026, 10, 31)) == dt.date(2026, 10, 31)
    assert allocation_as_of(INV, dt.date(2026, 3, 1)) == dt.date(2026, 2, 28)
    assert allocation_as_of(DSMB, dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)
    anyday = replace(INV, allocation_counts="any_date")
    assert allocation_as_of(anyday, dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)


def test_stepping_the_cut_a_day_at_a_time_changes_counts_only_at_month_ends(exp):
    day, seen = dt.date(2025, 4, 1), {}
    while day <= dt.date(2025, 12, 31):
        d = overview.overview(exp, day, INV)
        counts = tuple(d.by_arm["n"])
        seen.setdefault(d.allocation_as_of, set()).add(counts)
        # every other allocation figure follows the same date
        assert balance.allocation(exp, day, INV).as_of == d.allocation_as_of
        assert eligibility.consort(exp, day, INV)["arms_as_of"] == d.allocation_as_of
        day += dt.timedelta(days=1)
    assert all(len(v) == 1 for v in seen.values())        # one set of counts per month
    first = exp.query("randomizations", as_of=day)["randomization_date"].min().date()
    assert all((k + dt.timedelta(days=1)).day == 1 or k == first - dt.timedelta(days=1)
               for k in seen)
    # while the DSMB's move with each randomization
    dsmb = {tuple(overview.overview(exp, dt.date(2025, 10, d), DSMB).by_arm["n"])
            for d in range(1, 32)}
    assert len(dsmb) > 1


def test_pooled_listings_name_no_participant(exp):
    as_of = exp.default_as_of
    real = set(exp.query("randomizations", as_of=as_of)["participant_id"])
    s = safety.safety(exp, as_of, INV)
    for df in (sre.event_listing(exp, as_of, INV), s.deaths, s.grade3,
               safety.serious_events(exp, as_of, INV)):
        assert len(df) and not set(df["participant_id"]) & real
        assert all(str(p).startswith("#") for p in df["participant_id"])
        assert "days_from_randomization" not in df and "arm" not in df
    # the same participant keeps one number within a listing
    ev = sre.event_listing(exp, as_of, INV)
    full = sre.event_listing(exp, as_of, replace(INV, listing_ids=True))
    assert ev["participant_id"].nunique() == full["participant_id"].nunique()
    # the closed role's listings are by arm and name participants
    assert set(sre.event_listing(exp, as_of, DSMB)["participant_id"]) <= real


def test_swimmer_rows_are_numbered_in_an_order_unrelated_to_randomization(exp):
    as_of = exp.default_as_of
    sw = sre.swimmer(exp, as_of, INV, page=1, page_size=100)
    labels = list(dict.fromkeys(sw["participant_id"]))
    assert labels == [f"#{i}" for i in range(1, len(labels) + 1)]
    assert "date" not in sw
    order = {}
    for shuffle in (False, True):
        q = exp.query("swimmer", as_of=as_of, offset=0, limit=1000, shuffle=shuffle)
        order[shuffle] = list(dict.fromkeys(q["participant_id"]))
    assert sorted(order[False]) == sorted(order[True]) and order[False] != order[True]
    assert len(labels) == len(order[True][:100])


def test_protocol_settings_are_checked(tmp_path):
    from rfa_dash.protocol import DEFAULT_PROTOCOL

    base = DEFAULT_PROTOCOL.read_text()

    def load(name, text):
        p = tmp_path / f"{name}.toml"     # a file per case: protocols are cached by path
        p.write_text(text)
        return load_protocol(p)

    inv = load("none", base.replace('allocation_counts = "month_end"',
                                    'allocation_counts = "none"')).roles["investigator"]
    assert not inv.allocation and inv.allocation_counts == "none"
    with pytest.raises(ProtocolError, match="allocation_counts must be one of"):
        load("daily", base.replace('allocation_counts = "month_end"',
                                   'allocation_counts = "daily"'))
    with pytest.raises(ProtocolError, match="listing_ids must be true or false"):
        load("ids", base.replace("\nlisting_ids = false", '\nlisting_ids = "no"'))
    # left out, the safer choices apply to an open role
    inv = load("default", base.replace('\nallocation_counts = "month_end"', "").replace(
        "\nlisting_ids = false", "")).roles["investigator"]
    assert (inv.allocation_counts, inv.listing_ids) == ("month_end", False)


def _one_a_month(tmp_path, n=18, deaths=()):
    """n participants, one randomized each month (2:1, as R R T R R T ...), some dead."""
    from tests.helpers import make_export, rand, screen

    start = dt.date(2024, 1, 10)
    days = [(start.replace(day=1) + dt.timedelta(days=31 * i)).replace(day=10) for i in range(n)]
    arms = ["rt_alone" if i % 3 == 2 else "rfa_rt" for i in range(n)]
    folder = make_export(
        tmp_path / "monthly",
        screening=[screen(screening_id=f"S{i:03}", screen_date=d - dt.timedelta(days=5),
                          lab_date=d - dt.timedelta(days=6)) for i, d in enumerate(days)],
        randomization=[rand(participant_id=f"{i:03}", screening_id=f"S{i:03}",
                            randomization_date=d, treatment_date=d + dt.timedelta(days=3),
                            arm=a) for i, (d, a) in enumerate(zip(days, arms, strict=True))],
        offstudy=[{"participant_id": f"{i:03}", "off_study_date": str(days[i] +
                                                                       dt.timedelta(days=40)),
                   "reason": "death"} for i in deaths])
    return open_export(folder), days, arms


def _arms_told(exp, days, arms, role, until):
    """The adversary: step the data cut a day at a time as ``role`` and read the allocation
    counts; a change of the counts over a stretch in which every participant randomized
    went to one arm tells each of them that arm (they know who was randomized when). The
    participants whose arm that gives away."""
    told, last, last_day = set(), None, None
    # what a role sees changes only on a day someone is randomized or a month ends (the
    # stepping test above walks every day): those days, the days either side, in order
    steps = {d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)}
    d = days[0].replace(day=1)
    while d <= until:
        steps |= {d - dt.timedelta(days=1), d}
        d = (d + dt.timedelta(days=32)).replace(day=1)
    for day in sorted(x for x in steps if x <= until):
        o = overview.overview(exp, day, role)
        counts = dict(zip(o.by_arm["arm"], o.by_arm["n"].astype(int), strict=True))
        if counts != last:
            if last is not None:
                new = {a: counts[a] - last.get(a, 0) for a in counts}
                moved = [i for i, d in enumerate(days)
                         if last_day < d <= o.allocation_as_of]
                if sum(1 for v in new.values() if v) == 1:
                    told |= set(moved)
            last, last_day = counts, o.allocation_as_of
    return told


def test_month_end_counts_never_tell_one_participants_arm(tmp_path):
    """Issue 36: with one randomization a month, month-end counts stepped day by day gave
    each participant's arm (a month's count moved by one). Counts now move only once
    allocation_block (6) participants have joined: no participant's arm is told."""
    exp, days, arms = _one_a_month(tmp_path)
    assert INV.allocation_block == 6
    assert _arms_told(exp, days, arms, INV, days[-1] + dt.timedelta(days=40)) == set()
    every_month = replace(INV, allocation_block=1)      # the rule before: one a month
    assert len(_arms_told(exp, days, arms, every_month, days[-1] + dt.timedelta(days=40))) \
        == len(days)
    # the counts move in steps of at least six
    o = overview.overview(exp, days[-1] + dt.timedelta(days=40), INV)
    assert int(o.by_arm["n"].sum()) % 6 == 0


def test_listings_for_the_open_role_give_months_not_days(tmp_path):
    """Issue 36: the deaths listing said "#2 2025-10-08"; a date to the day singles out the
    participant (the Participant page gives the off-study date). Pooled listings give the
    month; swimmer lengths are whole months."""
    import re

    exp, days, _ = _one_a_month(tmp_path, deaths=(4, 10))
    as_of = days[-1] + dt.timedelta(days=60)
    s = safety.safety(exp, as_of, INV)
    assert len(s.deaths) == 2
    assert all(re.fullmatch(r"\d{4}-\d{2}", str(v)) for v in s.deaths["death_date"])
    sw = sre.swimmer(exp, as_of, INV, page=1, page_size=100)
    assert (sw["months"] % 1 == 0).all() and (sw["last_contact_months"] % 1 == 0).all()
    dsmb = safety.safety(exp, as_of, DSMB)           # the closed role keeps the day
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(v)[:10])
               for v in dsmb.deaths["death_date"])


def test_allocation_block_is_checked(tmp_path):
    from rfa_dash.protocol import DEFAULT_PROTOCOL

    base = DEFAULT_PROTOCOL.read_text()
    bad = tmp_path / "block.toml"
    bad.write_text(base.replace("allocation_block = 6", "allocation_block = 0"))
    with pytest.raises(ProtocolError, match="allocation_block must be a whole number"):
        load_protocol(bad)

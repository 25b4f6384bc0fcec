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
    assert all((k + dt.timedelta(days=1)).day == 1 for k in seen)
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

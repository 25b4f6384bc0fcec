"""Chart builders: axis ticks stay readable (and renderable) at any count."""

import pandas as pd

from rfa_dash.charts import fig_criteria, fig_monthly, fig_sre_types


def _counts(events):
    return pd.DataFrame({"group": ["a"] * len(events), "sre_type": [f"t{i}" for i in
                                                                    range(len(events))],
                         "events": events, "participants": events})


def test_sre_type_ticks_are_whole_numbers_only_for_small_counts():
    small = fig_sre_types(_counts([1, 3]), colors={}, labels={}, cut="c")
    assert small.layout.xaxis.dtick == 1
    # thousands of events: a tick per event would be thousands of grid lines,
    # which stalled the browser for a minute at 100,000 participants
    big = fig_sre_types(_counts([2500, 3400]), colors={}, labels={}, cut="c")
    assert big.layout.xaxis.dtick is None


def test_criteria_ticks_count_unknown_values_too():
    fails = pd.DataFrame({"label": ["a", "b"], "failed": [3, 2], "unknown": [0, 4000]})
    assert fig_criteria(fails, cut="c").layout.xaxis.dtick is None
    fails["unknown"] = [0, 4]
    assert fig_criteria(fails, cut="c").layout.xaxis.dtick == 1


def test_monthly_ticks():
    monthly = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=3, freq="MS"),
                            "randomized": [1, 2, 3]})
    assert fig_monthly(monthly, cut="c").layout.yaxis.dtick == 1
    monthly["randomized"] = [100, 2000, 3000]
    assert fig_monthly(monthly, cut="c").layout.yaxis.dtick is None


def test_at_risk_counts_stay_short_and_p_values_are_bounded():
    from rfa_dash.charts.style import short_count as _count
    from rfa_dash.present.formats import fmt_p

    assert [_count(n) for n in (0, 36, 9999, 70442)] == ["0", "36", "9999", "70k"]
    assert fmt_p(0.04567) == "p = 0.046" and fmt_p(0.0004) == "p < 0.001"


def test_comparison_note_comes_from_the_protocol():
    from rfa_dash.protocol import load_protocol

    assert "not powered" in load_protocol().comparison_note


def test_data_text_reaches_plotly_as_text_not_markup():
    import pandas as pd

    from rfa_dash.charts import fig_swimmer, fig_visit_grid

    evil = "<a href='http://evil.example'>P1</a>"
    sw = pd.DataFrame({"participant_id": [evil, evil], "group": ["all", "all"],
                       "kind": ["visit", "sre"], "date": [None, None],
                       "detail": ["month 1", "<b>T8</b>"], "n_participants": [1, 1],
                       "months": [1.0, 2.0], "last_contact_months": [2.0, 2.0]})
    grid = pd.DataFrame({"participant_id": [evil], "visit_month": [1], "status": ["completed"]})
    for fig in (fig_swimmer(sw, colors={}, labels={}, cut="cut"),
                fig_visit_grid(grid, labels={}, cut="cut")):
        text = fig.to_json()
        assert "<a href" not in text and "&lt;a href=" in text
    assert "<b>T8" not in fig_swimmer(sw, colors={}, labels={}, cut="cut").to_json()


def test_the_consort_boxes_and_the_sequential_exclusions_add_up():
    """Issue 36: "Excluded n = 38" with "Screening incomplete: 5" inside it, and 80 - 38 is
    not the 37 eligible; the sequential-exclusion chart ended at 42. Both now end at the
    eligible count."""
    import re

    from rfa_dash.analysis import eligibility as el
    from rfa_dash.charts import fig_consort, fig_sequential
    from rfa_dash.ingest.export import SAMPLE_DIR, open_export
    from rfa_dash.protocol import load_protocol

    exp = open_export(SAMPLE_DIR)
    c = el.consort(exp, exp.default_as_of, load_protocol().roles["coordinator"])
    fig = fig_consort(c, colors={}, cut="cut")
    texts = [a.text for a in fig.layout.annotations if a.text]
    (excluded,) = [t for t in texts if t.startswith("<b>Excluded</b>")]
    n_excluded = int(re.search(r"n = (\d+)", excluded).group(1))
    assert c["screened"] - n_excluded == c["eligible"]
    assert f"Screening incomplete: {c['incomplete']}" in excluded
    assert f"Not eligible: {c['ineligible']}" in excluded
    seq = fig_sequential(c["steps"], c["screened"], c["incomplete"], cut="cut")
    assert list(seq.data[0].x)[-1] == c["eligible"]
    assert list(seq.data[0].y)[-1] == "Screening incomplete"

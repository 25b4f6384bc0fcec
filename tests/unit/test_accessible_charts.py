"""Issue 36: the arms are told apart by more than colour, and their colours stand out from
the page; visit status is never colour alone. WCAG 2.1: 1.4.1 (use of colour), 1.4.3
(text 4.5:1), 1.4.11 (graphics 3:1)."""

import tomllib

import pandas as pd
import pytest

from rfa_dash.charts import style
from rfa_dash.charts.visits import STATUS_COLORS, STATUS_MARKS, fig_visit_grid
from rfa_dash.present.labels import contrast, group_colors, text_colour
from rfa_dash.protocol import DEFAULT_PROTOCOL, ProtocolError, load_protocol, parse_protocol


def test_contrast_matches_wcags_reference_values():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#777777") == pytest.approx(4.48, abs=0.01)   # the well-known 4.48:1
    assert contrast("#E69F00") == pytest.approx(2.25, abs=0.01)   # the old RT-alone orange


def test_every_arm_colour_is_3_to_1_and_its_numbers_4_5_to_1():
    p = load_protocol()
    for arm in p.arms:
        assert contrast(arm.color) >= 3.0, arm
        assert contrast(text_colour(arm.color)) >= 4.5, arm


def test_a_protocol_with_a_pale_arm_colour_is_refused_naming_it():
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    data["arms"][1]["color"] = "#E69F00"
    with pytest.raises(ProtocolError, match=r"rt_alone.*2\.25:1.*3:1"):
        parse_protocol(data)
    data["arms"][1]["color"] = "orange"
    with pytest.raises(ProtocolError, match="#rrggbb"):
        parse_protocol(data)


def test_arms_have_their_own_dash_and_pattern_and_the_pooled_group_is_plain():
    colors = group_colors(load_protocol())
    codes = [a.code for a in load_protocol().arms]
    assert [style.dash(colors, c) for c in codes] == ["solid", "dash"]
    assert [style.pattern(colors, c) for c in codes] == ["", "/"]
    assert style.dash(colors, "all") == "solid"


def test_every_visit_status_has_a_mark_in_the_grid_and_its_legend():
    assert set(STATUS_MARKS) == set(STATUS_COLORS)
    assert len(set(STATUS_MARKS.values())) == len(STATUS_MARKS)
    grid = pd.DataFrame({"participant_id": ["P1", "P1", "P2"], "visit_month": [1, 3, 1],
                         "status": ["completed_late", "not_expected", "missed"]})
    fig = fig_visit_grid(grid, labels={}, cut="cut")
    heat = fig.data[0]
    assert heat.texttemplate == "%{text}"
    assert [list(r) for r in heat.text] == [["L", "–"], ["✗", ""]]
    names = {t.name for t in fig.data[1:]}
    assert names == {"L completed_late", "– not_expected", "✗ missed"}


def test_every_chart_a_page_draws_has_a_sentence_and_a_table_of_its_data():
    """The text alternative is made from the figure itself: the CIF chart's sentence names
    its series and axes (its x-axis title sits on the at-risk panel), and its table holds
    the curves' points."""
    from rfa_dash.charts import describe
    from rfa_dash.charts.outcomes import fig_cif

    curves = pd.DataFrame({"group": ["a", "a", "b"], "time": [0.0, 2.0, 0.0],
                           "cif": [0.0, 0.5, 0.0], "lower": [0.0, 0.1, 0.0],
                           "upper": [0.0, 0.9, 0.0], "at_risk": [4, 2, 3]})
    at_risk = pd.DataFrame({"group": ["a", "b"], "month": [1, 1], "at_risk": [3, 3]})
    fig = fig_cif(curves, colors={"a": "#0072B2", "b": "#D55E00"},
                  labels={"a": "Arm A", "b": "Arm B"}, at_risk=at_risk, report_months=[1],
                  cut="cut").to_dict()
    text = describe.summary(fig)
    assert "Arm A, Arm B" in text and "Months since randomization" in text
    t = describe.table(fig)
    assert list(t.columns[:3]) == ["Series", "Months since randomization",
                                   "Cumulative incidence (%)"]
    assert t[t["Series"] == "Arm A"].iloc[:, 2].tolist() == [0.0, 50.0]

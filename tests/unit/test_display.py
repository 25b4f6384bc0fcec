"""One rule for the cells people read (present/display.py), and every column of one type,
as Arrow needs to send it: a column of dates with a missing value, or dates mixed with
months given as text (the open role's pseudonymized listings), is all text."""

import datetime as dt

import pandas as pd
import pyarrow as pa

from rfa_dash.present.display import MISSING, display_frame


def test_missing_is_a_dash_and_a_fraction_has_two_decimals():
    out, numeric = display_frame(pd.DataFrame({"mean_pain": [0.5714285714285714, None],
                                               "n": [3, 4]}))
    assert list(out["Mean pain (0-10)"]) == ["0.57", MISSING]
    assert list(out.iloc[:, 1]) == [3, 4] and numeric == ["Mean pain (0-10)"]


def test_dates_with_missing_or_mixed_with_months_become_one_type():
    df = pd.DataFrame({"visit_date": [dt.date(2025, 1, 2), None, "2025-03"],
                       "other": [dt.date(2025, 1, 2), "2025-02", "2025-03"]})
    out, _ = display_frame(df)
    assert list(out.iloc[:, 0]) == ["2025-01-02", MISSING, "2025-03"]
    assert list(out.iloc[:, 1]) == ["2025-01-02", "2025-02", "2025-03"]
    pa.Table.from_pandas(out)   # what Streamlit does with it: no fix-up needed

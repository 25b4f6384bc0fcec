"""Tables of the patients' side as people read them: pain response, every SRE."""

from __future__ import annotations

import pandas as pd

from rfa_dash.blinding import GROUP
from rfa_dash.present.formats import fmt_ci, fmt_est
from rfa_dash.present.labels import group_labels

# what "pain only" means, in plain words (the Pain page and the report)
PAIN_ONLY_NOTE = (
    "Pain only: the International Consensus judges a response on pain and on the opioids "
    "taken for it (a fall in pain bought with more morphine is not a response). Where the "
    "daily oral morphine equivalent dose (OMED) was not recorded at baseline or at the "
    "visit, the response was judged on the pain score alone, as if opioid use had not "
    "changed; such responses are counted in the Pain only column.")


def pain_response_view(resp: pd.DataFrame, protocol) -> pd.DataFrame:
    """Pain response per group and visit month: the rate with its 95% interval and the mean
    change in pain first (what is read; on a narrow screen the table scrolls to the
    rest), then the counts by category."""
    labels = group_labels(protocol)
    return pd.DataFrame({
        "Group": [labels.get(g, g) for g in resp[GROUP]], "Month": resp["month"],
        "Evaluable": resp["evaluable"], "Assessed": resp["assessed"],
        "Response (95% CI)": [fmt_ci(r, lo, hi) for r, lo, hi in
                              zip(resp["response"], resp["lower"], resp["upper"],
                                  strict=True)],
        "Mean change in pain": resp["mean_change"].round(2),
        "Complete": resp["complete"], "Partial": resp["partial"],
        "Progression": resp["progression"], "Indeterminate": resp["indeterminate"],
        "Pain only": resp["pain_only"]})


def rate_view(rate: pd.DataFrame, protocol) -> pd.DataFrame:
    """The skeletal morbidity rate per group as people read it."""
    labels = group_labels(protocol)
    return pd.DataFrame({
        "Group": [labels.get(g, g) for g in rate[GROUP]],
        "Participants": rate["participants"], "SREs counted": rate["events"],
        "Participant-years": rate["participant_years"].round(2),
        "SREs per participant-year (95% CI)": [
            fmt_est(r, lo, hi) for r, lo, hi in zip(rate["rate"], rate["lower"],
                                                    rate["upper"], strict=True)]})


def mcf_view(result, protocol) -> pd.DataFrame:
    """The mean cumulative number of SREs at the report months (of a
    :class:`rfa_dash.analysis.recurrent.MeanCumulative`) as people read it."""
    labels = group_labels(protocol)
    table = result.table
    return pd.DataFrame({
        "Group": [labels.get(g, g) for g in table[GROUP]], "Month": table["month"],
        "At risk": table["at_risk"],
        "Mean SREs per participant (95% CI)": [
            fmt_est(m, lo, hi) for m, lo, hi in zip(table["mcf"], table["lower"],
                                                    table["upper"], strict=True)]})

"""The patients' side in AppTest (issue 27): the Pain page by arm for the DSMB and pooled for
the open role, and one participant's course as each role may see it."""

from rfa_dash.protocol import load_protocol
from tests.app.test_app import all_texts, app

PROTOCOL = load_protocol()
ARM_LABELS = [a.label for a in PROTOCOL.arms]


def test_pain_is_an_outcome_the_coordinator_cannot_open():
    assert "pain" not in PROTOCOL.roles["coordinator"].pages
    assert {"pain", "participant"} <= set(PROTOCOL.roles["dsmb"].pages)


def test_pain_page_by_arm_for_the_dsmb_and_pooled_for_the_investigator():
    dsmb = all_texts("dsmb", "pain")
    assert all(label in dsmb for label in ARM_LABELS)
    assert "Pain only" in dsmb and "Closed report: by arm." in dsmb
    inv = all_texts("investigator", "pain")
    assert "All participants" in inv and "Open report: pooled over both arms." in inv
    assert "RT alone" not in inv


def test_participant_course_for_each_role():
    # 008 has three SRE records, one counted (sample)
    dsmb = all_texts("dsmb", "participant", participant_pid="008")
    assert "RT alone" in dsmb and "same day as a counted SRE" in dsmb
    assert "within 21 days of the SRE of 2025-12-16" in dsmb
    for role in ("coordinator", "investigator"):
        text = all_texts(role, "participant", participant_pid="008")
        assert "RT alone" not in text and "RFA/BA + RT" not in text, role
        assert "pain instability" not in text and "same day" not in text, role
        assert "not shown to this role" in text, role
        assert "month 1" in text, role      # the schedule and the visits
    at = app("dsmb", "participant", participant_pid="013")
    assert not at.exception


def test_the_participant_box_switches_participants_after_a_link():
    """Issue 36: opened by a link (?pid=008), choosing another participant in the box shows
    that one (it had reverted to the URL's), and the URL follows the choice."""
    at = app("dsmb", "participant")
    at.query_params["pid"] = "008"
    at.run()
    box = at.selectbox(key="participant_pid")
    assert box.value == "008"
    box.select("013").run()
    assert not at.exception
    assert at.selectbox(key="participant_pid").value == "013"
    assert at.query_params["pid"] in ("013", ["013"])
    at.query_params["pid"] = "008"     # another link, to 008 again
    at.session_state["_participant_url_pid"] = "013"
    at.run()
    assert at.selectbox(key="participant_pid").value == "008"


def test_tables_show_missing_values_as_a_dash_and_two_decimals():
    """Issue 36: one rule for missing values (the PDF's "-"), never "None"; no number with
    more decimals than a person reads (0.5714285714285714)."""
    import re

    from tests.app.test_app import every_tab

    for page in ("participant", "sre", "pain", "safety", "visits"):
        for at in every_tab("dsmb", page, participant_pid="008"):
            for el in at.dataframe:
                df = el.value
                assert not df.isna().any().any(), (page, df[df.isna().any(axis=1)].head())
                text = df.to_csv(index=False)
                assert not re.search(r"\d\.\d{3,}", text), (page, text[:500])
                # headings and codes in words (issue 36: mean_pain, pain_instability)
                assert not [c for c in df.columns if "_" in str(c)], (page, list(df.columns))
                assert "pain_instability" not in text and "completed_late" not in text

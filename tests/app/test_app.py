"""AppTest: every page renders for every role without an exception, and the coordinator
never receives allocation.

Every rerun goes through the router (sign-in, sidebar, the role's pages) as on
the server: tests/conftest.py switches off AppTest's version-1 multipage mode
(see rfa_dash.ui.multipage).
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rfa_dash import auth
from rfa_dash.ingest.export import SAMPLE_DIR, fingerprint
from rfa_dash.page_registry import PAGES
from rfa_dash.protocol import load_protocol
from tests.helpers import make_export, rand, screen

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PROTOCOL = load_protocol()
PAGE_FILES = {key: page.file for key, page in PAGES.items()}
TITLES = {key: page.heading for key, page in PAGES.items()}
ROLE_PAGES = [(r, p) for r in PROTOCOL.roles for p in PROTOCOL.roles[r].pages]
FOLDER = "Folder on this server"
SECRET = "test-secret-for-the-users-file"


@pytest.fixture()
def accounts(tmp_path, monkeypatch):
    """One account per role in the test's state store; returns {role: auth.User}."""
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    for role in PROTOCOL.roles:
        auth.add_user(f"{role}1", f"{role}-password-1", role, f"{role}@example.org")
    return {r: auth.User(f"{r}1", f"{r}@example.org", r) for r in PROTOCOL.roles}


def app(role: str, page: str | None = None, user=None, **state) -> AppTest:
    """Run the app once as ``role`` on ``page`` with the given widget state.

    Without ``user`` the app is in demo mode (role picker); with one (an
    ``auth.User``, once accounts exist) the user is signed in.
    """
    at = AppTest.from_file(APP, default_timeout=60)
    if user is None:
        at.session_state["role"] = role
    else:
        at.session_state["user"] = user
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(PAGE_FILES[page]).run()
        assert not at.exception, at.exception
    return at


# pages whose detail is in tabs drawn only while open (ui.tabs): the tabs' key
TAB_KEYS = {key: page.tabs for key, page in PAGES.items() if page.tabs}


def every_tab(role: str, page: str | None = None, **kwargs):
    """The page as ``role`` with each of its tabs open in turn (one AppTest, rerun per tab).

    A tab's content is sent only while it is open, so whatever a test checks
    of everything a page can send must look at every tab.
    """
    at = app(role, page, **kwargs)
    labels = [tab.label for tab in at.tabs]
    if not labels:
        yield at
        return
    assert page in TAB_KEYS, f"{page} has tabs: add their key to rfa_dash.page_registry"
    for label in labels:
        at.session_state[TAB_KEYS[page]] = label
        at.run()
        assert not at.exception, (page, label, at.exception)
        yield at


def all_texts(role: str, page: str | None = None, **kwargs) -> str:
    """:func:`texts` of the page with every tab opened in turn."""
    return "\n".join(texts(at) for at in every_tab(role, page, **kwargs))


def texts(at: AppTest) -> str:
    """Every text, chart spec and table the run sent to the browser."""
    parts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "metric", "info", "warning",
                 "error", "success", "text"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")) + str(getattr(el, "label", "")))
    for el in at.get("plotly_chart"):
        # decode: plotly's JSON escapes characters such as "/" as \u002f
        parts.append(json.dumps(json.loads(el.proto.spec), ensure_ascii=False))
    for el in list(at.dataframe) + list(at.table):
        parts.append(el.value.to_csv())
    return "\n".join(parts)


def test_every_page_has_a_role():
    assert {p for _, p in ROLE_PAGES} == set(PAGE_FILES)


@pytest.mark.parametrize("role,page", ROLE_PAGES)
def test_page_renders(role, page):
    at = app(role, page)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == TITLES[page]
    assert any("SYNTHETIC DATA" in w.value for w in at.warning)
    assert any("Data cut 2026-11-16" in c.value for c in at.caption)


def test_demo_sidebar_has_as_of_and_role_and_only_the_sample():
    at = app("coordinator")
    assert not at.sidebar.radio  # demo mode: no export choice, the bundled sample only
    assert any("DEMO MODE" in w.value for w in at.sidebar.warning)
    assert at.sidebar.date_input[0].value == dt.date(2026, 11, 16)
    assert at.sidebar.selectbox(key="role").value == "coordinator"
    # what makes the pages: version, revision, code and protocol digests (issue 33)
    from rfa_dash.version import stamp

    made = stamp("", load_protocol().source)
    assert any(made.code_line() in c.value and made.protocol in c.value
               for c in at.sidebar.caption)


def test_signed_in_sidebar_has_export_choice_and_no_role_picker(accounts):
    at = app("investigator", user=accounts["investigator"])
    assert at.sidebar.radio(key="source").value.startswith("Bundled sample")
    assert not at.sidebar.selectbox
    assert any("investigator1" in c.value for c in at.sidebar.caption)


def test_overview_shows_sample_numbers():
    at = app("investigator")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Screened"] == "80" and metrics["Eligible"] == "37"
    assert metrics["Consented"] == "31" and metrics["Randomized"] == "31 / 36"
    assert metrics["Visits due now"] == "6" and metrics["Visits overdue"] == "4"
    assert metrics["Deaths"] == "6" and metrics["Participants with an SRE"] == "5"
    assert len(at.get("plotly_chart")) == 2


@pytest.mark.parametrize("page", PROTOCOL.roles["coordinator"].pages)
def test_coordinator_never_sees_arms(page):
    text = all_texts("coordinator", page)
    for arm in PROTOCOL.arms:
        assert arm.code not in text and arm.label not in text


def test_investigator_sees_allocation_counts():
    assert "RFA/BA + RT" in texts(app("investigator"))


def test_as_of_changes_the_figures():
    key = f"as_of_{fingerprint(SAMPLE_DIR)[:16]}"
    at = app("investigator", **{key: dt.date(2025, 6, 1)})
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Screened"]) < 80
    assert any("Data cut 2025-06-01" in c.value for c in at.caption)


def test_a_page_rerun_goes_through_the_router():
    # the as-of date and the role are changed in the sidebar while a page is open
    at = app("dsmb", "sre")
    assert at.sidebar.date_input[0].value == dt.date(2026, 11, 16)
    at.sidebar.date_input[0].set_value(dt.date(2026, 1, 1)).run()
    assert any("Data cut 2026-01-01" in c.value for c in at.caption)
    at.sidebar.selectbox(key="role").set_value("coordinator").run()
    assert not at.exception
    assert at.title[0].value == "Overview"  # the coordinator has no SRE page


def test_pages_never_modify_cached_results(monkeypatch):
    """Cached results are handed out as stored, so a page must only read them."""
    import dataclasses
    import hashlib
    import pickle

    import pandas as pd

    from rfa_dash import ui
    from rfa_dash.memo import Memo

    made = {}

    def content(value):
        # what a reader sees (pandas may rearrange a frame's blocks when read)
        if isinstance(value, (pd.DataFrame, pd.Series)):
            frame = value.to_frame() if isinstance(value, pd.Series) else value
            return ("frame", list(frame.columns), frame.dtypes.astype(str).tolist(),
                    list(frame.index), frame.to_dict("list"))
        if dataclasses.is_dataclass(value):
            return tuple((f.name, content(getattr(value, f.name)))
                         for f in dataclasses.fields(value))
        if isinstance(value, dict):
            return tuple((k, content(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return tuple(content(v) for v in value)
        return value

    def digest(value):
        return hashlib.sha256(pickle.dumps(content(value))).hexdigest()

    class Recording(Memo):
        def get(self, key, make, valid=None):
            def recorded():
                value = make()
                made[key] = (value, digest(value))
                return value
            return super().get(key, recorded, valid)

    monkeypatch.setattr(ui.memos, "_RESULTS", Recording(512, 900))
    for _ in range(2):  # the second pass reads every result from the cache
        for role, page in ROLE_PAGES:
            for _ in every_tab(role, page):
                pass
    assert len(made) > 30
    changed = [key[2] for key, (value, before) in made.items() if digest(value) != before]
    assert not changed


def test_folder_source_with_problems(tmp_path, accounts):
    folder = make_export(tmp_path / "e", screening=[screen(age="old")],
                         randomization=[rand()], skip=("offstudy",))
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(folder))
    assert any("2 error(s)" in m.value for m in at.markdown)
    assert not at.warning  # not synthetic: no banner
    at = app("dsmb", "data_quality", user=accounts["dsmb"], source=FOLDER, folder=str(folder))
    df = at.dataframe[1].value
    assert set(df["Table"]) == {"screening", "offstudy"}


def test_missing_folder_is_a_message_not_a_traceback(tmp_path, accounts):
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(tmp_path / "nope"))
    assert any("export folder not found" in e.value for e in at.sidebar.error)


def test_export_root_restricts_folders(tmp_path, monkeypatch, accounts):
    monkeypatch.setenv("RFA_DASH_EXPORT_ROOT", str(tmp_path / "allowed"))
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(SAMPLE_DIR))
    assert any("Only folders under" in e.value for e in at.sidebar.error)


def test_data_quality_filters(tmp_path, accounts):
    folder = make_export(tmp_path / "e", screening=[screen(age="old", consent_date=None)])
    at = app("dsmb", "data_quality", user=accounts["dsmb"], source=FOLDER, folder=str(folder),
             dq_sev=["warning"])
    df = at.dataframe[1].value
    assert df["Severity"].tolist() == ["warning"] and df["Column"].tolist() == ["consent_date"]
    assert at.get("download_button")


def test_investigator_sre_page_is_pooled():
    text = all_texts("investigator", "sre")
    assert "All participants" in text
    for arm in PROTOCOL.arms:
        assert arm.code not in text and arm.label not in text
    assert "Gray" not in text


def test_dsmb_sre_page_is_by_arm():
    charts, text = 0, ""
    for at in every_tab("dsmb", "sre"):
        charts += len(at.get("plotly_chart"))
        text += texts(at)
    for arm in PROTOCOL.arms:
        assert arm.label in text
    assert "Gray's test is shown once every arm has at least 5 SREs" in text
    # the curve above the tabs in each of the five runs, the mean cumulative number of SREs,
    # the SRE types and the swimmer plot
    assert charts == 5 + 3


def test_only_the_open_tab_is_drawn():
    at = app("investigator", "eligibility")
    assert [t.label for t in at.tabs] == ["Why patients fail", "Near misses",
                                          "Incomplete screenings", "Every screened patient"]
    # the summary above the tabs and the first tab: the funnel, CONSORT and two failure charts
    # (each chart with its data as a table: no other table)
    assert len(at.get("plotly_chart")) == 4 and len(at.dataframe) == 4
    at.session_state["elig_tab"] = "Every screened patient"
    at.run()
    assert len(at.get("plotly_chart")) == 2  # only the summary above the tabs
    assert len(at.dataframe) == 3 and len(at.dataframe[-1].value) == 80
    assert [b.label for b in at.get("download_button")] == [
        "Download the criteria table, every patient (CSV)"]


def test_coordinator_has_no_sre_page():
    assert "sre" not in PROTOCOL.roles["coordinator"].pages
    at = app("coordinator")
    # the page is not registered for the role, so switching to it is refused
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/sre.py").run()


@pytest.mark.parametrize("page", ["sre", "safety", "report"])
def test_investigator_outcome_pages_are_pooled(page):
    text = all_texts("investigator", page)
    for arm in PROTOCOL.arms:
        assert arm.code not in text and arm.label not in text


def test_dsmb_safety_and_report_pages():
    at = app("dsmb", "safety")
    text = texts(at)
    assert all(arm.label in text for arm in PROTOCOL.arms)
    at = app("dsmb", "report")
    assert any("CLOSED" in m.value for m in at.markdown)
    assert at.get("download_button")


def test_report_page_saves_a_cut_and_shows_changes(_private_state):
    at = app("dsmb", "report")
    at.button(key="save_cut").click().run()
    assert not at.exception
    assert any("Saved 2026-11-16_" in s.value for s in at.success)
    from tests.helpers import audit_entries

    assert [(e["action"], e["user"]) for e in audit_entries()] == [("cut_saved", "demo")]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New randomizations"] == "0"  # same data as the cut just saved
    at.button(key="save_cut").click().run()       # again (or from another session): one cut
    assert any("was saved already" in s.value for s in at.info)
    assert len(audit_entries()) == 1


def test_report_page_offers_pdf_and_html_and_masking_to_the_dsmb_only():
    for role in ("investigator", "dsmb"):
        at = app(role, "report")
        assert not at.exception
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels == ["Download the report (PDF)", "Download the report (HTML)",
                          "Download the report (DOCX)"]
        toggles = [t.label for t in at.toggle]
        assert (role == "dsmb") == any(t.startswith("Masked") for t in toggles), role
        text = " ".join(m.value for m in at.markdown)
        assert ("CLOSED session" if role == "dsmb" else "OPEN session") in text


def test_report_lists_the_changes_since_a_cut_in_tabs(_private_state):
    from rfa_dash.analysis import cuts
    from rfa_dash.ingest.export import open_export

    exp = open_export(SAMPLE_DIR)
    cuts.save_cut(exp, dt.date(2026, 3, 1))
    exp.close()
    shown = {}
    for at in every_tab("dsmb", "report"):
        shown[at.session_state["cut_tab"]] = len(at.dataframe[-1].value)  # the open tab's
    metrics = {m.label: int(m.value) for m in at.metric}
    assert shown[f"New randomizations ({metrics['New randomizations']})"] == \
        metrics["New randomizations"] > 0
    assert shown[f"New SREs ({metrics['New SREs']})"] == metrics["New SREs"] > 0


def test_folder_source_accepts_a_redcap_project(accounts):
    at = app("investigator", user=accounts["investigator"], source=FOLDER,
             folder=str(SAMPLE_DIR / "redcap"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Screened"] == "80" and metrics["Randomized"] == "31 / 36"


def test_genuine_two_arm_redcap_project_opens_in_the_sidebar(tmp_path, accounts):
    import shutil

    root = Path(__file__).parents[2]
    folder = tmp_path / "demo"
    shutil.copytree(root / "tests" / "data" / "redcap" / "longitudinal", folder)
    shutil.copy(root / "docs" / "examples" / "redcap-demo-2-arms.toml", folder / "mapping.toml")
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(folder))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Screened"] == "3" and metrics["Randomized"].startswith("3 /")
    at = app("coordinator", "data_quality", user=accounts["coordinator"], source=FOLDER,
             folder=str(folder))
    assert not at.exception
    text = texts(at)
    assert "instrument(s) not used by the mapping" in text and "notes)" in text
    assert "_arm_1" not in text and "_arm_2" not in text    # the arm is the event's arm


def test_coordinator_data_quality_hides_outcome_records(tmp_path, accounts):
    folder = make_export(
        tmp_path / "e", randomization=[rand()],
        sre_events=[{"participant_id": "001", "event_date": "2025-05-01",
                     "sre_type": "surgery"}],
        offstudy=[{"participant_id": "001", "off_study_date": "2025-04-01", "reason": "death"}],
        visits=[{"participant_id": "001", "visit_month": "1", "status": "completed",
                 "visit_date": ""}])
    at = app("coordinator", "data_quality", user=accounts["coordinator"], source=FOLDER,
             folder=str(folder))
    text = texts(at)
    assert "sre_events" not in text and "death" not in text.lower()
    assert "visit_date is required" in text  # the coordinator's own problems stay
    assert any("not shown to this role" in i.value for i in at.info)
    at = app("dsmb", "data_quality", user=accounts["dsmb"], source=FOLDER, folder=str(folder))
    assert "after the participant's death" in texts(at)


@pytest.mark.parametrize("kind", ["empty", "missing_files"])
def test_every_page_survives_an_empty_or_broken_export(tmp_path, accounts, kind):
    if kind == "empty":
        folder = make_export(tmp_path / "e", screening=[], randomization=[])
    else:
        folder = make_export(tmp_path / "e", skip=("randomization", "visits", "screening"))
    for page in PAGE_FILES:
        for at in every_tab("dsmb", page, user=accounts["dsmb"], source=FOLDER,
                            folder=str(folder)):
            assert not at.exception, (page, at.exception)


def test_long_tables_and_grids_page(tmp_path, accounts):
    from rfa_dash.cli import main

    folder = tmp_path / "big"
    assert main(["synth", "--out", str(folder), "--patients", "300", "--seed", "2"]) == 0
    # 795 screened: two pages of 500 patients; page 2 starts at the 501st screening ID
    at = app("dsmb", "eligibility", user=accounts["dsmb"], source=FOLDER, folder=str(folder),
             elig_page=2, elig_tab="Every screened patient")
    [picker] = at.number_input
    assert picker.label.endswith("(1-2)") and picker.value == 2
    patients = at.dataframe[-1].value
    assert len(patients) == 795 - 500 and patients["Screening ID"].iloc[0] == "SCR-0501"
    at = app("dsmb", "visits", user=accounts["dsmb"], source=FOLDER, folder=str(folder),
             grid_page=2, visits_tab="Status by participant")
    assert at.number_input[0].value == 2 and not at.exception


def test_cached_figures_are_shared_only_between_equal_inputs_and_never_modified():
    # a rerun sends the same chart specs, built once (cached figure objects)
    at = app("dsmb", "sre")
    first = [el.proto.spec for el in at.get("plotly_chart")]
    at.run()
    assert [el.proto.spec for el in at.get("plotly_chart")] == first
    # the open report's pooled curve is a different figure (different inputs),
    # and the closed one is left as it was
    pooled = [el.proto.spec for el in app("investigator", "sre").get("plotly_chart")]
    assert pooled[0] != first[0]
    assert [el.proto.spec for el in app("dsmb", "sre").get("plotly_chart")] == first
    # the Streamlit theme styles charts: no Plotly template is sent
    assert all(json.loads(s)["layout"].get("template") in (None, {}) for s in first)


def test_figure_keys_take_frames_by_identity_and_forget_dead_ones():
    import gc

    import pandas as pd

    from rfa_dash import ui

    df, refs = pd.DataFrame({"x": [1]}), []
    key = ui.memos._arg_key((df, True, {"a": "red"}), refs)
    assert ui.memos._arg_key((df, True, {"a": "red"}), []) == key  # the same objects again
    assert ui.memos._arg_key((df, 1, {"a": "red"}), []) != key  # True is not 1
    assert ui.memos._arg_key((df, True, {"a": "blue"}), []) != key  # dicts by value
    assert ui.memos._arg_key((df.copy(), True, {"a": "red"}), []) != key  # another frame
    entry = (object(), refs)
    assert ui.memos._alive(entry)
    del df
    gc.collect()
    assert not ui.memos._alive(entry)  # its frame is gone: the figure is made again


def test_built_figure_dict_is_made_once_and_survives_serialization():
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.tools import return_figure_from_figure_or_data

    from rfa_dash.ui.memos import _BuiltFigure

    fig = _BuiltFigure(go.Figure(go.Bar(x=[1, 2], y=[3, 4]))).freeze()
    before = json.dumps(fig.to_dict(), sort_keys=True)
    d = return_figure_from_figure_or_data(fig, validate_figure=True)  # as st.plotly_chart does
    assert d is fig.to_dict()
    pio.to_json(d, validate=False)
    assert json.dumps(fig.to_dict(), sort_keys=True) == before


def test_progression_page_and_overview_strip():
    # the investigator sees all five, the coordinator four: retention would give away deaths
    inv = all_texts("investigator", "progression")
    for label in ("Recruitment against the expected pace", "Consent of eligible patients",
                  "Retention (not withdrawn or lost)", "Visit adherence",
                  "Treatment received as allocated"):
        assert label in inv
    assert "31 consented of 37 eligible (84%, 95% CI 68%-94%): green, threshold 70%" in inv
    coord = all_texts("coordinator", "progression")
    assert "Retention (not withdrawn or lost)" not in coord
    assert "Retention is not shown to this role" in coord
    strip = texts(app("investigator"))
    assert "Pilot progression criteria." in strip and "Every criterion is green." in strip
    # an earlier cut with criteria below green says which, in words, on the Overview
    early = texts(app("dsmb", **{f"as_of_{fingerprint(SAMPLE_DIR)[:16]}": dt.date(2025, 8, 31)}))
    assert "Not green:" in early and "(amber)" in early


def test_coordinator_data_quality_never_shows_a_bad_arm_value(tmp_path, accounts):
    from tests.helpers import make_export, rand, screen

    folder = make_export(tmp_path / "badarm", screening=[screen()],
                         randomization=[rand(arm="RT alone")])
    text = all_texts("coordinator", "data_quality", user=accounts["coordinator"], source=FOLDER,
                     folder=str(folder))
    assert "RT alone" not in text and "hidden from this role" in text
    assert "shown without their value" in text
    dsmb = all_texts("dsmb", "data_quality", user=accounts["dsmb"], source=FOLDER,
                     folder=str(folder))
    assert "RT alone" in dsmb


def test_folder_source_is_off_without_an_export_root(monkeypatch, accounts):
    monkeypatch.delenv("RFA_DASH_EXPORT_ROOT")
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(SAMPLE_DIR / "redcap"))
    assert FOLDER not in at.sidebar.radio[0].options
    assert at.sidebar.radio[0].value == "Bundled sample (synthetic)"
    assert any("RFA_DASH_EXPORT_ROOT" in c.value for c in at.sidebar.caption)
    assert not at.exception


def test_export_root_refuses_links_to_files_outside_it(tmp_path, monkeypatch, accounts):
    root = tmp_path / "exports"
    inside = make_export(root / "trial")
    other = make_export(tmp_path / "other_trial")
    (inside / "visits.csv").unlink()
    (inside / "visits.csv").symlink_to(other / "visits.csv")
    monkeypatch.setenv("RFA_DASH_EXPORT_ROOT", str(root))
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(inside))
    assert any("visits.csv in trial is a link to a file outside" in e.value
               for e in at.sidebar.error)
    assert not at.metric   # nothing of the folder was shown
    # a link that stays inside the root is fine
    (inside / "visits.csv").unlink()
    make_export(root / "shared")
    (inside / "visits.csv").symlink_to(root / "shared" / "visits.csv")
    at = app("dsmb", user=accounts["dsmb"], source=FOLDER, folder=str(inside))
    assert not at.sidebar.error and at.metric

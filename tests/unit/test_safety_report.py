"""Safety figures, the DSMB report (open vs closed), and frozen data cuts."""

import datetime as dt
import re

import pandas as pd
import pytest

from rfa_dash.analysis import cuts
from rfa_dash.analysis.safety import safety
from rfa_dash.blinding import BlindingError
from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.present.outcomes import grade_table
from rfa_dash.protocol import load_protocol
from rfa_dash.report import build_report
from rfa_dash.state import cuts as stored
from tests.helpers import make_export, rand, screen

ROLES = load_protocol().roles
PROTOCOL = load_protocol()
D = dt.date


def ae(pid, date, grade, serious="", related="", term="Pain"):
    return {"participant_id": pid, "onset_date": date, "term": term, "grade": str(grade),
            "serious": serious, "related": related}


@pytest.fixture()
def exp(tmp_path):
    screens = [screen(screening_id=f"S{i}") for i in range(3)]
    rands = [rand(participant_id="001", screening_id="S0", arm="rfa_rt"),
             rand(participant_id="002", screening_id="S1", arm="rfa_rt"),
             rand(participant_id="003", screening_id="S2", arm="rt_alone")]
    aes = [ae("001", "2025-02-01", 1, "no", "yes"), ae("001", "2025-03-01", 3, "yes", "no"),
           ae("002", "2025-02-10", 2, "no", ""), ae("003", "2025-02-11", 5, "yes", "no"),
           ae("003", "2026-02-11", 1)]  # after the cut below
    off = [{"participant_id": "003", "off_study_date": "2025-02-11", "reason": "death"}]
    e = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands,
                                adverse_events=aes, offstudy=off))
    assert e.n_errors == 0, e.problems.to_string()
    return e


def test_safety_by_arm_for_dsmb(exp):
    s = safety(exp, D(2025, 12, 31), ROLES["dsmb"])
    g = s.by_grade.set_index(["group", "grade"])
    # rfa_rt: 001 worst grade 3 (events g1, g3), 002 worst grade 2
    assert g.loc[("rfa_rt", 3), "participants"] == 1 and g.loc[("rfa_rt", 1), "events"] == 1
    assert g.loc[("rfa_rt", 1), "participants"] == 0 and g.loc[("rfa_rt", 2), "participants"] == 1
    assert g.loc[("rt_alone", 5), "participants"] == 1
    assert g.loc[("rt_alone", 1), "events"] == 0  # the 2026 event is after the cut
    ser = s.seriousness.set_index(["group", "serious"])["events"]
    assert ser[("rfa_rt", "yes")] == 1 and ser[("rfa_rt", "no")] == 2
    rel = s.relatedness.set_index(["group", "related"])["events"]
    assert rel[("rfa_rt", "not recorded")] == 1
    assert s.deaths[["participant_id", "arm", "days_from_randomization"]].values.tolist() == [
        ["003", "rt_alone", 27]]
    assert sorted(s.grade3["participant_id"]) == ["001", "003"]
    t = grade_table(s, PROTOCOL.arm_labels)
    assert t.loc[3, "RFA/BA + RT (n=2)"] == "1 (50%) / 1 events"
    # issue 36: a "no adverse event" row, so each column adds up to its n
    assert t.loc[0, "Worst CTCAE grade"] == "No adverse event"
    assert t.loc[0, "RFA/BA + RT (n=2)"] == "0 (0%)"
    pooled = grade_table(safety(exp, D(2025, 1, 31), ROLES["dsmb"]), PROTOCOL.arm_labels)
    assert pooled.loc[0, "RFA/BA + RT (n=2)"] == "2 (100%)"     # before any onset


def test_safety_pooled_for_investigator_and_refused_for_coordinator(exp):
    s = safety(exp, D(2025, 12, 31), ROLES["investigator"])
    assert set(s.by_grade["group"]) == {"all"} and s.groups == {"all": 3}
    assert "arm" not in s.deaths.columns and "group" not in s.grade3.columns
    with pytest.raises(BlindingError):
        safety(exp, D(2025, 12, 31), ROLES["coordinator"])


def _section(html, name):
    m = re.search(rf"<section id='{name}'>(.*?)</section>", html, re.S)
    assert m, name
    return m.group(1)


@pytest.fixture(scope="module")
def reports():
    exp = open_export(SAMPLE_DIR)
    when = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    return {r: build_report(exp, exp.default_as_of, ROLES[r], when)
            for r in ("investigator", "dsmb")}


SECTION_IDS = ("status", "enrollment", "screening", "consort", "baseline", "treatment",
               "deviations", "adherence", "progression", "sre", "every-sre", "pain", "safety",
               "safety-rule", "main-trial", "data-quality", "changes")


def test_report_has_every_section(reports):
    for html in reports.values():
        _section(html, "cover")
        for name in SECTION_IDS:
            _section(html, name)
        # in the templates' order, numbered 1, 2, ...
        found = re.findall(r"<section id='([a-z-]+)'><h2>(\d+)\. ", html)
        assert [x for x, _ in found] == list(SECTION_IDS)
        assert [int(n) for _, n in found] == list(range(1, len(SECTION_IDS) + 1))
        tables = [int(n) for n in re.findall(r"<p class='caption'>Table (\d+)\.", html)]
        assert tables == list(range(1, len(tables) + 1)) and len(tables) > 20
        # nothing is loaded from the network: no external script, style sheet or image
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", html)
        assert open_export(SAMPLE_DIR).fingerprint in html


def test_closed_and_open_reports_differ_as_the_roles_say(reports):
    closed, open_ = reports["dsmb"], reports["investigator"]
    assert "CLOSED SESSION — CONFIDENTIAL" in closed and "OPEN SESSION" in open_
    assert "CLOSED SESSION" not in open_
    # the open session is pooled throughout: arms are named only in the design (the
    # trial's title on the cover and the schema), never beside a number
    results = "".join(_section(open_, x) for x in SECTION_IDS if x != "status")
    for arm in PROTOCOL.arms:
        assert arm.label in _section(closed, "sre") and arm.label in _section(closed, "safety")
        assert arm.label in _section(closed, "baseline")
        assert arm.label not in results and arm.code not in results
    assert "All participants" in _section(open_, "baseline")
    assert "Gray" in _section(closed, "sre") and "Gray" not in _section(open_, "sre")


def test_report_cli(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--role", "investigator", "--out", str(out)]) == 0
    assert "OPEN SESSION" in out.read_text()
    assert main(["report", "--role", "coordinator", "--out", str(tmp_path / "x.html")]) == 2
    assert "no DSMB report" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    assert main(["report", "--role", "dsmb", "--out", str(SAMPLE_DIR / "r.html")]) == 2
    assert not (SAMPLE_DIR / "r.html").exists()


def test_report_opens_offline_in_chromium(reports, tmp_path):
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    assert Path("/usr/bin/chromium").exists()
    f = tmp_path / "closed.html"
    f.write_text(reports["dsmb"], encoding="utf-8")
    requests, errors = [], []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-background-networking"])
        ctx = b.new_context(offline=True)
        page = ctx.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f.as_uri())
        page.wait_for_selector(".js-plotly-plot svg", timeout=30000)
        n_plots = page.locator(".js-plotly-plot").count()
        headings = page.locator("h2").all_inner_texts()
        b.close()
    assert errors == [] and all(u.startswith("file:") for u in requests)
    assert n_plots >= 4
    assert headings[:3] == ["Contents", "1. Study status and schema", "2. Enrollment"]
    assert "11. Every SRE (recurrent events)" in headings and "12. Pain response" in headings
    assert "13. Safety" in headings and "14. Safety stopping rule" in headings
    assert "15. The main trial's size" in headings and "16. Data quality" in headings


def test_cut_round_trip_and_changes(tmp_path):
    exp = open_export(SAMPLE_DIR)
    saved = cuts.save_cut(exp, D(2026, 6, 1), "dsmb1", "dsmb")
    assert saved.created and saved.name == f"2026-06-01_{exp.fingerprint[:12]}"
    again = cuts.save_cut(exp, D(2026, 6, 1), "dsmb2", "dsmb")   # idempotent: one cut
    assert again == cuts.Saved(saved.name, False)
    listed = cuts.list_cuts()
    assert listed[["cut", "as_of", "saved_by", "status"]].values.tolist() == [
        [saved.name, "2026-06-01", "dsmb1", "intact"]]
    folder = stored.export(saved.name, tmp_path / "cut")
    manifest = pd.read_json(folder / "manifest.json", typ="series")
    assert manifest["exported_at"] == "2026-06-01" and manifest["cut_of"] == exp.fingerprint
    assert len(manifest["fingerprint"]) == 64
    cut = open_export(folder)  # a cut written out is an export
    assert cut.problems.empty
    f_cut = cut.query("enrollment_funnel", as_of=cut.default_as_of)
    f_exp = exp.query("enrollment_funnel", as_of=D(2026, 6, 1))
    assert f_cut["n"].tolist() == f_exp["n"].tolist()
    ch = cuts.changes_since(exp, exp.default_as_of, saved.name, ROLES["dsmb"])
    # sample: 7 randomized after 2026-06-01, SREs on 07-21, 07-23, 07-28, death 06-27
    assert ch["randomized"]["participant_id"].tolist() == ["025", "026", "027", "028", "029",
                                                           "030", "031"]
    assert len(ch["sre"]) == 3 and ch["deaths"]["participant_id"].tolist() == ["023"]
    assert "arm" in ch["sre"].columns and ch["edited"].empty
    inv = cuts.changes_since(exp, exp.default_as_of, saved.name, ROLES["investigator"])
    assert "arm" not in inv["sre"].columns and "arm" not in inv["deaths"].columns
    # allocation counts are open to investigators at month ends only (the protocol's
    # default): new randomizations by arm between two cuts of any dates are not shown
    assert "arm" not in inv["randomized"].columns
    assert inv["randomized_by_arm"].empty
    from dataclasses import replace
    anyday = replace(ROLES["investigator"], allocation_counts="any_date")
    inv = cuts.changes_since(exp, exp.default_as_of, saved.name, anyday)
    assert inv["randomized_by_arm"].set_index("arm")["new"].sum() == 7


def test_cut_detects_edited_records(tmp_path):
    e1 = open_export(make_export(tmp_path / "a", randomization=[rand(sins="7")]))
    name = cuts.save_cut(e1, D(2026, 1, 1)).name
    e2 = open_export(make_export(tmp_path / "b", randomization=[rand(sins="9", arm="rt_alone")]))
    ch = cuts.changes_since(e2, D(2026, 1, 1), name, ROLES["investigator"])
    assert ch["edited"].values.tolist() == [["randomization", "001", "arm, sins"]]
    ch = cuts.changes_since(e2, D(2026, 1, 1), name, ROLES["coordinator"])
    assert ch["edited"].values.tolist() == [["randomization", "001", "(hidden), sins"]]
    assert ch["sre"].empty and ch["deaths"].empty and "arm" not in ch["randomized"]
    assert ch["randomized_by_arm"].empty


def test_a_cut_edited_afterwards_is_damaged_listed_so_and_never_compared_with():
    """A death removed from a saved cut by hand must not come back as a "new" death."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sqlalchemy import update

    from rfa_dash.state import schema, store

    exp = open_export(SAMPLE_DIR)
    name = cuts.save_cut(exp, exp.default_as_of).name
    off = cuts.read_cut(name)["offstudy"]
    kept = off.filter(pa.compute.not_equal(off["reason"], "death"))
    sink = pa.BufferOutputStream()
    pq.write_table(kept, sink)
    with store.transaction() as conn:
        conn.execute(update(schema.cut_tables)
                     .where(schema.cut_tables.c.cut == name,
                            schema.cut_tables.c.tbl == "offstudy")
                     .values(data=sink.getvalue().to_pybytes()))
    listed = cuts.list_cuts()
    assert listed["status"].tolist() == [
        "damaged: its table offstudy no longer matches its digest"]
    assert cuts.previous_cut(listed, exp.default_as_of) is None
    with pytest.raises(cuts.CutDamaged, match="damaged"):
        cuts.changes_since(exp, exp.default_as_of, name, ROLES["dsmb"])


def test_a_cut_with_a_table_deleted_or_rewritten_with_new_digests_is_damaged():
    """Issue 37: a table deleted from a saved cut was listed intact (read as one the cut
    "predates"), and `report --since` showed every death as new; a table edited with its
    digest (and the cut's fingerprint) recomputed went unnoticed."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq
    from sqlalchemy import delete, update

    from rfa_dash.state import schema, store
    from rfa_dash.state.cuts import fingerprint

    exp = open_export(SAMPLE_DIR)
    name = cuts.save_cut(exp, exp.default_as_of).name
    ct = schema.cut_tables
    with store.transaction() as conn:
        conn.execute(delete(ct).where(ct.c.cut == name, ct.c.tbl == "offstudy"))
    assert cuts.list_cuts()["status"].tolist() == [
        "damaged: its set of tables or their digests differ from what was saved"]
    with pytest.raises(cuts.CutDamaged, match="set of tables"):
        cuts.changes_since(exp, exp.default_as_of, name, ROLES["dsmb"])

    other = cuts.save_cut(exp, exp.default_as_of - dt.timedelta(days=30)).name
    off = cuts.read_cut(other)["offstudy"]
    sink = pa.BufferOutputStream()
    pq.write_table(off.filter(pa.compute.not_equal(off["reason"], "death")), sink)
    data = sink.getvalue().to_pybytes()
    with store.transaction() as conn:   # a careful forger: new digest, new fingerprint
        conn.execute(update(ct).where(ct.c.cut == other, ct.c.tbl == "offstudy")
                     .values(data=data, sha256=hashlib.sha256(data).hexdigest()))
        digests = {r.tbl: r.sha256 for r in conn.execute(
            ct.select().where(ct.c.cut == other))}
        conn.execute(update(schema.cuts).where(schema.cuts.c.name == other)
                     .values(fingerprint=fingerprint(digests)))
    status = dict(zip(cuts.list_cuts()["cut"], cuts.list_cuts()["status"], strict=True))
    assert status[other] == ("damaged: it differs from the fingerprint its audit entry "
                             "recorded when it was saved")


def test_cut_saved_in_the_earlier_format_moves_in_and_compares_without_spurious_edits(
        tmp_path, monkeypatch):
    # cuts used to be folders written from pandas frames (timestamps, floats for integers
    # with gaps), a manifest with the fingerprint of the folder
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from rfa_dash import db, startup
    from rfa_dash.contract import TABLE_ORDER
    from rfa_dash.ingest.export import fingerprint
    from rfa_dash.state import store

    exp = open_export(SAMPLE_DIR)
    root = tmp_path / "old_cuts"
    folder = root / f"{exp.default_as_of.isoformat()}_{exp.fingerprint[:12]}"
    folder.mkdir(parents=True)
    for t in TABLE_ORDER:
        old = db.run(exp.con, f"cuts/{t}", {"as_of": exp.default_as_of})
        pq.write_table(pa.Table.from_pandas(old, preserve_index=False), folder / f"{t}.parquet")
    manifest = {"exported_at": exp.default_as_of.isoformat(), "trial": "NCT07090122",
                "synthetic": True, "cut_of": exp.fingerprint, "source_exported_at": None,
                "saved_at": "2026-11-20T10:00:00+00:00"}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    manifest["fingerprint"] = fingerprint(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    damaged = root / "2026-01-01_000000000000"
    damaged.mkdir()
    (damaged / "manifest.json").write_text(json.dumps(manifest | {"exported_at": "2026-01-01"}))
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    monkeypatch.setenv("RFA_DASH_CUTS_DIR", str(root))
    store.forget()
    assert cuts.list_cuts().empty      # opening the store imports nothing
    assert startup.import_earlier_files() == ["cuts"]   # the start-up step does
    listed = cuts.list_cuts()
    assert listed[["cut", "saved_by", "status"]].values.tolist() == [
        [folder.name, "moved in", "intact"]]
    ch = cuts.changes_since(exp, exp.default_as_of, folder.name, ROLES["dsmb"])
    assert ch["edited"].empty and ch["randomized"].empty
    assert ch["sre"].empty and ch["deaths"].empty
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # untouched
    store.forget()
    startup.forget()                    # a new process
    assert startup.import_earlier_files() == []
    assert len(cuts.list_cuts()) == 1   # moved in once


def test_previous_cut_is_the_newest_dated_before_the_data_cut():
    from rfa_dash.analysis.cuts import previous_cut

    saved = pd.DataFrame({"as_of": ["2026-03-01", "2026-02-01", None, "2026-01-01"],
                          "cut": ["c3", "c2", "c_undated", "c1"],
                          "status": ["intact"] * 4})
    assert previous_cut(saved, dt.date(2026, 2, 15)) == "c2"
    assert previous_cut(saved, dt.date(2026, 2, 1)) == "c1"  # a cut of that very day is not earlier
    assert previous_cut(saved, dt.date(2025, 12, 1)) == "c3"  # none earlier: the newest
    assert previous_cut(saved.iloc[:0], dt.date(2026, 1, 1)) is None

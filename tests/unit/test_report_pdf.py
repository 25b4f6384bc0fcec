"""The DSMB report as PDF (and DOCX): every page marked, numbered; open pooled, masked
without arms; numbering consecutive; pre-treatment AEs, partial dates and deviations where
they belong."""

import datetime as dt
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from rfa_dash.analysis import cuts
from rfa_dash.blinding import BlindingError
from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import ProtocolError, load_protocol
from rfa_dash.report import build_document, build_docx, build_pdf
from rfa_dash.report.masking import Masker
from rfa_dash.report.pdf import lit, typst_source
from rfa_dash.report.sections import SECTIONS

PROTOCOL = load_protocol()
ROLES = PROTOCOL.roles
WHEN = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def exp():
    return open_export(SAMPLE_DIR)


@pytest.fixture(scope="module")
def pdfs(exp, tmp_path_factory):
    """The three reports as PDF files, each page's text extracted by pypdf."""
    folder = tmp_path_factory.mktemp("pdf")
    out = {}
    for name, role, masked in (("open", "investigator", None), ("closed", "dsmb", False),
                               ("masked", "dsmb", True)):
        path = folder / f"{name}.pdf"
        path.write_bytes(build_pdf(exp, exp.default_as_of, ROLES[role], WHEN, masked=masked))
        out[name] = (path, [p.extract_text() for p in PdfReader(path).pages])
    return out


def _arm_words():
    return [a.label for a in PROTOCOL.arms] + [a.code for a in PROTOCOL.arms]


def test_every_page_carries_trial_session_cut_fingerprint_and_page_n_of_m(pdfs, exp):
    short = exp.fingerprint[:12]
    for name, (_, pages) in pdfs.items():
        mark = "OPEN SESSION" if name == "open" else "CLOSED SESSION — CONFIDENTIAL"
        assert len(pages) >= 10
        for i, text in enumerate(pages, start=1):
            assert PROTOCOL.registry_id in text, (name, i)
            assert mark in text, (name, i)
            assert f"Data cut {exp.default_as_of.isoformat()}" in text, (name, i)
            assert f"SHA-256 {short}" in text, (name, i)
            assert f"page {i} of {len(pages)}" in text, (name, i)
        if name == "open":
            assert not any("CLOSED SESSION" in t for t in pages)
        # the full fingerprint on the cover
        assert exp.fingerprint in pages[0]


def test_contents_and_consecutive_numbering(pdfs):
    for _, pages in pdfs.values():
        text = "\n".join(pages)
        assert "Contents" in pages[1]
        sections = [int(n) for n in re.findall(r"^(\d+)\. [A-Z]", "\n".join(pages[2:]), re.M)]
        # each section heading once, in order (the contents page lists them too)
        assert sections[:len(SECTIONS)] == list(range(1, len(SECTIONS) + 1))
        tables = [int(n) for n in re.findall(r"Table (\d+)\. ", text)]
        figures = [int(n) for n in re.findall(r"Figure (\d+)\. ", text)]
        assert tables == list(range(1, len(tables) + 1)) and len(tables) > 20
        assert figures == list(range(1, len(figures) + 1)) and len(figures) >= 6
        # each table and figure states the data cut and its n
        assert len(re.findall(r"(Table|Figure) \d+\. .*?\(data cut 2026-11-16; ", text,
                              re.S)) == len(tables) + len(figures)


def test_open_pdf_is_pooled_throughout(pdfs):
    _, pages = pdfs["open"]
    # the arms are named only in the design: the trial's title (cover) and the schema
    body = "\n".join(pages[2:])
    schema_end = body.index("2. Enrollment")
    for word in _arm_words():
        assert word not in body[schema_end:], word
    assert "All participants" in body and "Gray" not in body
    assert "by group" not in body


def test_masked_pdf_names_no_arm_outside_the_key_page(pdfs):
    _, pages = pdfs["masked"]
    key = pages[-1]
    assert "Key to the groups" in key
    for word in _arm_words():
        for i, text in enumerate(pages[:-1], start=1):
            assert not re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", text), \
                (word, i)
    # the key from the protocol: rt_alone is Group A
    assert re.search(r"Group A\s*RT alone", key) and re.search(r"Group B\s*RFA/BA \+ RT", key)
    assert "Group A" in "\n".join(pages[2:-1]) and "Group B" in "\n".join(pages[2:-1])


def test_closed_pdf_names_the_arms(pdfs):
    text = "\n".join(pdfs["closed"][1])
    for a in PROTOCOL.arms:
        assert a.label in text
    assert "Group A" not in text


def test_pretreatment_aes_partial_dates_and_deviations_where_they_belong(pdfs, exp):
    pre = exp.query("pretreatment_ae_listing", as_of=exp.default_as_of)
    assert len(pre) == 5
    for _, pages in pdfs.values():
        text = "\n".join(pages)
        # the pre-treatment listing, apart, with its count
        assert f"Adverse events with onset before treatment (data cut 2026-11-16; {len(pre)} " \
               "events)" in text
        # partial onsets are imputed and flagged; the listing keeps the export's text:
        # 004's nausea "2025-08" (treated 2025-06-15) imputed to 2025-08-01
        assert "Onset imputed" in text and "Onset as recorded" in text
        # (the open report's pooled listings leave out days from randomization, and give
        # months for dates: issue 36)
        assert re.search(r"2025-08(-01)? yes 2025-08 (\d+ )?Nausea", text)
        assert re.search(r"2025-11(-01)? yes 2025-11 (\d+ )?Radiation dermatitis", text)
        if "OPEN SESSION" in text:
            assert not re.search(r"#\d+ 20\d\d-\d\d-\d\d", text)    # no day beside a #
        # deviations: a section, by category, the important ones listed
        body = "\n".join(pages[2:])   # after the contents
        sec = body[body.index("7. Protocol deviations"):body.index("8. Retention")]
        assert "Protocol deviations by category" in sec and "Important protocol deviations" in sec
        assert "Labs older than 14 days at randomization" in sec


def test_pdf_pages_render_to_png(pdfs, tmp_path):
    """Every page of the closed PDF rasterizes (poppler's pdftoppm); the PNGs are kept in
    test-artifacts for looking at."""
    from pathlib import Path

    assert shutil.which("pdftoppm"), "Debian's poppler-utils is needed: make test installs it"

    art = Path("test-artifacts/report")
    art.mkdir(parents=True, exist_ok=True)
    for name, (path, pages) in pdfs.items():
        for old in art.glob(f"{name}-*.png"):   # an earlier run's pages
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(art / name)], check=True)
        assert len(list(art.glob(f"{name}-*.png"))) == len(pages)


def test_masked_key_omitted_and_bad_keys_refused(exp):
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True, key="omit")
    assert doc.key is None and doc.session == "masked"
    with pytest.raises(ProtocolError):
        build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True, groups=("rfa_rt",))
    with pytest.raises(ProtocolError):
        build_document(exp, exp.default_as_of, ROLES["investigator"], masked=True)
    with pytest.raises(BlindingError):
        build_document(exp, exp.default_as_of, ROLES["coordinator"])
    # the other key: rfa_rt is Group A
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True,
                         groups=("rfa_rt", "rt_alone"))
    assert doc.key == [("Group A", "RFA/BA + RT"), ("Group B", "RT alone")]


def test_masker_rewrites_words_and_refuses_leaks():
    m = Masker(PROTOCOL, ("rt_alone", "rfa_rt"))
    assert m.text("RFA/BA + RT vs RT alone; rfa_rt, rt_alone; start") == \
        "Group B vs Group A; Group B, Group A; start"
    assert m.leaks("all Group A") == [] and m.leaks("arm rt_alone") == ["rt_alone"]
    import pandas as pd

    df = pd.DataFrame({"x": [1, 2], "RFA/BA + RT (n=2)": ["a", "b"], "RT alone (n=1)": ["c", "d"],
                       "arm": ["rfa_rt", "rt_alone"]})
    out = m.frame(df)
    # group columns in group order, rows by group
    assert list(out.columns) == ["x", "Group A (n=1)", "Group B (n=2)", "arm"]
    assert out["arm"].tolist() == ["Group A", "Group B"]


def test_a_masked_report_that_would_leak_is_refused(exp, monkeypatch):
    from rfa_dash.report import sections
    from rfa_dash.report.document import Section, Text

    def leaky(ctx):   # a section that names an arm in a sentence
        return Section("Leak", "leak", [Text("RT alone")])
    monkeypatch.setattr(sections, "SECTIONS", (*sections.SECTIONS, leaky))
    # "RT alone" is rewritten to its group: no leak
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True)
    assert doc.sections[-1].blocks[0].text == "Group A"
    from rfa_dash.report import build as build_mod

    monkeypatch.setattr(build_mod.Masker, "text", lambda self, s: s)
    with pytest.raises(BlindingError, match="would still show"):
        build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True)


def test_typst_source_takes_data_as_text_only():
    assert lit('a"b\\c\n#import') == '"a\\"b\\\\c\\n#import"'
    assert lit(None) == '""' and lit(True) == '"yes"' and lit(float("nan")) == '""'


def test_changes_since_a_cut_list_new_saes_deaths_sres_and_deviations(exp, tmp_path):
    name = cuts.save_cut(exp, dt.date(2026, 6, 1)).name
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], since=name)
    sec = doc.sections[-1]
    titles = [b.title for b in sec.blocks if hasattr(b, "frame")]
    assert titles[0] == "Changes since the previous cut"
    assert {"New serious adverse events", "New deaths", "New SREs",
            "New protocol deviations"} <= set(titles)
    ch = cuts.changes_since(exp, exp.default_as_of, name, ROLES["dsmb"])
    before = cuts.read_cut(name)["deviations"].to_pandas()
    now = exp.query("deviation_listing", as_of=exp.default_as_of)
    assert len(ch["deviations"]) == len(now) - len(before) > 0
    assert not set(ch["deviations"]["description"]) & set(before["description"])
    src = typst_source(doc, ["f.svg"] * len(doc.figures()))
    assert "New protocol deviations" in src


def test_report_cli_writes_pdf_by_suffix(tmp_path, capsys):
    out = tmp_path / "r.pdf"
    assert main(["report", "--role", "dsmb", "--masked", "--key", "omit", "--out", str(out)]) == 0
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert "CLOSED SESSION" in pages[0] and not any("Key to the groups" in p for p in pages)
    assert main(["report", "--role", "dsmb", "--out", str(tmp_path / "r.doc")]) == 2
    assert "must end in .pdf, .docx or .html" in capsys.readouterr().err
    assert main(["report", "--role", "investigator", "--masked", "--out",
                 str(tmp_path / "x.pdf")]) == 2
    assert "no arms to mask" in capsys.readouterr().err
    assert main(["report", "--role", "dsmb", "--since", "2026-01-01_nosuchcut", "--out",
                 str(tmp_path / "y.pdf")]) == 2
    assert "no saved cut '2026-01-01_nosuchcut'" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_docx_has_the_same_structure_and_marks(exp, tmp_path):
    from docx import Document

    for masked in (False, True):
        path = tmp_path / f"r{masked}.docx"
        path.write_bytes(build_docx(exp, exp.default_as_of, ROLES["dsmb"], WHEN, masked=masked))
        d = Document(path)
        head = d.sections[0].header.paragraphs[0].text
        foot = d.sections[0].footer.paragraphs[0].text
        assert "CLOSED SESSION — CONFIDENTIAL" in head and PROTOCOL.registry_id in head
        assert f"Data cut 2026-11-16 · SHA-256 {exp.fingerprint[:12]}" in foot
        # the page fields: "page N of M" filled in by Word
        xml = d.sections[0].footer._element.xml
        assert "PAGE" in xml and "NUMPAGES" in xml
        heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
        numbered = [h for h in heads if h[0].isdigit()]
        assert [int(h.split(".")[0]) for h in numbered] == list(range(1, len(SECTIONS) + 1))
        captions = [p.text for p in d.paragraphs if p.text.startswith("Table ")]
        assert [int(c.split(".")[0].split()[1]) for c in captions] == \
            list(range(1, len(captions) + 1))
        assert len(d.inline_shapes) == len(build_document(exp, exp.default_as_of,
                                                          ROLES["dsmb"]).figures())
        if masked:
            body = "\n".join(p.text for p in d.paragraphs[:-1]) + "\n".join(
                c.text for t in d.tables[:-1] for r in t.rows for c in r.cells)
            for word in _arm_words():
                assert not re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", body)
            assert heads[-1] == "Key to the groups"


@pytest.mark.parametrize("groups", [("rt_alone", "rfa_rt"), ("rfa_rt", "rt_alone")])
def test_masked_report_lists_and_draws_groups_in_group_order_whatever_the_key(exp, groups):
    """Nothing in a masked report follows the protocol's arm order (which would tell the
    key): tables, the CONSORT boxes, bars and legends run Group A, Group B."""
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], masked=True, groups=groups)
    n = exp.query("randomized_by_arm", as_of=exp.default_as_of).set_index("arm")["n"]
    tables = {t.title: t.frame for t in doc.tables()}
    base = tables["Baseline characteristics"]
    assert list(base.columns) == ["Characteristic", "Group A", "Group B", "SMD"]
    assert base.iloc[0].tolist()[1:3] == [str(n[groups[0]]), str(n[groups[1]])]
    grades = tables["TEAEs by worst CTCAE grade: participants (%) / events"]
    assert list(grades.columns)[1:] == [f"Group A (n={n[groups[0]]})",
                                        f"Group B (n={n[groups[1]]})"]
    figs = {f.title: f.fig for f in doc.figures()}
    bars = [t.name for t in figs["Participants by worst CTCAE grade"].data]
    assert bars == ["Group A", "Group B"]
    consort = figs["Participant flow"]
    boxes = sorted((a.x, a.text) for a in consort.layout.annotations if "Group" in a.text)
    assert boxes[0][1].startswith("<b>Group A") or "Group A" in boxes[0][1]
    assert doc.key == [("Group A", PROTOCOL.arm_labels[groups[0]]),
                       ("Group B", PROTOCOL.arm_labels[groups[1]])]


def test_status_table_and_caption_counts_by_hand(exp):
    """The sample: 80 screened, 37 eligible, 31 consented and randomized (21 RFA/BA + RT,
    10 RT alone), 8 off study by the cut (offstudy.csv: 6 deaths, a withdrawal and a loss
    to follow-up, all before 2026-11-16)."""
    doc = build_document(exp, exp.default_as_of, ROLES["dsmb"])
    status = dict(doc.tables()[0].frame.values.tolist())
    assert [status[k] for k in ("Screened", "Eligible", "Consented", "Randomized",
                                "Off study (any reason)")] == [
        "80", "37", "31", "31 of a target of 36 (86%)", "8"]
    base = next(t for t in doc.tables() if t.title == "Baseline characteristics")
    assert base.n == "n = 31 randomized (RFA/BA + RT 21, RT alone 10)"
    off = next(t for t in doc.tables() if t.title.startswith("Off study at the data cut"))
    # codes read as words, as on the pages (present/display.py)
    assert dict(off.frame.values.tolist()) == {"death": 6, "lost to follow up": 1,
                                              "study completed": 0, "withdrawal": 1}


def test_figures_are_the_same_built_by_the_command_or_by_the_app(exp, monkeypatch):
    # inside the app Streamlit makes its own Plotly template the default; the report's
    # charts drawn with it had their axis titles over the tick labels and the labels cut
    import json

    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401  (registers the "streamlit" template)

    from rfa_dash.report.document import figure_json

    def figures():
        doc = build_document(exp, exp.default_as_of, ROLES["dsmb"], generated_at=WHEN)
        return [json.dumps(figure_json(f.fig), sort_keys=True, default=str)
                for f in doc.figures()]

    monkeypatch.setattr(pio.templates, "default", "plotly")
    by_command = figures()
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    by_app = figures()
    assert by_command and by_app == by_command
    plotly_template = json.dumps(pio.templates["plotly"].to_plotly_json(), sort_keys=True)
    assert all(plotly_template in f for f in by_app)

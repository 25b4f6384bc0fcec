"""Issue 39: what a person would wait for is done ahead of them. The server's start-up
loads what the first page reads; the report draws each section's figures while the next
sections are computed; the report page makes its PDF while the page is read, and a click
joins that work instead of starting it again. (The times themselves are measured by
bench/browser.py, never asserted here.)"""

import threading
import time

import plotly.graph_objects as go
import pytest

from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.memo import Memo
from rfa_dash.protocol import load_protocol
from rfa_dash.report import build, charts_render
from rfa_dash.report.charts_render import DrawAhead
from rfa_dash.ui import memos, source, warmup


def test_the_start_up_loads_the_sample_the_first_page_reads(monkeypatch):
    monkeypatch.setattr(memos, "_EXPORTS", Memo(8, 3600))
    done = warmup.warm_up()
    assert any(line.startswith("loaded 1 export(s)") for line in done), done

    def refuse(*a, **k):
        raise AssertionError("the sidebar loaded the sample again")

    monkeypatch.setattr(source, "open_export", refuse)
    exp = source.load_export(SAMPLE_DIR, load_protocol().source)   # what the sidebar calls
    assert exp.folder == SAMPLE_DIR.resolve()


def test_the_start_up_loads_the_newest_exports_under_the_root_and_survives_a_bad_one(
        tmp_path, monkeypatch, caplog):
    import shutil

    monkeypatch.setattr(memos, "_EXPORTS", Memo(8, 3600))
    for i, name in enumerate(["old", "bad", "new", "newest"]):
        d = tmp_path / name
        if name == "bad":
            d.mkdir()   # a manifest and nothing else: not an export, said in the log
            (d / "manifest.json").write_text("{not json", encoding="utf-8")
        else:
            shutil.copytree(SAMPLE_DIR, d, ignore=shutil.ignore_patterns("redcap"))
        t = 1_700_000_000 + i * 100
        import os
        os.utime(d, (t, t))
    monkeypatch.setenv("RFA_DASH_EXPORT_ROOT", str(tmp_path))
    assert [p.name for p in warmup._recent_exports(tmp_path)] == ["newest", "new", "bad"]
    with caplog.at_level("WARNING", logger="rfa_dash.warmup"):
        done = warmup.warm_up()
    assert any(line.startswith("loaded 4 export(s)") for line in done), done
    assert "not loaded at start-up" in caplog.text and "bad" in caplog.text
    keys = {k[0] for k in memos._EXPORTS._entries}
    assert str((tmp_path / "newest").resolve()) in keys
    assert str((tmp_path / "old").resolve()) not in keys


def test_figures_submitted_ahead_are_drawn_once_and_in_the_documents_order():
    calls = []

    def draw(figs, fmt):
        calls.append(([f.layout.title.text for f in figs], fmt))
        return [f"{f.layout.title.text}.{fmt}".encode() for f in figs]

    a, b, c = (go.Figure(layout={"title": t}) for t in "abc")
    ahead = DrawAhead(draw, "svg")
    ahead.submit([a])
    ahead.submit([])
    ahead.submit([b])
    assert ahead.draw([c, b, a], "svg") == [b"c.svg", b"b.svg", b"a.svg"]
    ahead.close()
    assert calls == [(["a"], "svg"), (["b"], "svg"), (["c"], "svg")]


def test_a_failure_ahead_is_raised_where_the_document_is_drawn():
    def draw(figs, fmt):
        raise charts_render.RenderError("the chart renderer did not draw")

    ahead = DrawAhead(draw, "svg")
    fig = go.Figure()
    ahead.submit([fig])
    with pytest.raises(charts_render.RenderError):
        ahead.draw([fig], "svg")
    ahead.close()


@pytest.mark.parametrize("masked", [False, True])
def test_the_report_draws_sections_ahead_except_a_masked_one(monkeypatch, masked):
    """Each section's figures go to the renderer as the section is made; a masked report's
    figures are rewritten after every section is made, so it draws them at the end, and
    either way every figure of the PDF is the document's own."""
    from rfa_dash.ingest.export import open_export

    requests = []

    class Fake:
        def __enter__(self):
            def draw(figs, fmt):
                requests.append(len(figs))
                return [b"<svg xmlns='http://www.w3.org/2000/svg'/>"] * len(figs)
            return draw

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(charts_render, "figure_renderer", lambda: Fake())
    drawn = {}

    def render(doc, draw):
        figs = [f.fig for f in doc.figures()]
        drawn["n"] = len(figs)
        draw(figs, "svg")
        return b"%PDF"

    exp = open_export(SAMPLE_DIR)
    role = exp.protocol.roles["dsmb"]
    build._with_charts(render, "svg", exp, exp.default_as_of, role, None, {"masked": masked})
    assert sum(requests) == drawn["n"] > 0
    assert (len(requests) == 1) == masked


def test_a_click_joins_the_pdf_made_ahead_instead_of_making_it_again(monkeypatch):
    monkeypatch.setattr(memos, "_RESULTS", Memo(16, 60))
    made, release = [], threading.Event()

    def slow(export, as_of, fmt):
        made.append(fmt)
        release.wait(10)
        return b"%PDF " + fmt.encode()

    class Ctx:
        class export:
            fingerprint = "f" * 64

        class protocol:
            source = "p.toml"

        class role:
            name = "dsmb"

        as_of = "2026-11-16"

    memos.prefetch(slow, Ctx, "pdf")
    memos.prefetch(slow, Ctx, "pdf")        # a rerun of the page: not a second build
    time.sleep(0.1)
    got = []
    clicker = threading.Thread(target=lambda: got.append(memos.cached(slow, Ctx, "pdf")))
    clicker.start()
    time.sleep(0.1)
    release.set()
    clicker.join(10)
    assert got == [b"%PDF pdf"] and made == ["pdf"]


def test_a_failure_made_ahead_is_logged_and_made_again_on_the_click(monkeypatch, caplog):
    monkeypatch.setattr(memos, "_RESULTS", Memo(16, 60))
    calls = []

    def flaky(export, as_of):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("renderer gone")
        return "ok"

    class Ctx:
        class export:
            fingerprint = "e" * 64

        class protocol:
            source = "p.toml"

        class role:
            name = "dsmb"

        as_of = "2026-11-16"

    with caplog.at_level("WARNING", logger="rfa_dash.memos"):
        memos.prefetch(flaky, Ctx)
        for _ in range(100):
            if "renderer gone" in caplog.text:
                break
            time.sleep(0.05)
    assert "renderer gone" in caplog.text
    assert memos.cached(flaky, Ctx) == "ok" and len(calls) == 2


def test_a_pdf_asked_for_while_the_renderer_starts_takes_that_renderer(monkeypatch):
    """The server starts a renderer at start-up (and the report page when it opens); a
    report asked for before its Chromium is up waits for that one: no second start."""
    started = []
    real = charts_render._start

    def start():
        started.append(1)
        return real()

    charts_render.stop_idle()
    monkeypatch.setattr(charts_render, "_start", start)
    charts_render.warm()                       # Chromium starting...
    charts_render.warm()                       # ...a page rerun meanwhile: not another
    svg = charts_render.images([go.Figure(go.Bar(x=[1], y=[1]))])   # asked for at once
    assert svg[0].lstrip().startswith(b"<svg") and len(started) == 1
    charts_render.stop_idle()

"""Issue 28: the chart renderer cannot hang a report. A renderer that never answers is
killed (with everything it started) and tried once more; a second silence is one line and
exit 2, with nothing written; a renderer that answers the second time is used."""

import os
import subprocess
import sys
import time

import pytest

from rfa_dash.cli import main
from rfa_dash.report import charts_render
from rfa_dash.report.build import notice_file

HANG = [sys.executable, "-c",
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(600)']); time.sleep(600)"]


def _alive(pids):
    return [p for p in pids if os.path.exists(f"/proc/{p}") and
            open(f"/proc/{p}/stat").read().split()[2] != "Z"]


def test_a_hanging_renderer_is_killed_twice_then_one_line(tmp_path, monkeypatch, capsys):
    started = []
    real = charts_render._start

    def start():
        proc, t0 = real()
        started.append(proc.pid)
        return proc, t0

    monkeypatch.setattr(charts_render, "WORKER", HANG)
    monkeypatch.setattr(charts_render, "_start", start)
    monkeypatch.setattr(charts_render, "TIMEOUT_S", 1.0)
    monkeypatch.setattr(charts_render, "PER_FIGURE_S", 0.0)
    out = tmp_path / "r.pdf"
    out.write_bytes(b"last month's report")
    t0 = time.monotonic()
    assert main(["report", "--role", "dsmb", "--out", str(out)]) == 2
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not draw" in err[0] and "Traceback" not in err[0]
    assert out.read_bytes() == b"last month's report"      # the earlier file is intact
    assert len(started) == 2                               # tried once more
    time.sleep(0.2)
    # the renderers and what they started are gone
    kids = subprocess.run(["pgrep", "-f", "time.sleep\\(600\\)"], capture_output=True,
                          text=True).stdout.split()
    assert not _alive(started) and not kids


def test_a_renderer_that_fails_is_replaced_once(monkeypatch):
    import plotly.graph_objects as go

    calls = []
    real = charts_render._start

    def start():
        calls.append(1)
        if len(calls) == 1:   # a renderer that dies at once (a crashed Chromium)
            proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(1)"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    start_new_session=True)
            return proc, time.monotonic()
        return real()

    monkeypatch.setattr(charts_render, "_start", start)
    charts_render.stop_idle()   # no warm renderer from an earlier test
    with charts_render.figure_renderer() as draw:
        svg = draw([go.Figure(go.Bar(x=[1, 2], y=[3, 4]))], "svg")
    assert len(calls) == 2 and svg[0].lstrip().startswith(b"<svg")


@pytest.mark.parametrize("fmt,magic", [("pdf", b"%PDF"), ("docx", b"PK"), ("html", b"<!doc")])
def test_the_page_download_says_why_in_its_own_format(fmt, magic):
    assert notice_file(fmt, "the chart renderer did not answer").startswith(magic)


def _svg(draw):
    import plotly.graph_objects as go

    return draw([go.Figure(go.Bar(x=[1, 2], y=[3, 4]))], "svg")[0]


def test_a_renderer_is_kept_warm_for_the_next_report_and_replaced_when_it_died():
    charts_render.stop_idle()
    with charts_render.figure_renderer() as draw:
        assert _svg(draw).lstrip().startswith(b"<svg")
    [warm] = charts_render._IDLE
    with charts_render.figure_renderer() as draw:     # the same process draws again
        assert _svg(draw).lstrip().startswith(b"<svg")
    assert charts_render._IDLE == [warm] and warm.uses == 2
    charts_render._kill(warm.proc)                     # it died while idle: a new one
    with charts_render.figure_renderer() as draw:
        assert _svg(draw).lstrip().startswith(b"<svg")
    [fresh] = charts_render._IDLE
    assert fresh is not warm and fresh.uses == 1
    charts_render.stop_idle()
    assert charts_render._IDLE == [] and fresh.proc.poll() is not None


def test_a_warm_renderer_that_hangs_is_killed_and_replaced(monkeypatch):
    charts_render.stop_idle()
    charts_render.warm()
    [warm] = charts_render._IDLE
    os.killpg(warm.proc.pid, 19)    # SIGSTOP: it takes the request and never answers
    # each attempt has 15 s: the stopped one is killed after them, the fresh one starts
    # its Chromium and draws within them
    monkeypatch.setattr(charts_render, "TIMEOUT_S", 15.0)
    monkeypatch.setattr(charts_render, "PER_FIGURE_S", 0.0)
    t0 = time.monotonic()
    with charts_render.figure_renderer() as draw:
        assert _svg(draw).lstrip().startswith(b"<svg")
    assert warm.proc.poll() is not None and 15 <= time.monotonic() - t0 < 30
    charts_render.stop_idle()


def test_an_idle_renderer_exits_by_itself(monkeypatch):
    monkeypatch.setattr(charts_render, "IDLE_S", 2)
    charts_render.stop_idle()
    r = charts_render._new()
    assert r.proc.wait(timeout=60) == 0     # no request within 2 s: it stopped itself

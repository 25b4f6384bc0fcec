"""A stand-in REDCap API server on loopback, of this project's own making.

No REDCap server is reachable from here, so the API client is tested against
this server, which answers as REDCap's API documentation specifies for the
exports the client uses: one URL taking form-encoded POSTs with ``token``,
``content`` (project, metadata, event, arm, formEventMapping, record) and
``format``; a wrong token gets HTTP 403 and ``{"error": "You do not have
permissions to use the API"}`` (with ``returnFormat=json``); classic projects
refuse event exports. It serves the files of a REDCap folder (records, web
dictionary turned into the API's form, events and arms when present).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rfa_dash.ingest.redcap.project import WEB_TO_API, classify

TOKEN = "0123456789ABCDEF0123456789ABCDEF"


def _api_dictionary(path: Path) -> bytes:
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    names = [WEB_TO_API.get(" ".join(h.lower().split()), h) for h in rows[0]]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(names)
    w.writerows(rows[1:])
    return out.getvalue().encode("utf-8")


class RedcapStandIn:
    """Serve ``folder`` as a REDCap project's API at ``self.url`` until ``close()``."""

    def __init__(self, folder: Path, title: str = "Stand-in project", fail: str | None = None,
                 misbehave: dict[str, str] | None = None):
        self.folder = Path(folder)
        self.title = title
        self.fail = fail            # a content whose export answers HTTP 500
        # content -> how its export misbehaves, as servers in the wild do: "html" (a login
        # page with 200), "json", "empty", "echo" (an error page echoing the request, token
        # and all), "endless" (a body without end), "trickle" (a byte every half second),
        # "truncated" (a body cut short of its Content-Length)
        self.misbehave = misbehave or {}
        self.requests: list[dict[str, str]] = []
        kinds = classify(self.folder)
        self.files = {"metadata": _api_dictionary(kinds["dictionary"][0])}
        records = [p for p in kinds["other"] if p.name in ("data.csv", "redcap_records.csv")]
        self.files["record"] = records[0].read_bytes()
        if kinds["events"]:
            self.files["event"] = kinds["events"][0].read_bytes()
            self.files["arm"] = kinds["arms"][0].read_bytes() if kinds["arms"] else b""
            self.files["formEventMapping"] = b"arm_num,unique_event_name,form\n"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:   # quiet
                pass

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, code: int, message: str) -> None:
                self._send(code, json.dumps({"error": message}).encode(), "application/json")

            def _misbehave(self, mode: str, form: dict[str, str]) -> None:
                import time

                if mode == "html":
                    return self._send(200, b"<!DOCTYPE html><html><body>Log in</body></html>",
                                      "text/html")
                if mode == "json":
                    return self._send(200, b'{"note": "not what was asked"}', "application/json")
                if mode == "empty":
                    return self._send(200, b"", "text/csv")
                if mode == "echo":
                    return self._send(500, ("Bad request: " + urllib.parse.urlencode(form))
                                      .encode(), "text/plain")
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                if mode == "truncated":
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"record_id,x\n1,2\n")
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                self.end_headers()
                try:
                    for _ in range(10_000):
                        if mode == "endless":
                            self.wfile.write(b"x" * (1 << 20))
                        else:   # trickle
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(0.5)
                except OSError:   # the client gave up: as it should
                    pass
                return None

            def do_GET(self) -> None:
                self._error(400, "The REDCap API only accepts POST requests")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                server.requests.append(form)
                if form.get("token") != TOKEN:
                    return self._error(403, "You do not have permissions to use the API")
                content = form.get("content", "")
                mode = server.misbehave.get(content)
                if mode:
                    return self._misbehave(mode, form)
                if content == server.fail:
                    return self._error(500, "The server encountered an error exporting data")
                if content == "project":
                    info = {"project_id": 4242, "project_title": server.title,
                            "is_longitudinal": 1 if "event" in server.files else 0}
                    return self._send(200, json.dumps(info).encode(), "application/json")
                if content in ("event", "arm", "formEventMapping") and content not in server.files:
                    return self._error(400, "You cannot export arms or events for classic "
                                            "projects")
                if content not in server.files or form.get("format") != "csv":
                    return self._error(400, f"The value of the parameter \"content\" "
                                            f"({content}) is not valid")
                self._send(200, server.files[content], "text/csv; charset=utf-8")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/redcap/api/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

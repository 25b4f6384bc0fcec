"""Fetch a REDCap project through REDCap's API into a folder every command reads.

REDCap's API is one URL (``https://<server>/api/``) that takes form-encoded
POSTs: the project's token, ``content`` (what to export) and ``format``.
This module exports, as CSV:

- ``content=metadata``: the data dictionary (the API's form, ``field_name``...);
- ``content=event``, ``arm``, ``formEventMapping`` for a longitudinal project;
- ``content=record`` with ``type=flat``, ``rawOrLabel=raw``,
  ``rawOrLabelHeaders=raw``: the records, one row per record and event and
  repeat instance, raw codes;

and asks ``content=project`` (JSON) first, for the project's title and
whether it is longitudinal. Errors come back as REDCap writes them
(``{"error": "..."}`` with ``returnFormat=json``) and are turned into one line.
The token is read from a file and never printed or logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import ipaddress
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rfa_dash import files
from rfa_dash.ingest.redcap.project import dictionary_kind

FILES = {"metadata": "redcap_data_dictionary.csv", "event": "redcap_events.csv",
         "arm": "redcap_arms.csv", "formEventMapping": "redcap_form_events.csv",
         "record": "redcap_records.csv"}
TIMEOUT = 300   # seconds for a whole request, answer included: large records take a while
READ_TIMEOUT = 30            # seconds of silence in a read
MAX_BYTES = 1 << 30          # the largest answer read (1 GiB)
# what each CSV export must have in its header (the records': the record ID field first)
HEADERS = {"event": {"unique_event_name", "arm_num"}, "arm": {"arm_num", "name"},
           "formEventMapping": {"arm_num", "unique_event_name", "form"}}


class FetchError(Exception):
    """The project could not be fetched; the message is one line for the user."""


@dataclass(frozen=True)
class Fetched:
    folder: Path
    title: str
    longitudinal: bool
    records_bytes: int


def read_token(path: Path) -> str:
    """The API token in ``path``: one line of letters and digits (REDCap's are hex)."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise FetchError(f"cannot read the token file {path}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    if not text or not text.isalnum():
        raise FetchError(f"the token file {path} must hold the API token alone, on one line")
    return text


def check_url(url: str) -> str:
    """The API URL, if it is HTTPS, or HTTP to this machine (loopback) only."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
        raise FetchError(f"the API URL must use https (http is allowed only to this machine, "
                         f"not to {host}): the token would travel in clear text")
    raise FetchError(f"not an API URL: {url!r} (expected https://<server>/api/)")


def _post(url: str, fields: dict[str, str], timeout: float) -> bytes:
    """One export, read to its end within ``timeout`` seconds in all and :data:`MAX_BYTES`;
    every message is free of the token, whatever the server sends back."""
    body = urllib.parse.urlencode(fields).encode("ascii")
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv, application/json",
        "User-Agent": "rfa_dash"})
    what, host = fields["content"], urllib.parse.urlsplit(url).netloc
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(req, timeout=min(timeout, READ_TIMEOUT)) as resp:
            parts, size = [], 0
            while chunk := resp.read1(1 << 20):   # one network read at a time
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"the {what} export from {host} is larger than "
                                     f"{MAX_BYTES >> 20} MB; not read")
                if time.monotonic() > deadline:
                    raise FetchError(f"the {what} export from {host} did not arrive within "
                                     f"{timeout:.0f} s")
                parts.append(chunk)
            if resp.length:   # the connection closed before the Content-Length was read
                raise http.client.IncompleteRead(b"", resp.length)
            return b"".join(parts)
    except urllib.error.HTTPError as exc:
        raise FetchError(_redact(f"REDCap refused the {what} export (HTTP {exc.code}): "
                                 f"{_error_text(exc.read(64 << 10))}", fields)) from None
    except urllib.error.URLError as exc:
        raise FetchError(_redact(f"cannot reach {host}: {exc.reason}", fields)) from None
    except http.client.HTTPException as exc:   # a body cut short, a malformed answer
        raise FetchError(f"the {what} export from {host} broke off "
                         f"({type(exc).__name__}); nothing was replaced") from None
    except (TimeoutError, OSError) as exc:
        raise FetchError(_redact(f"the {what} export from {host} failed: {exc}",
                                 fields)) from None


def _redact(text: str, fields: dict[str, str]) -> str:
    """``text`` without the token (a server can echo the request back in its error page)."""
    token = fields.get("token", "")
    return text.replace(token, "[token]") if token else text


def _check_answer(content: str, data: bytes, record_id: str | None) -> None:
    """Raise :class:`FetchError` unless ``data`` is the CSV export ``content`` asked for (a
    200 answer can be a login page, JSON or nothing at all)."""
    text = data[:4096].decode("utf-8-sig", "replace").lstrip()
    what = f"REDCap's {content} export"
    if not text:
        raise FetchError(f"{what} came back empty; the earlier fetch is kept")
    if text.startswith("<"):
        raise FetchError(f"{what} came back as an HTML page (a login or error page?), not "
                         "CSV; the earlier fetch is kept")
    if text[0] in "{[":
        raise FetchError(f"{what} came back as JSON, not CSV: {_error_text(data[:4096])}; "
                         "the earlier fetch is kept")
    header = [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]
    if content == "metadata":
        ok = dictionary_kind(header) is not None
    elif content == "record":
        ok = bool(header) and header[0] == record_id
    else:
        ok = HEADERS[content] <= {h.lower() for h in header}
    if not ok:
        expected = ("a data dictionary" if content == "metadata" else
                    f"records whose first column is {record_id}" if content == "record" else
                    ", ".join(sorted(HEADERS[content])))
        raise FetchError(f"{what} is not {expected} (its first line: "
                         f"{', '.join(header[:4])[:80]!r}); the earlier fetch is kept")


def _error_text(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and "error" in doc:
            text = str(doc["error"])
    except ValueError:
        pass
    text = " ".join(text.split())
    return (text[:200] + "...") if len(text) > 200 else (text or "no message")


def fetch(url: str, token: str, out: Path, timeout: float | None = None) -> Fetched:
    """Export the project behind ``token`` into the folder ``out``.

    The files are written under temporary names and renamed once every export
    has arrived, so a failed fetch leaves an earlier fetch's folder as it was.
    ``manifest.json`` records when the records were exported (``exported_at``,
    the date of the export; ``exported_at_time``, the moment in UTC).

    Raises
    ------
    FetchError
        The URL is not HTTPS (or loopback HTTP), REDCap answered with an error,
        or the server cannot be reached.
    """
    url = check_url(url)
    timeout = TIMEOUT if timeout is None else timeout
    base = {"token": token, "returnFormat": "json"}
    info_raw = _post(url, {**base, "content": "project", "format": "json"}, timeout)
    try:
        info = json.loads(info_raw)
    except ValueError:
        raise FetchError("REDCap's project information is not JSON: is the URL the API's "
                         "(https://<server>/api/)?") from None
    if not isinstance(info, dict):
        raise FetchError("REDCap's project information is not what the API writes")
    longitudinal = str(info.get("is_longitudinal", "0")) == "1"
    wanted = ["metadata"] + (["event", "arm", "formEventMapping"] if longitudinal else [])
    got: dict[str, bytes] = {}
    for content in wanted:
        got[content] = _post(url, {**base, "content": content, "format": "csv"}, timeout)
        _check_answer(content, got[content], None)
    # the record ID field is the dictionary's first field: the records must start with it
    rows = csv.reader(io.StringIO(got["metadata"].decode("utf-8-sig", "replace")))
    next(rows, None)                                        # the header (checked above)
    record_id = next((r[0].strip() for r in rows if r), "")
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    got["record"] = _post(url, {**base, "content": "record", "format": "csv", "type": "flat",
                                "rawOrLabel": "raw", "rawOrLabelHeaders": "raw",
                                "exportCheckboxLabel": "false", "exportSurveyFields": "true",
                                "exportDataAccessGroups": "true"}, timeout)
    _check_answer("record", got["record"], record_id)
    out = Path(out)
    manifest = {"exported_at": moment.date().isoformat(),
                "exported_at_time": moment.isoformat().replace("+00:00", "Z"),
                "source": "REDCap API", "api_url": url,
                "project_title": str(info.get("project_title", "")),
                "project_id": str(info.get("project_id", ""))}
    staged = {FILES[c]: data for c, data in got.items()}
    staged["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    # a project no longer longitudinal leaves no events behind
    stale = {FILES[c] for c in ("event", "arm", "formEventMapping") if c not in got}

    def fill(tmp: Path) -> None:
        # the folder's other files (a mapping, notes) come along; the fetched ones are new
        if out.is_dir():
            for p in out.iterdir():
                if p.is_file() and p.name not in staged and p.name not in stale:
                    shutil.copy2(p, tmp / p.name)
        for name, data in staged.items():
            (tmp / name).write_bytes(data)

    # the fetched files replace the earlier ones together, or not at all
    files.replace_folder(out, fill)
    return Fetched(out, manifest["project_title"], longitudinal, len(got["record"]))

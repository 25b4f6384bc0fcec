"""Where the export comes from: the bundled sample, a folder on the server, an upload."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from rfa_dash import auth, settings
from rfa_dash.contract import FILE_SUFFIXES, TABLES
from rfa_dash.ingest import uploads
from rfa_dash.ingest.export import SAMPLE_DIR, Export, links_outside, open_export
from rfa_dash.protocol import load_protocol
from rfa_dash.ui.memos import loaded_export

SOURCES = ("Bundled sample (synthetic)", "Folder on this server", "Upload files")
MAX_UPLOAD_TOTAL_MB = 200
ALLOWED_UPLOADS = {t + s for t in TABLES for s in FILE_SUFFIXES} | {"manifest.json"}
# a REDCap project export: records CSV, data dictionary CSV, optional mapping TOML; or one
# CDISC ODM XML file (REDCap's project XML, OpenClinica's export) with its mapping
REDCAP_SUFFIXES = (".csv", ".toml", ".xml")


def signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap change detector for the cache key: names, sizes and modification times."""
    with os.scandir(folder) as entries:
        files = [(e.name, e.stat()) for e in entries if e.is_file()]
    return tuple(sorted((name, s.st_size, s.st_mtime_ns) for name, s in files))


def load_export(folder: Path, protocol_path: str, *, on_page: bool = True) -> Export:
    """The export of ``folder`` loaded once per content signature (names, sizes and times of
    its files), shared by sessions; ``on_page=False`` for the server's start-up, where no
    page shows a spinner (:mod:`rfa_dash.ui.warmup` loads the same entry a visitor meets).

    Raises
    ------
    ExportError
        The folder cannot be read as an export.
    """
    key = (str(folder.resolve()) if folder.exists() else str(folder),
           signature(folder) if folder.is_dir() else (), protocol_path)

    def make() -> Export:
        if not on_page:
            return open_export(Path(key[0]), load_protocol(protocol_path))
        with st.spinner("Loading and validating the export…"):
            return open_export(Path(key[0]), load_protocol(protocol_path))

    exp: Export = loaded_export(key, make)
    return exp


def _save_uploads(files: list[UploadedFile], user: str, role: str) -> Path | None:
    """Keep uploaded files in this server's private upload folder (:mod:`ingest.uploads`)."""
    try:
        folder, new = uploads.save([(f.name, f.getvalue()) for f in files])
    except uploads.UploadError as exc:
        st.sidebar.error(str(exc))
        return None
    if new:
        auth.audit("upload", user, role, detail=", ".join(sorted(f.name for f in files)))
    return folder


def choose_folder(demo: bool, user: str, role: str) -> tuple[Path | None, str]:
    if demo:
        # demo mode serves the bundled synthetic sample and nothing else
        return SAMPLE_DIR, "bundled sample"
    root = settings.export_root()
    # without an export root, a signed-in role could open any folder the server's user can
    # read (another trial's export): the folder source is offered only with one
    sources = SOURCES if root else (SOURCES[0], SOURCES[2])
    if st.session_state.get("source") not in sources:
        st.session_state["source"] = sources[0]
    source = st.sidebar.radio("Export", sources, key="source")
    if not root:
        st.sidebar.caption("Folders on this server are off: the server's administrator "
                           "turns them on by setting RFA_DASH_EXPORT_ROOT to the folder that "
                           "holds the exports.")
    if source == SOURCES[0]:
        return SAMPLE_DIR, "bundled sample"
    if source == SOURCES[1] and root:
        text = st.sidebar.text_input(
            "Export folder", key="folder",
            help="A folder holding screening.csv, randomization.csv, … or a REDCap project's "
                 "records CSV, data dictionary and mapping TOML")
        if not text.strip():
            st.sidebar.info("Enter the path of an export folder.")
            return None, ""
        folder = Path(text.strip()).expanduser()
        if not folder.resolve().is_relative_to(Path(root).resolve()):
            st.sidebar.error(f"Only folders under {root} can be opened here.")
            return None, ""
        outside = links_outside(folder, Path(root))
        if outside:
            st.sidebar.error(f"{outside[0]} in {folder.name} is a link to a file outside "
                             f"{root}; the folder is not opened.")
            return None, ""
        return folder, f"folder {folder.name}"
    files = st.sidebar.file_uploader(
        "Export files", accept_multiple_files=True,
        help="One file per table (screening.csv, randomization.csv, visits.csv, "
             "sre_events.csv, offstudy.csv, optional adverse_events.csv and manifest.json), "
             "or a REDCap project export: the records CSV, the data dictionary CSV, "
             "optionally the events and arms CSVs, and a mapping TOML; or one CDISC ODM XML "
             "file (REDCap's project XML, OpenClinica's ODM export) and its mapping TOML.",
        type=["csv", "parquet", "xlsx", "json", "toml", "xml"])
    if not files:
        st.sidebar.info("Upload the export's files.")
        return None, ""
    def allowed(name: str) -> bool:
        n = Path(name).name.lower()
        return n in ALLOWED_UPLOADS or n.endswith(REDCAP_SUFFIXES)

    ignored = [f.name for f in files if not allowed(f.name)]
    if ignored:
        st.sidebar.warning("Not part of an export, ignored: " + ", ".join(ignored))
    files = [f for f in files if allowed(f.name)]
    total_mb = sum(f.size for f in files) / 1e6
    if total_mb > MAX_UPLOAD_TOTAL_MB:
        st.sidebar.error(f"The upload is {total_mb:.0f} MB; the limit is "
                         f"{MAX_UPLOAD_TOTAL_MB} MB in all.")
        return None, ""
    if not files:
        return None, ""
    saved = _save_uploads(files, user, role)
    return (saved, "uploaded files") if saved is not None else (None, "")

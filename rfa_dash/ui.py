"""The only module that imports Streamlit: the shared sidebar, caching and page header.

Pages call :func:`context` for the export, data cut and role chosen in the
sidebar, then :func:`cached` to get small result frames and :func:`chart` to
draw them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import tempfile
import time
import weakref
from dataclasses import dataclass, is_dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
from streamlit import dataframe_util

from rfa_dash import auth
from rfa_dash.contract import FILE_SUFFIXES, TABLES
from rfa_dash.export import SAMPLE_DIR, Export, ExportError, open_export
from rfa_dash.frames import n_pages
from rfa_dash.memo import Memo
from rfa_dash.protocol import Protocol, ProtocolError, Role, load_protocol

ENTRYPOINT = str(Path(__file__).resolve().parent.parent / "app.py")
SOURCES = ("Bundled sample (synthetic)", "Folder on this server", "Upload files")
MAX_UPLOAD_TOTAL_MB = 200
TABLE_PAGE_ROWS = 500
UPLOAD_ROOT = Path(tempfile.gettempdir()) / "rfa_dash_uploads"
ALLOWED_UPLOADS = {t + s for t in TABLES for s in FILE_SUFFIXES} | {"manifest.json"}
# a REDCap project export: records CSV, data dictionary CSV, optional mapping TOML
REDCAP_SUFFIXES = (".csv", ".toml")


@dataclass(frozen=True)
class Context:
    """What every page needs: the loaded export, the data cut and the role."""

    export: Export
    as_of: dt.date
    role: Role
    source_label: str
    user: str = "demo"
    demo: bool = True

    @property
    def protocol(self) -> Protocol:
        return self.export.protocol

    @property
    def cut(self) -> str:
        """One-line description of the data cut, shown under every chart."""
        synthetic = " · SYNTHETIC DATA" if self.export.synthetic else ""
        return (f"Data cut {self.as_of.isoformat()} · {self.source_label} · export "
                f"{self.export.fingerprint[:12]} · {self.protocol.registry_id}{synthetic}")

    @property
    def chart_cut(self) -> str:
        """Short data-cut line printed inside every chart (so exported images carry it)."""
        synthetic = " · synthetic data" if self.export.synthetic else ""
        return f"{self.protocol.registry_id} · data cut {self.as_of.isoformat()}{synthetic}"


# Loaded exports, the results of a data cut, the figures drawn from them and
# the Arrow tables sent for them: looked up by cheap keys and handed out as
# stored (read-only), see rfa_dash.memo. Bounded in entries and time.
_EXPORTS = Memo(max_entries=8, ttl=3600)
_RESULTS = Memo(max_entries=512, ttl=900)
_FIGURES = Memo(max_entries=256, ttl=900)
_TABLES = Memo(max_entries=512, ttl=900)


def _signature(folder: Path) -> tuple:
    """Cheap change detector for the cache key: names, sizes and modification times."""
    with os.scandir(folder) as entries:
        files = [(e.name, e.stat()) for e in entries if e.is_file()]
    return tuple(sorted((name, s.st_size, s.st_mtime_ns) for name, s in files))


def _load(folder: str, signature: tuple, protocol_path: str) -> Export:
    """The export of ``folder`` loaded once per content signature (shared by sessions)."""
    def make() -> Export:
        with st.spinner("Loading and validating the export…"):
            return open_export(Path(folder), load_protocol(protocol_path))

    return _EXPORTS.get((folder, signature, protocol_path), make)


def clear_caches() -> None:
    """Forget every cached result, figure and table (the loaded exports stay)."""
    for memo in (_RESULTS, _FIGURES, _TABLES):
        memo.clear()


def _qualname(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _name(fn, args: tuple) -> str:
    return f"{_qualname(fn)}:{args!r}"


def cached(fn, ctx: Context, *args, view=None):
    """Call ``fn(ctx.export, ctx.as_of, *args)`` through a bounded cache.

    The key holds the export fingerprint, the protocol file, the function, the
    as-of date, the extra arguments and the role, so a result computed for one
    role is never served to another. With ``view``, the result is ``view(<that result>,
    protocol)``, cached too: the display form of a result that is itself
    computed (and cached) once, however many views a page shows of it. The
    value returned is the cached object itself: read it, never modify it.
    """
    key = (ctx.export.fingerprint, ctx.protocol.source, _name(fn, args), ctx.as_of,
           ctx.role.name)
    if view is None:
        return _RESULTS.get(key, lambda: fn(ctx.export, ctx.as_of, *args))
    return _RESULTS.get(key + (_qualname(view),),
                        lambda: view(cached(fn, ctx, *args), ctx.protocol))


def cached_export(fn, ctx: Context, *args):
    """Call ``fn(ctx.export, *args)`` (a result that does not depend on the data cut)."""
    return _RESULTS.get((ctx.export.fingerprint, ctx.protocol.source, _name(fn, args), None,
                         ctx.role.name), lambda: fn(ctx.export, *args))


def cached_folder(fn, folder: Path, view=None):
    """``fn(folder)``, read again only when an entry of ``folder`` is added, removed or renamed.

    With ``view``, ``view(<that result>)``, cached with it. For listings such
    as the saved data cuts, which other sessions may change at any time.
    """
    try:
        signature = (folder.stat().st_mtime_ns, tuple(sorted(os.listdir(folder))))
    except OSError:  # not there (yet)
        signature = None
    key = (_name(fn, (str(folder),)), signature)
    if view is None:
        return _RESULTS.get(key, lambda: fn(folder))
    return _RESULTS.get(key + (_qualname(view),), lambda: view(cached_folder(fn, folder)))


class _BuiltFigure(go.Figure):
    """A cached figure whose dict is made once.

    ``st.plotly_chart`` turns a figure into a dict (a deep copy) on every
    rerun; a cached figure never changes, so its dict is computed when it is
    built, as plain JSON values. Nothing modifies that dict: Plotly's JSON
    writer only removes trace ``uid``s, which these figures do not set.
    """

    def freeze(self) -> _BuiltFigure:
        # JSON-native values (lists, not NumPy arrays): Plotly's JSON writer
        # then has nothing left to convert on each rerun.
        self._frozen_dict = json.loads(pio.to_json(super().to_dict(), validate=False))
        return self

    def to_dict(self) -> dict:
        frozen = getattr(self, "_frozen_dict", None)
        return frozen if frozen is not None else super().to_dict()


_BY_VALUE = (str, int, float, bool, type(None), dt.date, bytes)


def _arg_key(value, refs: list):
    """A cheap key for one argument of a chart builder.

    Plain values stand for themselves. Frames, and result objects holding
    frames, stand for their identity: they come from the result cache, so an
    unchanged page passes the very same objects again. ``refs`` collects weak
    references to them, kept with the entry: while they are alive no other
    object can have their identity, and an entry whose objects died is made
    again (see :func:`_alive`). Anything else (colour and label dicts, rebuilt
    each rerun) is keyed by its pickled bytes.
    """
    if isinstance(value, _BY_VALUE):
        return (type(value).__name__, value)  # True and 1 are equal keys otherwise
    if isinstance(value, tuple):
        return tuple(_arg_key(v, refs) for v in value)
    if isinstance(value, (pd.DataFrame, pd.Series)) or is_dataclass(value):
        refs.append(weakref.ref(value))
        return ("id", id(value))
    if isinstance(value, dict) and any(isinstance(v, (pd.DataFrame, pd.Series))
                                       for v in value.values()):
        return tuple((k, _arg_key(v, refs)) for k, v in value.items())
    return ("pickle", hashlib.sha256(pickle.dumps(value, protocol=5)).digest())


def _alive(entry) -> bool:
    return all(ref() is not None for ref in entry[1])


def _build_figure(builder, args: tuple, kwargs: dict, refs: list):
    fig = _BuiltFigure(builder(*args, **kwargs))
    # In the app the Streamlit theme styles every chart; Plotly's default
    # template (about 7 KB per chart) would only be copied and sent each rerun.
    fig.layout.template = None
    return fig.freeze(), refs


def chart(container, builder, *args, **kwargs) -> None:
    """Draw ``builder(*args, **kwargs)`` (a ``fig_<thing>``) in ``container``.

    Building a Plotly figure (validating every property) costs far more than
    sending it, so a figure is built once per distinct input and kept as an
    object: the key is the builder's name and every argument (frames by
    identity, see :func:`_arg_key`), so two sessions share a figure only when
    its inputs are the same. ``st.plotly_chart`` only reads the figure's dict
    (made once, see :class:`_BuiltFigure`); nothing modifies a cached figure.
    """
    refs: list = []
    key = (_qualname(builder), _arg_key(args, refs),
           _arg_key(tuple(sorted(kwargs.items())), refs))
    fig, _ = _FIGURES.get(key, lambda: _build_figure(builder, args, kwargs, refs),
                          valid=_alive)
    container.plotly_chart(fig, width="stretch")


def _save_uploads(files, user: str, role: str) -> Path:
    """Write uploaded files to a private temporary folder named by their content hash."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        h.update(f.name.encode())
        h.update(f.getvalue())
    folder = UPLOAD_ROOT / h.hexdigest()[:32]
    if not folder.exists():
        tmp = Path(tempfile.mkdtemp(prefix="rfa_upload_"))
        for f in files:
            (tmp / Path(f.name).name.lower()).write_bytes(f.getvalue())
        UPLOAD_ROOT.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            tmp.rename(folder)
            auth.audit("upload", user, role, detail=", ".join(sorted(f.name for f in files)))
        except OSError:  # another session saved the same files first
            pass
    return folder


def _choose_folder(demo: bool, user: str, role: str) -> tuple[Path | None, str]:
    if demo:
        # demo mode serves the bundled synthetic sample and nothing else
        return SAMPLE_DIR, "bundled sample"
    source = st.sidebar.radio("Export", SOURCES, key="source")
    if source == SOURCES[0]:
        return SAMPLE_DIR, "bundled sample"
    if source == SOURCES[1]:
        text = st.sidebar.text_input("Export folder", key="folder",
                                     help="A folder holding screening.csv, randomization.csv, …")
        if not text.strip():
            st.sidebar.info("Enter the path of an export folder.")
            return None, ""
        folder = Path(text.strip()).expanduser()
        root = os.environ.get("RFA_DASH_EXPORT_ROOT")
        if root and not folder.resolve().is_relative_to(Path(root).resolve()):
            st.sidebar.error(f"Only folders under {root} can be opened here.")
            return None, ""
        return folder, f"folder {folder.name}"
    files = st.sidebar.file_uploader(
        "Export files", accept_multiple_files=True,
        help="One file per table (screening.csv, randomization.csv, visits.csv, "
             "sre_events.csv, offstudy.csv, optional adverse_events.csv and manifest.json), "
             "or a REDCap project export: the records CSV, the data dictionary CSV and "
             "optionally a mapping TOML.", type=["csv", "parquet", "xlsx", "json", "toml"])
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
    return _save_uploads(files, user, role), "uploaded files"


def gate() -> None:
    """The page shown while there is nothing else to show: the sign-in form or a hint."""
    path = auth.users_path()
    if st.session_state.get("_gate") == "sign_in" and path is not None:
        _sign_in_form(path)
    elif st.session_state.get("_gate") == "export":
        st.title("rfa_dash")
        st.info("Choose an export in the sidebar.")


def _sign_in_form(path: Path) -> None:
    st.title("rfa_dash: sign in")
    with st.form("sign_in"):
        username = st.text_input("User name", key="signin_user")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        user = auth.authenticate(path, username.strip(), password)
        if user is None:
            auth.audit("sign_in_failed", username.strip(), "")
            time.sleep(1.5)  # slows down guessing
            st.error("Wrong user name or password.")
            return
        auth.audit("sign_in", user.username, user.role)
        st.session_state["user"] = user
        st.rerun()


def _identity(protocol: Protocol) -> tuple[auth.User | None, bool]:
    """The signed-in user and whether the app runs in demo mode (no users file)."""
    path = auth.users_path()
    if path is None:
        return auth.User("demo", "", ""), True
    signed_in = st.session_state.get("user")
    try:
        # read on every rerun: a removed account or a changed role ends the session
        auth.load_users(path)
        current = auth.account(path, signed_in.username) if signed_in else None
    except auth.AuthError as exc:
        st.error(str(exc))
        return None, False
    if signed_in is not None and current != signed_in:
        st.session_state.pop("user", None)
        auth.audit("signed_out", signed_in.username, signed_in.role,
                   detail="account removed or changed in the users file")
        st.warning("Your account was changed or removed; sign in again.")
    if os.environ.get(auth.AUTH_ENV) == "oidc":
        if not st.user.is_logged_in:
            st.title("rfa_dash")
            st.button("Sign in with your identity provider", on_click=st.login)
            return None, False
        user = auth.user_by_email(path, str(st.user.get("email", "")))
        if user is None:
            st.error("Your account has no role in this dashboard; ask the study team.")
            return None, False
        if st.session_state.get("user") != user:
            auth.audit("sign_in", user.username, user.role, detail="oidc")
            st.session_state["user"] = user
    user = st.session_state.get("user")
    if user is None:
        st.session_state["_gate"] = "sign_in"  # the router shows the form
        return None, False
    if user.role not in protocol.roles:
        st.error(f"The role {user.role!r} of {user.username} is not in the protocol file.")
        return None, False
    return user, False


def _sign_out() -> None:
    user = st.session_state.pop("user", None)
    if user:
        auth.audit("sign_out", user.username, user.role)
    if os.environ.get(auth.AUTH_ENV) == "oidc":
        st.logout()


def sidebar() -> Context | None:
    """Draw the shared sidebar; return the context, or None when nothing can be shown yet."""
    st.sidebar.title("rfa_dash")
    try:
        protocol = load_protocol()
    except ProtocolError as exc:
        st.error(f"Protocol settings cannot be read: {exc}")
        return None
    st.session_state["_gate"] = None
    user, demo = _identity(protocol)
    if user is None:
        return None
    if demo:
        st.sidebar.warning("DEMO MODE: no sign-in is configured, so only the bundled synthetic "
                           "sample is served and the role is chosen below.",
                           icon=":material/lock_open:")
    else:
        st.sidebar.caption(f"Signed in as **{user.username}** "
                           f"({protocol.roles[user.role].label})")
        st.sidebar.button("Sign out", on_click=_sign_out, key="sign_out")
    folder, label = _choose_folder(demo, user.username, user.role)
    if folder is None:
        st.session_state["_gate"] = "export"
        return None
    try:
        exp = _load(str(folder.resolve()) if folder.exists() else str(folder),
                    _signature(folder) if folder.is_dir() else (),
                    protocol.source)
    except ExportError as exc:
        st.sidebar.error(str(exc))
        return None
    as_of = st.sidebar.date_input(
        "As of (data cut)", value=exp.default_as_of, key=f"as_of_{exp.fingerprint[:16]}",
        help="Records dated after this day are treated as not yet existing. Default: the "
             "export's exported_at, else today.", format="YYYY-MM-DD")
    if demo:
        role_name = st.sidebar.selectbox(
            "Role", list(protocol.roles), key="role",
            format_func=lambda r: protocol.roles[r].label,
            help="Demo mode: no sign-in is configured, so the role is chosen here.")
    else:
        role_name = user.role
    ctx = Context(export=exp, as_of=as_of, role=protocol.roles[role_name], source_label=label,
                  user=user.username, demo=demo)
    st.sidebar.caption(ctx.cut)
    st.session_state["_ctx"] = ctx
    return ctx


def navigation(pages: dict[str, dict], allowed):
    """``st.navigation`` over the ``pages`` (``st.Page`` arguments) named in ``allowed``.

    The page objects are made once per session and list of pages (creating
    them resolves every file path, on every rerun otherwise). Only the pages
    of the role are registered: any other page's URL is not found.
    """
    names = tuple(name for name in pages if name in allowed)
    made = st.session_state.setdefault("_pages", {})
    if names not in made:
        made[names] = [st.Page(**pages[name]) for name in names]
    return st.navigation(made[names])


def context() -> Context:
    """The context the router computed for this run."""
    ctx = st.session_state.get("_ctx")
    if ctx is None:
        # A page URL opened on a fresh server, before any session ran the router:
        # Streamlit then runs the page file on its own. Hand over to the router,
        # which signs in, applies the role's navigation and picks the page.
        st.switch_page(ENTRYPOINT)
    return ctx


def header(title: str, ctx: Context) -> None:
    """Page title, the synthetic-data banner and the data cut."""
    st.title(title)
    if ctx.export.synthetic:
        st.warning("SYNTHETIC DATA: this export was generated by `rfa_dash synth`; "
                   "no real patient is shown.", icon=":material/science:")
    st.caption(ctx.cut)


def tabs(labels: list[str], key: str) -> list:
    """Tabs of which only the open one is drawn.

    Switching tabs reruns the page, and a tab's content is computed and sent
    only while ``tab.open`` (``if tab.open: with tab: ...``): a long page
    costs on each rerun what its summary and one tab cost, not all of it.
    """
    return st.tabs(labels, key=key, on_change="rerun")


def csv_download(df, label: str, file_name: str, key: str) -> None:
    """A download button for a table people act on (the CSV is made only when clicked)."""
    st.download_button(label, lambda: df.to_csv(index=False).encode("utf-8"),
                       file_name=file_name, mime="text/csv", key=key, on_click="ignore",
                       icon=":material/download:")


def page_number(n_items: int, page_size: int, key: str, label: str, container=st) -> int:
    """The page chosen for ``n_items`` shown ``page_size`` at a time (1 when one page does)."""
    pages = n_pages(n_items, page_size)
    if pages == 1:
        return 1
    return int(container.number_input(f"{label} (1-{pages})", min_value=1, max_value=pages,
                                      value=1, step=1, key=key))


def _arrow(df, start: int, stop: int):
    # Streamlit's own conversion (same bytes as st.dataframe makes of a frame),
    # done once per table page instead of on every rerun; keyed by the frame's
    # identity like a chart's frames (see _arg_key).
    return (dataframe_util.convert_pandas_df_to_arrow_table(df.iloc[start:stop]),
            [weakref.ref(df)])


def table(df, key: str, page_size: int = TABLE_PAGE_ROWS, height: int | None = None,
          container=st) -> None:
    """A table that pages when long: the browser never receives more than a page of rows.

    ``df`` is a cached result (see :func:`cached`); the Arrow table sent for
    each page of it is made once and kept with it.
    """
    n = len(df)
    page = page_number(n, page_size, f"{key}_page",
                       f"Page ({page_size:,} rows each; {n:,} rows in all)", container)
    start = (page - 1) * page_size
    arrow, _ = _TABLES.get((id(df), start, page_size),
                           lambda: _arrow(df, start, start + page_size), valid=_alive)
    container.dataframe(arrow, hide_index=True, width="stretch",
                        **({"height": height} if height else {}))

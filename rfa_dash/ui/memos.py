"""Bounded memos for what pages show: loaded exports, results, figures, table pages.

Pages call :func:`cached` for small result frames and :func:`chart` to draw a
figure; both look results up by cheap keys and hand out the stored object
(read-only), see :mod:`rfa_dash.memo`. Bounded in entries and time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import is_dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
import streamlit as st

from rfa_dash.charts import describe
from rfa_dash.memo import Memo
from rfa_dash.present.display import display_frame

if TYPE_CHECKING:
    from rfa_dash.protocol import Protocol
    from rfa_dash.ui.context import Context

# Loaded exports, the results of a data cut, the figures drawn from them and
# the Arrow tables sent for them: looked up by cheap keys and handed out as
# stored (read-only), see rfa_dash.memo. Bounded in entries and time.
LOG = logging.getLogger("rfa_dash.memos")
PLOT_CONFIG = {"displayModeBar": False}
_EXPORTS = Memo(max_entries=8, ttl=3600)
_RESULTS = Memo(max_entries=512, ttl=900)
_FIGURES = Memo(max_entries=256, ttl=900)
_TABLES = Memo(max_entries=512, ttl=900)


def loaded_export(key: Hashable, make: Callable[[], Any]) -> Any:
    """The export loaded under ``key`` (made by ``make()`` once, shared by sessions)."""
    return _EXPORTS.get(key, make)


def table_page(df: pd.DataFrame, start: int, size: int,
               make: Callable[[], tuple[Any, list[weakref.ref[Any]]]]) -> Any:
    """The Arrow page of rows ``start`` to ``start + size`` of the cached frame ``df``, made
    by ``make()`` (which returns it with weak references to the frames it came from) once
    and kept while they live."""
    return _TABLES.get((id(df), start, size), make, valid=_alive)[0]


def clear_caches() -> None:
    """Forget every cached result, figure and table (the loaded exports stay)."""
    for memo in (_RESULTS, _FIGURES, _TABLES):
        memo.clear()


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _name(fn: Callable[..., Any], args: tuple[Any, ...]) -> str:
    return f"{_qualname(fn)}:{args!r}"


def _key(fn: Callable[..., Any], ctx: Context, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return (ctx.export.fingerprint, ctx.protocol.source, _name(fn, args), ctx.as_of,
            ctx.role.name)


def cached(fn: Callable[..., Any], ctx: Context, *args: Any,
           view: Callable[[Any, Protocol], Any] | None = None) -> Any:
    """Call ``fn(ctx.export, ctx.as_of, *args)`` through a bounded cache.

    The key holds the export fingerprint, the protocol file, the function, the
    as-of date, the extra arguments and the role, so a result computed for one
    role is never served to another. With ``view``, the result is ``view(<that result>,
    protocol)``, cached too: the display form of a result that is itself
    computed (and cached) once, however many views a page shows of it. The
    value returned is the cached object itself: read it, never modify it.
    """
    key = _key(fn, ctx, args)
    if view is None:
        return _RESULTS.get(key, lambda: fn(ctx.export, ctx.as_of, *args))
    return _RESULTS.get(key + (_qualname(view),),
                        lambda: view(cached(fn, ctx, *args), ctx.protocol))


def prefetch(fn: Callable[..., Any], ctx: Context, *args: Any) -> None:
    """Start ``cached(fn, ctx, *args)`` in the background unless it is stored or being made:
    what a person is likely to ask for next (the report page's PDF) is then made while they
    read the page, and their click waits only for what is left (:class:`rfa_dash.memo.Memo`
    makes a key once: the click joins the computation under way). A failure here is
    logged and forgotten; the click then makes it again and says why it failed.
    """
    if _RESULTS.known(_key(fn, ctx, args)):
        return

    def run() -> None:
        try:
            cached(fn, ctx, *args)
        except Exception as exc:  # noqa: BLE001 - asked again, and told, on the click
            LOG.warning("made ahead and failed (made again when asked): %s: %s",
                        _qualname(fn), str(exc).splitlines()[0] if str(exc) else type(exc))

    # not a daemon: a process that exits while it runs waits for it (seconds, bounded by the
    # renderer's time) instead of killing DuckDB mid-query, which aborts the process
    threading.Thread(target=run, name="rfa_dash_prefetch", daemon=False).start()


def cached_export(fn: Callable[..., Any], ctx: Context, *args: Any) -> Any:
    """Call ``fn(ctx.export, *args)`` (a result that does not depend on the data cut)."""
    return _RESULTS.get((ctx.export.fingerprint, ctx.protocol.source, _name(fn, args), None,
                         ctx.role.name), lambda: fn(ctx.export, *args))


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
        # its text alternative, made once with it: a sentence and the data as a table
        # (Arrow, as st.dataframe sends it; every cell of a mixed column as text)
        self._summary = describe.summary(self._frozen_dict)
        shown, _ = display_frame(describe.table(self._frozen_dict))
        self._data_table = pa.Table.from_pandas(shown, preserve_index=False)
        return self

    def to_dict(self) -> dict[str, Any]:
        frozen: dict[str, Any] | None = getattr(self, "_frozen_dict", None)
        return frozen if frozen is not None else dict(super().to_dict())


def warm_figures() -> None:
    """Build and freeze one figure of the common trace types: Plotly builds its property
    validators and JSON writer on first use (a server's start-up calls this, see
    :mod:`rfa_dash.ui.warmup`, so no visitor waits for it)."""
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers"),
                     go.Bar(x=["a"], y=[1], text=["1"]), go.Heatmap(z=[[0, 1]])])
    fig.update_layout(title="warm", xaxis_title="x", yaxis_title="y", legend_orientation="h")
    _BuiltFigure(fig).freeze()


_BY_VALUE = (str, int, float, bool, type(None), dt.date, bytes)


def _arg_key(value: object, refs: list[weakref.ref[Any]]) -> Hashable:
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


def _alive(entry: tuple[Any, list[weakref.ref[Any]]]) -> bool:
    return all(ref() is not None for ref in entry[1])


def _build_figure(builder: Callable[..., go.Figure], args: tuple[Any, ...],
                  kwargs: dict[str, Any], refs: list[weakref.ref[Any]]
                  ) -> tuple[_BuiltFigure, list[weakref.ref[Any]]]:
    fig = _BuiltFigure(builder(*args, **kwargs))
    # In the app the Streamlit theme styles every chart; Plotly's default
    # template (about 7 KB per chart) would only be copied and sent each rerun.
    fig.layout.template = None
    return fig.freeze(), refs


def chart(container: Any, builder: Callable[..., go.Figure], *args: Any, **kwargs: Any
          ) -> None:
    """Draw ``builder(*args, **kwargs)`` (a ``fig_<thing>``) in ``container``.

    Building a Plotly figure (validating every property) costs far more than
    sending it, so a figure is built once per distinct input and kept as an
    object: the key is the builder's name and every argument (frames by
    identity, see :func:`_arg_key`), so two sessions share a figure only when
    its inputs are the same. ``st.plotly_chart`` only reads the figure's dict
    (made once, see :class:`_BuiltFigure`); nothing modifies a cached figure.
    """
    refs: list[weakref.ref[Any]] = []
    key = (_qualname(builder), _arg_key(args, refs),
           _arg_key(tuple(sorted(kwargs.items())), refs))
    fig, _ = _FIGURES.get(key, lambda: _build_figure(builder, args, kwargs, refs),
                          valid=_alive)
    # no Plotly toolbar: its 16 buttons stood in the keyboard's way before the content;
    # the chart's data is at hand as a table below it, with a sentence saying what it shows
    container.plotly_chart(fig, width="stretch", config=PLOT_CONFIG)
    with container.expander("The chart in words and as a table", icon=":material/table:"):
        st.caption(fig._summary)
        st.dataframe(fig._data_table, hide_index=True)

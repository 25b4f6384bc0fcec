"""The Streamlit layer: the only package that imports streamlit.

Pages use what is exported here: :func:`context` for the export, data cut and
role the sidebar chose, :func:`cached` for result frames, :func:`chart` for
figures, and the widgets (:func:`header`, :func:`tabs`, :func:`table`,
:func:`csv_download`, :func:`page_number`). The router (``app.py``) calls
:func:`sidebar`, :func:`gate` and :func:`navigation`.

Modules: ``context`` (the :class:`Context`), ``sidebar`` (sidebar and
navigation), ``signin`` (accounts and OIDC), ``outage`` (a store failure told
without naming the store), ``source`` (export folder and uploads), ``memos``
(bounded memos and figure freezing), ``widgets`` (page furniture),
``multipage`` (Streamlit's old multipage mode, handled once).
"""

from rfa_dash.ui.context import Context, context
from rfa_dash.ui.memos import cached, cached_export, chart, prefetch
from rfa_dash.ui.sidebar import navigation, sidebar
from rfa_dash.ui.signin import gate
from rfa_dash.ui.widgets import (
    TABLE_PAGE_ROWS,
    csv_download,
    header,
    open_participant,
    page_link,
    page_number,
    table,
    tabs,
)

__all__ = [
    "TABLE_PAGE_ROWS", "Context", "cached", "cached_export", "chart",
    "context", "csv_download", "gate", "header", "navigation", "open_participant", "page_link",
    "page_number", "prefetch",
    "sidebar", "table", "tabs",
]

"""One module per topic: what a page, the report or the CLI shows, for one role at one cut.

Each function takes the loaded export and the as-of date (and the role where
the result could reveal allocation or outcomes: it asks
:func:`rfa_dash.blinding.require` or :func:`rfa_dash.blinding.sees` first) and
returns small frames or a frozen dataclass. Queries come from
``rfa_dash/sql/results``; estimators from :mod:`rfa_dash.stats`.
"""

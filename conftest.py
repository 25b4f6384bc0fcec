"""The doctests of ``rfa_dash/`` (the Examples in its docstrings) see the bundled sample
export as ``exp`` and its data cut as ``as_of``."""

import pytest

collect_ignore = ["rfa_dash/__main__.py", "bench", "pages", "app.py",
                  "rfa_dash/state/migrations"]


@pytest.fixture(scope="session")
def _sample_export(tmp_path_factory):
    from rfa_dash.ingest.export import SAMPLE_DIR, open_export

    exp = open_export(SAMPLE_DIR, use_cache=False)
    yield exp
    exp.close()


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    if isinstance(request.node, pytest.DoctestItem):
        exp = request.getfixturevalue("_sample_export")
        doctest_namespace.update(exp=exp, as_of=exp.default_as_of)

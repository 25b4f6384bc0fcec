"""Validate raw tables against the contract and build the staging tables.

Pipeline:

1. Per table, in any order (tables run side by side, each on its own cursor):
   ``cand_<t>`` casts every column once to its contract type, and column
   checks report values that do not cast: in a required column the row is
   left out, elsewhere the value is treated as missing.
2. Per table, parents first (:data:`CHECK_LEVELS`; the tables of a level run
   side by side): relational checks (``sql/checks/<t>.sql``: duplicate and
   orphan IDs, dates before randomization, completed visits without a
   date, ...) read the parents' staging tables; the rows they leave out are
   deleted and ``cand_<t>`` becomes ``stg_<t>`` by a rename, not a copy.
   Every analytic query reads these staging tables only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from rfa_dash.contract import TABLES, Table, code_params, resolve_codes, typed_select
from rfa_dash.db import Connection, ident, sql_text
from rfa_dash.ingest.problems import Problem, quote

if TYPE_CHECKING:
    from rfa_dash.protocol import Protocol

# Parents before children: checks on a table read its parents' staging tables
# (randomization: screening; offstudy, adverse events, deviations: randomization;
# visits, SRE events: randomization and offstudy).
CHECK_LEVELS = (("screening",), ("randomization",), ("offstudy", "adverse_events", "deviations"),
                ("visits", "sre_events"))
VALIDATION_ORDER = tuple(t for level in CHECK_LEVELS for t in level)


# After its checks, a table's fix treats what they reported as missing (the
# rows stay): a treatment date before randomization schedules no visit.
FIXES = {"randomization": "checks/fix_randomization"}

def _column_checks(cur: Connection, table: Table, protocol: Protocol, present: set[str],
                   raw: pa.Table,
                   problems: list[Problem]) -> list[int]:
    """Report values that break their column's type; return the lines to leave out.

    A value breaks its type when the typed value is missing although the
    text is not blank (or, in a required column, when it is missing at all).
    Only which typed values are missing comes back from DuckDB; the text of
    those rows is looked up in the Arrow table ``raw``, whose row ``i`` is
    file line ``i + 2`` (see :func:`rfa_dash.ingest.loader.load_table`).
    """
    t = table.name
    if any(c.required and c.name not in present for c in table.columns) and present:
        return [line for (line,) in cur.execute(f"SELECT _line FROM cand_{t}").fetchall()]
    cols = [c for c in table.columns if c.name in present]
    if not cols:
        return []
    missing = cur.sql(f"SELECT _line, {', '.join(f'{ident(c.name)} IS NULL' for c in cols)} "
                      f"FROM cand_{t}").to_arrow_table()
    lines = missing.column(0)
    found = []
    for i, c in enumerate(cols):
        at = pc.filter(lines, missing.column(1 + i))
        if not len(at):
            continue
        values = raw.column(c.name).take(pc.subtract(at, 2))
        if not c.required:  # a blank optional value is simply missing
            blank = pc.fill_null(pc.equal(pc.utf8_trim(values, " "), ""), True)
            keep = pc.invert(blank)
            at, values = pc.filter(at, keep), pc.filter(values, keep)
        found += [(i, line, value) for line, value in zip(at.to_pylist(), values.to_pylist(),
                                                          strict=True)]
    rejected = set()
    for i, line, value in sorted(found):  # by column, then line
        c = cols[i]
        empty = value is None or str(value).strip() == ""
        if empty:
            msg = f"required value missing in {c.name}; row left out"
        else:
            action = "row left out" if c.required else "treated as missing"
            expect = c.expectation(resolve_codes(c, protocol))
            msg = f"{c.name} {quote(value)} is not {expect}; {action}"
        problems.append(Problem(t, line, c.name, "error", msg, None if empty else value))
        if c.required:
            rejected.add(line)
    return sorted(rejected)


def _leave_out(cur: Connection, t: str, lines: list[int]) -> None:
    if lines:
        cur.execute(f"DELETE FROM cand_{t} WHERE _line IN (SELECT unnest($lines))",
                    {"lines": lines})


def type_table(con: Connection, t: str, protocol: Protocol, present: set[str], raw: pa.Table
               ) -> list[Problem]:
    """Step 1 for table ``t`` (raw text as the Arrow table ``raw``); return its problems."""
    table = TABLES[t]
    problems: list[Problem] = []
    with con.cursor() as cur:  # a cursor per thread; the raw table is visible to it only
        cur.register(f"raw_{t}", raw)
        cur.execute(f"CREATE TABLE cand_{t} AS {typed_select(table, f'raw_{t}')}",
                    code_params(table, protocol))
        _leave_out(cur, t, _column_checks(cur, table, protocol, present, raw, problems))
        cur.unregister(f"raw_{t}")
    return problems


def check_table(con: Connection, t: str) -> list[Problem]:
    """Step 2 for table ``t`` (its parents already staged); return its problems."""
    problems: list[Problem] = []
    with con.cursor() as cur:
        found = cur.sql(sql_text(f"checks/{t}")).to_arrow_table().to_pylist()
        rejects = [row["line"] for row in found if row["reject"]]
        problems += [Problem(t, row["line"], row["column"], row["severity"], row["message"],
                             row["value"]) for row in found]
        _leave_out(cur, t, rejects)
        cur.execute(f"ALTER TABLE cand_{t} RENAME TO stg_{t}")
        if t in FIXES:
            cur.execute(sql_text(FIXES[t]))
    return problems


def validate(con: Future[Connection], protocol: Protocol,
             reads: dict[str, Callable[[], tuple[set[str], pa.Table]]], pool: Executor,
             on_staged: Callable[[str], None] | None = None) -> list[Problem]:
    """Read, type and check every table in ``pool``; return the problems found.

    ``con`` is the analysis database, still being set up in ``pool``;
    ``reads[t]()`` reads table ``t`` and returns ``(contract columns present,
    Arrow text table)``. Files are read one after another in
    :data:`VALIDATION_ORDER` (each read queues the next), and a table's typing
    is queued the moment both its read and the database are ready, so no
    worker ever waits: reads go on while the database is set up, and typing
    is never queued behind more than one read. Every read has ended when this
    returns (on an error, the pool's shutdown waits for the reads still
    queued). Problems come table by table in :data:`VALIDATION_ORDER` (column
    checks, then relational checks). ``on_staged(t)``, when given, is called
    as soon as ``stg_<t>`` exists.
    """
    read: dict[str, Future[tuple[set[str], pa.Table]]] = {t: Future() for t in VALIDATION_ORDER}
    typed: dict[str, Future[list[Problem]]] = {t: Future() for t in VALIDATION_ORDER}
    queued: set[str] = set()
    lock = threading.Lock()

    def settle(future: Future[Any], fn: Callable[..., Any], *args: Any) -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(exc)

    def type_when_ready(t: str) -> None:
        with lock:
            if t in queued or not (read[t].done() and con.done()):
                return
            queued.add(t)
        pool.submit(settle, typed[t], lambda: type_table(con.result(), t, protocol,
                                                         *read[t].result()))

    def read_job(i: int) -> None:
        t = VALIDATION_ORDER[i]
        settle(read[t], reads[t])
        if i + 1 < len(VALIDATION_ORDER):
            pool.submit(read_job, i + 1)
        type_when_ready(t)

    pool.submit(read_job, 0)
    def type_all_ready(_: object) -> None:
        for t in VALIDATION_ORDER:
            type_when_ready(t)

    con.add_done_callback(type_all_ready)
    checked = {}
    for first, *others in CHECK_LEVELS:
        for t in (first, *others):
            typed[t].result()  # its read has ended too
        # the first table of a level is checked on this thread: the chain of
        # levels never waits behind typing work queued in the pool
        futures = {t: pool.submit(check_table, con.result(), t) for t in others}
        checked[first] = check_table(con.result(), first)
        checked |= {t: f.result() for t, f in futures.items()}
        for t in (first, *others):
            if on_staged is not None:
                on_staged(t)
    return [p for t in VALIDATION_ORDER for p in typed[t].result() + checked[t]]

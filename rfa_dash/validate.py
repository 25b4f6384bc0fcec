"""Validate raw tables against the contract and build the staging tables.

Pipeline, per table in dependency order:

1. ``typed_<t>``: every column cast once to its contract type.
2. Column checks: a value that does not cast is reported; in a required
   column the row is left out, elsewhere the value is treated as missing.
3. Relational checks (``sql/checks_<t>.sql``): duplicate and orphan IDs,
   dates before randomization, completed visits without a date, ...
4. ``stg_<t>``: the typed table without the rows left out. Every analytic query
   reads these staging tables only.
"""

from __future__ import annotations

from rfa_dash.contract import TABLES, code_params, resolve_codes, typed_select
from rfa_dash.db import ident, sql_text
from rfa_dash.problems import Problem, quote

# Parents before children: checks on a table read its parents' staging tables.
VALIDATION_ORDER = ("screening", "randomization", "offstudy", "visits", "sre_events",
                    "adverse_events")


def _column_checks(con, table, protocol, present: set[str], problems: list[Problem]) -> bool:
    """Report values that break their column's type; record rows to leave out.

    Returns whether any row was recorded to leave out.
    """
    t = table.name
    if any(c.required and c.name not in present for c in table.columns) and present:
        con.execute(f"INSERT INTO rejected SELECT '{t}', _line FROM typed_{t}")
        return True
    cols = [c for c in table.columns if c.name in present]
    if not cols:
        return False
    # One pass per table: a flag per column (typed value missing although the
    # text is not empty, or a required value is empty), only flagged rows return.
    flags = [f"(y.{ident(c.name)} IS NULL AND (nullif(trim(r.{ident(c.name)}), '') IS NOT NULL"
             f"{' OR true' if c.required else ''}))" for c in cols]
    rows = con.execute(
        f"SELECT r._line, {', '.join(flags)}, {', '.join(f'r.{ident(c.name)}' for c in cols)} "
        f"FROM raw_{t} r JOIN typed_{t} y USING (_line) WHERE {' OR '.join(flags)}"
    ).fetchall()
    k = len(cols)
    found = sorted((i, row[0], row[1 + k + i]) for row in rows for i in range(k) if row[1 + i])
    rejected = set()
    for i, line, value in found:  # by column, then line
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
    if rejected:
        con.executemany("INSERT INTO rejected VALUES (?, ?)", [(t, n) for n in sorted(rejected)])
    return bool(rejected)


def _drop_rejected(con, t: str) -> None:
    con.execute(f"DELETE FROM typed_{t} WHERE _line IN "
                "(SELECT _line FROM rejected WHERE tbl = $t)", {"t": t})


def validate(con, protocol, present_columns: dict[str, set[str]]) -> list[Problem]:
    """Create typed and staging tables for every table; return the problems found."""
    problems: list[Problem] = []
    con.execute("CREATE OR REPLACE TABLE rejected (tbl VARCHAR, _line INTEGER)")
    for t in VALIDATION_ORDER:
        table = TABLES[t]
        con.execute(f"CREATE OR REPLACE TABLE typed_{t} AS {typed_select(table, f'raw_{t}')}",
                    code_params(table, protocol))
        if _column_checks(con, table, protocol, present_columns.get(t, set()), problems):
            # Rows left out are deleted from the typed table, which then becomes
            # the staging table: a rename, not a copy of every row.
            _drop_rejected(con, t)
        con.execute(f"CREATE OR REPLACE VIEW cand_{t} AS SELECT * FROM typed_{t}")
        rows = con.execute(sql_text(f"checks_{t}")).fetchall()
        rejects = []
        for line, column, value, severity, message, reject in rows:
            problems.append(Problem(t, line, column, severity, message, value))
            if reject:
                rejects.append((t, line))
        if rejects:
            con.executemany("INSERT INTO rejected VALUES (?, ?)", rejects)
        con.execute(f"DROP VIEW cand_{t}")
        if rejects:
            _drop_rejected(con, t)
        con.execute(f"ALTER TABLE typed_{t} RENAME TO stg_{t}")
        fix = f"fix_{t}"
        try:
            sql = sql_text(fix)
        except FileNotFoundError:
            sql = None
        if sql:
            con.execute(sql)
    return problems

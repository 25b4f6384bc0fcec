"""Command-line interface (spec section 3).

``python -m rfa_dash COMMAND [EXPORT_DIR] [--as-of YYYY-MM-DD] [--format table|csv|json]``

Exit status: 0 success, 1 the export has errors (``check``), 2 bad usage or an
unreadable export, with a one-line message on standard error and no traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from rfa_dash import queries
from rfa_dash.export import SAMPLE_DIR, ExportError, open_export
from rfa_dash.output import write_rows
from rfa_dash.protocol import ProtocolError


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(message)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m rfa_dash", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (("check", "list every problem found in the export"),
                        ("eligibility", "eligibility status of each screened patient"),
                        ("visits", "visit schedule and status per participant and month"),
                        ("overdue", "overdue visits, most overdue first"),
                        ("sre", "cumulative incidence of SRE by arm at the report months")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("export", nargs="?", type=Path, default=SAMPLE_DIR,
                       help="export folder (default: the bundled sample)")
        s.add_argument("--as-of", type=_date, default=None, help="data cut YYYY-MM-DD")
        s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s = sub.add_parser("synth", help="write a deterministic synthetic export")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--patients", type=int, required=True,
                   help="about how many participants to randomize")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--exported-at", type=_date, default=None,
                   help="data cut written to the manifest (default 2026-11-16)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "synth":
            return _synth(args)
        exp = open_export(args.export)
    except UsageError as exc:
        print(f"rfa_dash: {exc}", file=sys.stderr)
        return 2
    except (ExportError, ProtocolError) as exc:
        print(f"rfa_dash: {exc}", file=sys.stderr)
        return 2
    try:
        as_of = args.as_of or exp.default_as_of
        if args.command == "check":
            df = exp.problems[["table", "line", "column", "severity", "message"]]
            write_rows(df, args.format, sys.stdout)
            return 1 if exp.n_errors else 0
        df = queries.COMMANDS[args.command](exp, as_of)
        write_rows(df, args.format, sys.stdout)
        if exp.n_errors:
            print(f"rfa_dash: the export has {exp.n_errors} error(s); affected rows were left "
                  "out (run `check` for the list)", file=sys.stderr)
        return 0
    except BrokenPipeError:
        return 0
    finally:
        exp.close()


def _synth(args) -> int:
    from rfa_dash.synth import DEFAULT_EXPORTED_AT, synth

    if args.patients < 1:
        raise UsageError("--patients must be at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out is not a folder: {args.out}")
    synth(args.out, args.patients, args.seed,
          exported_at=args.exported_at or DEFAULT_EXPORTED_AT)
    return 0

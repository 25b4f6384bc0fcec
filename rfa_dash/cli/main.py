"""Command-line interface (spec section 3).

``python -m rfa_dash COMMAND [EXPORT_DIR] [--as-of YYYY-MM-DD] [--format table|csv|json]``

Exit status: 0 success, 1 the export has errors (``check``), 2 bad usage or an
unreadable export, with a one-line message on standard error and no traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

from rfa_dash.cli import commands as queries
from rfa_dash.cli.output import write_rows
from rfa_dash.contract import parse_date
from rfa_dash.ingest.export import SAMPLE_DIR, ExportError, open_export
from rfa_dash.protocol import REPORT_KEYS, ProtocolError


class Failure(Exception):
    """What stops a command: :func:`main` prints it as one line and exits 2."""


class UsageError(Failure):
    """The command's words are wrong."""


class _ShowVersion(Exception):
    """``--version`` was given: print what made this program, exit 0."""


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        raise _ShowVersion


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(message)


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m rfa_dash", description=__doc__.splitlines()[0])
    p.add_argument("--version", action=_VersionAction,
                   help="print the version, the source revision and the code's digest")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (("check", "list every problem found in the export"),
                        ("eligibility", "eligibility status of each screened patient"),
                        ("visits", "visit schedule and status per participant and month"),
                        ("overdue", "overdue visits, most overdue first"),
                        ("sre", "cumulative incidence of SRE by arm at the report months"),
                        ("progression", "pilot progression criteria with their traffic lights"),
                        ("sre-rate", "skeletal morbidity rate (SREs per participant-year) by arm"),
                        ("recurrent", "mean cumulative number of SREs per participant by arm"),
                        ("pain", "pain response by arm and visit month"),
                        ("safety-rule", "the safety stopping rule: its boundary and the "
                                        "monitored arm's path (k, max_events, events, date, "
                                        "status)"),
                        ("safety-oc", "the safety rule's operating characteristics at true "
                                      "rates 0.05-0.50, p0 and p1 (exact)"),
                        ("main-trial", "the main trial's size from the pilot's pooled data "
                                       "(scenarios estimate and lower)")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("export", nargs="?", type=Path, default=SAMPLE_DIR,
                       help="export folder (default: the bundled sample)")
        s.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="data cut (default: the export's exported_at, else today)")
        s.add_argument("--format", choices=("table", "csv", "json"), default="table",
                       help="a table for people, CSV or JSON for programs")
    s = sub.add_parser("save-cut", help="freeze the export as of a data cut in the state store "
                       "(a monthly timer's job; idempotent)")
    s.add_argument("export", nargs="?", type=Path, default=SAMPLE_DIR,
                   help="export folder (default: the bundled sample)")
    s.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="data cut (default: the export's exported_at, else today)")
    s = sub.add_parser("report", help="write the DSMB report: PDF, DOCX or one self-contained "
                                      "HTML file, by the suffix of --out")
    s.add_argument("export", nargs="?", type=Path, default=SAMPLE_DIR,
                   help="export folder (default: the bundled sample)")
    s.add_argument("--role", required=True, help="investigator (open report) or dsmb (closed)")
    s.add_argument("--out", type=Path, required=True, help="file to write: .pdf, .docx or .html")
    s.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="data cut (default: the export's exported_at, else today)")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--masked", dest="masked", action="store_const", const=True,
                      default=None, help="closed report with the arms as Group A, B, ...")
    mode.add_argument("--unmasked", dest="masked", action="store_const", const=False,
                      help="closed report naming the arms (overrides [report] closed)")
    s.add_argument("--groups", default=None,
                   help="the masked report's key: arm codes in group order, comma-separated "
                        "(first = Group A; default [report] groups)")
    s.add_argument("--key", choices=REPORT_KEYS, default=None,
                   help="print the key on a separate last page, or leave it out")
    s.add_argument("--since", default=None, metavar="CUT",
                   help="a saved data cut's name (see `cuts`): list what changed since it")
    s = sub.add_parser("notify", help="send the coordinators' digest and the alerts on new "
                                      "events by e-mail (for cron or a systemd timer)")
    s.add_argument("export", nargs="?", type=Path, default=SAMPLE_DIR,
                   help="export folder (default: the bundled sample)")
    s.add_argument("--config", type=Path, required=True,
                   help="notify configuration TOML (outside the export)")
    s.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="data cut (default: the export's exported_at, else today)")
    s.add_argument("--dry-run", action="store_true",
                   help="print the messages instead of sending them (nothing is recorded)")
    s = sub.add_parser("add-user", help="create or replace a local account in the state store")
    s.add_argument("username")
    s.add_argument("--role", required=True)
    s.add_argument("--email", default="", help="e-mail, for identity-provider sign-in")
    s.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input instead of prompting")
    s = sub.add_parser("remove-user", help="remove a local account from the state store")
    s.add_argument("username")
    sub.add_parser("verify-audit", help="check the audit trail's chain: exit 0 intact, "
                   "1 broken or empty, 2 no store there")
    sub.add_parser("cuts", help="list the saved data cuts (each checked against its digests)")
    s = sub.add_parser("export-cut", help="write a saved data cut out as an export folder")
    s.add_argument("cut", help="the cut's name (see `cuts`)")
    s.add_argument("--out", type=Path, required=True, help="the folder to write")
    s = sub.add_parser("backup-state", help="copy the state store while the app runs (SQLite; "
                       "use pg_dump for PostgreSQL)")
    s.add_argument("--out", type=Path, required=True, help="the backup file to write")
    s = sub.add_parser("import-redcap", help="convert a REDCap project export to a contract export")
    s.add_argument("redcap", type=Path, help="folder with the records CSV and data dictionary")
    s.add_argument("--out", type=Path, required=True, help="folder for the contract export")
    s.add_argument("--mapping", type=Path, default=None,
                   help="mapping TOML (default: the folder's, else the reference trial's)")
    s = sub.add_parser("redcap-mapping", help="draft a mapping TOML from a REDCap project's "
                       "dictionary and events (each line says why and how sure)")
    s.add_argument("redcap", type=Path, help="folder with the project's data dictionary CSV")
    s.add_argument("--out", type=Path, default=None,
                   help="file to write (default: standard output); never overwritten")
    s = sub.add_parser("fetch-redcap", help="export a REDCap project through its API into a folder")
    s.add_argument("--url", required=True, help="the API URL, https://<server>/api/")
    s.add_argument("--token-file", type=Path, required=True,
                   help="file holding the project's API token (never pass the token itself)")
    s.add_argument("--out", type=Path, required=True,
                   help="folder to write (records, dictionary, events, arms, manifest)")
    s = sub.add_parser("to-redcap", help="write a contract export as a REDCap project export")
    s.add_argument("export", type=Path)
    s.add_argument("--out", type=Path, required=True)
    sub.add_parser("serve", help="serve the dashboard: warm up, then `streamlit run app.py` "
                                 "with the options given (those of `streamlit run`)")
    s = sub.add_parser("synth", help="write a deterministic synthetic export")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--patients", type=int, required=True,
                   help="about how many participants to randomize")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--exported-at", type=_date, default=None,
                   help="data cut written to the manifest (default 2026-11-16)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status. Every failure is one line on standard error
    (``rfa_dash: ...``) and exit status 2, printed here alone."""
    from rfa_dash.state.errors import StoreError  # the store itself loads when used

    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["serve"]:   # Streamlit's own options follow: not parsed here
        from rfa_dash.cli.serve import serve

        return serve(words[1:])
    try:
        return _run(argv)
    except (Failure, StoreError, ExportError, ProtocolError) as exc:
        print(f"rfa_dash: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def _run(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _ShowVersion:
        from rfa_dash.version import stamp

        print(stamp().code_line())
        return 0
    if args.command in READ_STORE:
        _store_must_exist()
    if args.command in USE_STORE or (args.command == "report" and args.since):
        from rfa_dash.startup import import_earlier_files

        if args.command == "notify":
            _say_if_new_store()
        import_earlier_files()
    if args.command in OWN_FOLDERS:
        return OWN_FOLDERS[args.command](args)
    exp = open_export(args.export)
    try:
        as_of = args.as_of or exp.default_as_of
        if args.command == "report":
            return _report(exp, as_of, args)
        if args.command == "notify":
            return _notify(exp, as_of, args)
        if args.command == "save-cut":
            return _save_cut(exp, as_of)
        if args.command == "check":
            rows = exp.problem_table().select(["table", "line", "column", "severity",
                                               "message"])
            write_rows(rows, args.format, sys.stdout)
            return 1 if exp.n_errors else 0
        df = queries.COMMANDS[args.command](exp, as_of)
        write_rows(df, args.format, sys.stdout)
        if exp.n_errors:
            print(f"rfa_dash: the export has {exp.n_errors} error(s); affected rows were left "
                  "out (run `check` for the list)", file=sys.stderr)
        return 0
    finally:
        exp.close()


def _report(exp, as_of, args) -> int:
    from rfa_dash import files
    from rfa_dash.blinding import BlindingError
    from rfa_dash.report import RenderError, report_file
    from rfa_dash.state.cuts import CutDamaged
    from rfa_dash.state.errors import StoreError

    role = exp.protocol.roles.get(args.role)
    if role is None:
        raise Failure(f"unknown role {args.role!r}; one of {', '.join(exp.protocol.roles)}")
    out = args.out.expanduser().resolve()
    suffix = out.suffix.lower()
    fmt = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}.get(suffix)
    if fmt is None:
        raise Failure(f"--out must end in .pdf, .docx or .html, not {out.name!r}")
    if out.is_relative_to(exp.folder):
        raise Failure("the report may not be written into the export folder")
    groups = tuple(g.strip() for g in args.groups.split(",")) if args.groups else None
    try:
        data = report_file(exp, as_of, role, fmt, args.masked, args.since, groups, args.key)
    except (BlindingError, ProtocolError, RenderError, CutDamaged, StoreError) as exc:
        raise Failure(str(exc)) from None
    try:
        files.write_bytes(out, data)
    except files.WriteError as exc:
        raise Failure(str(exc)) from None
    return 0


def _add_user(args) -> int:
    from rfa_dash import auth
    from rfa_dash.protocol import load_protocol
    from rfa_dash.state import store

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the passwords differ")
    try:
        replaced = auth.add_user(args.username, password, args.role, args.email,
                                 roles=list(load_protocol().roles))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(f"rfa_dash: {args.username} ({args.role}) {'changed' if replaced else 'added'} in "
          f"{store.shown(store.url())}", file=sys.stderr)
    return 0


def _remove_user(args) -> int:
    from rfa_dash import auth
    from rfa_dash.state import store

    if not auth.remove_user(args.username):
        raise UsageError(f"no account {args.username!r} in {store.shown(store.url())}")
    print(f"rfa_dash: {args.username} removed; their sessions end at their next interaction",
          file=sys.stderr)
    return 0


def _save_cut(exp, as_of: dt.date) -> int:
    from rfa_dash.analysis import cuts
    from rfa_dash.state.errors import StoreError

    try:
        saved = cuts.save_cut(exp, as_of, user="cli", role="")
    except StoreError as exc:
        raise Failure(str(exc)) from None
    print(f"rfa_dash: {'saved' if saved.created else 'already saved'}: {saved.name}",
          file=sys.stderr)
    return 0


def _verify_audit(args) -> int:
    from rfa_dash.state import audit

    v = audit.verify()
    if not v.ok:
        print(f"rfa_dash: {v.problem} (the {v.checked} entries before it are intact)")
        return 1
    if v.checked == 0:   # never a quiet pass: a new store, or the wrong one
        print("rfa_dash: the store holds no audit trail (0 entries): nothing has been recorded "
              "in it; if the dashboard has been used, this is not its store (check "
              "RFA_DASH_STATE_URL)")
        return 1
    print(f"rfa_dash: the audit trail is intact: {v.checked} entries checked")
    return 0


def _cuts(args) -> int:
    from rfa_dash.state import cuts

    rows = cuts.listing()
    write_rows({c: [r[c] for r in rows] for c in cuts.COLUMNS}, "table", sys.stdout)
    return 0


def _export_cut(args) -> int:
    from rfa_dash import files
    from rfa_dash.state import cuts

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise UsageError(f"--out {args.out} exists: choose a new or empty folder")
    try:
        cuts.export(args.cut, args.out)
    except (cuts.CutDamaged, files.WriteError) as exc:
        raise Failure(str(exc)) from None
    print(f"rfa_dash: the cut {args.cut} written to {args.out}", file=sys.stderr)
    return 0


def _backup_state(args) -> int:
    from rfa_dash.state import backup

    try:
        n = backup.backup(args.out)
    except backup.BackupError as exc:
        raise Failure(str(exc)) from None
    print(f"rfa_dash: the state store copied to {args.out} ({n:,} bytes)", file=sys.stderr)
    return 0


def _redcap_mapping(args) -> int:
    from rfa_dash import files
    from rfa_dash.ingest.redcap.draft import draft
    from rfa_dash.ingest.redcap.mapping import RedcapError

    if not args.redcap.is_dir():
        raise UsageError(f"not a folder: {args.redcap}")
    try:
        text = draft(args.redcap)
    except RedcapError as exc:
        raise Failure(str(exc)) from None
    if args.out is None:
        sys.stdout.write(text)
        return 0
    if args.out.exists():
        raise UsageError(f"--out {args.out} exists: a draft never replaces a mapping")
    try:
        files.write_bytes(args.out, text.encode("utf-8"))
    except files.WriteError as exc:
        raise Failure(str(exc)) from None
    print(f"rfa_dash: draft mapping written to {args.out}: check every line, then run "
          f"check {args.redcap}", file=sys.stderr)
    return 0


# commands that open the state store: an earlier version's files are imported first
USE_STORE = {"add-user", "remove-user", "verify-audit", "cuts", "export-cut", "backup-state",
             "save-cut", "notify"}
# ...of which these only read it: a store that is not there is an error, never a new one
READ_STORE = {"verify-audit", "cuts", "export-cut", "backup-state"}


def _store_must_exist() -> None:
    from rfa_dash.state import store

    if not store.exists():
        raise Failure(f"there is no state store at {store.shown(store.url())}: nothing has "
                      "been recorded there (is RFA_DASH_STATE_URL, or the state folder, the "
                      "dashboard's?); it was not created")


def _say_if_new_store() -> None:
    """notify on a store that does not exist yet makes it (a first start), and says so: an
    empty ledger sends every alert due."""
    from rfa_dash.state import store

    if not store.exists():
        print(f"rfa_dash: no state store at {store.shown(store.url())} yet: a new one is made "
              "and every alert due counts as unsent (if the dashboard ran before, check "
              "RFA_DASH_STATE_URL)", file=sys.stderr)


def _fetch_redcap(args) -> int:
    from rfa_dash.ingest.redcap import api

    try:
        if args.out.exists() and not args.out.is_dir():
            raise api.FetchError(f"--out is not a folder: {args.out}")
        token = api.read_token(args.token_file)
        got = api.fetch(args.url, token, args.out)
    except api.FetchError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot write {args.out}: {exc.strerror or exc}") from None
    kind = "longitudinal" if got.longitudinal else "classic"
    print(f"rfa_dash: fetched {got.title or 'the project'} ({kind}, {got.records_bytes:,} bytes "
          f"of records) into {got.folder}; put its mapping TOML there and run: check "
          f"{got.folder}", file=sys.stderr)
    return 0


def _to_redcap(args) -> int:
    from rfa_dash.ingest.redcap.generate import to_redcap
    from rfa_dash.ingest.redcap.mapping import RedcapError

    if not args.export.is_dir():
        raise Failure(f"export folder not found: {args.export}")
    if args.out.resolve().is_relative_to(args.export.resolve()):
        raise UsageError("--out may not be the export folder or inside it: nothing is ever "
                         "written into an export")
    try:
        to_redcap(args.export, args.out)
    except RedcapError as exc:
        raise Failure(str(exc)) from None
    return 0


def _import_redcap(args) -> int:
    from rfa_dash import files
    from rfa_dash.ingest.redcap import importer

    if not args.redcap.is_dir():
        raise Failure(f"not a folder: {args.redcap}")
    if args.out.resolve().is_relative_to(args.redcap.resolve()):
        raise UsageError("--out may not be inside the REDCap folder")
    try:
        imported = importer.import_folder(args.redcap, args.mapping)
    except importer.RedcapError as exc:
        raise Failure(str(exc)) from None
    out = args.out
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise UsageError(f"--out {out} holds files that are not an export: choose a new or "
                         "empty folder (an earlier import there is replaced whole)")
    try:
        files.replace_folder(out, lambda tmp: importer.write_contract(imported, tmp))
    except files.WriteError as exc:
        raise Failure(str(exc)) from None
    # the written export checked as `check` checks it: the same problems, the same status
    converted = open_export(args.out, use_cache=False)
    try:
        df = importer.all_problems(imported.problems, converted.problems,
                                   imported.locations, imported.fields)
    finally:
        converted.close()
    if len(df):
        write_rows(df[["table", "line", "column", "severity", "message"]], "table", sys.stderr)
    return 1 if (df["severity"] == "error").any() else 0


def _synth(args) -> int:
    from rfa_dash.synth import DEFAULT_EXPORTED_AT, synth

    if args.patients < 1:
        raise UsageError("--patients must be at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out is not a folder: {args.out}")
    synth(args.out, args.patients, args.seed,
          exported_at=args.exported_at or DEFAULT_EXPORTED_AT)
    return 0


def _notify(exp, as_of: dt.date, args) -> int:
    """Exit 0 when every message went (or none was due), 3 when any could not be sent."""
    from rfa_dash.notify.config import ConfigError, load_config
    from rfa_dash.notify.run import notify
    from rfa_dash.notify.state import StateError

    try:
        cfg = load_config(args.config, exp.protocol, exp.folder)
        report = notify(exp, as_of, cfg, dry_run=args.dry_run)
    except (ConfigError, StateError) as exc:
        raise Failure(str(exc)) from None
    verb = "would send" if args.dry_run else "sent"
    for o in report.sent:
        print(f"{verb}: {o.kind} ({o.count}) to {o.recipient.email} ({o.recipient.role})",
              file=sys.stderr if args.dry_run else sys.stdout)
    if not report.sent and not report.failures:
        print("nothing to send", file=sys.stderr if args.dry_run else sys.stdout)
    for line in report.failures:
        print(f"rfa_dash: not sent: {line}", file=sys.stderr)
    return 3 if report.failures else 0


# commands that read no export: the store's, and those with folders of their own
OWN_FOLDERS = {"redcap-mapping": _redcap_mapping, "add-user": _add_user,
               "remove-user": _remove_user, "verify-audit": _verify_audit, "cuts": _cuts,
               "export-cut": _export_cut, "backup-state": _backup_state, "synth": _synth,
               "import-redcap": _import_redcap, "fetch-redcap": _fetch_redcap,
               "to-redcap": _to_redcap}

"""The command line's reference, written from its own parser: ``docs/cli.md`` is this
module's output (``python -m rfa_dash.cli.reference > docs/cli.md``), and
``tests/unit/test_docs.py`` fails when the two differ, so the reference cannot drift
from the commands.

Example
-------
>>> text = markdown()
>>> text.startswith("# Command-line reference") and "### `check`" in text
True
"""

from __future__ import annotations

import argparse

from rfa_dash.cli.main import _parser

PROG = "python -m rfa_dash"


def commands() -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each command's name, its one-line help and its parser, in the parser's order."""
    p = _parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    return {name: (helps.get(name, ""), parser) for name, parser in sub.choices.items()}


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]


def _shape(a: argparse.Action) -> str:
    """An argument as the usage line writes it: ``--as-of AS_OF``, ``[EXPORT]``."""
    if not a.option_strings:
        name = str(a.metavar or a.dest).upper()
        return f"[{name}]" if a.nargs == "?" else name
    flag = max(a.option_strings, key=len)
    if a.nargs == 0:
        return flag
    if a.choices:
        return f"{flag} {{{','.join(map(str, a.choices))}}}"
    return f"{flag} {a.metavar or a.dest.upper()}"


def usage(name: str, parser: argparse.ArgumentParser) -> str:
    parts = []
    for a in _arguments(parser):
        shape = _shape(a)
        parts.append(shape if (a.required or not a.option_strings) else f"[{shape}]")
    return " ".join([PROG, name, *parts])


def _default(a: argparse.Action) -> str:
    if a.required or a.nargs == 0 or a.default in (None, argparse.SUPPRESS):
        return ""
    d = a.default
    return f"`{d.name if hasattr(d, 'name') and not isinstance(d, str) else d}`"


def markdown() -> str:
    """The whole reference as Markdown."""
    out = ["# Command-line reference", "",
           "Written from the command line's own parser by `python -m rfa_dash.cli.reference`",
           "(a test fails when this page and the parser differ). Exit status: 0 success, 1",
           "the export has errors (`check`, `import-redcap`) or the audit trail is broken",
           "(`verify-audit`), 2 bad usage or an unreadable export, 3 a message that could",
           "not be sent (`notify`); every failure is one line on standard error.", "",
           f"`{PROG} --version` prints the version, the source revision and the code's",
           "digest.", ""]
    for name, (help_, parser) in commands().items():
        out += [f"### `{name}`", "", help_[:1].upper() + help_[1:] + ".", "", "```",
                usage(name, parser), "```", ""]
        args = _arguments(parser)
        if args:
            out += ["| argument | default | meaning |", "|---|---|---|"]
            for a in args:
                meaning = (a.help or "").replace("|", "\\|")
                out.append(f"| `{_shape(a)}` | {_default(a)} | {meaning} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")

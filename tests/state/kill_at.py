"""Run ``python -m rfa_dash ARGV``, killed (SIGKILL, no clean-up) at its Nth write step.

    python tests/state/kill_at.py N ARGV...

A write step is each statement that changes the store, each commit, and each
fsync, rename and link of a file: the moments a crash can fall between. The
process prints ``steps=<count>`` to standard error when it ends on its own
(N was past its last step).
"""

import os
import signal
import sys

STEPS = 0


def main() -> int:
    n = int(sys.argv[1])

    def step() -> None:
        global STEPS
        STEPS += 1
        if STEPS == n:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(name: str) -> None:
        orig = getattr(os, name)

        def wrapped(*args, **kwargs):
            step()
            return orig(*args, **kwargs)

        setattr(os, name, wrapped)

    for name in ("fsync", "replace", "rename", "link"):
        wrap(name)

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN")):
            step()

    @event.listens_for(Engine, "commit")
    def _commit(conn):
        step()

    from rfa_dash.cli import main as cli_main

    code = cli_main(sys.argv[2:])
    print(f"steps={STEPS}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

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

N = int(sys.argv[1])
STEPS = 0


def step() -> None:
    global STEPS
    STEPS += 1
    if STEPS == N:
        os.kill(os.getpid(), signal.SIGKILL)


def _wrap(name: str) -> None:
    orig = getattr(os, name)

    def wrapped(*args, **kwargs):
        step()
        return orig(*args, **kwargs)

    setattr(os, name, wrapped)


for _name in ("fsync", "replace", "rename", "link"):
    _wrap(_name)

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn, cursor, statement, parameters, context, executemany):
    if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN")):
        step()


@event.listens_for(Engine, "commit")
def _commit(conn):
    step()


from rfa_dash.cli import main  # noqa: E402

code = main(sys.argv[2:])
print(f"steps={STEPS}", file=sys.stderr)
sys.exit(code)

"""One notify run: build every recipient's messages, send them, remember what was sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from rfa_dash.ingest.export import Export
from rfa_dash.notify import messages
from rfa_dash.notify.config import NotifyConfig
from rfa_dash.notify.send import DeliveryError, connect, deliver
from rfa_dash.notify.state import CLAIM_TTL_S, Ledger, import_state_file
from rfa_dash.state.errors import StoreError


@dataclass
class Report:
    """What a run did: messages sent (or printed), and one line per failure."""

    sent: list[messages.Outgoing] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def build(exp: Export, as_of: dt.date, cfg: NotifyConfig, state: Ledger
          ) -> list[messages.Outgoing]:
    """Every message due in this run, recipient by recipient, in the config's order."""
    out: list[messages.Outgoing] = []
    for r in cfg.recipients:
        role = exp.protocol.roles[r.role]
        sent = state.keys(r.email)
        if "digest" in r.messages and f"digest:{as_of.isoformat()}" not in sent:
            d = messages.digest(exp, as_of, r, cfg)
            if d is not None:
                out.append(d)
        if "alerts" in r.messages:
            out.extend(messages.alerts(exp, as_of, r, cfg, role, sent))
    return out


def notify(exp: Export, as_of: dt.date, cfg: NotifyConfig, dry_run: bool = False,
           show: Callable[[str], None] = print) -> Report:
    """Send (or with ``dry_run`` print) every message due; record each one sent at once.

    A server that cannot be reached fails the run for everyone (one line); a
    refused recipient fails for that message only, the others still go. Each
    message is claimed in the ledger before it is sent and recorded (with its
    audit entry) when the server accepts it (:mod:`rfa_dash.notify.state`):
    a message another run has claimed is left to it.
    """
    import_state_file(cfg.state_file)
    state = Ledger()
    todo = build(exp, as_of, cfg, state)
    report = Report()
    if dry_run:
        for o in todo:
            show(o.message.as_string())
        report.sent = todo
        return report
    if not todo:
        return report
    try:
        conn = connect(cfg.smtp)
    except DeliveryError as exc:
        report.failures.append(str(exc))
        return report
    try:
        for o in todo:
            if not state.claim(o.recipient.email, o.keys):
                continue   # another run is sending it, or has sent it
            try:
                deliver(conn, o.message)
            except DeliveryError as exc:
                state.release(o.recipient.email, o.keys)
                report.failures.append(str(exc))
                continue
            except BaseException:
                state.release(o.recipient.email, o.keys)
                raise
            try:
                state.record(o.recipient.email, o.keys, exp.fingerprint, o.recipient.role,
                             detail=f"{o.kind}: {o.count}")
            except StoreError as exc:   # sent, and the store cannot say so: tell the operator
                raise StoreError(
                    f"{o.kind} ({o.count}) to {o.recipient.email} was sent but could not be "
                    f"recorded ({exc}); the run stops here. Its claim expires in "
                    f"{CLAIM_TTL_S // 60} minutes and a later run sends it once more (with the "
                    "same Message-ID)", exc.kind) from None
            report.sent.append(o)
    finally:
        try:
            conn.quit()
        except Exception:  # noqa: BLE001 - the session is over either way
            conn.close()
    return report

"""The messages: the coordinator's daily digest and the alerts on new events.

Every message is built for one recipient's role through the same analysis
functions as the pages, so blinding holds by construction: the digest reads
only the worklist and incomplete screenings (no arm, no outcome), alerts on
outcomes need a role that sees outcomes, and only a recipient configured
``by_arm`` (with a role that sees outcomes by arm) gets an arm. No participant
identifier beyond the study ID is ever written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import format_datetime

import pandas as pd

from rfa_dash.analysis import eligibility, quality, safety, sre, visits
from rfa_dash.analysis.deviations import deviations
from rfa_dash.analysis.safety_rule import safety_rule
from rfa_dash.blinding import Role, masks_ids, pseudonymize, sees
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.notify.config import NotifyConfig, Recipient
from rfa_dash.present import visits as present_visits
from rfa_dash.present.display import display_frame
from rfa_dash.present.labels import heading
from rfa_dash.version import stamp

DIGEST_HORIZON_DAYS = 7


@dataclass
class Outgoing:
    """One message for one recipient, and the records it reports (its state keys)."""

    recipient: Recipient
    kind: str                  # digest, death, serious_ae, sre, important_deviation, data_error
    count: int
    keys: list[str]
    message: EmailMessage = field(repr=False)


def _message(cfg: NotifyConfig, r: Recipient, subject: str, text: str, html_body: str,
             ident: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = cfg.sender
    m["To"] = r.email
    m["Subject"] = subject
    m["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    # the same alert always has the same Message-ID, so a repeat can be recognised
    m["Message-ID"] = f"<{hashlib.sha256(ident.encode()).hexdigest()[:32]}@rfa-dash>"
    m.set_content(text)
    m.add_alternative(html_body, subtype="html")
    return m


def _text_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "  (none)"
    df = display_frame(df)[0]   # the pages' rule: headings in words, "-" for missing
    cells = [[str(c) for c in df.columns]] + [["" if pd.isna(v) else str(v) for v in row]
                                             for row in df.itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return "\n".join("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p>(none)</p>"
    df = display_frame(df)[0]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>"
                                    for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table border='1' cellpadding='4' cellspacing='0'><tr>{head}</tr>{rows}</table>"


def _footer(exp: Export, as_of: dt.date, cfg: NotifyConfig, page: str) -> tuple[str, str]:
    cut = (f"Data cut {as_of.isoformat()}, export {exp.fingerprint[:12]}"
           + (" (SYNTHETIC DATA)" if exp.synthetic else ""))
    made = "Made by " + stamp(exp.fingerprint, exp.protocol.source).line()
    link = f"{cfg.base_url}/{page}" if cfg.base_url else ""
    text = cut + "\n" + made + (f"\nOpen the dashboard: {link}" if link else "")
    markup = (f"<p><small>{html.escape(cut)}<br>{html.escape(made)}</small></p>") + (
        f"<p><a href='{html.escape(link, quote=True)}'>Open the dashboard</a></p>" if link else "")
    return text, markup


def digest(exp: Export, as_of: dt.date, r: Recipient, cfg: NotifyConfig
           ) -> Outgoing | None:
    """The coordinator's daily digest, or None when there is nothing to act on.

    Overdue visits (most overdue first), visits due with the days left, windows
    opening within 7 days, incomplete screenings; the worklist as CSV and as
    an iCalendar file attached. Never an arm, an outcome or a safety figure.
    """
    trial = exp.protocol.registry_id
    work = visits.worklist(exp, as_of, DIGEST_HORIZON_DAYS)
    sections = present_visits.worklist_sections(work)
    inc = eligibility.incomplete(exp, as_of)[["screening_id", "screen_date", "unknown",
                                              "missing"]]
    inc = inc.rename(columns={"screening_id": "Screening", "screen_date": "Screened",
                              "unknown": "Criteria unknown", "missing": "Values missing"})
    n = {k: len(v) for k, v in sections.items()}
    if not any(n.values()) and inc.empty:
        return None
    missed = f", {n['record_missed']} to record as missed" if n["record_missed"] else ""
    subject = (f"[{trial}] Visits: {n['overdue']} overdue, {n['due']} due, {n['upcoming']} "
               f"opening{missed} ({as_of.isoformat()})")
    parts = [("Overdue visits, most overdue first", sections["overdue"]),
             ("Due now, with the days left in the window", sections["due"]),
             (f"Windows opening within {DIGEST_HORIZON_DAYS} days", sections["upcoming"]),
             ("To record as missed (the window closed; the participant has been seen since)",
              sections["record_missed"]),
             ("Incomplete screenings: values their criteria still need", with_dates(inc))]
    foot_text, foot_html = _footer(exp, as_of, cfg, "worklist")
    text = "\n\n".join(f"{title} ({len(df)}):\n{_text_table(df)}" for title, df in parts)
    text += ("\n\nAttached: the worklist (CSV) and its visit windows as a calendar (.ics)."
             f"\n\n{foot_text}\n")
    markup = "".join(f"<h3>{html.escape(title)} ({len(df)})</h3>{_html_table(df)}"
                     for title, df in parts)
    markup = (f"<html><body><h2>{html.escape(trial)}: visits for {as_of.isoformat()}</h2>"
              f"{markup}<p>Attached: the worklist (CSV) and its visit windows (.ics).</p>"
              f"{foot_html}</body></html>")
    m = _message(cfg, r, subject, text, markup, f"digest:{r.email}:{as_of}:{exp.fingerprint}")
    m.add_attachment(present_visits.worklist_csv(work), maintype="text", subtype="csv",
                     filename=f"worklist_{as_of.isoformat()}.csv")
    m.add_attachment(present_visits.worklist_ics(work, as_of, trial), maintype="text",
                     subtype="calendar", filename=f"visit_windows_{as_of.isoformat()}.ics")
    return Outgoing(r, "digest", sum(n.values()) + len(inc),
                    [f"digest:{as_of.isoformat()}"], m)


@dataclass(frozen=True)
class _Kind:
    what: str        # "serious adverse event", for the subject
    page: str        # the dashboard page to open
    outcome: bool    # needs a role that sees outcomes


KINDS = {
    "death": _Kind("death", "safety", True),
    "serious_ae": _Kind("serious adverse event", "safety", True),
    "sre": _Kind("skeletal-related event", "sre", True),
    "important_deviation": _Kind("important protocol deviation", "report", True),
    "safety_rule": _Kind("crossing of the safety stopping rule", "safety", True),
    "data_error": _Kind("data-quality error", "data_quality", False),
}




def _records(exp: Export, as_of: dt.date, role: Role, kind: str) -> tuple[pd.DataFrame, list[str]]:
    """The records of one alert kind ``role`` may see, and a stable key for each.

    The keys need the real participant IDs (a pseudonym changes with the rows around
    it), so the records come with them; :func:`alerts` masks them for a role whose
    pooled listings name no participant.
    """
    role = replace(role, listing_ids=True)
    if kind == "death":
        df = safety.safety(exp, as_of, role).deaths
        keys = [f"death:{p}" for p in df["participant_id"]]
    elif kind == "serious_ae":
        df = safety.serious_events(exp, as_of, role)
        keys = [f"serious_ae:{r.participant_id}:{r.onset_date}:{r.term}:{r.grade}"
                for r in df.itertuples()]
    elif kind == "sre":
        df = sre.event_listing(exp, as_of, role)
        keys = [f"sre:{r.participant_id}:{r.event_date}:{r.sre_type}" for r in df.itertuples()]
    elif kind == "important_deviation":
        df = deviations(exp, as_of, role).important
        keys = ["deviation:" + hashlib.sha256(
            f"{r.participant_id}|{r.deviation_date}|{r.category}|{r.description}".encode()
        ).hexdigest()[:24] for r in df.itertuples()]
    elif kind == "safety_rule":   # once, the first time it is crossed
        rule = safety_rule(exp, as_of, role)
        st = rule.status
        if st.status != "crossed":
            return pd.DataFrame(), []
        row: dict[str, object] = {"rule": f"safety stopping rule ({rule.arm_label})",
                                  "crossed_on": st.date}
        if rule.path is not None and st.k is not None:   # counts only by arm
            row |= {"evaluable_participants": st.k,
                    "events": rule.path["events"][st.k - 1]}
        row["action"] = "the protocol asks to pause enrolment and convene the DSMB"
        df, keys = pd.DataFrame([row]), ["safety_rule:crossed"]
    else:
        problems, _ = quality.role_problems(exp, role)
        # (for a role that may not read a participant's arm, problems in the arm column or
        # its field come without the value)
        df = problems[problems["severity"] == "error"][["table", "line", "column", "message"]]
        keys = ["data_error:" + hashlib.sha256(
            f"{r.table}|{r.column}|{r.message}".encode()).hexdigest()[:24]
            for r in df.itertuples()]
    return df.reset_index(drop=True), keys


def alerts(exp: Export, as_of: dt.date, r: Recipient, cfg: NotifyConfig, role: Role,
           sent: set[str]) -> list[Outgoing]:
    """One message per kind with records not yet sent to ``r`` (``sent``: their keys).

    A role that must not see outcomes gets data-quality errors only (those it
    may read); outcomes come pooled, or by arm for a ``by_arm`` recipient.
    """
    trial = exp.protocol.registry_id
    view = role if (r.by_arm and sees(role, "outcomes_by_arm")) else _pooled(role)
    out = []
    for kind, k in KINDS.items():
        if k.outcome and not sees(role, "outcomes"):
            continue
        df, keys = _records(exp, as_of, view, kind)
        new = [i for i, key in enumerate(keys) if key not in sent]
        if not new:
            continue
        rows = df.iloc[new].reset_index(drop=True)
        if k.outcome and masks_ids(view):   # as the role's pooled listings: no IDs
            rows = pseudonymize(rows)
        rows = rows.rename(columns={c: heading(c) for c in rows.columns})
        n = len(new)
        subject = f"[{trial}] {n} new {k.what}{'s' if n > 1 else ''}"
        by = " by arm" if "Arm" in rows.columns else ""
        foot_text, foot_html = _footer(exp, as_of, cfg, k.page)
        text = (f"{n} new {k.what}{'s' if n > 1 else ''} since the last message{by}:\n\n"
                f"{_text_table(rows)}\n\n{foot_text}\n")
        markup = (f"<html><body><h2>{html.escape(subject)}</h2>{_html_table(rows)}"
                  f"{foot_html}</body></html>")
        ident = f"{kind}:{r.email}:" + ",".join(keys[i] for i in new)
        out.append(Outgoing(r, kind, n, [keys[i] for i in new],
                            _message(cfg, r, subject, text, markup, ident)))
    return out


def _pooled(role: Role) -> Role:
    """``role`` as it sees outcomes pooled (a recipient not configured by arm)."""
    return replace(role, outcomes_by_arm=False)

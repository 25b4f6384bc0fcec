"""Visits as people act on them: the adherence table, the worklist's sections, its CSV and
its iCalendar file."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rfa_dash.analysis.visits import STATUS_LABELS, STATUS_ORDER
from rfa_dash.frames import with_dates
from rfa_dash.present.spreadsheet import spreadsheet_csv


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets as RFC 5545 requires."""
    out, cur = [], ""
    for ch in line:
        if len((cur + ch).encode("utf-8")) > 75:
            out.append(cur)
            cur = " " + ch
        else:
            cur += ch
    out.append(cur)
    return "\r\n".join(out)


def worklist_ics(work: pd.DataFrame, as_of: dt.date, trial: str) -> bytes:
    """An iCalendar file of upcoming window openings and closings.

    One all-day event for each window that opens or closes on or after
    ``as_of``: due visits get their closing day, upcoming ones their opening
    and closing days. Overdue windows have already closed and are left out.
    UIDs are stable, so importing a newer file updates the same events.
    """
    stamp = dt.datetime.combine(as_of, dt.time()).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//rfa_dash//visit windows//EN",
             "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{_ics_text(trial + ' visit windows')}"]
    for r in work.itertuples(index=False):
        events = []
        if r.action == "upcoming":
            events.append(("open", r.window_open, "opens"))
        if r.action in ("upcoming", "due"):
            events.append(("close", r.window_close, "closes"))
        for kind, day, verb in events:
            day = pd.Timestamp(day).date()
            if day < as_of:
                continue
            summary = f"{trial}: participant {r.participant_id} month {r.visit_month} window {verb}"
            desc = (f"Target {pd.Timestamp(r.target_date).date()}, window "
                    f"{pd.Timestamp(r.window_open).date()} to {pd.Timestamp(r.window_close).date()}"
                    " (inclusive).")
            lines += [
                "BEGIN:VEVENT",
                f"UID:{_ics_text(f'{trial}-{r.participant_id}-m{r.visit_month}-{kind}')}@rfa-dash",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{_ics_text(summary)}",
                f"DESCRIPTION:{_ics_text(desc)}",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(x) for x in lines) + "\r\n").encode("utf-8")


def adherence_table(adh: pd.DataFrame) -> pd.DataFrame:
    """The adherence frame as people read it: rates with their numerators and denominators."""
    def pct(n, d):
        return "-" if not d else f"{n / d:.0%} ({n}/{d})"

    return pd.DataFrame({
        "Visit": [f"Month {m}" for m in adh["visit_month"]],
        "Adherence": [pct(n, d) for n, d in zip(adh["done"], adh["expected"], strict=True)],
        "In window": [pct(n, d) for n, d in zip(adh["completed"], adh["expected"],
                                                 strict=True)],
        **{STATUS_LABELS[s]: adh[s] for s in STATUS_ORDER},
    })


WORKLIST_COLUMNS = {
    "overdue": {"participant_id": "Participant", "visit_month": "Visit month",
                "window_close": "Window closed", "days_overdue": "Days overdue",
                "last_visit_date": "Last visit"},
    "due": {"participant_id": "Participant", "visit_month": "Visit month",
            "target_date": "Target", "window_close": "Window closes",
            "days_until_close": "Days left", "last_visit_date": "Last visit"},
    "upcoming": {"participant_id": "Participant", "visit_month": "Visit month",
                 "window_open": "Window opens", "window_close": "Window closes",
                 "days_until_open": "Opens in (days)", "last_visit_date": "Last visit"},
    # overdue, but the participant has been seen at a later visit since: record as missed
    "record_missed": {"participant_id": "Participant", "visit_month": "Visit month",
                      "window_close": "Window closed", "last_visit_date": "Seen since"},
}


def worklist_sections(work: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The worklist split into overdue, due now, opening soon and to record as missed
    (overdue visits of participants seen at a later visit since), with readable columns.

    "Last visit" is text: the date, or "none yet" for a participant with no
    completed visit (a table would show an empty date as a grey "None").
    """
    out = {}
    for action, cols in WORKLIST_COLUMNS.items():
        part = with_dates(work.loc[work["action"] == action, list(cols)].rename(columns=cols))
        seen = "Seen since" if "Seen since" in part else "Last visit"
        part[seen] = [d.isoformat() if pd.notna(d) else "none yet" for d in part[seen]]
        out[action] = part.reset_index(drop=True)
    return out


def worklist_csv(work: pd.DataFrame) -> bytes:
    """The whole worklist as CSV for a spreadsheet (dates YYYY-MM-DD, no arm, formulas
    neutralized)."""
    return spreadsheet_csv(with_dates(work))


def adherence_view(adh: pd.DataFrame, protocol=None) -> pd.DataFrame:
    """:func:`adherence_table` as a view for ``ui.cached``."""
    return adherence_table(adh)


def adherence_by_measure_view(adh: pd.DataFrame, protocol=None) -> pd.DataFrame:
    """:func:`adherence_table` turned on its side for the page: a row per measure and status,
    a column per visit month. Eleven status columns did not fit a screen (the last ones
    were cut off); five or six months do. Every cell is text (rates and counts share a
    column)."""
    t = adherence_table(adh).set_index("Visit").T
    return t.astype(str).rename_axis(None, axis=1).reset_index(names="Measure")


def worklist_view(work: pd.DataFrame, protocol=None) -> dict[str, pd.DataFrame]:
    """:func:`worklist_sections` as a view for ``ui.cached``."""
    return worklist_sections(work)

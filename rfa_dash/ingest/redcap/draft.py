"""A draft mapping from a REDCap project's own metadata (``redcap-mapping``).

For each contract table and column it proposes the likeliest event, form and
field, judged by the field's name, its label, its type and validation, and
its choices, and says on the line why and how sure it is. What it could not
place is listed at the end. The draft is a start, never a finished mapping:
a person checks every line against the project (docs/redcap.md).

How a field is scored for a column (highest wins, ties to the earlier field):

- its name matches the column's name pattern: +3; its label matches the
  column's label pattern: +2;
- its type fits the column's kind (a date validation for a date, integer or
  number for a count or measurement, a coded field for a code, yes/no for a
  flag): +2; it clearly does not (a text field for a date): -3;
- for the tables with a row per visit or event (visits, SREs, adverse
  events, deviations), a field on a form not named as one: -4.

A score of 4 places the field: 7 or more is "sure", 5 or 6 "likely", 4 "a
guess". The record ID (the dictionary's first field) is the screening and
participant ID; a project with two or more arms gives the arm by its arm;
visit months come from the events' names (a number in the name: "Visit 2",
"Month 3"; the n-th visit is the protocol's n-th visit month).

Example
-------
>>> from pathlib import Path
>>> folder = Path("tests/data/redcap/longitudinal")
>>> text = draft(folder)
>>> "screen_date = \\"date_enrolled\\"" in text
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.ingest.redcap.draft_words import CODE_WORDS, COLUMN_WORDS, TABLE_WORDS
from rfa_dash.ingest.redcap.mapping import RedcapError
from rfa_dash.ingest.redcap.odm import odm_files
from rfa_dash.ingest.redcap.project import (
    COMPLETE_CHOICES,
    IMPLICIT_CHOICES,
    DictField,
    Event,
    _header,
    _read_events,
    _records_file,
    classify,
    read_dictionary,
)
from rfa_dash.protocol import Protocol, load_protocol

REPEATED = ("visits", "sre_events", "adverse_events", "deviations")   # a row per event
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
STRENGTH = ((7, "sure"), (5, "likely"), (4, "a guess"))


@dataclass
class Placed:
    """One line of the draft: the TOML value, and why."""

    value: str
    why: str
    form: str = ""   # the instrument of the field it reads, if one


@dataclass
class TableDraft:
    event: str | None = None
    event_why: str = ""
    required_field: str | None = None
    fields: dict[str, Placed] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    row_events: list[str] = field(default_factory=list)   # events giving rows by name
    repeat_instrument: str | None = None
    repeat_why: str = ""
    notes: list[str] = field(default_factory=list)   # fields found but not placed, and why


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kind_fit(kind: str, f: DictField) -> int:
    v, t = f.validation, f.ftype
    if kind in ("date", "partial_date"):
        return 2 if v.startswith("date") else -3
    if kind in ("int", "num"):
        return 2 if v in ("integer", "number") or v.startswith("number") or t == "calc" \
            else (-3 if v.startswith("date") or t in ("radio", "checkbox", "yesno") else 0)
    if kind == "bool":
        return 2 if t in ("yesno", "truefalse") or (t in ("radio", "dropdown")
                                                    and len(f.choices) == 2) else -3
    if kind == "code":
        return 2 if t in ("radio", "dropdown") else (-3 if v.startswith("date") else 0)
    if kind in ("text", "id"):
        return 1 if t in ("text", "notes") and not v.startswith("date") else -3
    return 0


Pattern = str | tuple[str, ...]
LABEL_CHARS = 1000   # of a label's text (its markup dropped) that the draft reads


def _generic(column: str) -> tuple[Pattern, Pattern]:
    """A column's own words, all of them as whole words, in the name or in the label
    (a set look-up: a pattern of look-aheads took minutes on a long rich-text label)."""
    words = tuple(w for w in column.split("_") if len(w) > 2) or (column,)
    return words, words


def _hit(pattern: Pattern, text: str) -> bool:
    if isinstance(pattern, tuple):
        return set(pattern) <= set(re.findall(r"[a-z0-9]+", text))
    return re.search(pattern, text) is not None


def _label(f: DictField) -> str:
    """The label as the draft reads it: without its HTML, its first characters."""
    return re.sub(r"<[^>]{0,500}>", " ", f.label[:10 * LABEL_CHARS])[:LABEL_CHARS].lower()


def _score(table: str, column: str, kind: str, f: DictField) -> tuple[int, str]:
    name_pat, label_pat = COLUMN_WORDS.get((table, column)) or _generic(column)
    s, why = 0, list[str]()
    if _hit(name_pat, f.name.lower()):
        s, why = s + 3, why + ["its name"]
    label = _label(f)
    if _hit(label_pat, label):
        s, why = s + 2, why + [f"its label {label.strip()[:40]!r}"]
    fit = _kind_fit(kind, f)
    if s and fit > 0:
        kind = f.validation or f.ftype
        why.append(f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} field")
    if s and table in REPEATED:
        # a visit's, an SRE's, an AE's value is on that kind of form, never elsewhere
        if re.search(TABLE_WORDS[table], f.form.lower()):
            why.append(f"on form {f.form}")
        else:
            fit -= 4
    return (s + fit if s else 0), " and ".join(why)


def _strength(score: int) -> str:
    return next(word for floor, word in STRENGTH if score >= floor)


def _values(table: str, column: str, f: DictField, codes: tuple[str, ...],
            protocol: Protocol) -> tuple[dict[str, str], list[str]]:
    """Contract code per REDCap code, and the choices it could not place."""
    choices = f.choices or IMPLICIT_CHOICES.get(f.ftype, {})
    if column == "arm":
        arms = [a.code for a in protocol.arms]
        return {c: arms[i] for i, c in enumerate(choices) if i < len(arms)}, \
            [lab for i, lab in enumerate(choices.values()) if i >= len(arms)]
    words = CODE_WORDS.get((table, column), {})
    out, left = {}, []
    for code, label in choices.items():
        hit = next((k for k, pat in words.items() if re.search(pat, label.lower())), None)
        if hit is None and code in codes:
            hit = code
        if hit is None and table == "offstudy" and "withdr" in f.name.lower():
            hit = "withdrawal"      # reasons of a withdrawal field are withdrawals
        if hit is None:
            left.append(label)
        else:
            out[code] = hit
    return out, left


def _field_line(table: str, column: str, f: DictField, score: int, why: str,
                protocol: Protocol) -> Placed:
    spec = TABLES[table].column(column)
    codes = tuple(c for c in (spec.codes or ()) if not c.startswith("protocol:"))
    note = f"{why} ({_strength(score)})"
    if spec.kind == "code" and (f.choices or f.ftype in IMPLICIT_CHOICES):
        values, left = _values(table, column, f, codes, protocol)
        inner = ", ".join(f"{_q(k)} = {_q(v)}" for k, v in values.items())
        if left:
            note += "; choices to place by hand: " + ", ".join(repr(x[:40]) for x in left)
        if not values:   # an empty values table does not load: the codes as they are
            return Placed(_q(f.name), note + "; its codes are read as they are: give them "
                          "a values = { ... } table", f.form)
        return Placed(f"{{ field = {_q(f.name)}, values = {{ {inner} }} }}", note, f.form)
    if f.ftype == "checkbox" and spec.kind == "text":
        return Placed(f"{{ checkbox = {_q(f.name)} }}", note, f.form)
    return Placed(_q(f.name), note, f.form)


def _strip_arm(unique: str) -> str:
    return re.sub(r"_arm_\d+$", "", unique)


def _visit_number(e: Event) -> int | None:
    text = f"{e.label} {_strip_arm(e.unique)}".lower()
    if not re.search(TABLE_WORDS["visits"], text):
        return None
    m = re.search(r"(\d+)", text)
    if m:
        return int(m.group(1))
    return next((n for w, n in ORDINALS.items() if w in text), None)


@dataclass
class _Project:
    dictionary: dict[str, DictField]
    events: list[Event]
    form_events: dict[str, list[str]]     # form -> unique event names
    # the project's repeat settings: event ("" classic, "*" any) -> repeating instruments,
    # and the repeating events (unique names)
    repeats: dict[str, set[str]] = field(default_factory=dict)
    repeating_events: set[str] = field(default_factory=set)


def _read(folder: Path) -> _Project:
    import csv

    from rfa_dash.ingest.redcap import odm, odm_data

    kinds = classify(folder)
    repeats: dict[str, set[str]] = {}
    repeating_events: set[str] = set()
    if not kinds["dictionary"]:
        found = odm.odm_files(folder)
        if not found:
            raise RedcapError(f"{folder}: neither a data dictionary CSV (first column "
                              "\"Variable / Field Name\" or field_name) nor a CDISC ODM XML "
                              "file: export the project's dictionary, or its ODM XML")
        conv = odm.convert(*found)   # REDCap's XML, OpenClinica's ODM
        kinds = classify(conv.folder)
        repeats, repeating_events = conv.repeats, conv.repeating_events
    elif (settings := odm_data.repeating_csv(folder)) is not None:
        rep = odm_data.read_repeating(settings)   # REDCap's own repeat settings
        repeats, repeating_events = rep.forms, rep.events
    dictionary = read_dictionary(kinds["dictionary"][0])
    try:
        records = _records_file(kinds["other"], dictionary, next(iter(dictionary)))
    except RedcapError:   # two records files: the import says so; the draft goes on
        records = None
    if records is not None:   # and what the records show (a CSV export's)
        _repeats_in_records(records, repeats, repeating_events)
    events = (_read_events(kinds["events"][0], kinds["arms"][0] if kinds["arms"] else None)
              if kinds["events"] else [])
    form_events: dict[str, list[str]] = {}
    if kinds["form_events"]:
        with kinds["form_events"][0].open(newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                form_events.setdefault(r.get("form", ""), []).append(
                    r.get("unique_event_name", ""))
    return _Project(dictionary, events, form_events, repeats, repeating_events)


def _repeats_in_records(path: Path, repeats: dict[str, set[str]], events: set[str]) -> None:
    """Add the repeats a records CSV shows: an instrument named in
    ``redcap_repeat_instrument`` repeats in that row's event; a row with an instance and no
    instrument is a repeating event's. Only the three columns are read (a labels export,
    whose header has none of them, shows nothing here)."""
    import pyarrow.csv as pacsv

    want = ["redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    header = set(_header(path))
    cols = [c for c in want if c in header]
    if "redcap_repeat_instrument" not in cols:
        return
    try:
        t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            include_columns=cols, column_types={c: "string" for c in cols},
            strings_can_be_null=False))
    except (OSError, UnicodeDecodeError, ValueError):
        return   # a draft is best effort; the import reports an unreadable file
    for row in t.group_by(cols).aggregate([]).to_pylist():
        ev = row.get("redcap_event_name") or ""
        if row["redcap_repeat_instrument"]:
            repeats.setdefault(ev, set()).add(row["redcap_repeat_instrument"])
        elif row.get("redcap_repeat_instance") and ev:
            events.add(ev)


def _repeat_setting(d: TableDraft, p: _Project) -> None:
    """``repeat_instrument`` for a table with a row per event (SREs, adverse events,
    deviations), from the project's repeat settings: the instrument of its fields where it
    repeats in the table's event, or "" where the event itself repeats."""
    forms = [pl.form for pl in d.fields.values() if pl.form]
    if not forms:
        return
    form = forms[0]
    where = [k for k in p.repeats if k in ("", "*") or _strip_arm(k) == d.event]
    if any(form in p.repeats[k] for k in where):
        d.repeat_instrument = form
        d.repeat_why = (f"the project repeats instrument {form}"
                        + (f" in event {d.event}" if d.event else "") + " (sure)")
    elif d.event and any(_strip_arm(e) == d.event for e in p.repeating_events):
        d.repeat_instrument = ""
        d.repeat_why = (f"event {d.event} repeats: a row per repeat of the event, not an "
                        "instrument's (sure)")


def _in_event(d: TableDraft, table: str, p: _Project) -> None:
    """Leave out a field whose instrument the table's event does not have (it would read an
    empty column), with a note saying where it is."""
    if not d.event or not p.form_events:
        return
    here = {f for f, evs in p.form_events.items() if any(_strip_arm(e) == d.event for e in evs)}
    for col, pl in list(d.fields.items()):
        if pl.form and pl.form not in here:
            del d.fields[col]
            evs = sorted({_strip_arm(e) for e in p.form_events.get(pl.form, [])})
            d.notes.append(f"{table}.{col}: {pl.value} is on instrument {pl.form}, which event "
                           f"{d.event} does not have (it is in {', '.join(evs) or 'no event'})")


def _table_event(table: str, forms: list[str], p: _Project) -> tuple[str | None, str]:
    """The event (without its arm) a table's rows come from, and why."""
    if not p.events:
        return None, ""
    for form in forms:
        evs = p.form_events.get(form)
        if evs:
            if table in REPEATED:   # a row per event: where the form or its event repeats
                rep = [e for e in evs if e in p.repeating_events
                       or form in p.repeats.get(e, set()) | p.repeats.get("*", set())]
                if rep and rep[0] != evs[0]:
                    return _strip_arm(rep[0]), (f"the event where form {form} repeats, of "
                                                f"{len(set(map(_strip_arm, evs)))} that have "
                                                "it (likely)")
            return _strip_arm(evs[0]), (f"the event of form {form} in the instrument-event "
                                        "mapping (sure)")
    pat = TABLE_WORDS[table]
    for e in p.events:
        if re.search(pat, e.label.lower()) or re.search(pat, _strip_arm(e.unique)):
            return _strip_arm(e.unique), f"the event {e.label!r} by its name (likely)"
    return None, ""


def _visits(d: TableDraft, p: _Project, protocol: Protocol) -> None:
    months = list(protocol.visit_months)
    by_event: dict[str, int] = {}
    for e in p.events:
        n = _visit_number(e)
        if n is None:
            continue
        text = f"{e.label} {e.unique}".lower()
        # "Month 3" is month 3; "Visit 2" is the protocol's second visit month
        month = n if "month" in text and n in months else (
            months[n - 1] if 0 < n <= len(months) else None)
        if month is not None:
            by_event.setdefault(_strip_arm(e.unique), month)
    if by_event:
        d.row_events = list(by_event)
        inner = ", ".join(f"{_q(k)} = {v}" for k, v in by_event.items())
        d.fields["visit_month"] = Placed(
            f"{{ from_event = {{ {inner} }} }}",
            "the events named as visits; their number is the protocol's n-th visit month "
            "(likely: check each)")
    else:
        d.missing.append("visit_month (no event is named as a visit)")
    visit_forms = list(dict.fromkeys(f.form for f in p.dictionary.values()   # in order
                                     if re.search(TABLE_WORDS["visits"], f.form.lower())))
    if "oc_event_status" in p.dictionary:   # OpenClinica: the event's own date and status
        d.fields["visit_date"] = Placed('"oc_event_start_date"', "OpenClinica's event start "
                                        "date (likely)")
        d.fields["status"] = Placed(
            '{ field = "oc_event_status", values = { "data entry started" = "completed", '
            '"initial data entry" = "completed", "data entry complete" = "completed", '
            '"completed" = "completed", "signed" = "completed", "locked" = "completed", '
            '"stopped" = "missed", "skipped" = "missed" } }',
            "OpenClinica's event status: an event whose data entry began took place, a "
            "stopped or skipped one did not (likely: see docs/examples/openclinica-juno.toml)")
    elif visit_forms:
        form = visit_forms[0]
        d.fields["status"] = Placed(
            f"{{ field = {_q(form + '_complete')}, values = {{ \"0\" = \"missed\", "
            "\"1\" = \"completed\", \"2\" = \"completed\" } }",
            f"form {form}'s completion status ({', '.join(COMPLETE_CHOICES.values())}): "
            "an incomplete form is a missed visit (a guess: a visit-status field is better)")


def draft_tables(p: _Project, protocol: Protocol) -> dict[str, TableDraft]:
    """The draft of every contract table for the project ``p``."""
    fields = list(p.dictionary.values())
    rid = fields[0].name
    arms = sorted({e.arm for e in p.events if e.arm})
    out: dict[str, TableDraft] = {}
    for table in TABLE_ORDER:
        d = out.setdefault(table, TableDraft())
        forms: list[str] = []
        for col in TABLES[table].columns:
            name = col.name
            if name in ("screening_id",) or (name == "participant_id"
                                               and table == "randomization"):
                d.fields[name] = Placed(_q(rid), "the record ID (the dictionary's first "
                                                 "field) (sure)")
                continue
            if name == "participant_id":
                d.fields[name] = Placed('{ from_record = "randomization.participant_id" }',
                                        "the record's participant ID (sure)")
                continue
            if table == "visits" and name in ("visit_month", "status"):
                continue
            if table == "randomization" and name == "arm" and len(arms) >= 2:
                codes = [a.code for a in protocol.arms]
                names = {e.arm: e.arm_name for e in p.events}
                inner = ", ".join(f"{_q(a)} = {_q(codes[i])}" for i, a in enumerate(arms)
                                  if i < len(codes))
                d.fields[name] = Placed(
                    f"{{ from_arm = {{ {inner} }} }}",
                    "the project's arms, in order: " + ", ".join(
                        f"arm {a} {names.get(a, '')!r}" for a in arms)
                    + " (likely: check which arm is which)")
                continue
            scored = [(s, why, f) for f in fields if f.name != rid
                      for s, why in [_score(table, name, col.kind, f)] if s >= 4]
            if not scored:
                if col.required:
                    d.missing.append(name)
                continue
            s, why, f = max(scored, key=lambda x: x[0])
            d.fields[name] = _field_line(table, name, f, s, why, protocol)
            forms.append(f.form)
        if table == "visits":
            _visits(d, p, protocol)
        if table not in ("visits",):
            d.event, d.event_why = _table_event(table, forms, p)
            _in_event(d, table, p)
            if table in REPEATED:
                _repeat_setting(d, p)
        if table == "offstudy" and "off_study_date" in d.fields:
            d.required_field = d.fields["off_study_date"].value.strip('"')
    return out


def _placed_required(table: str, d: TableDraft) -> bool:
    return all(c.name in d.fields for c in TABLES[table].columns if c.required)


def draft(folder: Path, protocol: Protocol | None = None) -> str:
    """The draft mapping TOML for the project in ``folder`` (see the module's docstring)."""
    p = _read(Path(folder))
    tables = draft_tables(p, protocol or load_protocol())
    used = {e for d in tables.values() for e in ([d.event] if d.event else []) + d.row_events}
    unused = sorted({_strip_arm(e.unique) for e in p.events} - used)
    source = "ODM export" if odm_files(Path(folder)) else "REDCap project"
    lines = [f"# Draft mapping for the {source} in {Path(folder).name}/, written by",
             "# `python -m rfa_dash redcap-mapping` from the project's dictionary and events.",
             "# Every line says why it was chosen and how sure the guess is: check each",
             "# against the project (docs/redcap.md), then save this file in the folder.",
             "", "[redcap]",
             f"# record ID: {next(iter(p.dictionary))} (the dictionary's first field)"]
    if unused:
        lines.append("# events no table reads (so that the import does not list them)")
        lines.append("ignore_events = [" + ", ".join(_q(e) for e in unused) + "]")
    left: list[str] = []
    empty = [t for t in TABLE_ORDER if TABLES[t].required and not _placed_required(t, tables[t])]
    if empty:
        lines.append("# required tables not found in the project: declare them empty until "
                     "they are built")
        lines.append("# empty_tables = [" + ", ".join(_q(t) for t in empty) + "]")
    for table in TABLE_ORDER:
        d = tables[table]
        # a table whose required columns were not all found is still shown, commented
        # out, with what was found: the draft always loads, and nothing found is hidden
        off = ""
        if not _placed_required(table, d):
            missing = [c.name for c in TABLES[table].columns
                       if c.required and c.name not in d.fields]
            left.append(f"{table}: {', '.join(missing)} not found"
                        + (" (a required table: see empty_tables above)"
                           if TABLES[table].required else " (an optional table)"))
            found = [c for c in d.fields if c not in ("screening_id", "participant_id")]
            if not found:
                continue
            off = "# "
            lines += ["", f"# [tables.{table}] is incomplete ({', '.join(missing)} not "
                      "found): what was found, to finish by hand"]
        else:
            lines.append("")
        lines.append(f"{off}[tables.{table}]")
        if d.event:
            lines.append(f"{off}event = {_q(d.event)}{' ' * max(1, 30 - len(d.event))}# "
                         f"{d.event_why}")
        if d.repeat_instrument is not None:
            lines.append(f"{off}repeat_instrument = {_q(d.repeat_instrument)}   # "
                         f"{d.repeat_why}")
        if d.required_field:
            lines.append(f"{off}required_field = {_q(d.required_field)}   # a row only "
                         "where it is filled in (likely)")
        lines.append(f"{off}[tables.{table}.fields]")
        for col in TABLES[table].columns:
            pl = d.fields.get(col.name)
            if pl is not None:
                lines.append(f"{off}{col.name} = {pl.value}   # {pl.why}")
    left += [n for table in TABLE_ORDER for n in tables[table].notes]
    if left:
        lines += ["", "# Not placed (write these by hand, or declare a table the project does "
                  "not collect", "# yet under [redcap] empty_tables):"]
        lines += [f"#   {x}" for x in left]
    return "\n".join(lines) + "\n"

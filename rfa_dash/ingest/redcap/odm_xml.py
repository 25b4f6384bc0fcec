"""CDISC ODM 1.3 XML read safely, and the rows its clinical data make, keyed and counted.

What the ODM readers (:mod:`.odm`: metadata and data; :mod:`.odm_data`: REDCap's clinical
data with its dictionary CSV) share: finding ODM files in a folder (whatever their
encoding), parsing without entities, DTDs or network access and at most
:data:`MAX_BYTES`, each item's value (typed items and REDCap's file uploads too), repeat
keys as instance numbers, and rows keyed by (record, event, instrument, instance) that
never write one value over another.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from rfa_dash.ingest.redcap.mapping import RedcapError

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP_NS = "https://projectredcap.org"
OC_NS = "http://www.openclinica.org/ns/odm_ext_v130/v3.1"
MAX_BYTES = 1 << 30
def tag(name: str) -> str:
    """An ODM element's name in lxml's form."""
    return f"{{{ODM_NS}}}{name}"


def rc(attr: str) -> str:
    """A REDCap attribute's name in lxml's form."""
    return f"{{{REDCAP_NS}}}{attr}"


def _head(p: Path) -> str:
    """The file's first 4 KB as text, whatever its encoding (UTF-16 and UTF-32 with their
    byte-order mark, else as Latin-1: enough to find the root element)."""
    with p.open("rb") as f:
        raw = f.read(4096)
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):len(raw) - len(raw) % 4].decode(enc, "replace")
    return raw.decode("latin-1")


def odm_files(folder: Path) -> list[Path]:
    """The folder's ODM XML files (root element ODM in the CDISC namespace): one, or two
    (the metadata and the clinical data written apart, as REDCap's "data only" export and
    several EDCs write them)."""
    found = []
    for p in sorted(Path(folder).glob("*")):
        if p.suffix.lower() == ".xml" and p.is_file():
            head = _head(p)
            if "<ODM" in head and ODM_NS in head:
                found.append(p)
    if len(found) > 2:
        raise RedcapError("more than two ODM XML files: " + ", ".join(p.name for p in found)
                          + "; a folder holds one export (one file, or its metadata and "
                          "its clinical data in two)")
    return found


def odm_file(folder: Path) -> Path | None:
    """The folder's (first) ODM XML file, or None."""
    found = odm_files(folder)
    return found[0] if found else None


def parse(path: Path) -> Any:
    from lxml import etree

    if path.stat().st_size > MAX_BYTES:
        raise RedcapError(f"{path.name} is larger than {MAX_BYTES >> 20} MB: not read")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        hint = ("; its bytes are not the encoding it declares (UTF-8 unless its first line "
                "says another): export it again, or declare the encoding it was written in, "
                "e.g. <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                if "encoding" in exc.msg.lower() or "utf-8" in exc.msg.lower() else "")
        raise RedcapError(f"{path.name}" + (f", line {line}" if line else "")
                          + f": not well-formed XML ({exc.msg}){hint}") from None
    except OSError as exc:   # lxml's reader: bytes not in the declared encoding
        raise RedcapError(f"{path.name}: cannot be read as XML "
                          f"({str(exc).split(':')[-1].strip()}): its bytes are not the "
                          "encoding it declares (UTF-8 unless its first line says another); "
                          "export it again, or declare the encoding it was written in") from None
    if tree.docinfo.doctype:
        # entities are never expanded (no DTD is loaded): the text they stand for would
        # vanish from labels and values without a word, so the file is not read
        raise RedcapError(f"{path.name}: has a DOCTYPE ({tree.docinfo.doctype[:80]}); its "
                          "entities are not expanded, so text they stand for would be "
                          "lost: export the file without a DOCTYPE (EDCs write none)")
    return tree.getroot()


ITEM_DATA = tag("ItemData")
BASE64 = tag("ItemDataBase64Binary")


def item_values(parent: Any) -> list[tuple[Any, str]]:
    """(element, value) of each item under ``parent``: ``ItemData``'s ``Value``, ODM 1.3's
    typed forms (``ItemDataString``, ``ItemDataInteger``, ...) by their text, and a file
    (``ItemDataBase64Binary``, REDCap's file-upload field) by its ``redcap:DocName``, as
    REDCap's CSV export gives it (its bytes are not read)."""
    out = []
    for it in parent.iter():
        t = it.tag if isinstance(it.tag, str) else ""
        if t == ITEM_DATA:
            out.append((it, it.get("Value", "") or ""))
        elif t == BASE64:
            out.append((it, it.get(rc("DocName")) or "[file]"))
        elif t.startswith(ITEM_DATA):   # ItemDataString, ItemDataDate, ...
            out.append((it, (it.text or "").strip()))
    return out


class KeyedRows:
    """Records rows keyed by (record, event, instrument, instance), in first-seen order.

    Rows out = rows in: a value that would land where another value of the same field
    already is (two ItemGroupData the reading put on one row: a repeat not numbered
    apart) is not written over; it is kept in :attr:`clashes` and the conversion ends
    with an error naming both lines.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, str], dict[str, str]] = {}
        self.lines: dict[tuple[str, str, str, str], int] = {}
        self.clashes: list[tuple[tuple[str, str, str, str], str, int, int]] = []

    def put(self, key: tuple[str, str, str, str], line: int, values: dict[str, str]) -> None:
        row = self.rows.setdefault(key, {})
        self.lines.setdefault(key, line)
        for name, value in values.items():
            old = row.get(name)
            if old and value and old != value:
                self.clashes.append((key, name, self.lines[key], line))
                continue
            if value or name not in row:
                row[name] = value

    def write(self, path: Path, columns: list[str], longitudinal: bool) -> list[int]:
        """The rows as REDCap's records CSV with ``columns``; the XML line of each row."""
        lines = []
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for key, values in self.rows.items():
                _, ev, instrument, instance = key
                row = {**values, "redcap_repeat_instrument": instrument,
                       "redcap_repeat_instance": instance}
                if longitudinal:
                    row["redcap_event_name"] = ev
                w.writerow([row.get(c, "") for c in columns])
                lines.append(self.lines[key])
        return lines

    def check(self, path: Path) -> None:
        """Raise the one-line error when any value would have landed on another's."""
        if not self.clashes:
            return
        (rid, ev, form, inst), name, first, second = self.clashes[0]
        where = ", ".join(x for x in (f"record {rid}", ev and f"event {ev}",
                                      form and f"instrument {form}",
                                      inst and f"instance {inst}") if x)
        raise RedcapError(
            f"{path.name}: {len(self.clashes)} value(s) would be lost: the data at line "
            f"{second} lands on the row of line {first} ({where}, field {name}) with a "
            "different value. The file's repeats are not numbered apart as its metadata "
            "says (StudyEventRepeatKey, FormRepeatKey, ItemGroupRepeatKey); nothing was "
            "read. Tell the data manager which export this is.")


class RepeatKeys:
    """Repeat keys read once each: a repeating event, form or item group given without its
    key is instance 1 when it is the only one (OpenEDC writes no key for a repeating event
    entered once); a second one without a key under the same parent is an error naming
    both lines, since which instance each is cannot be told (never merged, never dropped).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # the first keyless element under each parent: told apart as elements, since a
        # file written on one line puts every element on line 1
        self.keyless: dict[tuple[str, ...], Any] = {}

    def repeat(self, el: Any, attr: str, where: tuple[str, ...]) -> str:
        key = el.get(attr)
        if key is not None and key.strip():
            return repeat_key(key, el, self.path)
        first = self.keyless.setdefault(where, el)
        if first is not el:
            raise RedcapError(
                f"{self.path.name}, lines {first.sourceline} and {el.sourceline}: two repeats of "
                f"{el.get('StudyEventOID') or el.get('FormOID') or el.get('ItemGroupOID')} "
                f"for subject {where[0]} without a {attr}: which instance each is cannot be "
                "told; nothing was read. Export again with the repeat keys.")
        return "1"


def repeat_key(key: str, el: Any, path: Path) -> str:
    """A repeat key as the instance number: ``"2"``, or Medidata Rave's ``"MONTHLY[2]"``;
    anything else is an error naming its line (never a guess, never a traceback)."""
    key = (key or "").strip()
    if key.isdigit():
        return str(int(key))
    if key.endswith("]") and "[" in key and key[key.rindex("[") + 1:-1].isdigit():
        return str(int(key[key.rindex("[") + 1:-1]))
    raise RedcapError(f"{path.name}, line {el.sourceline}: the repeat key {key!r} is not a "
                      "number (nor Rave's NAME[n]): which instance it is cannot be told")

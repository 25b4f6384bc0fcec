"""Build small exports for tests: valid base rows plus whatever a test changes."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from rfa_dash.contract import TABLES

SCREEN = {
    "screening_id": "S001", "screen_date": "2025-01-10", "age": "60", "sex": "M",
    "weight_kg": "70", "spine_levels": "T8", "histology_confirmed": "yes", "bone_pain": "yes",
    "sre_imaging_predictors": "no", "lab_date": "2025-01-05", "anc": "3.0", "platelets": "200",
    "hemoglobin": "12.0", "transfused_14d": "no", "ast": "30", "ast_uln": "40", "alt": "30",
    "alt_uln": "40", "liver_mets": "no", "bilirubin": "0.8", "bilirubin_uln": "1.2",
    "gilbert": "no", "albumin": "40", "creatinine": "0.9", "creatinine_uln": "1.2",
    "childbearing_potential": "no", "contraception_agreed": "", "pregnant_or_breastfeeding": "no",
    "cord_compression_or_radicular_pain": "no", "prior_rt_target": "no",
    "surgical_candidate": "no", "rfa_ineligible_lesion": "no", "physician_excluded": "no",
    "consented": "yes", "consent_date": "2025-01-11",
}
RAND = {
    "participant_id": "001", "screening_id": "S001", "randomization_date": "2025-01-15",
    "arm": "rfa_rt", "treatment_date": "2025-01-20", "received_allocated": "true",
    "primary_tumor": "breast", "ecog": "1", "lesion_type": "lytic", "sins": "7", "pain_nrs": "6",
}


def screen(**kw) -> dict:
    return {**SCREEN, **{k: str(v) if v is not None else "" for k, v in kw.items()}}


def rand(**kw) -> dict:
    return {**RAND, **{k: str(v) if v is not None else "" for k, v in kw.items()}}


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])


def make_export(folder: Path, *, screening=None, randomization=None, visits=None,
                sre_events=None, offstudy=None, adverse_events=None, manifest=None,
                skip=()) -> Path:
    """Write an export; tables default to one screened and randomized participant."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "screening": [screen()] if screening is None else screening,
        "randomization": [rand()] if randomization is None else randomization,
        "visits": visits or [], "sre_events": sre_events or [], "offstudy": offstudy or [],
        "adverse_events": adverse_events or [],
    }
    for name, rows in tables.items():
        if name not in skip:
            write_csv(folder / f"{name}.csv", TABLES[name].names, rows)
    if manifest is not None:
        (folder / "manifest.json").write_text(manifest, encoding="utf-8")
    return folder


def shipped_protocol(**tables):
    """The shipped protocol file with settings changed (``safety_rule={"n_max": 3}``: those
    keys of that table), parsed as the app parses it (a ProtocolError for a bad one)."""
    import tomllib

    from rfa_dash.protocol import load_protocol, parse_protocol

    src = load_protocol().source
    data = tomllib.loads(Path(src).read_text(encoding="utf-8"))
    for name, value in tables.items():
        data[name] = {**data.get(name, {}), **value}
    return parse_protocol(data, src)


def tree_digest(folder: Path) -> dict:
    """File name -> (SHA-256, mtime) for every file, to prove nothing was written."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def run_pages_like_the_server() -> None:
    """AppTest runs the router on every rerun, as the server does (see rfa_dash.ui.multipage)."""
    from rfa_dash.ui.multipage import run_like_the_server

    run_like_the_server()


def ledger() -> dict[str, set[str]]:
    """notify's ledger in the test's state store: the keys sent, per recipient."""
    from sqlalchemy import select

    from rfa_dash.state import schema, store

    led = schema.notify_ledger
    out: dict[str, set[str]] = {}
    with store.reading() as conn:
        for r in conn.execute(select(led.c.email, led.c.key).where(led.c.state == "sent")):
            out.setdefault(r.email, set()).add(r.key)
    return out


def usernames() -> list[str]:
    """The accounts' user names in the test's state store, sorted."""
    from sqlalchemy import select

    from rfa_dash.state import schema, store

    with store.reading() as conn:
        return sorted(r.username for r in conn.execute(select(schema.accounts.c.username)))


def audit_entries() -> list[dict]:
    """The audit trail of the test's state store, oldest first."""
    from sqlalchemy import select

    from rfa_dash.state import schema, store

    with store.reading() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(schema.audit).order_by(schema.audit.c.seq))]


def odm_halves(text: str) -> tuple[str, str]:
    """A REDCap project XML (metadata and data in one file) as the two files a split export
    writes: (the metadata: everything but ``<ClinicalData>``; the clinical data alone,
    under the file's own ``<ODM>`` element)."""
    start, end = text.index("<ClinicalData"), text.index("</ClinicalData>") + 15
    head = text[:text.index("<Study")]
    return text[:start] + "</ODM>\n", head + text[start:end] + "\n</ODM>\n"

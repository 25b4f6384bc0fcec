"""Frozen data cuts: save the export as of a date, and what changed since a previous cut.

A cut is a folder ``<as_of>_<fingerprint12>`` under the cuts folder
(``RFA_DASH_CUTS_DIR``, else ``cuts`` beside the users file, else the state
folder) holding one Parquet file per table (the validated rows dated on or
before the as-of date), and ``manifest.json`` with the data cut, the source
export's SHA-256 and the cut's own. A cut is itself a valid export: open it
as a folder to see exactly what the board saw.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rfa_dash import auth
from rfa_dash.contract import TABLE_ORDER
from rfa_dash.export import Export, fingerprint
from rfa_dash.protocol import Role

KEYS = {"screening": ["screening_id"], "randomization": ["participant_id"],
        "visits": ["participant_id", "visit_month"], "offstudy": ["participant_id"]}


def cuts_dir() -> Path:
    """Where cuts are saved."""
    if os.environ.get("RFA_DASH_CUTS_DIR"):
        return Path(os.environ["RFA_DASH_CUTS_DIR"]).expanduser()
    up = auth.users_path()
    return (up.parent if up else auth.STATE_DIR) / "cuts"


def cut_tables(exp: Export, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The validated tables as of the data cut."""
    return {t: exp.query(f"cut_{t}", as_of=as_of) for t in TABLE_ORDER}


def save_cut(exp: Export, as_of: dt.date, root: Path | None = None) -> Path:
    """Write the cut (Parquet per table + manifest); return its folder.

    Saving the same export at the same as-of date again returns the existing cut.
    """
    root = Path(root or cuts_dir()).expanduser().resolve()
    if root.is_relative_to(exp.folder):
        raise ValueError("cuts may not be saved inside the export folder")
    folder = root / f"{as_of.isoformat()}_{exp.fingerprint[:12]}"
    if (folder / "manifest.json").is_file():
        return folder
    tmp = root / (folder.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for t, df in cut_tables(exp, as_of).items():
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp / f"{t}.parquet")
    manifest = {
        "exported_at": as_of.isoformat(), "trial": exp.protocol.registry_id,
        "synthetic": exp.synthetic, "cut_of": exp.fingerprint,
        "source_exported_at": exp.manifest.get("exported_at"),
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    manifest["fingerprint"] = fingerprint(tmp)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    tmp.replace(folder)
    return folder


def list_cuts(root: Path | None = None) -> pd.DataFrame:
    """Saved cuts, newest data cut first."""
    root = Path(root or cuts_dir()).expanduser()
    rows = []
    if root.is_dir():
        for f in sorted(root.iterdir()):
            m = f / "manifest.json"
            if f.is_dir() and m.is_file():
                d = json.loads(m.read_text(encoding="utf-8"))
                rows.append({"cut": f.name, "as_of": d.get("exported_at"),
                             "saved_at": d.get("saved_at"), "source": d.get("cut_of", "")[:12],
                             "folder": str(f)})
    df = pd.DataFrame(rows, columns=["cut", "as_of", "saved_at", "source", "folder"])
    return df.sort_values(["as_of", "saved_at"], ascending=False).reset_index(drop=True)


def read_cut(folder: Path) -> dict[str, pd.DataFrame]:
    """A saved cut's tables."""
    return {t: pd.read_parquet(Path(folder) / f"{t}.parquet") for t in TABLE_ORDER}


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
        out[c] = out[c].astype(object).where(out[c].notna(), None).astype(str)
    return out


def diff(prev: dict[str, pd.DataFrame], cur: dict[str, pd.DataFrame], role: Role
         ) -> dict[str, pd.DataFrame]:
    """What changed from ``prev`` to ``cur``, shown as the role may see it.

    Returns frames: ``randomized`` (new randomizations), ``sre`` (new SREs)
    and ``deaths`` (new deaths), each listing a participant's arm only for a
    closed role; ``randomized_by_arm`` (counts of the new randomizations per
    arm, for roles that see allocation); and ``edited`` (table, key, changed
    columns) for records present in both with different values.

    A role that sees allocation counts but not outcomes by arm never gets an
    arm next to a participant ID: with the pooled event listings it would
    unblind outcomes by arm.
    """
    p, c = prev["randomization"], cur["randomization"]
    new_all = c[~c["participant_id"].isin(p["participant_id"])]
    new_r = new_all[["participant_id", "randomization_date"]
                    + (["arm"] if role.outcomes_by_arm else [])]
    by_arm = pd.DataFrame()
    if role.allocation:
        by_arm = new_all.groupby("arm").size().rename("new").reset_index()
    arm_of = dict(zip(c["participant_id"], c["arm"], strict=True))

    def new_rows(table: str, cols: list[str]) -> pd.DataFrame:
        a, b = _norm(prev[table][cols]), _norm(cur[table][cols])
        merged = b.merge(a.drop_duplicates(), how="left", on=cols, indicator=True)
        out = cur[table][cols][(merged["_merge"] == "left_only").to_numpy()]
        if role.outcomes_by_arm:
            out = out.assign(arm=out["participant_id"].map(arm_of))
        return out.reset_index(drop=True)

    sre = new_rows("sre_events", ["participant_id", "event_date", "sre_type"]) \
        if role.outcomes else pd.DataFrame()
    off_c = cur["offstudy"][cur["offstudy"]["reason"] == "death"]
    off_p = prev["offstudy"][prev["offstudy"]["reason"] == "death"]
    deaths = pd.DataFrame()
    if role.outcomes:
        deaths = off_c[~off_c["participant_id"].isin(off_p["participant_id"])][
            ["participant_id", "off_study_date"]].reset_index(drop=True)
        if role.outcomes_by_arm:
            deaths = deaths.assign(arm=deaths["participant_id"].map(arm_of))
    edited = []
    for table, key in KEYS.items():
        a, b = _norm(prev[table]).set_index(key), _norm(cur[table]).set_index(key)
        a = a[~a.index.duplicated()]
        b = b[~b.index.duplicated()]
        common = a.index.intersection(b.index)
        cols = [x for x in b.columns if x in a.columns]
        hidden = set() if role.allocation else {"arm"}
        if not len(common) or not cols:
            continue
        # compare every common record at once; only changed ones reach Python
        neq = a.loc[common, cols].to_numpy() != b.loc[common, cols].to_numpy()
        for r in np.flatnonzero(neq.any(axis=1)):
            k = common[r]
            edited.append({"table": table,
                           "record": " / ".join(k) if isinstance(k, tuple) else k,
                           "changed": ", ".join(cols[j] if cols[j] not in hidden else "(hidden)"
                                                for j in np.flatnonzero(neq[r]))})
    return {"randomized": new_r.reset_index(drop=True), "randomized_by_arm": by_arm,
            "sre": sre, "deaths": deaths,
            "edited": pd.DataFrame(edited, columns=["table", "record", "changed"])}


def previous_cut(cuts: pd.DataFrame, as_of: dt.date) -> str | None:
    """The newest saved cut dated before ``as_of`` (else the newest one), or None."""
    if cuts.empty:
        return None
    earlier = cuts[cuts["as_of"] < as_of.isoformat()]
    return str((earlier if len(earlier) else cuts).iloc[0]["folder"])


def changes_since(exp: Export, as_of: dt.date, folder: str, role: Role
                  ) -> dict[str, pd.DataFrame]:
    """What changed between a saved cut and the export at ``as_of``, for ``role``."""
    return diff(read_cut(Path(folder)), cut_tables(exp, as_of), role)

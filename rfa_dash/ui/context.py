"""The context every page reads: the loaded export, the data cut and the role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from rfa_dash.blinding import Role
from rfa_dash.ingest.export import Export
from rfa_dash.present.labels import chart_cut
from rfa_dash.protocol import Protocol
from rfa_dash.ui import multipage


@dataclass(frozen=True)
class Context:
    """What every page needs: the loaded export, the data cut and the role."""

    export: Export
    as_of: dt.date
    role: Role
    source_label: str
    user: str = "demo"
    demo: bool = True

    @property
    def protocol(self) -> Protocol:
        return self.export.protocol

    @property
    def cut(self) -> str:
        """One-line description of the data cut, shown under every chart."""
        synthetic = " · SYNTHETIC DATA" if self.export.synthetic else ""
        return (f"Data cut {self.as_of.isoformat()} · {self.source_label} · export "
                f"{self.export.fingerprint[:12]} · {self.protocol.registry_id}{synthetic}")

    @property
    def chart_cut(self) -> str:
        """Short data-cut line printed inside every chart (so exported images carry it)."""
        return chart_cut(self.protocol.registry_id, self.as_of, self.export.synthetic)


def context() -> Context:
    """The context the router computed for this run."""
    ctx: Context | None = st.session_state.get("_ctx")
    if ctx is None:
        multipage.hand_over_to_router()  # stops this run
        raise RuntimeError("no context: the router has not run")
    return ctx

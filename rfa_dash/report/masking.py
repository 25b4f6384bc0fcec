"""The masked closed report: arms shown as Group A, Group B, ... with the key apart.

The sections are computed for :meth:`Masker.protocol`, the protocol with its
arms in group order, named Group A, B, ... and in group colours, so tables and
charts say "Group A" from the start and list, draw and compare the groups in
group order (the protocol's arm order would tell the key: the first arm's
column, bar or box first, a standardized difference's sign). What comes from
the data itself (an ``arm`` column of codes, a label a query joined in, a
sentence naming an arm) is rewritten by :meth:`Masker.frame`,
:meth:`Masker.figure` and :meth:`Masker.text`, and
:meth:`Masker.leaks` checks the finished document: a masked report that still
names an arm anywhere but its key page is refused, not written.

What masking cannot hide: under unequal allocation (2:1) the group sizes tell
the arms apart; docs/report.md says so.
"""

from __future__ import annotations

import re
import string
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from rfa_dash.charts.style import rgba
from rfa_dash.protocol import Protocol, ProtocolError

# Okabe-Ito colours the arms do not use by default: a group's colour must not be its
# arm's colour, or the charts would give the key away
GROUP_COLORS = ("#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_ARM_COLUMNS = ("arm", "Arm", "group", "Group")


class Masker:
    """Arm codes and labels to group names, for one protocol and key.

    Parameters
    ----------
    protocol : Protocol
    groups : sequence of str
        Arm codes in group order: the first is Group A.
    """

    def __init__(self, protocol: Protocol, groups: tuple[str, ...]):
        if sorted(groups) != sorted(protocol.arm_codes):
            raise ProtocolError("a masked report needs the key: every arm code once, in group "
                                "order ([report] groups or --groups)")
        self.names = {code: f"Group {string.ascii_uppercase[i]}"
                      for i, code in enumerate(groups)}
        self.order = [self.names[c] for c in groups]
        self._colors = {code: GROUP_COLORS[i % len(GROUP_COLORS)]
                        for i, code in enumerate(groups)}
        words = {a.label: self.names[a.code] for a in protocol.arms}
        codes = {a.code: self.names[a.code] for a in protocol.arms}
        self._words = {**words, **codes}
        # labels first (longest first), codes as whole words only ("rt" inside "start" stays)
        alts = [re.escape(w) for w in sorted(words, key=len, reverse=True)] + [
            rf"(?<![A-Za-z0-9_]){re.escape(c)}(?![A-Za-z0-9_])"
            for c in sorted(codes, key=len, reverse=True)]
        self._pattern = re.compile("|".join(alts))
        self._color_map: dict[str, str] = {}
        for a in protocol.arms:
            new = self._colors[a.code]
            self._color_map[a.color.lower()] = new
            for alpha in ("0.18", "0.2", "0.25", "0.3", "0.5"):
                self._color_map[rgba(a.color, float(alpha)).lower()] = rgba(new, float(alpha))
        self.key = [(self.names[c], protocol.arm_labels[c]) for c in groups]

    def protocol(self, protocol: Protocol) -> Protocol:
        """``protocol`` with its arms in group order, labelled and coloured as groups."""
        import dataclasses

        arms = sorted(protocol.arms, key=lambda a: self.order.index(self.names[a.code]))
        return dataclasses.replace(protocol, arms=tuple(
            dataclasses.replace(a, label=self.names[a.code], color=self._colors[a.code])
            for a in arms))

    def text(self, s: str) -> str:
        """``s`` with every arm label and code replaced by its group name."""
        return self._pattern.sub(lambda m: self._words[m.group(0)], s)

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with arm names replaced in headers and cells, group columns and rows in
        group order (a column order by the protocol's arm order would tell the key)."""
        out = df.rename(columns=lambda c: self.text(c) if isinstance(c, str) else c)
        for c in out.columns:
            if out[c].dtype == object:
                out[c] = out[c].map(lambda v: self.text(v) if isinstance(v, str) else v)
        cols = list(out.columns)
        grouped = [i for i, c in enumerate(cols) if self._group_of(c) is not None]
        if len(grouped) > 1:
            ordered = sorted((cols[i] for i in grouped), key=lambda c: self._group_of(c) or 0)
            for i, c in zip(grouped, ordered, strict=True):
                cols[i] = c
            out = out[cols]
        for c in _ARM_COLUMNS:
            if c in out.columns and out[c].isin(self.order).all() and len(out):
                rank = out[c].map({g: i for i, g in enumerate(self.order)})
                out = out.iloc[rank.argsort(kind="stable")].reset_index(drop=True)
                break
        return out

    def _group_of(self, column: object) -> int | None:
        if not isinstance(column, str):
            return None
        for i, g in enumerate(self.order):
            if column == g or column.startswith((g + " ", g + ":")):
                return i
        return None

    def figure(self, fig: go.Figure) -> go.Figure:
        """``fig`` with arm names and colours replaced everywhere in it, and the legend in
        group order."""
        data = self._walk(fig.to_plotly_json())
        for trace in data.get("data", []):
            rank = self._group_of(trace.get("name"))
            if rank is not None:
                trace["legendrank"] = 100 + rank
        return go.Figure(data)

    def _walk(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: self._walk(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self._walk(v) for v in obj]
        if isinstance(obj, str):
            return self._color_map.get(obj.lower().replace(" ", ""), None) or self.text(obj)
        if hasattr(obj, "tolist"):   # numpy arrays of labels (customdata, text)
            return self._walk(obj.tolist())
        return obj

    def leaks(self, text: str) -> list[str]:
        """The arm labels and codes (and arm colours) still found in ``text``."""
        found = {m.group(0) for m in self._pattern.finditer(text)}
        found |= {c for c in self._color_map if c.startswith("#") and c in text.lower()}
        return sorted(found)

"""Group labels and colours: the protocol's arms, and the pooled group of open views."""

from __future__ import annotations

import datetime as dt

# the one group of a pooled (open) view
POOLED = "all"
# the colour of anything that is no arm (pooled groups, counts)
NEUTRAL = "#555555"


def group_labels(protocol) -> dict[str, str]:
    """Display labels for arms and the pooled group."""
    return {**protocol.arm_labels, POOLED: "All participants"}


def group_colors(protocol) -> dict[str, str]:
    """Arm colours from the protocol; the pooled group is neutral grey."""
    return {**protocol.arm_colors, POOLED: NEUTRAL}


def allocation_note(at: dt.date) -> str:
    """Why allocation counts stop at ``at``: the protocol's month-end rule for this role."""
    return (f"Allocation counts as of {at.isoformat()}, the last month end: this role sees "
            "them at month ends only, so that stepping the data cut day by day does not tell "
            "a new participant's arm (protocol: allocation_counts).")

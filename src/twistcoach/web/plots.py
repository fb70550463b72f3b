"""Server-rendered SVG plots of a session: knee drop against the cap, with pain marks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PainMark:
    """A pain report at ``t`` seconds from the session start; ``sharp`` for sharp pain."""

    t: float
    level: int | None
    sharp: bool = False


def session_svg(
    times_s: Sequence[float],
    knee_drops_deg: Sequence[float | None],
    cap_deg: float,
    pains: Sequence[PainMark],
    title: str,
) -> str:
    """An SVG document plotting one session.

    Parameters
    ----------
    times_s
        Sample times, seconds from the session start, shape (n,).
    knee_drops_deg
        Knee drop at each time, signed degrees (positive towards the person's right);
        None where unknown (drawn as a gap), shape (n,).
    cap_deg
        The session's knee-drop cap, degrees; drawn as a band from -cap to +cap.
    pains
        Pain reports, drawn as vertical marks labelled with the level.
    title
        Plot title.

    Returns
    -------
    str
        A standalone ``<svg>`` document (matplotlib, no pyplot state, thread-safe).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3), dpi=80)
    ax = fig.add_subplot()
    ax.axhspan(-cap_deg, cap_deg, color="#2d7d6b", alpha=0.12, label=f"cap ±{cap_deg:.0f}°")
    ax.axhline(cap_deg, color="#2d7d6b", lw=1, ls="--")
    ax.axhline(-cap_deg, color="#2d7d6b", lw=1, ls="--")
    values = [float("nan") if v is None else float(v) for v in knee_drops_deg]
    ax.plot(list(times_s), values, color="#1d4e89", lw=1.8, label="knee drop")
    for mark in pains:
        colour = "#c0392b" if mark.sharp or (mark.level or 0) >= 5 else "#e67e22"
        ax.axvline(mark.t, color=colour, lw=1.2)
        label = "sharp" if mark.sharp else f"pain {mark.level}"
        ax.annotate(
            label,
            (mark.t, 0.95),
            xycoords=("data", "axes fraction"),
            color=colour,
            fontsize=8,
            ha="left",
            va="top",
        )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("knee drop (°, + = right)")
    ax.set_ylim(-95, 95)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()

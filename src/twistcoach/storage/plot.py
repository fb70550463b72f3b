"""A PNG plot of one stored session: its measure (the knee drop of a supine twist, the trunk
rotation of a seated or standing one) against the cap band, pain reports marked."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from twistcoach.storage.records import SessionDetail


def _same(text: str) -> str:
    return text


#: Figure size (inches) and resolution (dots per inch) of the two drawings. The wide one
#: (900 x 360 px) reads well on a laptop and in a PDF; shrunk to a 390 px phone its 8-10 pt
#: labels came out 3-4 px high. The narrow one (600 x 570 px) shows at about 360 px wide
#: on a phone with its labels about 11-13 px high.
WIDE_SIZE = ((9.0, 3.6), 100)
NARROW_SIZE = ((4.0, 3.8), 150)
#: Characters per line of the narrow drawing's title (wrapped, never cut).
NARROW_TITLE_WIDTH = 40


def plot_session(
    detail: SessionDetail,
    path: Path,
    *,
    t: Callable[[str], str] = _same,
    narrow: bool = False,
) -> Path:
    """Draw the session's measure over time and save it as a PNG.

    The knee drop, or for a seated or standing twist the trunk rotation
    (``SessionRecord.measure``; degrees, + = the person's right), is drawn against time
    (seconds from the start); the band between minus and plus the cap in force at each
    second is shaded (it steps down when pain lowered the cap); unknown samples are gaps;
    pain reports are vertical lines labelled with the level (red for sharp pain or above
    5/10).

    Parameters
    ----------
    detail
        The session with its samples and events.
    path
        Where to write the PNG (its folder must exist).
    t
        Puts the plot's English words into the reader's language (the web passes
        :meth:`twistcoach.i18n.Translator.text`); English when not given.
    narrow
        Draw for a phone's screen (:data:`NARROW_SIZE`, the title wrapped) instead of a
        wide page (:data:`WIDE_SIZE`).

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    session = detail.session
    rotation = session.measure == "trunk_rotation"
    measure_label = t("trunk rotation") if rotation else t("knee drop")
    axis_label = t("trunk rotation (°, + = right)") if rotation else t("knee drop (°, + = right)")
    times = [s.t for s in detail.samples]
    drops = [float("nan") if s.knee_drop is None else s.knee_drop for s in detail.samples]
    caps = [session.cap_deg if s.cap is None else s.cap for s in detail.samples]

    size, dpi = NARROW_SIZE if narrow else WIDE_SIZE
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if times:
        ax.fill_between(
            times,
            [-c for c in caps],
            caps,
            step="post",
            color="#2d7d6b",
            alpha=0.15,
            label=t("within the cap"),
        )
        ax.step(times, caps, where="post", color="#2d7d6b", lw=1, ls="--")
        ax.step(times, [-c for c in caps], where="post", color="#2d7d6b", lw=1, ls="--")
        ax.plot(times, drops, color="#1d4e89", lw=1.8, label=measure_label)
    else:
        ax.axhspan(-session.cap_deg, session.cap_deg, color="#2d7d6b", alpha=0.15)
        ax.text(0.5, 0.5, t("no samples recorded"), transform=ax.transAxes, ha="center")
    limit = max([session.cap_deg, *[abs(d) for d in drops if d == d]]) + 10
    for event in detail.events:
        if event.type != "pain":
            continue
        sharp = bool(event.data.get("sharp"))
        level = event.data.get("level")
        severe = sharp or (isinstance(level, int) and level > 5)
        colour = "#c0392b" if severe else "#e67e22"
        ax.axvline(event.t, color=colour, lw=1.4)
        ax.annotate(
            t("sharp pain") if sharp else t("pain {level}").format(level=level),
            (event.t, limit * 0.85),
            color=colour,
            fontsize=8,
            ha="left",
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax.set_ylim(-limit, limit)
    ax.set_xlabel(t("time (s)"))
    ax.set_ylabel(axis_label)
    title = t("Session {id}: {name}, {variant}, cap {cap}° ({status})").format(
        id=session.id,
        name=session.person_name,
        variant=t(session.variant_id),
        cap=f"{session.cap_deg:g}",
        status=t(session.status),
    )
    if narrow:
        title = textwrap.fill(title, NARROW_TITLE_WIDTH)
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:  # an empty session has nothing to name
        ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path

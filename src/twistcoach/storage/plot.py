"""A PNG plot of one stored session: its measure (the knee drop of a supine twist, the trunk
rotation of a seated or standing one) against the cap band, pain reports marked."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twistcoach.storage.records import SessionDetail
from twistcoach.wording import status_words


def _same(text: str) -> str:
    return text


def _variant_words(variant_id: str) -> str:
    """The twist's name as people read it ("Supine twist, supported (...)"), never its id;
    an id the library does not know (a session stored by an older library) as words. The
    plot names it itself, so ``twistcoach sessions show --plot`` and the web's plot agree
    (the command line's title read ``supine_twist_supported`` and ``completed``)."""
    from twistcoach.poses import load_library

    library = load_library()
    known = {v.id for v in library}
    return (
        library.name_of(variant_id, sanskrit=True)
        if variant_id in known
        else (variant_id.replace("_", " "))
    )


#: Figure size (inches) and resolution (dots per inch) of the two drawings. The wide one
#: (900 x 360 px) reads well on a laptop and in a PDF; shrunk to a 390 px phone its 8-10 pt
#: labels came out 3-4 px high. The narrow one (600 x 570 px) shows at about 360 px wide
#: on a phone with its labels about 11-13 px high.
WIDE_SIZE = ((9.0, 3.6), 100)
NARROW_SIZE = ((4.0, 3.8), 150)
#: Characters per line of the narrow drawing's title (wrapped, never cut).
NARROW_TITLE_WIDTH = 40
#: Characters per line of the wide drawing's title (a long twist's name in Spanish ran
#: past the picture's right edge).
WIDE_TITLE_WIDTH = 100


def plot_title(detail: SessionDetail, t: Callable[[str], str] = _same) -> str:
    """The plot's title, in the reader's language (``t``): when the session started on the
    clock it was practised by (as the history page's card says it), the twist's name, its
    cap and how it ended in words. Never the session's id or the stored person name (a
    de-duplicated one, "Nina New (2)", told a new user that another account has their
    name), never the twist's or the status's id."""
    from twistcoach.storage.progress import session_started

    session = detail.session
    return t("{when} · {variant} · cap {cap}° · {status}").format(
        when=f"{session_started(session):%Y-%m-%d %H:%M}",
        variant=t(_variant_words(session.variant_id)),
        cap=f"{session.cap_deg:g}",
        status=t(status_words(session.status)),
    )


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
    marks: list[_PainMark] = []
    for event in detail.events:
        if event.type != "pain":
            continue
        sharp = bool(event.data.get("sharp"))
        level = event.data.get("level")
        severe = sharp or (isinstance(level, int) and level > 5)
        colour = "#c0392b" if severe else "#e67e22"
        ax.axvline(event.t, color=colour, lw=1.4)
        text = t("sharp pain") if sharp else t("pain {level}").format(level=level)
        marks.append(_PainMark(event.t, text, colour, sharp))
    ax.set_ylim(-limit, limit)
    ax.set_xlabel(t("time (s)"))
    ax.set_ylabel(axis_label)
    title = plot_title(detail, t)
    title = textwrap.fill(title, NARROW_TITLE_WIDTH if narrow else WIDE_TITLE_WIDTH)
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:  # an empty session has nothing to name
        ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _label_pain(fig, ax, marks)
    fig.savefig(path, format="png")
    return path


@dataclass(frozen=True)
class _PainMark:
    """A pain report's line on the plot: its time (s), label, colour and whether sharp."""

    t: float
    text: str
    colour: str
    sharp: bool


#: The label rows' room: points between rows, and the most rows (the top ~40% of a plot).
_ROW_PT = 11.0
_MAX_ROWS = 4


def _label_pain(fig: Any, ax: Any, marks: Sequence[_PainMark]) -> None:
    """Label each pain line near the top of the plot, never one label over another.

    Reports a second apart ("pain 3", then "sharp pain") printed on top of each other, and a
    label at the right edge ran off the plot. Each label goes in the highest row where it
    touches no other (measured in pixels once the layout is final), to the left of its line
    when it would otherwise leave the plot; sharp pain is placed first (always the top row
    free for it) and in bold. A pain level finding no free row among :data:`_MAX_ROWS` is
    left to its coloured line (the session's page and card list every level).
    """
    if not marks:
        return
    fig.canvas.draw()  # the final limits and layout, to measure in
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    to_pixels = ax.transData.transform
    rows: list[list[tuple[float, float]]] = [[] for _ in range(_MAX_ROWS)]
    gap = 4.0  # pixels kept between two labels in a row
    # Sharp pain first, then by time: it always gets a place.
    for mark in sorted(marks, key=lambda m: (not m.sharp, m.t)):
        label = ax.annotate(
            mark.text,
            (mark.t, 1.0),
            xycoords=ax.get_xaxis_transform(),  # x in seconds, y at the top of the plot
            color=mark.colour,
            fontsize=8,
            fontweight="bold" if mark.sharp else "normal",
            ha="left",
            va="top",
            xytext=(3, -3),
            textcoords="offset points",
            zorder=5 if mark.sharp else 4,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85},
            annotation_clip=False,
        )
        width = label.get_window_extent(renderer).width
        x = float(to_pixels((mark.t, 0.0))[0])
        left_side = x + 3 + width > box.x1  # it would leave the plot: write it leftwards
        if left_side:
            label.set_horizontalalignment("right")
        span = (x - 3 - width, x) if left_side else (x, x + 3 + width)
        row = next(
            (
                i
                for i, taken in enumerate(rows)
                if all(span[1] + gap <= a or b + gap <= span[0] for a, b in taken)
            ),
            None,
        )
        if row is None:
            if not mark.sharp:
                label.remove()
                continue
            row = 0  # only with more sharp reports close together than rows
        rows[row].append(span)
        label.xyann = (-3 if left_side else 3, -3 - row * _ROW_PT)

"""The HTML report of a video: one self-contained file from ``templates/report.html``
(autoescaped), its plots inline SVG from matplotlib's Agg backend."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from twistcoach.checks import MIN_FRAME_RATE
from twistcoach.i18n import current_language
from twistcoach.i18n import t as _t
from twistcoach.metrics import degrees_text
from twistcoach.pipeline import FrameResult
from twistcoach.report._values import value_of
from twistcoach.report.timeline import (
    HOLD_BAND_DEG,
    EventSpan,
    ReportThresholds,
    detect_events,
    frame_gap_s,
    speed_checked,
    usable,
)
from twistcoach.report.words import (
    EVENT_COLORS,
    KNEE_DROP_WORDS,
    MEASURE_WORDS,
    NOT_MEASURED,
    MeasureWords,
    TwistMeasure,
)
from twistcoach.wording import family_words, view_words


def _series(frames: Sequence[FrameResult], name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = []
    for o in usable(frames):
        m = o.measured
        v = None if m is None else value_of(getattr(m, name))
        values.append(np.nan if v is None else v)
    return np.asarray(values, dtype=np.float64)


def _unmeasured_spans(
    t: np.ndarray[Any, np.dtype[np.float64]], values: np.ndarray[Any, np.dtype[np.float64]]
) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of frames with no value, each reaching halfway to
    its measured neighbours (a lone unmeasured frame is a visible sliver, not nothing)."""
    # Runs of missing frames from the edges of the padded mask: first and last index of each.
    edges = np.diff(np.concatenate([[0], np.isnan(values).astype(np.int8), [0]]))
    firsts, lasts = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    last = len(t) - 1
    return [
        (
            float(t[i]) if i == 0 else float(t[i - 1] + t[i]) / 2,
            float(t[j]) if j == last else float(t[j] + t[j + 1]) / 2,
        )
        for i, j in zip(firsts, lasts, strict=True)
    ]


#: The plots' colours for what is allowed (the cap's band, the shoulder's and the speed's
#: limits) and for what was not measured: two colours, so that a band inside a limit never
#: reads as "not measured" (the limits' bands were the same grey).
ALLOWED_COLOR = "#3cb45a"
NOT_MEASURED_COLOR = "#999"


def _shade_unmeasured(
    ax: Any,
    t: np.ndarray[Any, np.dtype[np.float64]],
    values: np.ndarray[Any, np.dtype[np.float64]],
    why: str | None = None,
) -> None:
    """Shade a panel's stretches with no value in the "not measured" grey (named in its
    legend once); a panel with no value at all says so in its middle, with ``why`` when
    given, so that no curve and no limit band suggest a measurement."""
    for i, (start, end) in enumerate(_unmeasured_spans(t, values)):
        ax.axvspan(
            start,
            end,
            color=NOT_MEASURED_COLOR,
            alpha=0.18,
            lw=0,
            label=_t(NOT_MEASURED) if i == 0 else None,
        )
    if len(t) and not np.isfinite(values).any():
        ax.text(
            0.5,
            0.5,
            why or _t(NOT_MEASURED),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color="#444",
            bbox={"facecolor": "white", "alpha": 0.85, "lw": 0},
        )


def _limit_panel(
    ax: Any,
    t: np.ndarray[Any, np.dtype[np.float64]],
    values: np.ndarray[Any, np.dtype[np.float64]],
    limit: float,
    band_label: str,
    line: tuple[str, str],
    why_not: str | None = None,
) -> None:
    """A panel of a value with its allowed band (``-limit`` to ``limit``, green, named
    ``band_label`` with ``{limit}`` filled in) and its curve (``line``: colour, label).

    With no value at all, or ``why_not`` (why the value cannot be measured), the panel is
    grey and says so, with no band and no curve: nothing on it looks like a measurement.
    """
    if why_not is None and np.isfinite(values).any():
        ax.axhspan(
            -limit,
            limit,
            color=ALLOWED_COLOR,
            alpha=0.15,
            label=band_label.format(limit=f"{limit:.0f}"),
        )
        color, label = line
        ax.plot(t, values, color=color, lw=2, label=label)
        _shade_unmeasured(ax, t, values)
    else:
        _shade_unmeasured(ax, t, np.full_like(values, np.nan), why_not)
        ax.set_ylim(-2 * limit, 2 * limit)
    ax.legend(loc="upper left", fontsize=8, ncols=3)


def plot_svg(
    frames: Sequence[FrameResult],
    events: Sequence[EventSpan],
    cap_deg: float,
    th: ReportThresholds,
    holds: Sequence[tuple[float, float]] = (),
    words: MeasureWords = KNEE_DROP_WORDS,
) -> str:
    """The report's plots (the measure with the cap band, shoulder roll or side bend, speed)
    as inline SVG, labelled in ``words``.

    Event spans are shaded on every panel and named in the legend; holds (start, end in
    seconds) are marked under the measure. Unknown values leave gaps, shaded grey ("not
    measured"); what is allowed (the cap, the limits) is shaded green. Where the frames are
    too far apart to show a speed (:func:`twistcoach.report.timeline.speed_checked`) the
    speed panel has no curve and no limit, and says why.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    t = np.asarray([f.timestamp_s for f in frames], dtype=np.float64)
    drop = _series(frames, "knee_drop")
    shoulder = _series(frames, "shoulder_roll")
    speed = _series(frames, "speed")
    fig = Figure(figsize=(10, 8.2), dpi=100, layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    ax_drop, ax_sh, ax_sp = axes
    ax_drop.axhspan(
        -cap_deg,
        cap_deg,
        color=ALLOWED_COLOR,
        alpha=0.15,
        label=_t("cap ±{cap}°").format(cap=f"{cap_deg:.0f}"),
    )
    for y in (cap_deg, -cap_deg):
        ax_drop.axhline(y, color=ALLOWED_COLOR, lw=1, ls="--")
    ax_drop.plot(t, drop, color="#1f5fa8", lw=2, label=_t(words.labels["knee_drop"]))
    for i, (start, end) in enumerate(holds):
        ax_drop.hlines(
            -88, start, end, color="#1f5fa8", lw=6, alpha=0.5, label=_t("held") if i == 0 else None
        )
    # Stretches with no number are shaded, so "not measured" never looks like 0 or like a
    # still body, and the time axis spans the whole video even when nothing was measured.
    _shade_unmeasured(ax_drop, t, drop)
    if len(t) > 1:
        ax_drop.set_xlim(float(t[0]), float(t[-1]))
    ax_drop.set_ylabel(_t(words.axis))
    ax_drop.set_ylim(-95, 95)
    second = _t(words.labels["shoulder_roll"])  # shoulder roll, or side bend
    _limit_panel(
        ax_sh,
        t,
        shoulder,
        th.shoulder_roll_limit_deg,
        _t("allowed ±{limit}°"),
        ("#8a5cd0", second),
    )
    ax_sh.set_ylabel(f"{second} (°)")
    why_not = None
    if not speed_checked(frames):
        # No curve and no limit band: the frames cannot show a speed (never "slow").
        why_not = _t("speed not measured: the frames are {gap} s apart").format(
            gap=f"{frame_gap_s(frames):.1f}"
        )
    _limit_panel(
        ax_sp,
        t,
        speed,  # all unknown where speed cannot be judged (usable)
        th.speed_limit_deg_s,
        _t("allowed ±{limit}°/s"),
        ("#d07020", _t("speed")),
        why_not,
    )
    ax_sp.set_ylabel(_t("speed (°/s)"))
    ax_sp.set_xlabel(_t("time (s)"))
    for ax in axes:
        ax.axhline(0, color="#888", lw=0.8)
        ax.grid(alpha=0.3)
        for e in events:
            ax.axvspan(
                e.start_s - 0.02, e.end_s + 0.02, color=EVENT_COLORS[e.kind], alpha=0.18, lw=0
            )
    handles, _labels = ax_drop.get_legend_handles_labels()
    for kind in sorted({e.kind for e in events}):
        handles.append(Patch(color=EVENT_COLORS[kind], alpha=0.4, label=_t(words.events[kind][1])))
    ax_drop.legend(handles=handles, loc="upper left", fontsize=9, ncols=3)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    # Drop the XML prolog and DOCTYPE so the SVG can sit inside HTML.
    return svg[svg.index("<svg") :]


#: The package's Jinja2 templates (``report.html``).
TEMPLATES_DIR = Path(__file__).parents[1] / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    """The report's template environment: autoescaped, undefined names an error."""
    from twistcoach import i18n

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    i18n.install(env)  # in the command line's language (``--lang``), passed as ``lang``
    return env


def _fmt(value: Any, unit: str = "") -> str:
    """A summary's value and unit for the report's table; "not measured" for None. Degrees
    (``°``, ``°/s``) go through :func:`twistcoach.metrics.degrees_text` with the summary's
    one decimal: a value that rounds to zero reads "0.0°", never "-0.0°"."""
    if value is None:
        return _t(NOT_MEASURED)
    if unit.startswith("°") and isinstance(value, int | float):
        return f"{degrees_text(float(value), 1)}{unit}"
    return f"{value}{unit}"


def render_html(summary: dict[str, Any], svg: str, th: ReportThresholds | None = None) -> str:
    """The whole self-contained HTML report of a video, from ``templates/report.html``
    (autoescaped; only ``svg``, matplotlib's own output, goes in as it is); its words
    follow the summary's ``measure`` (knee drop when it has none), in the command line's
    language (``--lang``). ``th`` are the thresholds the events were judged by (the
    measure's coach's when None): the report names the speed limit and the time a speed
    must be kept up over it to be "too fast", so that a peak speed over the limit and "no
    events: slow" do not read as a contradiction."""
    words = MEASURE_WORDS[TwistMeasure(summary.get("measure", TwistMeasure.KNEE_DROP.value))]
    if th is None:
        th = ReportThresholds.from_coaching_rules(words.measure)
    m = summary["metrics"]
    sides = [
        {
            "name": _t(side),
            "drop": _fmt(m[side][words.max_key], "°"),
            "held": _fmt(m[side]["time_held_s"] if m[side].get("measured", True) else None, " s"),
            "speed": _fmt(m[side]["peak_speed_deg_s"], "°/s"),
        }
        for side in ("left", "right")
    ]
    events = [
        {
            "label": _t(words.event_label(ev["kind"])),
            "start_s": ev["start_s"],
            "end_s": ev["end_s"],
        }
        for ev in summary["events"]
    ]
    template = _environment().get_template("report.html")
    return template.render(
        lang=current_language(),
        s=summary,
        name=Path(summary["input"]).name,
        family=_t(family_words(summary["pose_family"])),
        view=_t(view_words(summary["view"])),
        view_advice=_t(summary["view_advice"]) if summary.get("view_advice") else "",
        # No main side (nothing measured) is said so, never "None".
        main_side=_t(m.get("main_side") or NOT_MEASURED),
        sides=sides,
        events=events,
        svg=Markup(svg),
        hold_band_deg=HOLD_BAND_DEG,
        measure=words.measure.value,
        measure_name=_t(words.name),
        # Set by `analyze` for a supine twist: the body type said and the body model its
        # calibration used (kinematics.calibrate_for).
        body_type=summary.get("body_type"),
        body_model=summary.get("body_model"),
        body_model_words=_t(str(summary.get("body_model") or "")),
        # A summary written before speed_checked was recorded judged its speed.
        speed_checked=summary.get("speed_checked", True),
        frame_gap=f"{float(summary.get('frame_gap_s') or 0.0):.1f}",
        min_frame_rate=f"{MIN_FRAME_RATE:g}",
        speed_limit=f"{th.speed_limit_deg_s:g}",
        speed_window=f"{th.checks.speed_window_s:g}",
    )


def write_html_report(
    path: Path,
    summary: dict[str, Any],
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = KNEE_DROP_WORDS,
) -> None:
    """Write the HTML report of a video (plots inline, labelled in ``words``)."""
    events = detect_events(frames, cap_deg, th)
    holds = [
        (m["hold_start_s"], m["hold_end_s"])
        for side, m in summary["metrics"].items()
        if side in ("left", "right") and m["hold_start_s"] is not None
    ]
    svg = plot_svg(frames, events, cap_deg, th, holds, words)
    path.write_text(render_html(summary, svg, th), encoding="utf-8")

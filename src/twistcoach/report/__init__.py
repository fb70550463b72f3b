"""Analysis reports: ``summary.json``, per-frame ``metrics.csv``, an HTML report, annotations.

Summaries are plain JSON-ready dicts whose fields are listed in ``docs/analyze.md``. The
HTML report is one self-contained file rendered with Jinja2 from the package's
``templates/report.html`` (autoescaped): its plots are inline SVG made with matplotlib's Agg
backend and nothing in it points outside the file.

Unknown means unknown: a frame counts as measured only where the coach would use it
(:func:`twistcoach.checks.reading`: the view measurable, the drop's confidence high
enough), and only in a video whose main view can be measured (most of that view's frames
measurable, :func:`video_view`); everywhere else the CSV's cells are empty, the plots have
gaps and the summary says "not measured" (null). A side the camera cannot measure (the
far side of a diagonal camera, ``Observation.far_side``) gives no largest drop, hold or
speed: what little of it was measured would read short.

Two measures (:class:`TwistMeasure`): a supine twist's knee drop, or a seated or standing
twist's trunk rotation (the chest turned from the hips, measured by
:class:`twistcoach.seated_tracking.RotationTracker`, judged by ``rules/coaching_seated.yaml``'s
thresholds). The tracker carries either in the same metric slots; :class:`MeasureWords` names
them for people (summary fields, CSV columns, plot labels, the overlay), so a seated twist's
report never says "knee drop".

Events are the live coach's checks (:mod:`twistcoach.checks`, the same code and the same
thresholds from ``rules/coaching.yaml``): over_cap (the drop from the coach's neutral zero,
:func:`twistcoach.checks.find_zero`, over the cap), too_fast, shoulder_lifted and bouncing,
judged on measured frames only. Holds:

time held, per side
    the longest unbroken stretch during which the knees stay dropped to that side by more
    than ``min_hold_drop_deg`` and within :data:`HOLD_BAND_DEG` of that side's largest drop.
    A known frame outside that band ends the stretch; unknown frames end it when the held
    frames on either side are more than :data:`HOLD_GAP_S` apart (shorter gaps are bridged).

The package, by concept: :mod:`~twistcoach.report.words` (how a measure, its events and the
camera's place are named), :mod:`~twistcoach.report.timeline` (events and each side's drop,
hold and speed), :mod:`~twistcoach.report.family` (a video's pose family),
:mod:`~twistcoach.report.summary` (``summary.json``), :mod:`~twistcoach.report.tables`
(``metrics.csv``), :mod:`~twistcoach.report.html` (the HTML report) and
:mod:`~twistcoach.report.annotate` (annotated photos and videos); every name is importable
from ``twistcoach.report``.
"""

from __future__ import annotations

from twistcoach.report.annotate import (
    write_annotated_image,
    write_annotated_video,
)
from twistcoach.report.family import (
    TWIST_OF,
    TWIST_SEGMENT_GAP_S,
    TWIST_SEGMENT_MIN_CONFIDENCE,
    TWIST_SEGMENT_S,
    TWIST_SHARE,
    twist_segment,
    video_family,
    video_summary_family,
)
from twistcoach.report.html import (
    TEMPLATES_DIR,
    plot_svg,
    render_html,
    write_html_report,
)
from twistcoach.report.summary import (
    DEFAULT_CAP_DEG,
    failure_summary,
    image_summary,
    photo_rotation_metrics,
    video_summary,
)
from twistcoach.report.tables import (
    CSV_COLUMNS,
    frame_rows,
    write_json,
    write_metrics_csv,
)
from twistcoach.report.timeline import (
    HOLD_BAND_DEG,
    HOLD_GAP_S,
    EventSpan,
    ReportThresholds,
    SideStats,
    detect_events,
    events_by_frame,
    frame_events,
    frame_gap_s,
    side_stats,
    speed_checked,
    usable,
    video_view,
)
from twistcoach.report.words import (
    EVENT_COLORS,
    EVENT_LABELS,
    KNEE_DROP_WORDS,
    MEASURE_WORDS,
    NOT_MEASURED,
    EventKind,
    MeasureWords,
    TwistMeasure,
    measure_of,
    rotation_view_name,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_CAP_DEG",
    "EVENT_COLORS",
    "EVENT_LABELS",
    "HOLD_BAND_DEG",
    "HOLD_GAP_S",
    "KNEE_DROP_WORDS",
    "MEASURE_WORDS",
    "NOT_MEASURED",
    "TEMPLATES_DIR",
    "TWIST_OF",
    "TWIST_SEGMENT_GAP_S",
    "TWIST_SEGMENT_MIN_CONFIDENCE",
    "TWIST_SEGMENT_S",
    "TWIST_SHARE",
    "EventKind",
    "EventSpan",
    "MeasureWords",
    "ReportThresholds",
    "SideStats",
    "TwistMeasure",
    "detect_events",
    "events_by_frame",
    "failure_summary",
    "frame_events",
    "frame_gap_s",
    "frame_rows",
    "image_summary",
    "measure_of",
    "photo_rotation_metrics",
    "plot_svg",
    "render_html",
    "rotation_view_name",
    "side_stats",
    "speed_checked",
    "twist_segment",
    "usable",
    "video_family",
    "video_summary",
    "video_summary_family",
    "video_view",
    "write_annotated_image",
    "write_annotated_video",
    "write_html_report",
    "write_json",
    "write_metrics_csv",
]

"""How a report names its measure: the knee drop of a supine twist or the trunk rotation of a
seated or standing twist, the events on its timeline and the camera's place, so that a
seated twist's report never says "knee drop"."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from twistcoach.checks import Check
from twistcoach.metrics import PoseFamily, View


class EventKind(StrEnum):
    """Things worth marking on a video's timeline (the coach's checks, same names)."""

    TOO_FAST = Check.TOO_FAST.value
    SHOULDER_LIFTED = Check.SHOULDER_LIFTED.value
    OVER_CAP = Check.OVER_CAP.value
    BOUNCING = Check.BOUNCING.value


EVENT_LABELS = {
    EventKind.TOO_FAST: "too fast",
    EventKind.SHOULDER_LIFTED: "shoulder lifted",
    EventKind.OVER_CAP: "over cap",
    EventKind.BOUNCING: "bouncing",
}
EVENT_COLORS = {
    EventKind.TOO_FAST: "#f0a020",
    EventKind.SHOULDER_LIFTED: "#8a5cd0",
    EventKind.OVER_CAP: "#e04040",
    EventKind.BOUNCING: "#20a0a0",
}
#: What a report says where nothing was measured.
NOT_MEASURED = "not measured"


class TwistMeasure(StrEnum):
    """What a twist is measured by (the plan's ``range.measure``)."""

    KNEE_DROP = "knee_drop"  # supine twists: the knees' drop from the ceiling
    TRUNK_ROTATION = "trunk_rotation"  # seated and standing: the chest turned from the hips


@dataclass(frozen=True)
class MeasureWords:
    """How a report names one measure and the tracker's metric slots that carry it.

    Attributes
    ----------
    measure
        Which measure.
    name
        Its plain name ("knee drop", "trunk rotation").
    columns
        ``TwistMetrics`` slot -> CSV column / JSON field, for the slots this measure
        fills (the others are left out of the CSV).
    labels
        ``TwistMetrics`` slot -> words for the plots and the overlay.
    events
        Event -> (its ``kind`` in the JSON and CSV, its label in the report).
    axis
        The main plot's y-axis label.
    """

    measure: TwistMeasure
    name: str
    columns: dict[str, str]
    labels: dict[str, str]
    events: dict[EventKind, tuple[str, str]]
    axis: str

    @property
    def max_key(self) -> str:
        """The per-side summary field of the largest value (``max_knee_drop_deg``, ...)."""
        return f"max_{self.measure.value}_deg"

    @property
    def csv_columns(self) -> tuple[str, ...]:
        """The CSV's header for this measure."""
        return (
            "frame",
            "timestamp_s",
            "person",
            "pose_family",
            "view",
            *self.columns.values(),
            "events",
        )

    def event_kind(self, kind: EventKind) -> str:
        """An event's ``kind`` as the JSON and CSV write it."""
        return self.events[kind][0]

    def event_label(self, kind: str) -> str:
        """The report's words for an event written as :meth:`event_kind`."""
        for written, label in self.events.values():
            if written == kind:
                return label
        raise ValueError(f"unknown event {kind!r}")


_SUPINE_EVENTS = {kind: (kind.value, EVENT_LABELS[kind]) for kind in EventKind}

#: The words of each measure.
MEASURE_WORDS: dict[TwistMeasure, MeasureWords] = {
    TwistMeasure.KNEE_DROP: MeasureWords(
        measure=TwistMeasure.KNEE_DROP,
        name="knee drop",
        columns={
            "knee_drop": "knee_drop_deg",
            "drop_side": "drop_side",
            "pelvis_roll": "pelvis_roll_deg",
            "shoulder_roll": "shoulder_roll_deg",
            "lifted_shoulder": "lifted_shoulder",
            "twist": "twist_deg",
            "knee_flexion": "knee_flexion_deg",
            "knees_together": "knees_together",
            "speed": "speed_deg_s",
            "confidence": "confidence",
        },
        labels={
            "knee_drop": "knee drop",
            "pelvis_roll": "pelvis roll",
            "shoulder_roll": "shoulder roll",
            "twist": "twist",
        },
        events=_SUPINE_EVENTS,
        axis="knee drop (°)\n+ right / − left",
    ),
    # The rotation tracker's slots (twistcoach.seated_tracking): knee_drop = trunk rotation,
    # drop_side = its side, shoulder_roll = side bend, lifted_shoulder = a side bend past the
    # form limit (the side it leans to). Its pelvis_roll slot (the pelvis turn) is always
    # unknown (MediaPipe's hips turn with the chest: bench/ACCURACY_SEATED.md), so it has no
    # column and no label.
    TwistMeasure.TRUNK_ROTATION: MeasureWords(
        measure=TwistMeasure.TRUNK_ROTATION,
        name="trunk rotation",
        columns={
            "knee_drop": "trunk_rotation_deg",
            "drop_side": "rotation_side",
            "shoulder_roll": "side_bend_deg",
            "lifted_shoulder": "side_bend_fault",
            "speed": "speed_deg_s",
            "confidence": "confidence",
        },
        labels={
            "knee_drop": "trunk rotation",
            "shoulder_roll": "side bend",
        },
        events={
            **_SUPINE_EVENTS,
            EventKind.SHOULDER_LIFTED: ("side_bend", "leaning to the side"),
        },
        axis="trunk rotation (°)\n+ chest to the right / − left",
    ),
}


#: The knee drop's words, every writer's default.
KNEE_DROP_WORDS = MEASURE_WORDS[TwistMeasure.KNEE_DROP]


def measure_of(family: PoseFamily | str) -> TwistMeasure:
    """The measure of a pose family: trunk rotation for seated and standing postures,
    knee drop for the others (supine twists; anything else is analysed as before)."""
    seated = {
        PoseFamily.SEATED,
        PoseFamily.SEATED_TWIST,
        PoseFamily.STANDING,
        PoseFamily.STANDING_TWIST,
    }
    return TwistMeasure.TRUNK_ROTATION if PoseFamily(family) in seated else TwistMeasure.KNEE_DROP


#: The rotation tracker's views in the camera-placement words of ``docs/measuring.md``
#: (its observations carry the supine coach's views: the measured front camera in the
#: "oblique" slot, which a diagonal camera shares but never measures).
def rotation_view_name(view: View | None, measurable: bool) -> str | None:
    """Where the camera was for a seated or standing twist: front, diagonal, side,
    overhead or unknown (None when nobody was seen)."""
    if view is None:
        return None
    if view is View.OBLIQUE:
        return "front" if measurable else "diagonal"
    return {View.SIDE: "side", View.TOP_DOWN: "overhead"}.get(view, "unknown")

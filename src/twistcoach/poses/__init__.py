"""The pose library: twist variants kept as validated data (see :mod:`.schema`)."""

from twistcoach.poses.loader import load_library, parse_library
from twistcoach.poses.schema import (
    Cue,
    CueWhen,
    PoseLibrary,
    Prop,
    RangeKind,
    RangeMeasure,
    SourceNote,
    Step,
    TwistFamily,
    Variant,
)

__all__ = [
    "Cue",
    "CueWhen",
    "PoseLibrary",
    "Prop",
    "RangeKind",
    "RangeMeasure",
    "SourceNote",
    "Step",
    "TwistFamily",
    "Variant",
    "load_library",
    "parse_library",
]

"""Schema of the pose library: twist variants, their steps, cues, props and limits.

Pure core: standard library and pydantic only. The data itself lives in
``twistcoach/poses/library/*.yaml`` (one variant per file) and is validated against these
models when it is loaded (:func:`twistcoach.poses.load_library`).

Range conventions (DESIGN.md, "The twist, measured")
----------------------------------------------------
Each family has one range measure (:class:`RangeMeasure`):

- supine twists: the **knee drop** in degrees, 0 = knees pointing at the ceiling, about
  90 = knees resting on the floor;
- seated and standing twists: the **trunk rotation**, the angle in the transverse plane
  between the shoulder line and the pelvis line (``docs/measuring.md``), 0 = shoulders
  square to the hips; the normal active thoracolumbar range is about 45 degrees each way
  (CLINICAL.md §5, normal ranges).

A variant carries the full-range and own-cap fields of its family's measure only; the
other measure's fields stay ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from twistcoach.metrics import PoseFamily, Side

#: An identifier: lower-case words joined by underscores, e.g. ``supine_twist_partial``.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
#: Non-empty plain text.
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

#: A source note must point at a numbered section of CLINICAL.md, e.g. "CLINICAL.md §3".
SOURCE_PATTERN = re.compile(r"CLINICAL\.md §[1-7]\b")


class TwistFamily(StrEnum):
    """The family a variant belongs to; values equal the matching :class:`PoseFamily`."""

    SUPINE_TWIST = "supine_twist"
    SEATED_TWIST = "seated_twist"
    STANDING_TWIST = "standing_twist"

    @property
    def pose_family(self) -> PoseFamily:
        """The recognised-pose family with the same name (what the camera reports)."""
        return PoseFamily(self.value)

    @property
    def has_knee_drop(self) -> bool:
        """True when the knee-drop metric applies (supine twists only)."""
        return self is TwistFamily.SUPINE_TWIST

    @property
    def measure(self) -> RangeMeasure:
        """The family's range measure: knee drop (supine) or trunk rotation (the others)."""
        if self is TwistFamily.SUPINE_TWIST:
            return RangeMeasure.KNEE_DROP
        return RangeMeasure.TRUNK_ROTATION


class RangeMeasure(StrEnum):
    """What a variant's range cap is measured in (degrees either way)."""

    KNEE_DROP = "knee_drop"  # supine: 0 = knees up, about 90 = knees on the floor
    TRUNK_ROTATION = "trunk_rotation"  # seated, standing: shoulder line vs pelvis line


class RangeKind(StrEnum):
    """How far a variant goes, in words."""

    SUPPORTED = "supported"  # knees part way, resting on props
    PARTIAL = "partial"  # knees part way, unsupported, never end range
    FULL = "full"  # knees towards the floor (still capped below end range)
    # Seated and standing twists: no knee drop; their range is the trunk rotation (the
    # variant's *_trunk_rotation_deg fields), "part way" by the cap.
    NOT_MEASURED = "not_measured"


class Prop(StrEnum):
    """Props a variant may use."""

    BOLSTER = "bolster"
    BLANKET = "blanket"
    PILLOW = "pillow"
    BLOCK = "block"
    STRAP = "strap"
    CHAIR = "chair"
    WALL = "wall"
    MAT = "mat"


class CueWhen(StrEnum):
    """The situation a cue is meant for; the coach picks cues by this.

    setup: before moving (lying down, sitting up); entering: while moving into the twist;
    holding: while staying in it; exhale: breath cue during the hold; too_fast: the knee
    drop (or turn) is quick; near_cap: close to the plan's range cap; at_cap: at or past the
    cap; shoulder_lifted: a shoulder leaves the floor; pain: pain reported (not sharp);
    sharp_pain: sharp or shooting pain, or new leg symptoms (stop at once); returning:
    coming back to the centre; switch_sides: before the second side; finish: at the end.
    """

    SETUP = "setup"
    ENTERING = "entering"
    HOLDING = "holding"
    EXHALE = "exhale"
    TOO_FAST = "too_fast"
    NEAR_CAP = "near_cap"
    AT_CAP = "at_cap"
    SHOULDER_LIFTED = "shoulder_lifted"
    PAIN = "pain"
    SHARP_PAIN = "sharp_pain"
    RETURNING = "returning"
    SWITCH_SIDES = "switch_sides"
    FINISH = "finish"


class ContraindicationTag(StrEnum):
    """Mechanical features of a variant that screening rules refer to."""

    SPINAL_ROTATION = "spinal_rotation"  # every twist
    END_RANGE_ROTATION = "end_range_rotation"  # can reach end range (CLINICAL.md §3)
    FLEXION_WITH_ROTATION = "flexion_with_rotation"  # seated: disc load (§3, §5)
    CLOSED_TWIST = "closed_twist"  # compresses the abdomen (pregnancy, §3)
    WEIGHT_BEARING = "weight_bearing"  # standing: load and balance
    BALANCE = "balance"
    HIP_FLEXION_ADDUCTION = "hip_flexion_adduction"  # knees across the midline (hip, §3)
    LONG_SUPINE = "long_supine"  # lying on the back (later pregnancy, §3)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceNote(_Model):
    """Where a piece of knowledge comes from.

    Attributes
    ----------
    source
        Must cite a section of CLINICAL.md, e.g. ``"CLINICAL.md §3 (general modifications)"``.
    note
        What the source supports, in plain words.
    """

    source: Text
    note: Text

    @model_validator(mode="after")
    def _cites_clinical(self) -> SourceNote:
        if not SOURCE_PATTERN.search(self.source):
            raise ValueError(
                f"source {self.source!r} must cite a CLINICAL.md section, like 'CLINICAL.md §3'"
            )
        return self


class Step(_Model):
    """One instruction, in order. ``id`` is unique within the variant."""

    id: Identifier
    text: Text


class Cue(_Model):
    """Something the coach may say, and when (see :class:`CueWhen`)."""

    id: Identifier
    text: Text
    when: CueWhen


class Variant(_Model):
    """One twist variant.

    Attributes
    ----------
    id
        Unique identifier, e.g. ``supine_twist_partial``.
    english_name, sanskrit_name
        Display names (IAST transliteration without diacritics is fine).
    family
        :class:`TwistFamily`.
    position
        Starting position in words ("lying on the back, knees bent, feet flat").
    difficulty
        Order of progression, 1 = gentlest; unique across the library.
    range
        :class:`RangeKind`.
    steps
        Ordered instructions.
    cues
        Coaching cues with their situation.
    props
        Props the variant uses (may be empty).
    default_hold_s
        Seconds to stay on each side.
    sides
        Sides to practise, in order (``left`` and/or ``right``; never ``centre``).
    contraindication_tags
        :class:`ContraindicationTag` values screening rules select on.
    full_range_knee_drop_deg
        Degrees of knee drop at the end of the movement's range (about 90 = knees on the
        floor) for supine twists; None for seated and standing twists.
    default_max_knee_drop_deg
        The variant's own knee-drop cap in degrees for a person with no caution flag,
        below ``full_range_knee_drop_deg`` (optimum, not maximal, CLINICAL.md §5); None for
        seated and standing twists. Screening lowers it further, never raises it.
    full_range_trunk_rotation_deg
        Degrees of trunk rotation (shoulder line against pelvis line) at the end of the
        normal active range, seated and standing twists (about 45, CLINICAL.md §5); None
        for supine twists.
    default_max_trunk_rotation_deg
        The variant's own trunk-rotation cap in degrees for a person with no caution flag,
        50-70% of ``full_range_trunk_rotation_deg`` (CLINICAL.md §5, "optimum" fraction);
        None for supine twists. Screening lowers it further, never raises it.
    coach_measures
        True when the camera coach's measure was checked on this pose (the knee drop on
        supine twists; the trunk rotation on upright seated and standing trunks,
        bench/ACCURACY_SEATED.md). Planning offers a variant to the coach only then.
    source_notes
        Citations of CLINICAL.md sections.
    """

    id: Identifier
    english_name: Text
    sanskrit_name: Text
    family: TwistFamily
    position: Text
    difficulty: Annotated[int, Field(ge=1, le=100)]
    range: RangeKind
    steps: Annotated[tuple[Step, ...], Field(min_length=1)]
    cues: Annotated[tuple[Cue, ...], Field(min_length=1)]
    props: tuple[Prop, ...] = ()
    default_hold_s: Annotated[float, Field(gt=0, le=600)]
    sides: Annotated[tuple[Side, ...], Field(min_length=1, max_length=2)]
    contraindication_tags: tuple[ContraindicationTag, ...] = ()
    full_range_knee_drop_deg: Annotated[float, Field(gt=0, le=120)] | None = None
    default_max_knee_drop_deg: Annotated[float, Field(gt=0, le=120)] | None = None
    full_range_trunk_rotation_deg: Annotated[float, Field(gt=0, le=90)] | None = None
    default_max_trunk_rotation_deg: Annotated[float, Field(gt=0, le=90)] | None = None
    coach_measures: bool = True
    source_notes: Annotated[tuple[SourceNote, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> Variant:
        problems: list[str] = []
        for kind, items in (("step", self.steps), ("cue", self.cues)):
            ids = [item.id for item in items]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append(f"duplicate {kind} ids {dupes}")
        if Side.CENTRE in self.sides:
            problems.append("sides may only be 'left' and 'right'")
        if len(set(self.sides)) != len(self.sides):
            problems.append("sides are repeated")
        measured = self.family.has_knee_drop
        if measured:
            if self.full_range_knee_drop_deg is None or self.default_max_knee_drop_deg is None:
                problems.append(
                    "supine twists need full_range_knee_drop_deg and default_max_knee_drop_deg"
                )
            elif self.default_max_knee_drop_deg >= self.full_range_knee_drop_deg:
                problems.append(
                    "default_max_knee_drop_deg must stay below full_range_knee_drop_deg "
                    "(optimum, not maximal)"
                )
            if self.range is RangeKind.NOT_MEASURED:
                problems.append("a supine twist's range must be supported, partial or full")
            if (
                self.full_range_trunk_rotation_deg is not None
                or self.default_max_trunk_rotation_deg is not None
            ):
                problems.append(
                    "supine twists are measured by knee drop: leave the trunk-rotation fields out"
                )
        else:
            if (
                self.full_range_knee_drop_deg is not None
                or self.default_max_knee_drop_deg is not None
            ):
                problems.append(
                    f"{self.family} has no knee-drop metric: leave the knee-drop fields out"
                )
            if self.range is not RangeKind.NOT_MEASURED:
                problems.append(f"{self.family} range must be 'not_measured'")
            full = self.full_range_trunk_rotation_deg
            own = self.default_max_trunk_rotation_deg
            if full is None or own is None:
                problems.append(
                    f"{self.family} needs full_range_trunk_rotation_deg and "
                    "default_max_trunk_rotation_deg"
                )
            elif own >= full:
                problems.append(
                    "default_max_trunk_rotation_deg must stay below "
                    "full_range_trunk_rotation_deg (optimum, not maximal)"
                )
        if problems:
            raise ValueError(f"variant {self.id!r}: " + "; ".join(problems))
        return self

    @property
    def measure(self) -> RangeMeasure:
        """The variant's range measure (its family's)."""
        return self.family.measure

    @property
    def full_range_deg(self) -> float:
        """End of the normal range in the variant's own measure, degrees."""
        full = (
            self.full_range_knee_drop_deg
            if self.family.has_knee_drop
            else self.full_range_trunk_rotation_deg
        )
        assert full is not None  # the validator guarantees it
        return full

    @property
    def default_max_deg(self) -> float:
        """The variant's own cap in its own measure, degrees (below :attr:`full_range_deg`)."""
        own = (
            self.default_max_knee_drop_deg
            if self.family.has_knee_drop
            else self.default_max_trunk_rotation_deg
        )
        assert own is not None  # the validator guarantees it
        return own

    def cues_for(self, when: CueWhen) -> tuple[Cue, ...]:
        """The cues meant for one situation, in library order."""
        return tuple(cue for cue in self.cues if cue.when is when)

    def cue(self, cue_id: str) -> Cue:
        """The cue with this id; ``KeyError`` naming the known ids otherwise."""
        for cue in self.cues:
            if cue.id == cue_id:
                return cue
        raise KeyError(f"variant {self.id!r} has no cue {cue_id!r}")


class PoseLibrary(_Model):
    """Every variant, sorted by difficulty. Ids, difficulties and English names are unique
    (a Sanskrit name may be shared: the English name tells the variants apart)."""

    variants: tuple[Variant, ...]

    @field_validator("variants", mode="after")
    @classmethod
    def _unique_and_sorted(cls, variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
        if not variants:
            raise ValueError("the pose library is empty")
        ids = [v.id for v in variants]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate variant ids: {dupes}")
        levels = [v.difficulty for v in variants]
        same = sorted({d for d in levels if levels.count(d) > 1})
        if same:
            raise ValueError(f"difficulty must be unique per variant; repeated: {same}")
        # People tell variants apart, and name one (`poses NAME`, `--variant`), by the English
        # name and its translation: two variants may share a Sanskrit name (the part-way and
        # the full supine twist are both Supta Matsyendrasana), never an English one.
        names = [" ".join(v.english_name.casefold().split()) for v in variants]
        twice = sorted(
            {v.english_name for v, n in zip(variants, names, strict=True) if names.count(n) > 1}
        )
        if twice:
            raise ValueError(f"english_name must be unique per variant; repeated: {twice}")
        return tuple(sorted(variants, key=lambda v: v.difficulty))

    def __iter__(self) -> Iterator[Variant]:  # type: ignore[override]
        return iter(self.variants)

    def __len__(self) -> int:
        return len(self.variants)

    def __contains__(self, variant_id: object) -> bool:
        return any(v.id == variant_id for v in self.variants)

    @property
    def ids(self) -> tuple[str, ...]:
        """Variant ids in difficulty order."""
        return tuple(v.id for v in self.variants)

    def get(self, variant_id: str) -> Variant:
        """The variant with this id; ``KeyError`` with the known ids otherwise."""
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        raise KeyError(f"unknown variant {variant_id!r}; known: {', '.join(self.ids)}")

    def name_of(self, variant_id: str, *, sanskrit: bool = False) -> str:
        """The words people read for a variant id: its English name ("English name
        (Sanskrit name)" with ``sanskrit``); an id this library does not have (a session
        stored under an older library) in words, never raised. Every surface names
        variants through here (the CLI, the web pages, the coach's window, the clinical
        PDF and FHIR)."""
        for variant in self.variants:
            if variant.id == variant_id:
                english = variant.english_name
                return f"{english} ({variant.sanskrit_name})" if sanskrit else english
        return variant_id.replace("_", " ")

    def names(self, *, sanskrit: bool = False) -> dict[str, str]:
        """Variant id -> :meth:`name_of`, in difficulty order."""
        return {v.id: self.name_of(v.id, sanskrit=sanskrit) for v in self.variants}

    def family(self, family: TwistFamily) -> tuple[Variant, ...]:
        """The variants of one family, in difficulty order."""
        return tuple(v for v in self.variants if v.family is family)

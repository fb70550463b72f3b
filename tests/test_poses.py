"""Tests of the pose library schema, the shipped YAML and its loader."""

from __future__ import annotations

import re

import pytest

from twistcoach.metrics import PoseFamily, Side
from twistcoach.poses import CueWhen, RangeKind, TwistFamily, load_library, parse_library
from twistcoach.poses.loader import LibraryError, parse_variant

EXPECTED_IDS = (
    "supine_twist_supported",
    "supine_twist_partial",
    "supine_twist_full",
    "seated_twist_easy",
    "seated_twist_marichyasana",
    "seated_twist_half_lord_of_fishes",
    "standing_twist_revolved_triangle",
)

MINIMAL = """
id: test_twist
english_name: Test twist
sanskrit_name: Testasana
family: supine_twist
position: On the back.
difficulty: 1
range: partial
steps: [{id: a, text: Lie down.}]
cues: [{id: c, when: holding, text: Breathe.}]
default_hold_s: 30
sides: [right, left]
full_range_knee_drop_deg: 90
default_max_knee_drop_deg: 54
source_notes: [{source: CLINICAL.md §5, note: optimum not maximal}]
"""


def test_library_has_the_seven_variants_in_difficulty_order() -> None:
    library = load_library()
    assert library.ids == EXPECTED_IDS
    assert [v.difficulty for v in library] == [1, 2, 3, 4, 5, 6, 7]
    assert [v.id for v in library.family(TwistFamily.SEATED_TWIST)] == list(EXPECTED_IDS[3:6])


def test_supine_caps_stay_below_the_full_range_within_50_to_70_percent() -> None:
    library = load_library()
    caps = {v.id: v.default_max_knee_drop_deg for v in library.family(TwistFamily.SUPINE_TWIST)}
    assert caps == {
        "supine_twist_supported": 45.0,
        "supine_twist_partial": 54.0,
        "supine_twist_full": 63.0,
    }
    for variant in library.family(TwistFamily.SUPINE_TWIST):
        assert variant.full_range_knee_drop_deg == 90.0
        assert variant.range in (RangeKind.SUPPORTED, RangeKind.PARTIAL, RangeKind.FULL)
    for variant in library:
        if variant.family is not TwistFamily.SUPINE_TWIST:
            assert variant.default_max_knee_drop_deg is None
            assert variant.range is RangeKind.NOT_MEASURED


def test_every_variant_has_both_sides_sources_and_a_sharp_pain_stop_cue() -> None:
    for variant in load_library():
        assert variant.sides == (Side.RIGHT, Side.LEFT)
        assert all("CLINICAL.md §" in note.source for note in variant.source_notes)
        stop = variant.cues_for(CueWhen.SHARP_PAIN)
        assert stop and stop[0].text.startswith("Stop now")
        assert variant.family.pose_family in (
            PoseFamily.SUPINE_TWIST,
            PoseFamily.SEATED_TWIST,
            PoseFamily.STANDING_TWIST,
        )


def test_supine_twist_carries_the_whole_method() -> None:
    """Issue 2 lists the method; each element must appear in the steps or cues."""
    library = load_library()
    for variant_id in ("supine_twist_supported", "supine_twist_partial", "supine_twist_full"):
        variant = library.get(variant_id)
        words = " ".join([s.text for s in variant.steps] + [c.text for c in variant.cues]).lower()
        for phrase in (
            "on your back",
            "knees bent",
            "feet flat",
            "shoulders flat",
            "across to one side",
            "gently",
            "never force",
            "as the body allows",
            "aware of your back",
            "go easier",
            "sharp",
            "stop at once",
            "open, wide and relaxed",
            "ripple down your spine",
            "exhale",
            "belly soften",
            "obliques",
            "other side",
        ):
            assert phrase in words, f"{variant_id} misses {phrase!r}"
        whens = {cue.when for cue in variant.cues}
        assert {CueWhen.SETUP, CueWhen.TOO_FAST, CueWhen.PAIN, CueWhen.SHARP_PAIN} <= whens
        assert {CueWhen.EXHALE, CueWhen.SHOULDER_LIFTED, CueWhen.SWITCH_SIDES} <= whens
    supported = library.get("supine_twist_supported")
    assert "props" in " ".join(s.text for s in supported.steps)
    assert {"bolster", "blanket", "pillow"} <= {p.value for p in supported.props}


def test_get_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: supine_twist_supported"):
        load_library().get("lotus")
    assert "supine_twist_full" in load_library()
    assert load_library().get("supine_twist_full").cue("sharp_stop").when is CueWhen.SHARP_PAIN


def test_a_variant_is_named_in_words_and_an_unknown_id_never_raises() -> None:
    library = parse_library([("t.yaml", MINIMAL)])
    assert library.name_of("test_twist") == "Test twist"
    assert library.name_of("test_twist", sanskrit=True) == "Test twist (Testasana)"
    assert library.names() == {"test_twist": "Test twist"}
    # A session stored under an older library still reads as words.
    assert library.name_of("old_twist_gone") == "old twist gone"


def test_parse_minimal_variant() -> None:
    variant = parse_variant(MINIMAL, "test.yaml")
    assert variant.id == "test_twist"
    assert variant.default_max_knee_drop_deg == 54.0
    assert variant.steps[0].text == "Lie down."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("default_max_knee_drop_deg: 54", "default_max_knee_drop_deg: 90"), "stay below"),
        (("source: CLINICAL.md §5", "source: a blog"), "must cite a CLINICAL.md section"),
        (("sides: [right, left]", "sides: [right, centre]"), "only be 'left' and 'right'"),
        (("family: supine_twist", "family: lying_twist"), "family"),
        (("difficulty: 1", "difficulty: 1\ncolour: red"), "colour"),
        (("when: holding", "when: sometimes"), "cues.0.when"),
        (("range: partial", "range: not_measured"), "supported, partial or full"),
        (("[{id: a, text: Lie down.}]", "[{id: a, text: A.}, {id: a, text: B.}]"), "duplicate"),
    ],
)
def test_invalid_variants_are_rejected_with_the_field(
    change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(LibraryError, match=message) as info:
        parse_variant(MINIMAL.replace(old, new), "bad.yaml")
    assert str(info.value).startswith("bad.yaml")


def test_seated_variant_may_not_carry_knee_drop_fields() -> None:
    text = MINIMAL.replace("family: supine_twist", "family: seated_twist").replace(
        "range: partial", "range: not_measured"
    )
    with pytest.raises(LibraryError, match="no knee-drop metric"):
        parse_variant(text)


def test_library_rejects_duplicate_ids_and_difficulties() -> None:
    other = MINIMAL.replace("difficulty: 1", "difficulty: 2")
    with pytest.raises(LibraryError, match="duplicate variant ids"):
        parse_library([("a.yaml", MINIMAL), ("b.yaml", other)])
    renamed = MINIMAL.replace("id: test_twist", "id: other_twist")
    with pytest.raises(LibraryError, match="difficulty must be unique"):
        parse_library([("a.yaml", MINIMAL), ("b.yaml", renamed)])
    with pytest.raises(LibraryError, match="not valid YAML"):
        parse_library([("a.yaml", "id: [unclosed")])


def test_a_sanskrit_name_may_be_shared_an_english_name_never() -> None:
    """Two variants of one pose share its Sanskrit name; people tell them apart, and name
    one, by the English name (and its translation), so that one is unique."""
    other = MINIMAL.replace("id: test_twist", "id: other_twist").replace(
        "difficulty: 1", "difficulty: 2"
    )
    same = other.replace("english_name: Test twist", "english_name: test  TWIST")
    with pytest.raises(LibraryError, match="english_name must be unique"):
        parse_library([("a.yaml", MINIMAL), ("b.yaml", same)])
    apart = other.replace("english_name: Test twist", "english_name: Test twist (part way)")
    library = parse_library([("a.yaml", MINIMAL), ("b.yaml", apart)])
    assert {v.sanskrit_name for v in library} == {"Testasana"}
    assert len(set(library.names(sanskrit=True).values())) == 2


def test_the_libraries_sanskrit_names_are_sanskrit_only() -> None:
    """A Sanskrit name carries no English word ("Supta Matsyendrasana (partial)" did): the
    part-way supine twist is Supta Matsyendrasana, as the full one, told apart by its
    English name."""
    library = load_library()
    for variant in library:
        assert re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)*( [IVX]+)?", variant.sanskrit_name), (
            variant.id,
            variant.sanskrit_name,
        )
    partial, full = library.get("supine_twist_partial"), library.get("supine_twist_full")
    assert partial.sanskrit_name == full.sanskrit_name == "Supta Matsyendrasana"
    assert library.name_of(partial.id, sanskrit=True) == (
        "Supine twist (part way) (Supta Matsyendrasana)"
    )
    assert library.name_of(partial.id) != library.name_of(full.id)

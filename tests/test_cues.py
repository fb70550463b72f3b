"""The coach's cues, measured (issue 22): the wrong side, and the targets on the CI set.

The CI set (``tests/cues/``) holds MediaPipe landmark sequences of rendered sessions with
their true angles, made by ``bench/cues.py ci`` (see ``bench/CUES.md``): one body from the
tuning split and one held-out body, each doing every labelled fault once. The replay is the
real :class:`twistcoach.session.LiveSession`, frame by frame.
"""

from __future__ import annotations

from test_coaching import (
    RULES,
    cue_ids,
    event_ids,
    feed,
    make_plan,
    ramp,
    state,
)
from twistcoach.coaching import Coach, CoachState, Cue
from twistcoach.metrics import Side


def _calibrated(sides: tuple[str, ...], cap: float = 40.0) -> tuple[Coach, float]:
    """A coach that has just asked for the first of ``sides`` (at 5.0 s)."""
    coach = Coach(make_plan(cap=cap, hold=10.0, sides=sides), RULES, start_pain=2)
    feed(coach, ramp(0.0, 2.5, 0.0, 0.0, person=False))
    feed(coach, ramp(2.5, 5.1, 0.0, 0.0))
    assert state(coach) is CoachState.ENTERING
    return coach, 5.1


def test_wrong_side_on_a_one_sided_plan_is_named_never_stay_here() -> None:
    coach, t = _calibrated(("right",))
    # A slow drop to the LEFT (the plan asks for the right), past "stay here".
    out = feed(coach, ramp(t, t + 4.0, 0.0, -38.0))
    out += feed(coach, ramp(t + 4.0, t + 10.0, -38.0, -38.0, speed=0.0))
    cues = cue_ids(out)
    assert "other_side" in cues
    assert "stay_here" not in cues and "hold" not in cues
    assert "hold_started" not in event_ids(out)
    assert state(coach) is CoachState.ENTERING
    first = next(o for o in out if isinstance(o, Cue) and o.id == "other_side")
    assert isinstance(first, Cue) and "right" in first.text
    # Said again only after cue_repeat_s, not every frame.
    assert cues.count("other_side") == 2
    # Back up, then to the right: coached as usual.
    out = feed(coach, ramp(t + 10.0, t + 13.0, -38.0, 0.0))
    out += feed(coach, ramp(t + 13.0, t + 17.0, 0.0, 25.0))
    out += feed(coach, ramp(t + 17.0, t + 21.0, 25.0, 25.0, speed=0.0))
    assert "other_side" not in cue_ids(out)
    assert "hold_started" in event_ids(out)
    assert coach.current_side is Side.RIGHT


def test_wrong_side_on_the_second_side_is_named() -> None:
    """The browser's bug: on the left side the knees went right and the coach said
    "stay here", recording "holding on the left"."""
    coach, t = _calibrated(("both",))
    coach.side_index = 1  # the right side is done: the left comes next
    coach._sides_done.append(Side.RIGHT)
    out = feed(coach, ramp(t, t + 4.0, 0.0, 34.0))
    out += feed(coach, ramp(t + 4.0, t + 8.0, 34.0, 34.0, speed=0.0))
    assert "other_side" in cue_ids(out)
    assert "stay_here" not in cue_ids(out)
    assert "hold_started" not in event_ids(out)


def test_wrong_side_first_with_both_sides_left_is_followed() -> None:
    """With both sides still to do, going left first is fine: the coach follows."""
    coach, t = _calibrated(("both",))
    out = feed(coach, ramp(t, t + 4.0, 0.0, -30.0))
    out += feed(coach, ramp(t + 4.0, t + 9.0, -30.0, -30.0, speed=0.0))
    assert "other_side" not in cue_ids(out)
    assert "side_changed" in event_ids(out)
    assert coach.current_side is Side.LEFT


def test_wrong_side_over_the_cap_still_eases_back() -> None:
    coach, t = _calibrated(("right",), cap=30.0)
    out = feed(coach, ramp(t, t + 5.0, 0.0, -36.0))
    assert "ease_back" in cue_ids(out)
    assert "other_side" in cue_ids(out)


def test_unknown_speed_keeps_the_settling_time() -> None:
    """A one-frame glitch every couple of seconds (no speed for the frames after it) no
    longer keeps the hold from starting."""
    coach, t = _calibrated(("right",))
    out = feed(coach, ramp(t, t + 3.0, 0.0, 25.0))
    t += 3.0
    from test_coaching import obs

    for i in range(60):  # 6 s still at 25, with no speed on every 20th frame and the next 3
        ti = round(t + i * 0.1, 3)
        glitch = i % 20 < 4 and i >= 4
        o = obs(ti, 25.0, speed=0.0)
        if glitch:
            m = o.metrics
            assert m is not None
            from dataclasses import replace

            from twistcoach.metrics import Measure

            o = replace(o, metrics=replace(m, speed=Measure.unknown(0.0)))
        out += coach.observe(o)
    assert "hold_started" in event_ids(out)

"""Scenario tests for the coach: replayed synthetic observation sequences, one per rule."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from typing import Any

import pytest
import yaml

from twistcoach import coaching
from twistcoach.coaching import (
    Coach,
    CoachPlan,
    CoachState,
    Cue,
    Event,
    Output,
    PauseReason,
    PlanRefusedError,
    Priority,
    RulesError,
    StopReason,
    build_coach_plan,
    load_coaching_rules,
    parse_coaching_rules,
)
from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View

RULES = load_coaching_rules()
DT = 0.1  # 10 observations a second


def obs(
    t: float,
    drop: float | None,
    *,
    speed: float = 0.0,
    conf: float = 0.9,
    family: PoseFamily = PoseFamily.SUPINE_TWIST,
    family_conf: float = 0.9,
    lifted: Side | None = None,
    shoulder_roll: float = 0.0,
    measurable: bool = True,
    person: bool = True,
    view: View | None = None,
    camera_side: Side | None = None,
) -> Observation:
    """One observation with the given knee drop (degrees, + = right) and speed (deg/s)."""
    metrics = None
    if person:
        knee = Measure(drop, conf) if drop is not None else Measure.unknown(conf)
        metrics = TwistMetrics(
            timestamp_s=t,
            knee_drop=knee,
            drop_side=None,
            pelvis_roll=Measure(None if drop is None else drop / 2, conf),
            shoulder_roll=Measure(shoulder_roll, conf),
            lifted_shoulder=lifted,
            twist=Measure(None if drop is None else drop / 2 - shoulder_roll, conf),
            knee_flexion=Measure(80.0, conf),
            knees_together=True,
            speed=Measure(speed, conf),
            confidence=conf,
        )
    return Observation(
        timestamp_s=t,
        metrics=metrics,
        family=family,
        family_confidence=family_conf,
        view=view if view is not None else View.OBLIQUE if measurable else View.SIDE,
        view_measurable=measurable,
        view_advice="" if measurable else "Raise the camera to a corner by your feet.",
        camera_side=camera_side,
    )


def make_plan(cap: float = 40.0, hold: float = 20.0, sides: Iterable[str] = ("both",)) -> CoachPlan:
    return build_coach_plan(
        variant_id="supine_twist_partial",
        family="supine_twist",
        status="allowed",
        max_knee_drop_deg=cap,
        hold_s=hold,
        sides=list(sides),
    )


def feed(coach: Coach, observations: Iterable[Observation]) -> list[Output]:
    out: list[Output] = []
    for o in observations:
        out.extend(coach.observe(o))
    return out


def ramp(t0: float, t1: float, d0: float, d1: float, **kw: object) -> list[Observation]:
    """Observations every DT from t0 (inclusive) to t1 (exclusive), drop linear d0 -> d1."""
    n = round((t1 - t0) / DT)
    speed = kw.pop("speed", (d1 - d0) / (t1 - t0))
    return [
        obs(round(t0 + i * DT, 3), d0 + (d1 - d0) * i / n, speed=speed, **kw)  # type: ignore[arg-type]
        for i in range(n)
    ]


def state(coach: Coach) -> CoachState:
    """The coach's state (a call, so mypy does not narrow it across inputs)."""
    return coach.state


def cue_ids(outputs: Iterable[Output]) -> list[str]:
    return [o.id for o in outputs if isinstance(o, Cue)]


def event_ids(outputs: Iterable[Output]) -> list[str]:
    return [o.id for o in outputs if isinstance(o, Event)]


def entering_coach(**plan_kw: float) -> tuple[Coach, list[Output]]:
    """A coach entering the right side from exactly 5.0 s.

    Nobody is in view for 2.5 s; then the person lies at centre: set-up still for 0.5 s,
    calibration 2 s, so the first side starts at 5.0 s.
    """
    coach = Coach(make_plan(**plan_kw), RULES, start_pain=2)  # type: ignore[arg-type]
    out = feed(coach, ramp(0.0, 2.5, 0.0, 0.0, person=False))
    out += feed(coach, ramp(2.5, 5.1, 0.0, 0.0))
    th = RULES.thresholds
    assert 2.5 + th.setup_still_s + th.calibration_s == 5.0
    assert [o.t for o in out if isinstance(o, Cue) and o.id == "enter_side"] == [5.0]
    assert state(coach) is CoachState.ENTERING
    assert coach.current_side is Side.RIGHT
    return coach, out


def holding_coach() -> tuple[Coach, list[Output]]:
    """Entering, then the knees sink to 25 deg over 5 s and rest there until holding."""
    coach, out = entering_coach()
    out += feed(coach, ramp(5.0, 10.0, 0.0, 25.0))
    out += feed(coach, ramp(10.0, 13.5, 25.0, 25.0))
    assert state(coach) is CoachState.HOLDING
    return coach, out


# --------------------------------------------------------------------------- rules file


def test_rules_file_validates_and_every_rule_cites_a_source() -> None:
    assert {r.cue for r in RULES.rules} == coaching.REQUIRED_CUES
    for rule in RULES.rules:
        assert "CLINICAL.md" in rule.source or "DESIGN.md" in rule.source
        assert rule.id.startswith("COACH-")
    assert RULES.thresholds.pain_stop_rise == 2
    assert RULES.thresholds.pain_stop_above == 5
    assert RULES.rule_for("stop_sharp_pain").priority is Priority.SAFETY


def _raw_rules() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("twistcoach").joinpath("rules/coaching.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_rules_parse_rejects_missing_cue_duplicate_and_unsourced_rules() -> None:
    data = _raw_rules()
    missing = copy.deepcopy(data)
    missing["rules"] = [r for r in missing["rules"] if r["cue"] != "ease_back"]
    with pytest.raises(RulesError, match="missing cues: ease_back"):
        parse_coaching_rules(missing)
    dup = copy.deepcopy(data)
    dup["rules"].append(dict(dup["rules"][0]))
    with pytest.raises(RulesError, match="duplicate rule id: COACH-STOP-SHARP"):
        parse_coaching_rules(dup)
    unsourced = copy.deepcopy(data)
    unsourced["rules"][0]["source"] = "a blog"
    with pytest.raises(RulesError, match=r"rules\.0\.source"):
        parse_coaching_rules(unsourced)
    bad_threshold = copy.deepcopy(data)
    bad_threshold["thresholds"]["speed_limit_deg_s"] = -1
    with pytest.raises(RulesError, match=r"thresholds\.speed_limit_deg_s"):
        parse_coaching_rules(bad_threshold)
    inside = copy.deepcopy(data)
    inside["thresholds"]["hold_exit_deg"] = inside["thresholds"]["min_hold_drop_deg"]
    with pytest.raises(RulesError, match="hold_exit_deg must be smaller than min_hold_drop_deg"):
        parse_coaching_rules(inside)
    bands = copy.deepcopy(data)
    bands["under_read"][1]["up_to_deg"] = bands["under_read"][0]["up_to_deg"]
    with pytest.raises(RulesError, match="up_to_deg must increase"):
        parse_coaching_rules(bands)
    invite = copy.deepcopy(data)
    invite["thresholds"]["sink_invite_margin_deg"] = 10.0
    with pytest.raises(RulesError, match=r"sink_invite_margin_deg .* largest under_read margin"):
        parse_coaching_rules(invite)
    female = copy.deepcopy(data)
    female["under_read_by_body"]["female"][-1]["margin_deg"] = 30.0
    with pytest.raises(
        RulesError, match=r"sink_invite_margin_deg .* largest under_read_by_body\.female margin"
    ):
        parse_coaching_rules(female)
    female_bands = copy.deepcopy(data)
    female_bands["under_read_by_body"]["female"][1]["up_to_deg"] = 10.0
    with pytest.raises(RulesError, match=r"under_read_by_body\.female: up_to_deg must increase"):
        parse_coaching_rules(female_bands)
    unknown_body = copy.deepcopy(data)
    unknown_body["under_read_by_body"]["child"] = unknown_body["under_read"]
    with pytest.raises(RulesError, match="child"):
        parse_coaching_rules(unknown_body)
    extra = copy.deepcopy(data)
    extra["colour"] = "blue"
    with pytest.raises(RulesError, match="colour"):
        parse_coaching_rules(extra)


# --------------------------------------------------------------------------- the plan


def test_build_plan_expands_both_sides_and_keeps_the_cap() -> None:
    plan = build_coach_plan(
        variant_id="supine_twist_supported",
        family="supine_twist",
        status="allowed",
        max_knee_drop_deg=30,
        hold_s=45,
        sides=["both"],
        props=["bolster"],
        steps=["Lie on your back."],
    )
    assert plan.sides == (Side.RIGHT, Side.LEFT)
    assert plan.cap_deg == 30.0
    assert plan.props == ("bolster",)
    assert plan.family is PoseFamily.SUPINE_TWIST


def test_build_plan_refuses_a_variant_the_plan_does_not_allow() -> None:
    with pytest.raises(PlanRefusedError, match=r"'seated_twist_easy' \(not_allowed\): supine only"):
        build_coach_plan(
            variant_id="seated_twist_easy",
            family="seated_twist",
            status="not_allowed",
            max_knee_drop_deg=None,
            reasons=["supine only"],
            hold_s=30,
            sides=["both"],
        )
    with pytest.raises(PlanRefusedError, match="no knee-drop cap"):
        build_coach_plan(
            variant_id="supine_twist_partial",
            family="supine_twist",
            status="allowed",
            max_knee_drop_deg=None,
            hold_s=30,
            sides=["right"],
        )


# --------------------------------------------------------------------------- happy session


class Person:
    """A calm person who follows the coach: 7.5 deg/s towards a 30 deg target, back at centre."""

    def __init__(self, coach: Coach, target: float = 30.0) -> None:
        self.coach = coach
        self.target = target
        self.drop = 0.0

    def run(self, until: float) -> list[Output]:
        out: list[Output] = []
        t = 0.0
        while t < until and not self.coach.finished:
            goal = 0.0
            if self.coach.state in (CoachState.ENTERING, CoachState.HOLDING):
                goal = self.target if self.coach.current_side is Side.RIGHT else -self.target
            step = 0.75
            speed = 0.0
            if abs(goal - self.drop) > step:
                speed = 7.5 if goal > self.drop else -7.5
                self.drop += step if goal > self.drop else -step
            else:
                self.drop = goal
            out.extend(self.coach.observe(obs(round(t, 3), self.drop, speed=speed)))
            t += DT
        return out


def test_whole_happy_session_both_sides() -> None:
    coach = Coach(make_plan(cap=40.0, hold=20.0), RULES, start_pain=2)
    # 20 deg: below where "stay here" begins for a 40 deg cap (40 - 15.5 deg under-read).
    out = Person(coach, target=20.0).run(until=120.0)
    assert state(coach) is CoachState.DONE
    states = [o.data["to"] for o in out if isinstance(o, Event) and o.id == "state_changed"]
    assert states == [
        "setting_up",
        "calibrating",
        "entering",
        "holding",
        "returning",
        "switching_sides",
        "entering",
        "holding",
        "returning",
        "resting",
        "done",
    ]
    cues = cue_ids(out)
    assert cues[:3] == ["setup", "calibrating", "enter_side"]
    assert cues.count("enter_side") == 2
    assert cues.count("exhale_soften") >= 4  # paced breath during both 20 s holds
    assert cues[-1] == "done"
    for unwanted in ("ease_back", "slow_down", "no_bouncing", "shoulders_open", "stay_here"):
        assert unwanted not in cues
    enter = [o for o in out if isinstance(o, Cue) and o.id == "enter_side"]
    assert "towards your right" in enter[0].text and "towards your left" in enter[1].text
    assert event_ids(out)[0] == "session_started"
    assert event_ids(out)[-1] == "session_done"
    # The hold lasts the plan's 20 s on each side.
    starts = [o.t for o in out if isinstance(o, Event) and o.id == "hold_started"]
    ends = [o.t for o in out if isinstance(o, Event) and o.id == "hold_completed"]
    assert [round(e - s, 1) for s, e in zip(starts, ends, strict=True)] == [20.0, 20.0]
    summary = coach.summary()
    assert summary.sides_completed == (Side.RIGHT, Side.LEFT)
    assert summary.max_knee_drop_deg == 20.0
    assert summary.over_cap_s == 0.0
    assert summary.stopped_reason is None
    assert summary.final_state is CoachState.DONE
    # Nothing after the end.
    assert coach.observe(obs(200.0, 0.0)) == []
    assert coach.report_pain(201.0, 9) == []
    # But sharp pain felt coming out of it still stops the session for sharp pain (the
    # recorder stores it; planning locks the day), once.
    late = coach.report_sharp_pain(202.0)
    assert isinstance(late[0], Cue) and late[0].id == "stop_sharp_pain"
    assert coach.stopped_reason is StopReason.SHARP_PAIN
    assert coach.summary().stopped_reason is StopReason.SHARP_PAIN
    assert coach.report_sharp_pain(203.0) == []


def test_planning_withdrawing_the_session_stops_it_with_the_reason() -> None:
    coach = Coach(make_plan(cap=40.0, hold=20.0), RULES, start_pain=2)
    feed(coach, ramp(0.0, 3.0, 0.0, 0.0))
    out = coach.withdraw(3.5, "Sharp pain stopped your practice today at 10:15.")
    assert isinstance(out[0], Cue) and out[0].id == "stop_plan_withdrawn"
    assert out[0].text.endswith(
        "no longer allows this twist now. Sharp pain stopped your practice today at 10:15."
    )
    assert coach.stopped_reason is StopReason.PLAN_WITHDRAWN and coach.finished
    assert event_ids(out)[-1] == "session_stopped"
    assert coach.withdraw(4.0, "again") == []  # once
    assert coach.observe(obs(4.5, 10.0)) == []  # and nothing after


def test_breath_cues_are_paced_at_a_calm_rate() -> None:
    coach = Coach(make_plan(cap=40.0, hold=60.0, sides=["right"]), RULES, start_pain=0)
    out = Person(coach).run(until=90.0)
    exhales = [o.t for o in out if isinstance(o, Cue) and o.id == "exhale_soften"]
    gaps = {round(b - a, 1) for a, b in itertools.pairwise(exhales)}
    assert gaps == {RULES.thresholds.breath_period_s}  # one exhale cue per 10 s breath
    assert len(exhales) >= 5


# --------------------------------------------------------------------------- range rules


def test_near_the_cap_says_thats_enough_and_holds() -> None:
    coach, _ = entering_coach(cap=40.0)
    out = feed(coach, ramp(5.0, 10.0, 0.0, 36.0))
    assert "stay_here" in cue_ids(out)
    stay = next(o for o in out if isinstance(o, Cue) and o.id == "stay_here")
    assert stay.text == "That's enough. Stay here."
    assert stay.rule == "COACH-CAP-NEAR"
    # 24.5 deg = cap 40 - the 15.5 deg under-read measured at 35-45 deg, first passed at 8.5 s.
    assert stay.t == pytest.approx(8.5)
    assert state(coach) is CoachState.HOLDING


def test_stay_here_margin_follows_the_measured_under_read() -> None:
    # rules/coaching.yaml's under_read bands, at the variants' caps (45, 54, 63 deg); the
    # fixed near_cap_margin_deg (5) is the floor.
    assert [RULES.stay_margin(cap) for cap in (5.0, 45.0, 54.0, 63.0, 70.0, 90.0)] == [
        14.5,
        15.5,
        20.0,
        22.0,
        22.0,
        22.0,
    ]
    coach, _ = entering_coach(cap=63.0)
    assert coach.stay_here_deg == 41.0  # what the window's and the browser's gauges show
    out = feed(coach, ramp(5.0, 15.0, 0.0, 60.0))  # 6 deg/s
    stay = next(o for o in out if isinstance(o, Cue) and o.id == "stay_here")
    assert stay.t == pytest.approx(11.9)  # 41.0 deg = cap 63 - 22.0, first passed at 11.9 s


#: The worst knee-drop under-read measured per template body and 5-degree band of the true
#: drop (band end, degrees) from the recommended place with the live coach's landmark model:
#: the larger of evaluate.under_read_rows on all of a template's results and on each side
#: apart (bench/ACCURACY.md's per side table), both splits, and the larger of two runs: the
#: 2026-12-06 06:35 run on 16 bodies (.cache/groundtruth/results.json, load 2.8-3.4) and the
#: 23:15 run on all 18 bodies of the wider set rendered afresh (results-live.json, load
#: 2-3; bench/ACCURACY_LIVE.md, "Under-read by true drop" and its per-template table).
MEASURED_WORST_UNDER_READ: dict[str, dict[float, float]] = {
    "female": {
        15: 13.0, 20: 8.1, 25: 8.7, 30: 11.0, 35: 11.9, 40: 13.8, 45: 13.0, 50: 15.0, 55: 16.7,
        60: 17.6, 65: 16.4, 70: 20.1, 75: 20.4,
    },
    "male": {
        15: 8.0, 20: 9.0, 25: 10.3, 30: 9.8, 35: 9.1, 40: 8.7, 45: 6.5, 50: 5.6, 55: 6.6,
        60: 11.6, 65: 10.3, 70: 17.2, 75: 11.5,
    },
    "neutral": {
        15: 12.9, 20: 9.3, 25: 9.9, 30: 12.3, 35: 13.4, 40: 14.8, 45: 14.9, 50: 17.7, 55: 19.7,
        60: 21.2, 65: 21.8, 70: 21.9,
    },
}  # fmt: skip


@pytest.mark.parametrize("body", sorted(MEASURED_WORST_UNDER_READ))
def test_a_body_type_margin_covers_that_templates_measured_worst(body: str) -> None:
    # Every cap in each measured band (0.5 deg steps) gets at least the under-read measured
    # there with the person's template.
    for upper, worst in MEASURED_WORST_UNDER_READ[body].items():
        for cap in (upper - 5.0 + 0.5 * k for k in range(1, 11)):
            assert RULES.stay_margin(cap, body) >= worst, (body, cap, worst)


#: The worst under-read measured from the other camera places the coach measures from, by
#: the view their calibration names and template (band end: degrees): the 2026-12-07 runs
#: of both models on the 18 bodies (results-live.json, results-recorded.json, load 1.0-1.8;
#: evaluate.under_read_rows over the frames of that view, both splits; rules/coaching.yaml,
#: under_read_by_view). Every diagonal together (the recommended place, the feet corner, 65
#: deg round) read a man 12.5 short at 40-45 (a feet-corner camera); a feet-end camera 1.5 m
#: high read him 14.9 short at 25-30. With the far-side limit at 8 (tracking.FAR_SIDE_MAX_DEG,
#: the runs of 04:00 UTC, load 1.0) the far side's drops of 15 read about 0 from 30 deg up
#: at 50 round or a lens 1 m high: 15.0 short (heavy, neutral), 14.9 (heavy, female), 14.0 at
#: 15-20 (full, female). Not here: the lens 1 m high towards the camera (20.8 at 25-30),
#: which these margins do not cover (rules/coaching.yaml).
MEASURED_WORST_ELSEWHERE: dict[tuple[View, str], dict[float, float]] = {
    (View.OBLIQUE, "male"): {45: 12.5, 70: 17.2},
    (View.OBLIQUE, "female"): {15: 14.9, 20: 14.0, 40: 13.8, 45: 13.5, 70: 20.1},
    (View.OBLIQUE, "neutral"): {15: 15.0, 40: 13.8, 55: 17.7, 65: 21.3, 70: 21.6},
    (View.TOP_DOWN, "neutral"): {30: 12.2, 45: 18.5, 50: 10.6, 60: 18.5, 65: 16.6},
    (View.TOP_DOWN, "female"): {30: 8.7, 45: 12.2, 60: 8.6},
    (View.TOP_DOWN, "male"): {45: 5.1, 60: 7.2},
    (View.HEAD_END, "neutral"): {15: 5.3, 70: 11.1},
    (View.FEET_END, "male"): {15: 8.3, 30: 14.9, 60: 9.8, 70: 14.5},
}  # fmt: skip


@pytest.mark.parametrize(("view", "body"), sorted(MEASURED_WORST_ELSEWHERE))
def test_the_margin_covers_the_under_read_measured_from_every_camera_place(
    view: View, body: str
) -> None:
    # The margins were first measured from the recommended place only, which the camera
    # advice asks for but cannot verify; from overhead the neutral template read 18.5 short
    # at 40-45 against a margin of 15.5. The coach's margin is its view's where that has
    # bands of its own.
    for upper, worst in MEASURED_WORST_ELSEWHERE[(view, body)].items():
        for cap in (upper - 5.0 + 0.5 * k for k in range(1, 11)):
            assert RULES.stay_margin(cap, body, view) >= worst, (view, body, cap, worst)
            # A view never narrows the template's margin.
            assert RULES.stay_margin(cap, body, view) >= RULES.stay_margin(cap, body)


def test_the_coach_takes_the_margin_of_the_view_it_measures_from() -> None:
    # Cap 45, neutral template: 29.5 from a diagonal, 26 from overhead (45 - 19).
    coach = Coach(make_plan(cap=45.0), RULES, start_pain=2)
    assert coach.view is None and coach.stay_here_deg == 29.5
    coach.observe(obs(0.0, 0.0, view=View.TOP_DOWN))
    assert coach.view is View.TOP_DOWN and coach.stay_here_deg == 26.0
    coach.observe(obs(0.5, 0.0))
    assert coach.view is View.OBLIQUE and coach.stay_here_deg == 29.5
    # A view that measures nothing leaves the margin as it was.
    coach.observe(obs(1.0, None, view=View.SIDE, measurable=False))
    assert coach.view is View.OBLIQUE


def test_the_stay_here_margin_is_the_one_measured_for_the_persons_body_type() -> None:
    # Cap 45: neutral 29.5 (45 - 15.5), female 30.5 (45 - 14.5), male 32 (45 - 13); at
    # the full variant's 63: 41 / 42.5 / 45.5.
    for body, at_45, at_63 in (
        ("neutral", 29.5, 41.0),
        ("female", 30.5, 42.5),
        ("male", 32.0, 45.5),
    ):
        for cap, stay in ((45.0, at_45), (63.0, at_63)):
            coach = Coach(make_plan(cap=cap), RULES, start_pain=2, body_model=body)
            assert coach.stay_here_deg == stay, (body, cap)
    # A woman's small cap: her small drops read shorter (13.5 up to 20).
    assert RULES.stay_margin(15.0, "female") == 13.5
    with pytest.raises(ValueError, match="body_model must be neutral, female or male"):
        Coach(make_plan(), RULES, body_model="child")


def test_a_stated_body_type_hears_stay_here_later_but_before_the_cap() -> None:
    # The same ramp, 6 deg/s to 60 under a cap of 45: "stay here" at 29.5 deg (9.9 s)
    # with the neutral template, at 30.5 deg (10.1 s) with the female one (0.1 s frames).
    times = {}
    for body in ("neutral", "female"):
        coach = Coach(make_plan(cap=45.0), RULES, start_pain=2, body_model=body)
        feed(coach, ramp(0.0, 2.5, 0.0, 0.0, person=False))
        feed(coach, ramp(2.5, 5.1, 0.0, 0.0))
        out = feed(coach, ramp(5.0, 15.0, 0.0, 60.0))
        times[body] = next(o.t for o in out if isinstance(o, Cue) and o.id == "stay_here")
    assert times["neutral"] == pytest.approx(5.0 + 29.5 / 6.0, abs=0.1)
    assert times["female"] == pytest.approx(5.0 + 30.5 / 6.0, abs=0.1)


def test_a_small_cap_holds_where_stay_here_begins() -> None:
    # Cap 20 from a diagonal: "stay here" from 4.5 deg (20 - 15.5, the margin of the far
    # side's small drops read near 0, under_read_by_view.oblique). The hold must not end as
    # it starts (hold_exit_deg, 6, lies above 4.5): it lasts while the knees stay part way.
    coach, _ = entering_coach(cap=20.0, hold=20.0)
    assert coach.view is View.OBLIQUE and coach.stay_here_deg == 4.5
    out = feed(coach, ramp(5.0, 6.0, 0.0, 8.0) + ramp(6.0, 27.0, 8.0, 8.0))
    assert "stay_here" in cue_ids(out)
    assert "hold_completed" in event_ids(out)
    assert "hold_ended_early" not in event_ids(out)
    out = feed(coach, ramp(27.0, 28.0, 8.0, 0.5) + ramp(28.0, 30.0, 0.5, 0.5))
    assert state(coach) is CoachState.SWITCHING_SIDES


def test_a_body_read_short_is_stopped_by_the_time_it_reaches_the_cap() -> None:
    # The knees truly sink 0 -> 70 deg at 5 deg/s while the camera reads them short by the
    # worst under-read measured at each true drop: "stay here" still comes at or before
    # the cap, for each variant's cap.
    for cap, body in itertools.product((45.0, 54.0, 63.0), ("neutral", *coaching.BODY_MODELS)):
        coach = Coach(make_plan(cap=cap), RULES, start_pain=2, body_model=body)
        feed(coach, ramp(0.0, 2.5, 0.0, 0.0, person=False) + ramp(2.5, 5.1, 0.0, 0.0))
        truth = [5.0 * i * DT for i in range(round(14.0 / DT))]
        seen = [
            obs(round(5.0 + i * DT, 3), true - RULES.under_read_at(true, body), speed=5.0)
            for i, true in enumerate(truth)
        ]
        out = feed(coach, seen)
        stay = next(o for o in out if isinstance(o, Cue) and o.id == "stay_here")
        true_at_stay = truth[round((stay.t - 5.0) / DT)]
        assert true_at_stay <= cap, (cap, body, true_at_stay)


def test_over_the_cap_says_ease_back_and_counts_seconds() -> None:
    coach, _ = entering_coach(cap=40.0)
    out = feed(coach, ramp(5.0, 7.0, 0.0, 50.0))  # 25 deg/s: also too fast
    out += feed(coach, ramp(7.0, 10.0, 50.0, 50.0))
    cues = cue_ids(out)
    assert "ease_back" in cues
    ease = next(o for o in out if isinstance(o, Cue) and o.id == "ease_back")
    assert ease.priority is Priority.SAFETY
    assert ease.rule == "COACH-CAP-OVER"
    assert "sink_further" not in cues
    # Over cap + tolerance (42 deg) from 6.7 s to 9.9 s.
    assert coach.summary().over_cap_s == pytest.approx(3.2, abs=0.11)
    # Staying over the cap repeats "ease back", but only every cue_repeat_s.
    out2 = feed(coach, ramp(10.0, 20.0, 50.0, 50.0))
    times = [o.t for o in out2 if isinstance(o, Cue) and o.id == "ease_back"]
    assert len(times) == 1
    assert times[0] - ease.t == pytest.approx(RULES.thresholds.cue_repeat_s)


def test_sink_further_only_when_well_below_cap_and_measured() -> None:
    coach, _ = entering_coach(cap=40.0)
    out = feed(coach, ramp(5.0, 6.0, 0.0, 5.0))
    out += feed(coach, ramp(6.0, 10.0, 5.0, 5.0))  # settled at 5 deg, below min hold
    assert "sink_further" in cue_ids(out)
    assert state(coach) is CoachState.ENTERING
    # The same settled position with an unknown measure never invites going further.
    coach2, _ = entering_coach(cap=40.0)
    out2 = feed(coach2, ramp(5.0, 6.0, 0.0, 5.0))
    out2 += feed(coach2, [obs(round(6.0 + i * DT, 3), None) for i in range(40)])
    assert "sink_further" not in cue_ids(out2)
    # Nor when the cap is within the invitation margin.
    coach3, _ = entering_coach(cap=12.0)
    out3 = feed(coach3, ramp(5.0, 6.0, 0.0, 5.0))
    out3 += feed(coach3, ramp(6.0, 10.0, 5.0, 5.0))
    assert "sink_further" not in cue_ids(out3)


@pytest.mark.parametrize(
    ("camera_side", "invited"), [(Side.RIGHT, True), (None, True), (Side.LEFT, False)]
)
def test_no_invitation_to_go_further_on_the_cameras_far_side(
    camera_side: Side | None, invited: bool
) -> None:
    # The right side is worked; a camera on the person's left sees it as its far side,
    # where a true 42 deg drop read 11 (rendered, bench/ACCURACY_LIVE.md): settled at a
    # small reading there, the coach does not encourage going further.
    coach, _ = entering_coach(cap=40.0)
    out = feed(coach, ramp(5.0, 6.0, 0.0, 5.0, camera_side=camera_side))
    out += feed(coach, ramp(6.0, 10.0, 5.0, 5.0, camera_side=camera_side))
    assert ("sink_further" in cue_ids(out)) is invited
    assert state(coach) is CoachState.ENTERING


def test_never_go_further_after_pain_rose() -> None:
    coach, _ = entering_coach(cap=40.0)
    coach.report_pain(5.5, 3)
    out = feed(coach, ramp(5.0, 6.0, 0.0, 5.0))
    out += feed(coach, ramp(6.0, 10.0, 5.0, 5.0))
    assert "sink_further" not in cue_ids(out)


# --------------------------------------------------------------------------- manner


def test_too_fast_says_slowly() -> None:
    coach, _ = entering_coach()
    out = feed(coach, ramp(5.0, 6.0, 0.0, 40.0))  # 40 deg/s
    slow = [o for o in out if isinstance(o, Cue) and o.id == "slow_down"]
    assert len(slow) == 1  # once, not every frame
    assert slow[0].text == "Slowly. Let the knees sink, don't push."
    # As soon as the knees have travelled the limit's worth over the window and the
    # camera's catch-up step (checks.Travel: 20 deg/s x 0.75 s + 6 = 21 deg, at 40 deg/s
    # about 0.55 s in).
    th = RULES.thresholds
    assert slow[0].t == pytest.approx(
        5.0 + (th.speed_limit_deg_s * th.speed_window_s + th.speed_step_deg) / 40.0, abs=0.11
    )


def test_coming_back_too_fast_says_bring_them_up_gently() -> None:
    coach, _ = entering_coach()
    feed(coach, ramp(5.0, 10.0, 0.0, 38.0))  # past "stay here" (32.5): holding at 38
    feed(coach, ramp(10.0, 13.5, 38.0, 38.0))
    assert state(coach) is CoachState.HOLDING
    out = feed(coach, ramp(13.5, 14.5, 38.0, 0.0))  # back to the centre at 38 deg/s
    ids = cue_ids(out)
    assert "slow_return" in ids and "slow_down" not in ids
    cue = next(o for o in out if isinstance(o, Cue) and o.id == "slow_return")
    assert cue.text == "Slowly. Bring the knees back up gently, without a jerk."
    assert cue.rule == "COACH-SPEED-RETURN"
    # Sinking further just as fast is still "let the knees sink, don't push".
    coach2, _ = holding_coach()
    out2 = feed(coach2, ramp(13.5, 14.3, 25.0, 49.0))  # 30 deg/s deeper
    assert "slow_down" in cue_ids(out2) and "slow_return" not in cue_ids(out2)
    # In the return's last centre_deg it is not said: the knees are up when it is heard.
    coach3, _ = holding_coach()  # holding at 25: 15 deg of travel ends inside 12 deg
    assert "slow_return" not in cue_ids(feed(coach3, ramp(13.5, 14.5, 25.0, 0.0)))


def test_calm_speed_gives_no_slow_down() -> None:
    coach, _ = entering_coach()
    out = feed(coach, ramp(5.0, 10.0, 0.0, 30.0))  # 6 deg/s
    assert "slow_down" not in cue_ids(out)


def test_bouncing_is_caught() -> None:
    coach, out = holding_coach()
    # Knees bounce 25 -> 31 -> 25 -> 31 ... every half second, at a speed under the limit.
    seq: list[Observation] = []
    t = 13.5
    for i in range(8):
        a, b = (25.0, 31.0) if i % 2 == 0 else (31.0, 25.0)
        seq += ramp(t, t + 0.5, a, b, speed=0.0)
        t += 0.5
    out = feed(coach, seq)
    bounce = [o for o in out if isinstance(o, Cue) and o.id == "no_bouncing"]
    assert len(bounce) == 1
    assert bounce[0].rule == "COACH-BOUNCE"
    # Third reversal: peaks at 14.0, 14.5 (trough), 15.0 -> detected 3 deg past the 3rd turn.
    assert 15.0 <= bounce[0].t <= 15.5
    # A slow single adjustment is not bouncing.
    coach2, _ = holding_coach()
    out2 = feed(coach2, ramp(13.5, 16.0, 25.0, 30.0) + ramp(16.0, 19.0, 30.0, 25.0))
    assert "no_bouncing" not in cue_ids(out2)


def test_lifted_shoulder_says_let_shoulders_rest_open() -> None:
    coach, _ = holding_coach()
    out = feed(coach, ramp(13.5, 17.5, 25.0, 25.0, lifted=Side.LEFT))
    shoulders = [o for o in out if isinstance(o, Cue) and o.id == "shoulders_open"]
    assert [s.text for s in shoulders] == ["Let your shoulders rest open, wide and heavy."]
    assert shoulders[0].rule == "COACH-SHOULDER"
    # A tilted shoulder line without the lifted flag counts too.
    coach2, _ = holding_coach()
    out2 = feed(coach2, ramp(13.5, 17.5, 25.0, 25.0, shoulder_roll=20.0))
    assert "shoulders_open" in cue_ids(out2)
    coach3, _ = holding_coach()
    out3 = feed(coach3, ramp(13.5, 17.5, 25.0, 25.0, shoulder_roll=10.0))
    assert "shoulders_open" not in cue_ids(out3)


# --------------------------------------------------------------------------- pain


def test_pain_rise_says_go_easier_and_lowers_the_cap() -> None:
    coach, _ = holding_coach()
    out = coach.report_pain(14.0, 3)  # start 2 -> 3
    assert event_ids(out) == ["pain_reported", "cap_lowered"]
    assert cue_ids(out) == ["go_easier"]
    easier = next(o for o in out if isinstance(o, Cue))
    assert easier.text == "Go easier. Come up a little; your range today is now 35 degrees."
    assert coach.personal_cap_deg == 35.0
    assert state(coach) is CoachState.HOLDING
    # The lower cap now applies: 38 deg is over it.
    out2 = feed(coach, ramp(14.0, 15.0, 25.0, 40.0))
    assert "ease_back" in cue_ids(out2)
    # Pain falling back never raises the cap within the session.
    coach.report_pain(16.0, 2)
    assert coach.personal_cap_deg == 35.0


def test_pain_two_points_over_start_ends_the_session() -> None:
    coach, _ = holding_coach()
    coach.report_pain(14.0, 3)
    out = coach.report_pain(15.0, 4)
    assert cue_ids(out) == ["stop_pain_rise"]
    assert "healthcare professional" in next(o for o in out if isinstance(o, Cue)).text
    stopped = [o for o in out if isinstance(o, Event) and o.id == "session_stopped"]
    assert stopped[0].data["reason"] == "pain_rise"
    assert state(coach) is CoachState.STOPPED
    assert coach.summary().stopped_reason is StopReason.PAIN_RISE
    assert feed(coach, ramp(15.0, 16.0, 25.0, 25.0)) == []


def test_pain_above_five_ends_the_session() -> None:
    coach = Coach(make_plan(), RULES, start_pain=5)
    feed(coach, ramp(0.0, 5.0, 0.0, 0.0))
    out = coach.report_pain(6.0, 6)  # only one point over the start, but above 5/10
    assert cue_ids(out) == ["stop_pain_high"]
    assert coach.stopped_reason is StopReason.PAIN_HIGH
    with pytest.raises(ValueError, match="0-10"):
        Coach(make_plan(), RULES).report_pain(1.0, 11)


def test_first_pain_report_is_the_baseline_when_none_given() -> None:
    coach = Coach(make_plan(), RULES)
    out = coach.report_pain(0.0, 4)
    assert event_ids(out) == ["session_started", "pain_reported"]
    assert coach.start_pain == 4
    assert coach.personal_cap_deg == 40.0


def test_sharp_pain_next_output_is_the_stop() -> None:
    coach, _ = holding_coach()
    out = coach.report_sharp_pain(14.2)
    first = out[0]
    assert isinstance(first, Cue)
    assert first.id == "stop_sharp_pain"
    assert first.priority is Priority.SAFETY
    assert first.rule == "COACH-STOP-SHARP"
    assert "rest" in first.text and "healthcare professional" in first.text
    assert event_ids(out) == ["state_changed", "session_stopped"]
    assert state(coach) is CoachState.STOPPED
    # Nothing else is ever said after the stop.
    assert feed(coach, ramp(14.3, 20.0, 40.0, 60.0, speed=50.0)) == []
    assert coach.report_pain(20.0, 9) == []
    assert coach.report_sharp_pain(21.0) == []


def test_sharp_pain_before_anything_else_is_still_first() -> None:
    coach = Coach(make_plan(), RULES)
    out = coach.report_sharp_pain(0.0)
    assert isinstance(out[0], Cue) and out[0].id == "stop_sharp_pain"
    assert event_ids(out) == ["session_started", "state_changed", "session_stopped"]


# --------------------------------------------------------------------------- fail safe


def test_tracking_lost_pauses_and_says_so_then_resumes() -> None:
    coach, _ = holding_coach()
    out = feed(coach, [obs(round(13.5 + i * DT, 3), None, person=False) for i in range(15)])
    assert cue_ids(out) == ["paused_tracking_lost"]
    paused = next(o for o in out if isinstance(o, Cue))
    assert paused.t == pytest.approx(14.5)  # after lost_grace_s = 1 s
    assert paused.priority is Priority.SAFETY
    assert state(coach) is CoachState.PAUSED
    held = coach.hold_elapsed_s
    out2 = feed(coach, ramp(15.0, 16.5, 25.0, 25.0))
    assert state(coach) is CoachState.HOLDING
    assert "resumed" in cue_ids(out2)
    assert "resumed" in event_ids(out2)
    # The hold timer did not run while the person could not be seen.
    assert coach.hold_elapsed_s - held < 0.6


def test_low_confidence_pauses_like_lost_tracking() -> None:
    coach, _ = holding_coach()
    out = feed(coach, ramp(13.5, 15.0, 25.0, 25.0, conf=0.3))
    assert cue_ids(out) == ["paused_tracking_lost"]
    # A short dropout under the grace period does not pause.
    coach2, _ = holding_coach()
    out2 = feed(coach2, ramp(13.5, 14.0, 25.0, 25.0, conf=0.3) + ramp(14.0, 15.0, 25.0, 25.0))
    assert "paused_tracking_lost" not in cue_ids(out2)
    assert state(coach2) is CoachState.HOLDING


def test_unmeasurable_view_gives_camera_advice() -> None:
    coach = Coach(make_plan(), RULES)
    out = feed(coach, ramp(0.0, 3.0, 0.0, 0.0, measurable=False))
    advice = [o for o in out if isinstance(o, Cue) and o.id == "camera_advice"]
    assert advice and advice[0].text == "Raise the camera to a corner by your feet."
    assert state(coach) is CoachState.SETTING_UP  # never calibrates on a view it can't measure
    coach2, _ = holding_coach()
    out2 = feed(coach2, ramp(13.5, 15.0, 25.0, 25.0, measurable=False))
    assert cue_ids(out2) == ["paused_camera_view"]
    assert "can't measure the twist from here" in out2[0].text
    assert "Raise the camera" in out2[0].text


def test_camera_advice_is_said_once_in_set_up() -> None:
    # A long paragraph is said once and kept on screen: over 40 s of a view that flickers
    # between measurable and not it is never said again, so it cannot alternate with the
    # set-up cue (it used to come back every cue_repeat_s).
    coach = Coach(make_plan(), RULES)
    frames = []
    for k in range(8):
        frames += ramp(5.0 * k, 5.0 * k + 2.5, 30.0, 30.0, measurable=False)
        frames += ramp(5.0 * k + 2.5, 5.0 * k + 5.0, 30.0, 30.0)
    out = feed(coach, frames)
    assert cue_ids(out).count("camera_advice") == 1


def test_wrong_pose_family_stops_and_explains() -> None:
    coach, _ = entering_coach()
    out = feed(coach, ramp(5.0, 8.0, 0.0, 0.0, family=PoseFamily.SEATED_TWIST))
    stop = [o for o in out if isinstance(o, Cue)]
    assert [c.id for c in stop] == ["stop_wrong_pose"]
    assert "seated twist" in stop[0].text and "supine twist" in stop[0].text
    assert stop[0].t == pytest.approx(7.0)  # after wrong_family_s = 2 s
    assert coach.stopped_reason is StopReason.WRONG_POSE


def test_unsure_or_non_twist_family_does_not_stop() -> None:
    coach, _ = entering_coach()
    feed(coach, ramp(5.0, 8.0, 0.0, 0.0, family=PoseFamily.SEATED_TWIST, family_conf=0.4))
    assert not coach.finished
    coach2 = Coach(make_plan(), RULES)
    feed(coach2, ramp(0.0, 4.0, 0.0, 0.0, family=PoseFamily.STANDING))  # walking to the mat
    assert state(coach2) is CoachState.SETTING_UP


# --------------------------------------------------------------------------- rate limiting


def test_rate_limiting_holds_back_nagging_but_not_safety() -> None:
    coach, _ = holding_coach()
    # Shoulder lifted for 20 s: "shoulders open" at most every cue_repeat_s.
    out = feed(coach, ramp(13.5, 33.5, 25.0, 25.0, lifted=Side.RIGHT))
    times = [o.t for o in out if isinstance(o, Cue) and o.id == "shoulders_open"]
    assert len(times) >= 2
    assert all(b - a >= RULES.thresholds.cue_repeat_s for a, b in itertools.pairwise(times))
    # Every two non-safety cues are at least cue_gap_s apart.
    # ("return_centre" is forced through: the hold is over.)
    calm = [
        o.t
        for o in out
        if isinstance(o, Cue) and o.priority is not Priority.SAFETY and o.id != "return_centre"
    ]
    assert all(b - a >= RULES.thresholds.cue_gap_s - 1e-9 for a, b in itertools.pairwise(calm))


def test_safety_cue_goes_through_at_once_right_after_another_cue() -> None:
    coach, _ = entering_coach()  # "enter_side" was said at 5.0 s
    out = feed(coach, ramp(5.1, 5.8, 0.0, 28.0))  # 40 deg/s
    assert cue_ids(out) == ["slow_down"]  # well inside the gap: safety is not delayed
    slow = next(o for o in out if isinstance(o, Cue))
    assert slow.t < 5.0 + RULES.thresholds.cue_gap_s
    # A lifting shoulder is a safety cue too (it waited out the gap as a correction).
    coach2, _ = entering_coach()
    out2 = coach2.observe(obs(5.1, 0.0, lifted=Side.LEFT))
    assert cue_ids(out2) == ["shoulders_open"]


# --------------------------------------------------------------------------- person's controls


def test_pause_resume_and_quit() -> None:
    coach, _ = holding_coach()
    out = coach.pause(14.0)
    assert cue_ids(out) == ["paused"]
    assert state(coach) is CoachState.PAUSED
    assert feed(coach, ramp(14.0, 20.0, 25.0, 25.0)) == []  # stays paused while measured
    assert event_ids(coach.resume(20.0)) == ["state_changed", "resumed"]
    assert state(coach) is CoachState.HOLDING
    out2 = coach.quit(21.0)
    assert cue_ids(out2) == ["stop_quit"]
    assert coach.summary().stopped_reason is StopReason.QUIT
    assert coach.summary().final_state is CoachState.STOPPED


def test_outputs_serialise_to_json_lines() -> None:
    coach, _ = holding_coach()
    out = coach.report_sharp_pain(14.25)
    cue = out[0]
    assert cue.to_dict() == {
        "t": 14.25,
        "type": "cue",
        "id": "stop_sharp_pain",
        "text": cue.text,
        "priority": "safety",
        "reason": "sharp pain was reported",
        "rule": "COACH-STOP-SHARP",
    }
    stopped = out[-1]
    assert isinstance(stopped, Event)
    assert stopped.to_dict() == {
        "t": 14.25,
        "type": "event",
        "id": "session_stopped",
        "text": "session stopped: sharp pain",  # the id stays in "reason"
        "reason": "sharp_pain",
        "rule": "COACH-STOP-SHARP",
    }


def test_docs_list_every_coaching_rule() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "coach.md").read_text("utf-8")
    for rule in RULES.rules:
        assert f"| `{rule.id}` | `{rule.cue}` | {rule.priority.value} |" in doc, rule.id


def test_tracking_lost_between_sides_pauses_too() -> None:
    coach = Coach(make_plan(cap=40.0, hold=5.0), RULES, start_pain=2)
    out = feed(coach, ramp(0.0, 5.0, 0.0, 0.0))
    out += feed(coach, ramp(5.0, 9.0, 0.0, 20.0))
    out += feed(coach, ramp(9.0, 17.0, 20.0, 20.0))  # settle 3 s, hold 5 s
    out += feed(coach, ramp(17.0, 19.0, 20.0, 0.0))
    assert state(coach) is CoachState.SWITCHING_SIDES
    out = feed(coach, [obs(round(19.0 + i * DT, 3), None, person=False) for i in range(15)])
    assert cue_ids(out) == ["paused_tracking_lost"]
    assert not any(o.id in ("setup", "waiting") for o in out)


def test_coming_back_up_during_the_hold_ends_that_side_early() -> None:
    coach, _ = holding_coach()  # holding at 25 deg on the right since about 13 s
    out = feed(coach, ramp(13.5, 16.0, 25.0, 25.0) + ramp(16.0, 18.0, 25.0, 2.0))
    early = [o for o in out if isinstance(o, Event) and o.id == "hold_ended_early"]
    assert len(early) == 1 and early[0].data["side"] == "right"
    assert state(coach) is CoachState.SWITCHING_SIDES
    assert "switch_sides" in cue_ids(out)
    assert "go_further" not in cue_ids(out) and "sink_further" not in cue_ids(out)
    assert coach.summary().sides_completed == ()  # the hold was not completed


def test_docs_thresholds_match_the_rule_file() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "coach.md").read_text("utf-8")
    for name, value in RULES.thresholds.model_dump().items():
        assert f"| `{name}` | {value:g} |" in doc, name
    for body in ("neutral", *coaching.BODY_MODELS):
        for band in RULES.under_read_bands(body):
            assert f"| {body} | {band.up_to_deg:g} | {band.margin_deg:g} |" in doc, (body, band)
    for view, bands in RULES.under_read_by_view.items():
        for band in bands:
            assert f"| {view} | {band.up_to_deg:g} | {band.margin_deg:g} |" in doc, (view, band)


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_step = st.tuples(
    st.integers(1, 40),  # frames the values last (plateaus let states settle)
    st.sampled_from([0.05, 0.1, 0.2, 0.5]),  # dt
    st.one_of(st.none(), st.floats(-70.0, 70.0), st.floats(-20.0, 20.0)),  # knee drop
    st.sampled_from([0.0, 0.0, 1.0, -2.0, 8.0, 25.0, -30.0]),  # speed, mostly calm
    st.sampled_from([0.9, 0.9, 0.9, 0.7, 0.4, 0.0]),  # confidence, mostly good
    st.sampled_from([PoseFamily.SUPINE_TWIST] * 6 + list(PoseFamily)),
    st.sampled_from([True, True, True, True, False]),  # view measurable
    st.sampled_from([None] * 8 + ["pain", "pain", "sharp", "pause", "resume"]),
    st.integers(0, 10),  # pain level
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_step, min_size=1, max_size=40), st.integers(0, 5))
def test_safety_invariants_hold_for_any_sequence(
    segments: list[
        tuple[int, float, float | None, float, float, PoseFamily, bool, str | None, int]
    ],
    start_pain: int,
) -> None:
    # Each segment repeats its frame; an action (pain, sharp, ...) happens on its first frame.
    steps = [
        (dt, drop, speed, conf, family, measurable, action if i == 0 else None, level)
        for n, dt, drop, speed, conf, family, measurable, action, level in segments
        for i in range(n)
    ]
    th = RULES.thresholds
    coach = Coach(make_plan(cap=40.0, hold=10.0), RULES, start_pain=start_pain)
    # A calm, calibrated start, so the random part meets every state.
    feed(coach, ramp(0.0, 3.0, 0.0, 0.0))
    assert state(coach) is CoachState.ENTERING
    t = 3.0
    caps = [coach.personal_cap_deg]
    for dt, drop, speed, conf, family, measurable, action, level in steps:
        t = round(t + dt, 3)
        was_finished = coach.finished
        if action == "sharp":
            was_sharp = coach.stopped_reason is StopReason.SHARP_PAIN
            out = coach.report_sharp_pain(t)
            if not was_sharp:
                # Sharp pain always wins, even reported after the end.
                assert isinstance(out[0], Cue) and out[0].id == "stop_sharp_pain"
                assert state(coach) is CoachState.STOPPED
                assert coach.stopped_reason is StopReason.SHARP_PAIN
            was_finished = was_finished and was_sharp
        elif action == "pain":
            out = coach.report_pain(t, level)
            if not was_finished and (level > 5 or level - (coach.start_pain or 0) >= 2):
                assert coach.finished
        elif action == "pause":
            out = coach.pause(t)
        elif action == "resume":
            out = coach.resume(t)
        else:
            o = obs(t, drop, speed=speed, conf=conf, family=family, measurable=measurable)
            out = coach.observe(o)
            for cue in (c for c in out if isinstance(c, Cue) and c.id == "sink_further"):
                # "Further" only on a confident measure of the view, well below the cap.
                assert drop is not None and conf >= th.min_confidence and measurable
                relative = abs(drop - (coach.baseline_deg or 0.0))
                assert relative < coach.personal_cap_deg - th.sink_invite_margin_deg, cue
        if was_finished:
            assert out == []  # nothing after the end
        caps.append(coach.personal_cap_deg)
    assert all(b <= a for a, b in itertools.pairwise(caps))  # the cap never goes up
    assert caps[-1] >= th.min_cap_deg


def test_starting_with_the_other_side_is_followed() -> None:
    coach = Coach(make_plan(cap=40.0, hold=5.0), RULES, start_pain=2)
    out = feed(coach, ramp(0.0, 3.0, 0.0, 0.0))
    assert coach.current_side is Side.RIGHT
    out += feed(coach, ramp(3.0, 7.0, 0.0, -25.0))  # the knees go left instead
    out += feed(coach, ramp(7.0, 15.0, -25.0, -25.0))
    changed = [o for o in out if isinstance(o, Event) and o.id == "side_changed"]
    assert [c.data["side"] for c in changed] == ["left"]
    holds = [o.data["side"] for o in out if isinstance(o, Event) and o.id == "hold_started"]
    assert holds == ["left"]
    out = feed(coach, ramp(15.0, 17.0, -25.0, 0.0) + ramp(17.0, 23.0, 0.0, 0.0))
    enter = [o for o in out if isinstance(o, Cue) and o.id == "enter_side"]
    assert "towards your right" in enter[0].text  # the right side comes second
    # With one side in the plan the coach does not swap: it waits for the planned side.
    single = Coach(make_plan(cap=40.0, hold=5.0, sides=["right"]), RULES, start_pain=2)
    out = feed(single, ramp(0.0, 3.0, 0.0, 0.0) + ramp(3.0, 7.0, 0.0, -25.0))
    out += feed(single, ramp(7.0, 15.0, -25.0, -25.0))
    assert "side_changed" not in event_ids(out)
    assert "sink_further" not in cue_ids(out)  # never "further" while turned the wrong way
    assert state(single) is CoachState.ENTERING


def test_the_drop_the_coach_shows_is_unknown_while_unmeasured() -> None:
    # The browser gauge shows the coach's last drop: never a stale number once the view
    # or the reading cannot be measured.
    coach, _ = entering_coach()
    feed(coach, ramp(5.0, 6.0, 0.0, 10.0))
    assert coach.last_drop_deg == pytest.approx(9.0)
    coach.observe(obs(6.0, 12.0, measurable=False))
    assert coach.last_drop_deg is None
    coach.observe(obs(6.1, 12.0, conf=0.3))
    assert coach.last_drop_deg is None
    coach.observe(obs(6.2, 12.0))
    assert coach.last_drop_deg == 12.0


def test_a_session_seen_only_from_the_side_has_no_deepest_drop() -> None:
    coach = Coach(make_plan(), RULES, start_pain=2)
    feed(coach, ramp(0.0, 20.0, 0.0, 60.0, measurable=False))
    assert coach.summary().max_knee_drop_deg is None


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from((10.0, 12.0, 15.0, 24.0, 25.0, 29.97, 30.0)),
    st.sampled_from((0.0, 0.05)),
    st.floats(0.0, 1000.0),
    st.booleans(),
)
def test_the_neutral_zero_is_set_at_any_frame_rate(
    fps: float, jitter: float, start: float, seated: bool
) -> None:
    """The neutral zero's windows (settling, then calibrating) keep every reading since they
    began, so each ends at most a frame after its length whatever the frame rate or the
    timestamps' jitter (+-5 % of a frame): no window one frame short for ever, as the seated
    tracker's calibration was at 15 and 25 frames/s (guard)."""
    import random

    from twistcoach.checks import NeutralZero, ZeroStep
    from twistcoach.seated_tracking import load_seated_coaching_rules

    limits = (load_seated_coaching_rules() if seated else RULES).thresholds.check_limits()
    zero = NeutralZero(limits)
    rng = random.Random(start)
    frame = 1.0 / fps
    first = t = start
    for i in range(int(10.0 * fps)):
        t = start + (i + rng.uniform(-jitter, jitter)) * frame
        if i == 0:
            first = t
        if zero.update(t, 0.5, 0.0) is ZeroStep.DONE:
            break
    assert zero.zero == 0.5
    length = limits.setup_still_s + limits.calibration_s
    assert length - 1e-6 <= t - first <= length + 2 * (1 + 2 * jitter) * frame + 1e-6


# --------------------------------------------------------------------------- frame rate


def _paused_for_frames(coach: Coach) -> bool:
    from twistcoach.coaching import PauseReason

    return state(coach) is CoachState.PAUSED and coach.pause_reason is PauseReason.TOO_FEW_FRAMES


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.3, 3.9),
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(-60.0, 60.0), st.just(0.0)),
            st.sampled_from([0.0, 0.0, 1.0, -2.0, 8.0, 60.0, -60.0]),
            st.booleans(),
        ),
        min_size=8,
        max_size=60,
    ),
)
def test_frames_too_sparse_to_follow_pause_the_coach_and_never_invite_further(
    fps: float, frames: list[tuple[float | None, float, bool]]
) -> None:
    """A device sending fewer than 4 frames a second (3, say: a slow phone) was coached with
    the speed check dead (every reading started the travel afresh). The coach pauses with
    its reason and advice once it has seen enough frames to judge, and then says nothing
    more: never "further", never a hold or a "stay here" timed on such frames."""
    coach = Coach(make_plan(cap=40.0, hold=10.0), RULES, start_pain=2)
    out: list[Output] = []
    t = 0.0
    for i, (drop, speed, person) in enumerate(frames):
        # A calm start at the centre, then anything (speeds up to 60 deg/s).
        d, s, p = (0.0, 0.0, True) if i < 8 else (drop, speed, person)
        out += coach.observe(obs(t, d, speed=s, person=p))
        t += 1.0 / fps
    ids = cue_ids(out)
    assert _paused_for_frames(coach)
    assert "sink_further" not in ids and "stay_here" not in ids and "hold" not in ids
    pause = ids.index("paused_frame_rate")
    # Nothing coached while paused but the cap's own safety cue (it needs no speed).
    assert set(ids[pause + 1 :]) <= {"ease_back"}
    cue = next(c for c in out if isinstance(c, Cue) and c.id == "paused_frame_rate")
    assert "too few pictures a second" in cue.text and "browser tabs" in cue.text
    assert cue.priority is Priority.SAFETY and "_" not in cue.text
    paused = [o for o in out if isinstance(o, Event) and o.id == "paused"]
    assert [p.data["reason"] for p in paused] == ["too_few_frames"]


def test_a_stream_that_slows_mid_hold_pauses_and_resumes_when_it_recovers() -> None:
    coach, _ = holding_coach()  # holding at 25 deg on the right since about 13 s
    out = feed(coach, ramp(13.5, 15.0, 25.0, 25.0))
    held = coach.hold_elapsed_s
    assert not _paused_for_frames(coach) and "paused" not in event_ids(out)
    # 3 frames a second from 15 s: paused within the window (2 s) and the frames before it.
    slow = [obs(round(15.0 + i / 3, 3), 25.0) for i in range(1, 16)]
    out = feed(coach, slow)
    assert _paused_for_frames(coach)
    paused_at = next(o.t for o in out if isinstance(o, Event) and o.id == "paused")
    assert paused_at <= 15.0 + 2.5
    assert cue_ids(out) == ["paused_frame_rate"]
    held_when_paused = coach.hold_elapsed_s
    assert held_when_paused > held
    # 10 a second again: resumed (with its own words) after the window and regain_s.
    out = feed(coach, ramp(20.1, 25.0, 25.0, 25.0))
    assert state(coach) is CoachState.HOLDING
    resumed = [o for o in out if isinstance(o, Event) and o.id == "resumed"]
    assert len(resumed) == 1 and resumed[0].data["reason"] == "too_few_frames"
    assert resumed[0].t <= 20.1 + 2.0 + RULES.thresholds.regain_s + 0.2
    assert "resumed_frame_rate" in cue_ids(out) and "resumed" not in cue_ids(out)
    # The hold timer did not run while paused.
    assert coach.hold_elapsed_s < held_when_paused + (25.0 - resumed[0].t) + 0.2


def test_a_frame_rate_pause_still_shows_the_drop_and_watches_the_cap() -> None:
    """Paused for the frame rate, the page showed the last drop before the pause (27) while
    the knees went on to 55 past a 40 cap, with no "ease back" and 27 as the session's
    deepest: the drop and the cap need no speed, so they are still measured and said."""
    coach, _ = holding_coach()  # holding at 25 deg, cap 40
    out: list[Output] = []
    shown: list[tuple[float, float | None]] = []
    for i in range(1, 25):  # 3 frames a second, the knees going on down to 55
        drop = min(55.0, 25.0 + 2.0 * i)
        out += coach.observe(obs(round(15.0 + i / 3, 3), drop, speed=6.0))
        shown.append((drop, coach.shown_drop_deg))
    assert _paused_for_frames(coach)
    assert all(s == d for d, s in shown[-10:])  # the drop shown is the drop measured
    paused_at = next(o.t for o in out if isinstance(o, Event) and o.id == "paused")
    ease = [c for c in out if isinstance(c, Cue) and c.id == "ease_back"]
    assert ease and ease[0].t > paused_at and ease[0].priority is Priority.SAFETY
    summary = coach.summary()
    assert summary.max_knee_drop_deg == 55.0 and summary.over_cap_s > 0.0
    # Nothing else is coached meanwhile.
    assert set(cue_ids(out)) == {"paused_frame_rate", "ease_back"}


def test_a_frame_rate_pause_over_a_tracking_pause_never_resumes_on_unmeasured_frames() -> None:
    """A frame-rate pause that took over from a tracking pause said "carry on" as soon as
    the frames came often enough again, with nobody measured in them, and paused again
    for tracking a second later: it goes back to the tracking pause, which resumes only on
    measured frames."""
    from twistcoach.coaching import PauseReason

    coach, _ = entering_coach()
    feed(coach, [obs(round(5.0 + i * DT, 3), None, person=False) for i in range(15)])
    assert coach.pause_reason is PauseReason.TRACKING_LOST
    feed(coach, [obs(round(6.5 + i / 3, 3), None, person=False) for i in range(1, 12)])
    assert _paused_for_frames(coach)
    # 10 frames a second again, nobody in them.
    out = feed(coach, [obs(round(10.5 + i * DT, 3), None, person=False) for i in range(40)])
    assert state(coach) is CoachState.PAUSED
    assert coach.pause_reason is PauseReason.TRACKING_LOST
    assert "resumed" not in event_ids(out)
    assert cue_ids(out) == ["paused_tracking_lost"]  # the pause that still holds, said once
    # The person is back: resumed with the tracking pause's words.
    out = feed(coach, ramp(14.5, 17.0, 0.0, 0.0))
    assert state(coach) is CoachState.ENTERING
    resumed = [o for o in out if isinstance(o, Event) and o.id == "resumed"]
    assert [r.data["reason"] for r in resumed] == ["tracking_lost"]
    assert "resumed" in cue_ids(out)


def test_a_frame_rate_pause_over_a_camera_pause_goes_back_to_it() -> None:
    from twistcoach.coaching import PauseReason

    coach, _ = holding_coach()
    feed(coach, [obs(round(13.5 + i * DT, 3), 25.0, measurable=False) for i in range(15)])
    assert coach.pause_reason is PauseReason.CAMERA_VIEW
    feed(coach, [obs(round(15.0 + i / 3, 3), 25.0, measurable=False) for i in range(1, 12)])
    assert _paused_for_frames(coach)
    out = feed(coach, [obs(round(19.0 + i * DT, 3), 25.0, measurable=False) for i in range(40)])
    assert coach.pause_reason is PauseReason.CAMERA_VIEW and "resumed" not in event_ids(out)
    out = feed(coach, ramp(23.0, 25.5, 25.0, 25.0))
    assert state(coach) is CoachState.HOLDING


def test_the_person_pausing_during_a_frame_rate_pause_stays_paused_until_they_resume() -> None:
    """The person's pause during an automatic one was dropped (pause() returned nothing)
    and the coach carried on by itself when the frames came back."""
    from twistcoach.coaching import PauseReason

    coach, _ = holding_coach()
    feed(coach, [obs(round(15.0 + i / 3, 3), 25.0) for i in range(1, 12)])
    assert _paused_for_frames(coach)
    out = coach.pause(19.0)
    assert "paused" in cue_ids(out) and coach.pause_reason is PauseReason.USER
    assert coach.pause(19.05) == []  # already the person's own pause
    out = feed(coach, ramp(19.1, 23.0, 25.0, 25.0))
    assert state(coach) is CoachState.PAUSED and coach.pause_reason is PauseReason.USER
    assert "resumed" not in event_ids(out)
    out = coach.resume(23.0)
    assert "resumed" in event_ids(out) and state(coach) is CoachState.HOLDING


@pytest.mark.parametrize("fps", [4.0, 10.0, 30.0])
def test_a_stream_of_four_or_more_frames_a_second_is_never_paused_for_it(fps: float) -> None:
    coach = Coach(make_plan(cap=40.0, hold=5.0), RULES, start_pain=2)
    out: list[Output] = []
    t = 0.0
    while t < 40.0:  # summed, as a stream's times are: 0.25 s apart in floats at 4 a second
        drop = 0.0 if t < 4.0 else min(20.0, 2.0 * (t - 4.0))
        out += coach.observe(obs(t, drop, speed=2.0 if 4.0 <= t < 14.0 else 0.0))
        t += 1.0 / fps
    reasons = [o.data["reason"] for o in out if isinstance(o, Event) and o.id == "paused"]
    assert "too_few_frames" not in reasons
    assert "paused_frame_rate" not in cue_ids(out)
    assert "hold_started" in event_ids(out)  # coached as usual


def test_a_pause_for_the_camera_names_the_frame_rate_once_frames_are_the_trouble() -> None:
    coach, _ = entering_coach()
    out = feed(coach, [obs(round(5.0 + i * DT, 3), None, person=False) for i in range(15)])
    assert coach.pause_reason is not None and coach.pause_reason.value == "tracking_lost"
    # The person is back but the frames come 3 a second: the tracking pause may end (its
    # 1 s of good tracking comes before the window's median turns), but within the window
    # the coach is paused again, for the frames, and stays so; never "further".
    out = feed(coach, [obs(round(6.5 + i / 3, 3), 0.0) for i in range(1, 12)])
    assert _paused_for_frames(coach)
    assert cue_ids(out)[-1] == "paused_frame_rate" and "sink_further" not in cue_ids(out)
    reasons = [o.data["reason"] for o in out if isinstance(o, Event) and o.id == "paused"]
    assert reasons == ["too_few_frames"]
    # Sparse frames while paused for the camera: the reason changes without a resume.
    coach, _ = entering_coach()
    feed(coach, [obs(round(5.0 + i * DT, 3), None, person=False) for i in range(15)])
    out = feed(coach, [obs(round(6.5 + i / 3, 3), None, person=False) for i in range(1, 12)])
    assert _paused_for_frames(coach)
    assert cue_ids(out) == ["paused_frame_rate"] and "resumed" not in event_ids(out)
    # Back to 10 a second: resumed to where the first pause left off.
    out = feed(coach, ramp(10.5, 15.0, 0.0, 0.0))
    assert state(coach) is CoachState.ENTERING and "resumed_frame_rate" in cue_ids(out)


def test_a_person_s_own_pause_is_kept_while_frames_are_sparse() -> None:
    coach, _ = entering_coach()
    coach.pause(5.0)
    out = feed(coach, [obs(round(5.0 + i / 3, 3), 0.0) for i in range(1, 12)])
    assert out == [] and coach.pause_reason is not None and coach.pause_reason.value == "user"
    out = coach.resume(9.0)
    out = feed(coach, [obs(round(9.0 + i / 3, 3), 0.0) for i in range(1, 3)])
    assert _paused_for_frames(coach)  # resumed by the person, paused again for the frames


# ------------------------------------------------ pauses: review of the frame-rate pause


def test_a_frame_rate_pause_never_ends_into_carry_on_while_nobody_is_measured() -> None:
    """Holding, the frames slowed to 3 a second (a frame-rate pause of its own), then the
    person left: when the frames came back at 10 a second with nobody in them, the coach
    said "Let's carry on, gently" and went back into the hold, to pause again a second
    later for lost tracking. Now it goes to the tracking pause, never back to the hold."""
    coach, _ = holding_coach()
    feed(coach, [obs(round(13.5 + i / 3, 3), 25.0) for i in range(1, 10)])
    assert coach.pause_reason is PauseReason.TOO_FEW_FRAMES
    feed(coach, [obs(round(16.5 + i / 3, 3), None, person=False) for i in range(1, 4)])
    out = feed(coach, [obs(round(17.6 + i * DT, 3), None, person=False) for i in range(60)])
    assert "resumed_frame_rate" not in cue_ids(out) and "resumed" not in cue_ids(out)
    assert coach.state is CoachState.PAUSED and coach.pause_reason is PauseReason.TRACKING_LOST
    # Seen again: the tracking pause's own resume.
    out = feed(coach, [obs(round(23.7 + i * DT, 3), 25.0) for i in range(30)])
    assert coach.state is CoachState.HOLDING and "resumed" in cue_ids(out)


def test_frames_hovering_about_four_a_second_do_not_flip_the_pause_s_words() -> None:
    """A tracking pause, then 30 s of frames 0.22-0.28 s apart with nobody in them: the
    pause switched between the frame rate's and the tracking's words on every change of the
    rate, 19 long safety cues in 30 s. A reason now stands regain_s before it changes."""
    import random

    rng = random.Random(1)
    coach, _ = entering_coach()
    feed(coach, [obs(round(5.0 + i * DT, 3), None, person=False) for i in range(15)])
    assert coach.pause_reason is PauseReason.TRACKING_LOST
    t, out = 6.5, []
    for _ in range(120):
        t += rng.uniform(0.22, 0.28)
        out += coach.observe(obs(round(t, 3), None, person=False))
    said = [c for c in cue_ids(out) if c.startswith("paused")]
    assert len(said) <= 6, said
    assert coach.state is CoachState.PAUSED


def test_a_camera_frozen_during_a_pause_is_not_time_over_the_cap() -> None:
    """Past the cap in the person's own pause, then no frames for 10 s, then one frame still
    past it: the time over the cap jumped by the whole freeze (0.9 -> 11.1 s)."""
    coach, _ = holding_coach()
    cap = coach.personal_cap_deg
    coach.pause(14.0)
    feed(coach, [obs(round(14.1 + i * DT, 3), cap + 10) for i in range(10)])
    before = coach.summary().over_cap_s
    feed(coach, [obs(25.0, cap + 10)])
    assert coach.summary().over_cap_s - before <= 0.11


def test_a_time_that_is_not_a_number_does_not_pause_the_frames_for_ever() -> None:
    """One NaN time kept in the frame-rate window judged every later frame too sparse."""
    from twistcoach.checks import FrameRate

    rate = FrameRate()
    verdicts = [rate.update(float("nan") if i == 10 else i * DT) for i in range(60)]
    assert verdicts[-1] is False and True not in verdicts[20:]

"""The coach itself: the state machine (see the package's docstring).

Pure core: see :mod:`twistcoach.coaching`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from twistcoach.checks import (
    Check,
    FormChecks,
    FrameRate,
    NeutralZero,
    ZeroStep,
    over_cap,
    reading,
)
from twistcoach.coaching._events import (
    CoachState,
    Cue,
    Event,
    Output,
    PauseReason,
    Priority,
    StopReason,
)
from twistcoach.coaching._plan import FAMILY_POSITIONS, TWIST_FAMILIES, CoachPlan
from twistcoach.coaching._rules import BODY_MODELS, CoachingRules
from twistcoach.coaching._summary import SessionSummary
from twistcoach.metrics import Observation, PoseFamily, Side, View, degrees_text


def _spaced(value: StrEnum) -> str:
    """An enum's value with spaces for its underscores (``"sharp pain"``): the core's own
    texts never carry the snake_case id (the edges word them from ``rules/wording.yaml``)."""
    return value.value.replace("_", " ")


def _label(what: str, reason: StrEnum | None) -> str:
    """``"Stopped: sharp pain"`` from a state name and an optional reason."""
    return f"{what}: {_spaced(reason)}" if reason is not None else what


_ACTIVE = frozenset({CoachState.ENTERING, CoachState.HOLDING, CoachState.RETURNING})
#: Two measured frames further apart than this (seconds) are not known to have stayed over
#: the cap between them: the time over the cap counts only closer ones (the stored
#: summaries' one sample period, ``storage.SAMPLE_PERIOD_S``).
OVER_CAP_MAX_GAP_S = 1.0
_TERMINAL = frozenset({CoachState.DONE, CoachState.STOPPED})
#: Camera advice when the tracker gave none with an unmeasurable view.
CAMERA_FALLBACK_ADVICE = "Place the camera higher, out to one side level with your feet."
#: States in which losing the measurement pauses the coaching (before calibration the coach
#: only guides the set-up, so it keeps doing that instead).
_WATCHED = _ACTIVE | {
    CoachState.CALIBRATING,
    CoachState.SWITCHING_SIDES,
    CoachState.RESTING,
}


@dataclass
class _Reading:
    """The knee drop relative to neutral, when it can be used (degrees, + = right)."""

    drop: float | None
    speed: float | None


class Coach:
    """The coaching state machine (explicit time, no I/O).

    Parameters
    ----------
    plan
        Today's plan.
    rules
        The coaching rules (:func:`load_coaching_rules`).
    start_pain
        Pain (0-10) when the session starts, e.g. the intake's ``pain_now``; when None the
        first pain report becomes the baseline.
    body_model
        The template body the measuring uses (``metrics.BodyType`` value), recorded in
        the ``session_started`` event so a session's numbers can be read knowing it; the
        "stay here" margin is the one measured with it (``under_read_by_body`` in the
        rules, the neutral template's ``under_read`` when it has none).

    Notes
    -----
    Feed :meth:`observe` with observations in time order; pain, pause and quit inputs carry
    their own time. Every method returns the new outputs in order. After ``done`` or
    ``stopped`` every method returns an empty list.
    """

    def __init__(
        self,
        plan: CoachPlan,
        rules: CoachingRules,
        *,
        start_pain: int | None = None,
        body_model: str = "neutral",
    ) -> None:
        if start_pain is not None and not 0 <= start_pain <= 10:
            raise ValueError(f"start_pain must be 0-10, got {start_pain}")
        if body_model not in ("neutral", *BODY_MODELS):
            raise ValueError(f"body_model must be neutral, female or male, got {body_model!r}")
        self.plan = plan
        self.body_model = body_model
        #: The camera view of the last measured observation (None before one): its own
        #: "stay here" margin applies (``under_read_by_view`` in the rules).
        self.view: View | None = None
        self.rules = rules
        self._th = rules.thresholds
        self._limits = self._th.check_limits()
        self._zero = NeutralZero(self._limits)
        self._checks = FormChecks(self._limits)
        # Whether the frames come often enough to follow the speed (checks.FrameRate).
        self._frame_rate = FrameRate()
        self.state = CoachState.WAITING_FOR_PERSON
        self.personal_cap_deg = plan.cap_deg
        self.start_pain = start_pain
        self.last_pain = start_pain
        self.stopped_reason: StopReason | None = None
        self.pause_reason: PauseReason | None = None
        # The automatic pause (tracking lost, camera view) a frame-rate pause took over
        # from: the frames coming often enough again end the frame-rate pause only into
        # that pause's own conditions (never a resume on frames nobody is measured in).
        self._pause_under: PauseReason | None = None
        self._pause_under_advice = ""
        # When the present pause reason began, and since when the frames have come often
        # enough during a frame-rate pause (the hysteresis between pause reasons).
        self._paused_since = -math.inf
        self._dense_since: float | None = None
        self.side_index = 0
        # The order of the sides; the person may start with the other one (see _step).
        self._sides: list[Side] = list(plan.sides)
        self.hold_elapsed_s = 0.0
        self.baseline_deg: float | None = None
        self.current_cue: Cue | None = None
        self.last_drop_deg: float | None = None
        self._started = False
        self._resume_state = CoachState.WAITING_FOR_PERSON
        self._state_since = 0.0
        self._bad_since: float | None = None
        # Since when the knees are on the camera's far side, the side not asked for.
        self._far_wrong_since: float | None = None
        self._good_since: float | None = None
        self._wrong_since: float | None = None
        self._still_since: float | None = None
        self._last_cue_t: float | None = None
        self._cue_last: dict[str, float] = {}
        #: The camera advice last said during set-up (a paragraph is said once).
        self._camera_advice_said: str | None = None
        self._over_cap = False
        self._over_cap_s = 0.0
        self._max_drop: float | None = None
        self._sides_done: list[Side] = []
        self._breath_count = 0
        self._breath_anchor: float | None = None
        self._sink_invited = False
        self._prev_t: float | None = None

    # ---------------------------------------------------------------- public properties

    @property
    def finished(self) -> bool:
        """True once the session is done or stopped."""
        return self.state in _TERMINAL

    @property
    def calibrated(self) -> bool:
        """True once the coach has measured the person's starting position (its neutral
        zero): only from then is a knee drop measured from that zero."""
        return self.baseline_deg is not None

    @property
    def shown_drop_deg(self) -> float | None:
        """The knee drop a display may show: the last measured drop from the calibrated
        neutral, or None before the coach is :attr:`calibrated` (the drop it watches while
        setting up is the tracker's own reading, from no measured zero; a side view misread
        as a diagonal one showed -41 degrees there) and whenever the frame was not measured
        (unknown travels as unknown)."""
        return self.last_drop_deg if self.calibrated else None

    @property
    def stay_here_deg(self) -> float:
        """The knee drop (degrees from the calibrated neutral, either side) from which the
        coach says "that's enough, stay here": today's cap less :meth:`CoachingRules.stay_margin`
        for this session's template body and the camera view measured from (never below 0)."""
        cap = self.personal_cap_deg
        return max(0.0, cap - self.rules.stay_margin(cap, self.body_model, self.view))

    @property
    def current_side(self) -> Side | None:
        """The side being worked (None before the first or after the last)."""
        if self.side_index < len(self._sides):
            return self._sides[self.side_index]
        return None

    @property
    def step_text(self) -> str:
        """A short label of the current step, for displays."""
        side = self.current_side
        labels = {
            CoachState.WAITING_FOR_PERSON: "Waiting for you",
            CoachState.SETTING_UP: "Set up",
            CoachState.CALIBRATING: "Calibrating",
            CoachState.ENTERING: f"Knees to the {side}" if side else "Entering",
            CoachState.HOLDING: f"Hold ({side})" if side else "Hold",
            CoachState.RETURNING: "Back to the centre",
            CoachState.SWITCHING_SIDES: "Rest, then the other side",
            CoachState.RESTING: "Rest",
            CoachState.DONE: "Done",
            CoachState.PAUSED: _label("Paused", self.pause_reason),
            CoachState.STOPPED: _label("Stopped", self.stopped_reason),
        }
        return labels[self.state]

    def summary(self) -> SessionSummary:
        """The session so far (or as it ended)."""
        return SessionSummary(
            variant_id=self.plan.variant_id,
            plan_cap_deg=self.plan.cap_deg,
            final_cap_deg=self.personal_cap_deg,
            max_knee_drop_deg=self._max_drop,
            over_cap_s=round(self._over_cap_s, 3),
            start_pain=self.start_pain,
            end_pain=self.last_pain,
            sides_completed=tuple(self._sides_done),
            final_state=self.state,
            stopped_reason=self.stopped_reason,
        )

    # ---------------------------------------------------------------- inputs

    def observe(self, obs: Observation) -> list[Output]:
        """Take one observation; return the cues and events it causes, in order."""
        if self.finished:
            return []
        t = obs.timestamp_s
        out: list[Output] = []
        self._begin(t, out)
        dt = 0.0 if self._prev_t is None else max(0.0, t - self._prev_t)
        self._prev_t = t
        # Every frame counts towards the rate, measured or not: it came.
        sparse = self._frame_rate.update(t) is True

        # A twist the plan does not prescribe stops the session (fail safe).
        if self._check_wrong_family(obs, t, out):
            return out

        reading = self._reading(obs)
        measurable = reading.drop is not None and obs.view_measurable
        if measurable:
            # The camera place the drops are measured from sets its own margin (a place
            # other than the recommended one may read shorter: stay_here_deg).
            self.view = obs.view
        if not measurable:
            # Unknown travels as unknown: displays of the coach's drop show "?" now.
            self.last_drop_deg = None
        if self.state is CoachState.PAUSED:
            if measurable and reading.drop is not None:
                self._watch_while_paused(t, dt, reading.drop, out)
            self._while_paused(obs, t, measurable, sparse, out)
            return out
        if sparse:
            # Frames too far apart to follow the speed (checks.SPARSE_FRAME_GAP_S): "too
            # fast" could never fire, so nothing is coached (no "further", no hold timed
            # on guesses) until they come often enough again; never silently.
            self._pause(t, PauseReason.TOO_FEW_FRAMES, out)
            return out
        if measurable or not self._far_wrong_side(obs):
            self._far_wrong_since = None
        elif self._far_wrong_since is None:
            self._far_wrong_since = t
        since = self._far_wrong_since
        if since is not None and t - since >= self._th.far_side_confirm_s - 1e-6:
            # Dropping towards the side the plan did not ask for, on the camera's far side
            # where no number is given (tracking.FAR_SIDE_MAX_DEG), for a while (a glitch
            # lasts a few frames): named as any wrong side is, never a pause asking to move
            # the camera for a side that is not to be done.
            self._bad_since = None
            self._still_since = None
            self._cue(
                t, "other_side", out, side=self.current_side.value if self.current_side else ""
            )
            return out
        if not measurable:
            self._good_since = None
            if self._bad_since is None:
                self._bad_since = t
            if self.state in _WATCHED:
                if t - self._bad_since >= self._th.lost_grace_s:
                    # A view the tracker calls unmeasurable (with its advice, such as the
                    # far side of a diagonal camera) is the camera's doing, not tracking.
                    reason = (
                        PauseReason.TRACKING_LOST
                        if obs.metrics is None or (reading.drop is None and obs.view_measurable)
                        else PauseReason.CAMERA_VIEW
                    )
                    self._pause(t, reason, out, advice=obs.view_advice)
                return out
            self._setup_without_measure(obs, t, out)
            return out
        self._bad_since = None
        assert reading.drop is not None
        drop = reading.drop
        self.last_drop_deg = drop
        self._step(obs, t, dt, drop, reading.speed, out)
        return out

    def report_pain(self, t: float, level: int) -> list[Output]:
        """A pain report (0-10) at time ``t``.

        A rise lowers the personal cap and says "go easier"; a rise of ``pain_stop_rise``
        points over the starting pain, or pain above ``pain_stop_above``, ends the session.
        """
        if not 0 <= level <= 10:
            raise ValueError(f"pain level must be 0-10, got {level}")
        if self.finished:
            return []
        out: list[Output] = []
        self._begin(t, out)
        previous = self.last_pain
        if self.start_pain is None:
            self.start_pain = level
        self.last_pain = level
        rise = level - self.start_pain
        out.append(
            Event(
                t,
                "pain_reported",
                f"pain reported: {level}/10",
                {"level": level, "start_pain": self.start_pain, "rise": rise},
            )
        )
        stop = self._th.pain_stop(level, self.start_pain)
        if stop is StopReason.PAIN_HIGH:
            self._stop(t, StopReason.PAIN_HIGH, "stop_pain_high", out)
        elif stop is StopReason.PAIN_RISE:
            self._stop(t, StopReason.PAIN_RISE, "stop_pain_rise", out)
        elif (previous is not None and level > previous) or rise > 0:
            new_cap = max(
                self._th.min_cap_deg,
                min(self.personal_cap_deg, self.plan.cap_deg - self._th.pain_cap_step_deg * rise),
            )
            if previous is not None and level > previous:
                # Any further rise lowers the cap at least one step, never raises it.
                new_cap = max(
                    self._th.min_cap_deg,
                    min(new_cap, self.personal_cap_deg - self._th.pain_cap_step_deg),
                )
            if new_cap < self.personal_cap_deg:
                old = self.personal_cap_deg
                self.personal_cap_deg = new_cap
                out.append(
                    Event(
                        t,
                        "cap_lowered",
                        f"personal cap lowered from {old:g} to {new_cap:g} degrees after pain rose",
                        {"from_deg": old, "to_deg": new_cap, "level": level},
                    )
                )
                self._cue(t, "go_easier", out, force=True, cap=f"{new_cap:g}")
        return out

    def report_sharp_pain(self, t: float) -> list[Output]:
        """Sharp pain: stop at once. The first output is the stop cue.

        Sharp pain always wins, however the session ended: reported after it was done or
        quit (the person feels it as they come out), the session is stopped for sharp pain
        all the same, so the recorder stores it and planning locks the rest of the day.
        """
        if self.stopped_reason is StopReason.SHARP_PAIN:
            return []
        out: list[Output] = []
        # The stop comes first, before anything else, even the session's start event.
        self._stop(t, StopReason.SHARP_PAIN, "stop_sharp_pain", out)
        return out

    def withdraw(self, t: float, reason: str) -> list[Output]:
        """Planning no longer allows this session (something stored elsewhere while it ran:
        a red flag, a sharp-pain stop, a new plan): stop at once, saying ``reason``
        (planning's plain words). The first output is the stop cue."""
        if self.finished:
            return []
        out: list[Output] = []
        self._stop(t, StopReason.PLAN_WITHDRAWN, "stop_plan_withdrawn", out, why=reason)
        return out

    def pause(self, t: float) -> list[Output]:
        """The person pauses; only :meth:`resume` (or quit / pain) continues.

        A pause asked for during an automatic pause (tracking, camera view, frame rate) is
        kept: the pause becomes the person's own, so the coach does not carry on by itself
        when the frames or the view come back; after :meth:`resume` the automatic rules
        apply again from the next frame.
        """
        if self.finished or self.pause_reason is PauseReason.USER:
            return []
        out: list[Output] = []
        self._begin(t, out)
        self._pause(t, PauseReason.USER, out)
        return out

    def resume(self, t: float) -> list[Output]:
        """Continue after :meth:`pause`; tracking pauses resume by themselves."""
        if self.state is not CoachState.PAUSED or self.pause_reason is not PauseReason.USER:
            return []
        out: list[Output] = []
        self._resume(t, out)
        return out

    def quit(self, t: float) -> list[Output]:
        """The person ends the session."""
        if self.finished:
            return []
        out: list[Output] = []
        self._begin(t, out)
        self._stop(t, StopReason.QUIT, "stop_quit", out)
        return out

    # ---------------------------------------------------------------- helpers: outputs

    def _begin(self, t: float, out: list[Output]) -> None:
        if not self._started:
            self._started = True
            self._state_since = t
            out.append(
                Event(
                    t,
                    "session_started",
                    # The variant's id goes in the data only (people read its name).
                    f"session started, cap {self.plan.cap_deg:g} degrees",
                    {
                        "variant": self.plan.variant_id,
                        "cap_deg": self.plan.cap_deg,
                        "hold_s": self.plan.hold_s,
                        "sides": ",".join(s.value for s in self.plan.sides),
                        "body_model": self.body_model,
                    },
                )
            )

    def _cue(
        self,
        t: float,
        cue_id: str,
        out: list[Output],
        *,
        force: bool = False,
        **fmt: str,
    ) -> bool:
        """Emit a cue unless rate limiting holds it back; True when emitted.

        Safety cues and ``force`` bypass the gap between cues (they go through at once) but
        a repeated identical cue still waits ``cue_repeat_s`` so it does not nag.
        """
        rule = self.rules.rule_for(cue_id)
        urgent = force or rule.priority is Priority.SAFETY
        last_same = self._cue_last.get(cue_id)
        # The small epsilon keeps 10 Hz timestamps like 14.7 - 6.7 = 7.9999... on time.
        if last_same is not None and t - last_same < self._th.cue_repeat_s - 1e-6 and not force:
            return False
        if (
            not urgent
            and self._last_cue_t is not None
            and t - self._last_cue_t < self._th.cue_gap_s - 1e-6
        ):
            return False
        # The plan says whether the pelvis turns with the trunk; the rule has the words.
        turns = self.plan.pelvis_turns
        text = " ".join(rule.text_for(turns).format(**fmt).split())
        cue = Cue(t, cue_id, text, rule.priority, rule.reason_for(turns), rule.id)
        out.append(cue)
        self._cue_last[cue_id] = t
        self._last_cue_t = t
        self.current_cue = cue
        return True

    def _set_state(self, t: float, new: CoachState, out: list[Output]) -> None:
        if new is self.state:
            return
        out.append(
            Event(
                t,
                "state_changed",
                f"{_spaced(self.state)} -> {_spaced(new)}",
                {"from": self.state.value, "to": new.value},
            )
        )
        self.state = new
        self._state_since = t
        self._still_since = None

    def _stop(
        self, t: float, reason: StopReason, cue_id: str, out: list[Output], **fmt: str
    ) -> None:
        self._cue(t, cue_id, out, force=True, **fmt)
        self._begin(t, out)
        self.stopped_reason = reason
        self._set_state(t, CoachState.STOPPED, out)
        out.append(
            Event(
                t,
                "session_stopped",
                f"session stopped: {_spaced(reason)}",
                {"reason": reason.value, "rule": self.rules.rule_for(cue_id).id},
            )
        )

    def _pause(self, t: float, reason: PauseReason, out: list[Output], advice: str = "") -> None:
        # Already paused (a pause for one reason that now has another): resume to the state
        # the first pause left.
        if self.state is not CoachState.PAUSED:
            self._resume_state = self.state
            self._pause_under = None
        elif reason is PauseReason.TOO_FEW_FRAMES and self.pause_reason in (
            PauseReason.TRACKING_LOST,
            PauseReason.CAMERA_VIEW,
        ):
            # Remembered: the frame-rate pause ends into this one's conditions.
            self._pause_under = self.pause_reason
            self._pause_under_advice = advice or self._pause_under_advice
        else:
            self._pause_under = None
        if reason is PauseReason.CAMERA_VIEW:
            self._pause_under_advice = advice
        self.pause_reason = reason
        self._paused_since = t
        self._dense_since = None
        if reason is PauseReason.TOO_FEW_FRAMES:
            self._cue(t, "paused_frame_rate", out, force=True)
        elif reason is PauseReason.TRACKING_LOST:
            self._cue(t, "paused_tracking_lost", out, force=True)
        elif reason is PauseReason.CAMERA_VIEW:
            self._cue(
                t,
                "paused_camera_view",
                out,
                force=True,
                advice=advice or CAMERA_FALLBACK_ADVICE,
            )
        else:
            self._cue(t, "paused", out, force=True)
        self._set_state(t, CoachState.PAUSED, out)
        out.append(
            Event(t, "paused", f"coaching paused: {_spaced(reason)}", {"reason": reason.value})
        )
        self._good_since = None

    def _resume(self, t: float, out: list[Output]) -> None:
        reason = self.pause_reason
        target = self._resume_state
        # A pause during calibration starts the calibration again.
        if target is CoachState.CALIBRATING:
            self._zero.restart(t)
        self.pause_reason = None
        self._pause_under = None
        self._set_state(t, target, out)
        out.append(
            Event(
                t,
                "resumed",
                "coaching resumed",
                {"reason": reason.value if reason else None},
            )
        )
        if reason is PauseReason.TOO_FEW_FRAMES:
            self._cue(t, "resumed_frame_rate", out, force=True)
        elif reason is not PauseReason.USER:
            self._cue(t, "resumed", out, force=True)
        self._bad_since = None
        self._reset_motion()

    # ---------------------------------------------------------------- helpers: inputs

    def _reading(self, obs: Observation) -> _Reading:
        r = reading(obs, self._limits)
        if r is None:
            return _Reading(None, None)
        base = self.baseline_deg or 0.0
        return _Reading(r.drop_deg - base, r.speed_deg_s)

    def _check_wrong_family(self, obs: Observation, t: float, out: list[Output]) -> bool:
        wrong = (
            obs.family in TWIST_FAMILIES
            and obs.family is not self.plan.family
            and obs.family_confidence >= self._th.family_min_confidence
        )
        if not wrong:
            self._wrong_since = None
            return False
        if self._wrong_since is None:
            self._wrong_since = t
        if t - self._wrong_since < self._th.wrong_family_s:
            return False
        self._stop(
            t,
            StopReason.WRONG_POSE,
            "stop_wrong_pose",
            out,
            seen=obs.family.value.replace("_", " "),
            prescribed=self.plan.family.value.replace("_", " "),
        )
        return True

    def _watch_while_paused(self, t: float, dt: float, drop: float, out: list[Output]) -> None:
        """A measured frame during a pause: the drop is still shown and still watched.

        A frame-rate pause is no reason to stop measuring: the drop, its deepest and the
        cap (``checks.over_cap``, and its "ease back" safety cue) need no speed, so a
        display shows the knees where they are and going past the cap is said at once
        (the knees went on from 27 to 55 degrees past a 40 cap while the page showed 27).
        Only a pause that left the twist (entering, holding, returning) watches the cap.
        """
        self.last_drop_deg = drop
        if not self.calibrated or self._resume_state not in _ACTIVE:
            return
        magnitude = abs(drop)
        self._max_drop = magnitude if self._max_drop is None else max(self._max_drop, magnitude)
        over = over_cap(drop, self.personal_cap_deg, self._limits)
        if over:
            # Only the time between close measured frames: a camera frozen for 10 s during
            # a pause had counted 10 s over the cap (the stored summary counts at most
            # OVER_CAP_MAX_GAP_S a sample for the same reason).
            close = dt <= OVER_CAP_MAX_GAP_S
            self._over_cap_s += dt if self._over_cap and close else 0.0
            if (
                not self._over_cap
                or t - self._cue_last.get("ease_back", -1e9) >= self._th.cue_repeat_s - 1e-6
            ):
                self._cue(t, "ease_back", out, force=True)
        self._over_cap = over

    def _while_paused(
        self, obs: Observation, t: float, measurable: bool, sparse: bool, out: list[Output]
    ) -> None:
        if self.pause_reason is PauseReason.USER:
            return
        if sparse:
            # Never resumed while the frames are too far apart; a pause for the camera
            # says the real reason once the frames are the trouble, after it has stood for
            # regain_s (frames hovering about 4 a second flipped the two reasons, and their
            # long words, every frame or two: 19 safety cues in 30 s).
            self._good_since = None
            self._dense_since = None
            if self.pause_reason is not PauseReason.TOO_FEW_FRAMES and (
                t - self._paused_since >= self._th.regain_s - 1e-9
            ):
                self._pause(t, PauseReason.TOO_FEW_FRAMES, out, advice=obs.view_advice)
            return
        if self.pause_reason is PauseReason.TOO_FEW_FRAMES:
            if self._dense_since is None:
                self._dense_since = t
            if not measurable and self._resume_state in _WATCHED:
                # The frames come often enough again, but nobody is measured in them (or the
                # view cannot measure): once that has stood for regain_s, the pause that
                # says so (the one the frame rate took over from, else the tracking's or
                # the camera's), never "carry on" on frames nobody is measured in.
                self._good_since = None
                if t - self._dense_since >= self._th.regain_s - 1e-9:
                    under = self._pause_under or (
                        PauseReason.TRACKING_LOST
                        if obs.metrics is None or obs.view_measurable
                        else PauseReason.CAMERA_VIEW
                    )
                    self._pause(t, under, out, advice=obs.view_advice or self._pause_under_advice)
                return
            # Measured again (or still setting up, where the set-up guides the person):
            # it ends after regain_s, below.
        elif not measurable:
            self._good_since = None
            return
        if self._good_since is None:
            self._good_since = t
        if t - self._good_since >= self._th.regain_s:
            self._resume(t, out)

    def _setup_without_measure(self, obs: Observation, t: float, out: list[Output]) -> None:
        """Before coaching starts, with no usable measurement: guide the person into view."""
        if obs.metrics is None:
            self._cue(t, "waiting", out)
            return
        if self.state is CoachState.WAITING_FOR_PERSON:
            self._set_state(t, CoachState.SETTING_UP, out)
        if not obs.view_measurable:
            # Camera advice is a long paragraph: it is said once (again only when the advice
            # changes) and stays on the page's set-up panel, rather than alternating with
            # the set-up cue every cue_repeat_s so that it is never heard to its end.
            advice = obs.view_advice or CAMERA_FALLBACK_ADVICE
            if advice != self._camera_advice_said and self._cue(
                t, "camera_advice", out, advice=advice
            ):
                self._camera_advice_said = advice
        else:
            self._cue(t, "setup", out)

    def _far_wrong_side(self, obs: Observation) -> bool:
        """Whether the tracker names the camera's far side (:attr:`Observation.far_side`)
        while the knees should be going to the side asked for, and the plan has no later
        side there to follow them to (:meth:`_step` follows a person who starts with the
        other side when it is still to come; here that side cannot be measured, so the
        pause and its camera advice stand)."""
        side = obs.far_side
        return (
            self.state is CoachState.ENTERING
            and side is not None
            and self.current_side is not None
            and side is not self.current_side
            and side not in self._sides[self.side_index + 1 :]
        )

    def _in_position(self, obs: Observation) -> bool:
        allowed = FAMILY_POSITIONS[self.plan.family]
        # An unsure recognition does not block the set-up; a sure other family does.
        return obs.family in allowed or obs.family_confidence < self._th.family_min_confidence

    def _reset_motion(self) -> None:
        self._checks.reset()
        self._still_since = None

    # ---------------------------------------------------------------- the machine

    def _step(
        self,
        obs: Observation,
        t: float,
        dt: float,
        drop: float,
        speed: float | None,
        out: list[Output],
    ) -> None:
        th = self._th
        state = self.state
        if state is CoachState.WAITING_FOR_PERSON:
            self._set_state(t, CoachState.SETTING_UP, out)
            self._cue(t, "setup", out)
            state = self.state
        if state is CoachState.SETTING_UP:
            # No baseline yet: the drop is the tracker's (checks.NeutralZero).
            step = self._zero.update(t, drop, speed, self._in_position(obs))
            if step is ZeroStep.STARTED:
                self._set_state(t, CoachState.CALIBRATING, out)
                self._cue(t, "calibrating", out, force=True)
            elif step is ZeroStep.NOT_READY:
                self._cue(t, "setup", out)
            return
        if state is CoachState.CALIBRATING:
            step = self._zero.update(t, drop, speed)
            if step is ZeroStep.RESTARTED:
                # Moved during calibration: start it again from here.
                self._state_since = t
                self._cue(t, "calibrating", out)
                return
            if step is ZeroStep.DONE and self._zero.zero is not None:
                self.baseline_deg = self._zero.zero
                out.append(
                    Event(
                        t,
                        "calibrated",
                        f"neutral {self._measure_name} "
                        f"{degrees_text(self.baseline_deg, 1)} degrees",
                        {"baseline_deg": round(self.baseline_deg, 2)},
                    )
                )
                self._start_side(t, out)
            return
        if state is CoachState.SWITCHING_SIDES:
            if t - self._state_since >= th.switch_rest_s:
                self._start_side(t, out)
            return
        if state is CoachState.RESTING:
            if t - self._state_since >= th.final_rest_s:
                self._set_state(t, CoachState.DONE, out)
                self._cue(t, "done", out, force=True)
                out.append(Event(t, "session_done", "session complete", {}))
            return
        # Active states: entering, holding, returning.
        self._monitor(t, dt, drop, speed, obs, out)
        if self.finished:
            return
        toward = drop if self.current_side is Side.RIGHT else -drop
        magnitude = abs(drop)
        cap = self.personal_cap_deg
        if state is CoachState.ENTERING and -toward >= th.min_hold_drop_deg:
            other = Side.LEFT if self.current_side is Side.RIGHT else Side.RIGHT
            if other in self._sides[self.side_index + 1 :]:
                # The person went to the other side first: follow them (both sides get
                # done); never make them come back up and cross over.
                later = self._sides.index(other, self.side_index + 1)
                self._sides[self.side_index], self._sides[later] = (
                    other,
                    self._sides[self.side_index],
                )
                out.append(
                    Event(t, "side_changed", f"{other.value} side first", {"side": other.value})
                )
                toward = -toward
        if state is CoachState.ENTERING and -toward >= th.min_hold_drop_deg:
            # Still towards the side not asked for (no later side to follow them to): say
            # so, and never "stay here" nor a hold there (the plan chose the side: a hip
            # replacement's precautions or a one-sided plan may rest on it). The cap's own
            # "ease back" still applies (monitored above).
            self._cue(
                t, "other_side", out, side=self.current_side.value if self.current_side else ""
            )
            self._still_since = None
            return
        if state is CoachState.ENTERING:
            if magnitude >= self.stay_here_deg:
                if magnitude <= cap + th.over_cap_tolerance_deg:
                    self._cue(t, "stay_here", out, force=True)
                self._start_hold(t, out)
                return
            is_still = speed is not None and abs(speed) < th.still_speed_deg_s
            if is_still:
                if self._still_since is None:
                    self._still_since = t
                settled = t - self._still_since
                if settled >= th.settle_s and toward >= th.min_hold_drop_deg:
                    # Optimum, not maximal: where the body settles part way is the hold.
                    self._start_hold(t, out)
                    self._cue(t, "hold", out)
                elif (
                    settled >= th.settle_s
                    and not self._sink_invited
                    and magnitude < cap - th.sink_invite_margin_deg
                    and toward > -th.centre_deg  # not while turned the other way
                    and not self._pain_rose()
                    # Not on the camera's far side, where a drop can read far too short
                    # (bench/ACCURACY_LIVE.md: a true 42 deg read 11): unsure, so no
                    # encouragement to go further.
                    and obs.camera_side in (None, self.current_side)
                ):
                    self._sink_invited = True
                    self._cue(t, "sink_further", out)
            elif speed is not None:
                self._still_since = None
            # No speed yet (the first frames after a gap, as after a one-frame landmark
            # glitch): neither still nor moving, so the settling time is kept rather than
            # started again (a glitch every few seconds kept the hold from ever starting).
            return
        # A hold can start as low as "stay here" (a small cap less the camera's under-read):
        # it must not end on the frame it starts, so its exit lies below half of that.
        hold_exit = min(th.hold_exit_deg, self.stay_here_deg / 2)
        if state is CoachState.HOLDING and magnitude < hold_exit:
            # The knees came back up before the hold was over: the person chose to; never
            # push them back down. The side counts as not completed.
            side = self.current_side
            out.append(
                Event(
                    t,
                    "hold_ended_early",
                    f"the {'knees' if self._supine else 'chest'} came back to the centre "
                    f"after {self.hold_elapsed_s:.0f} s",
                    {"side": side.value if side else None, "held_s": round(self.hold_elapsed_s, 2)},
                )
            )
            self._side_finished(t, out)
            return
        if state is CoachState.HOLDING:
            self.hold_elapsed_s += dt
            if self.hold_elapsed_s < self.plan.hold_s - 1e-6:
                self._breath(t, out)
            else:
                side = self.current_side
                out.append(
                    Event(
                        t,
                        "hold_completed",
                        f"hold complete on the {side}",
                        {"side": side.value if side else None, "hold_s": self.plan.hold_s},
                    )
                )
                if side is not None:
                    self._sides_done.append(side)
                self._set_state(t, CoachState.RETURNING, out)
                self._cue(t, "return_centre", out, force=True)
            return
        if state is CoachState.RETURNING and magnitude < th.centre_deg:
            self._side_finished(t, out)

    def _side_finished(self, t: float, out: list[Output]) -> None:
        """Back at the centre after a side: the other side next, or the final rest."""
        self.side_index += 1
        if self.side_index < len(self._sides):
            self._set_state(t, CoachState.SWITCHING_SIDES, out)
            self._cue(t, "switch_sides", out, force=True)
        else:
            self._set_state(t, CoachState.RESTING, out)
            self._cue(t, "rest", out, force=True)

    def _start_side(self, t: float, out: list[Output]) -> None:
        side = self.current_side
        assert side is not None
        self._set_state(t, CoachState.ENTERING, out)
        self._sink_invited = False
        self._reset_motion()
        out.append(Event(t, "side_started", f"{side.value} side", {"side": side.value}))
        self._cue(t, "enter_side", out, force=True, side=side.value)

    def _start_hold(self, t: float, out: list[Output]) -> None:
        self._set_state(t, CoachState.HOLDING, out)
        self.hold_elapsed_s = 0.0
        self._breath_count = 0
        self._breath_anchor = None
        side = self.current_side
        out.append(
            Event(
                t,
                "hold_started",
                f"holding on the {side}",
                {
                    "side": side.value if side else None,
                    "knee_drop_deg": round(self.last_drop_deg or 0.0, 2),
                    "cap_deg": self.personal_cap_deg,
                },
            )
        )

    @property
    def _supine(self) -> bool:
        """True for a supine twist (measured by the knee drop); seated and standing twists
        are measured by the trunk rotation in the same slots (``seated_tracking``)."""
        return self.plan.family is PoseFamily.SUPINE_TWIST

    @property
    def _measure_name(self) -> str:
        """The measure's plain name for event texts."""
        return "knee drop" if self._supine else "trunk rotation"

    def _pain_rose(self) -> bool:
        return (
            self.start_pain is not None
            and self.last_pain is not None
            and self.last_pain > self.start_pain
        )

    def _breath(self, t: float, out: list[Output]) -> None:
        """Paced breath cues: 'breathe in' at each breath's start, 'exhale' after the inhale."""
        th = self._th
        # Cue number k is due at hold start + its phase: 0, inhale, period, period+inhale, ...
        k = self._breath_count
        # The rhythm is anchored on the first breath cue actually given (it may wait for the
        # gap after the "hold" cue), so the breaths that follow keep a steady pace.
        anchor = self._breath_anchor if self._breath_anchor is not None else 0.0
        due = anchor + (k // 2) * th.breath_period_s + (th.breath_inhale_s if k % 2 else 0.0)
        if self.hold_elapsed_s + 1e-9 >= due:
            cue_id = "exhale_soften" if k % 2 else "breathe_in"
            if self._cue(t, cue_id, out):
                if self._breath_anchor is None:
                    self._breath_anchor = self.hold_elapsed_s
                self._breath_count += 1
            elif self._breath_anchor is not None and self.hold_elapsed_s >= due + th.cue_gap_s:
                self._breath_count += 1  # crowded out by another cue: skip it, keep the pace

    def _monitor(
        self,
        t: float,
        dt: float,
        drop: float,
        speed: float | None,
        obs: Observation,
        out: list[Output],
    ) -> None:
        """Safety and form rules that apply while entering, holding and returning
        (:mod:`twistcoach.checks`, which reports call too)."""
        th = self._th
        magnitude = abs(drop)
        self._max_drop = magnitude if self._max_drop is None else max(self._max_drop, magnitude)
        r = reading(obs, self._limits)
        assert r is not None  # only measured readings reach the active states
        found = self._checks.check(t, drop, r, self.personal_cap_deg, self.stay_here_deg)
        over = Check.OVER_CAP in found
        if over:
            self._over_cap_s += dt if self._over_cap else 0.0
            if (
                not self._over_cap
                or t - self._cue_last.get("ease_back", -1e9) >= th.cue_repeat_s - 1e-6
            ):
                self._cue(t, "ease_back", out, force=True)
        self._over_cap = over
        if Check.TOO_FAST in found and speed is not None:
            # Coming back towards the centre (speed against the drop's side) gets its own
            # words: "let the knees sink" would be the wrong instruction then. Not in the
            # return's last centre_deg: the knees are up by the time it is heard (and there
            # the measured drop catches up with its lag near the centre in a few frames:
            # every false "slowly" of the rendered calm returns, bench/CUES.md).
            returning = drop * speed < 0
            if not (returning and magnitude < th.centre_deg):
                self._cue(t, "slow_return" if returning else "slow_down", out)
        if Check.SHOULDER_LIFTED in found:
            self._cue(t, "shoulders_open", out)
        if Check.BOUNCING in found:
            self._cue(t, "no_bouncing", out)

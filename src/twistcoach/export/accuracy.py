"""The measured accuracy of the knee drop, as exports and reports quote it.

The numbers live in ``accuracy.yaml`` beside this module (one place, with their source:
``docs/accuracy.md`` and ``bench/ACCURACY.md``); this module validates them once and words
them for a note.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NEUTRAL_BODY_MODEL = "neutral"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorFigures(_Frozen):
    """Knee-drop error in degrees over the measured images (measured minus true)."""

    mean_deg: float = Field(ge=0)
    p95_deg: float = Field(ge=0)
    worst_deg: float = Field(ge=0)


class CameraPlace(_Frozen):
    """A camera place and its measured knee-drop error."""

    id: str
    name: str
    description: str
    body_given: ErrorFigures
    neutral: ErrorFigures
    limits: str


class Accuracy(_Frozen):
    """The validated contents of ``accuracy.yaml``."""

    version: Literal[1]
    measured: str
    source: str
    method: str
    place: CameraPlace

    def figures(self, body_model: str | None) -> ErrorFigures:
        """The figures for a session's body model (``neutral`` or unknown: the neutral
        model's, which are the larger)."""
        if body_model is None or body_model == NEUTRAL_BODY_MODEL:
            return self.place.neutral
        return self.place.body_given

    def note(self, body_model: str | None, say: Callable[[str], str] = str) -> str:
        """One paragraph quoting the measured accuracy that applies to a session, its words
        through ``say`` (a translator's; English as it is by default)."""
        fig = self.figures(body_model)
        given = GIVEN_WORDS[body_model not in (None, NEUTRAL_BODY_MODEL)]
        return say(NOTE).format(
            method=say(self.method),
            place=say(self.place.name),
            description=say(self.place.description),
            given=say(given),
            mean=f"{fig.mean_deg:g}",
            p95=f"{fig.p95_deg:g}",
            worst=f"{fig.worst_deg:g}",
            limits=say(self.place.limits),
            source=say(self.source),
            measured=self.measured,
        )


#: The accuracy note (:meth:`Accuracy.note`), and whether the person's body type was given.
NOTE = (
    "Measured accuracy ({method}; {place} camera place: {description}), {given}: knee-drop "
    "error mean {mean} deg, 95th percentile {p95} deg, worst {worst} deg. {limits} Source: "
    "{source}; measured {measured}."
)
GIVEN_WORDS = {
    True: "the person's body type given",
    False: "no body type given (neutral body model)",
}


_CACHE: list[Accuracy] = []


def load_accuracy() -> Accuracy:
    """Read and validate the packaged ``export/accuracy.yaml`` (once per process)."""
    if _CACHE:
        return _CACHE[0]
    from twistcoach.rulefiles import load_packaged

    accuracy = load_packaged("export/accuracy.yaml", Accuracy.model_validate)
    _CACHE.append(accuracy)
    return accuracy

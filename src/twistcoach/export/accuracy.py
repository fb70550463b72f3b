"""The measured accuracy of the knee drop, as exports and reports quote it.

The numbers live in ``accuracy.yaml`` beside this module (one place, with their source:
``docs/accuracy.md`` and ``bench/ACCURACY.md``); this module validates them once and words
them for a note.
"""

from __future__ import annotations

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

    def note(self, body_model: str | None) -> str:
        """One paragraph quoting the measured accuracy that applies to a session."""
        fig = self.figures(body_model)
        given = (
            "the person's body type given"
            if body_model not in (None, NEUTRAL_BODY_MODEL)
            else "no body type given (neutral body model)"
        )
        return (
            f"Measured accuracy ({self.method}; {self.place.name} camera place: "
            f"{self.place.description}), {given}: knee-drop error mean {fig.mean_deg:g} deg, "
            f"95th percentile {fig.p95_deg:g} deg, worst {fig.worst_deg:g} deg. "
            f"{self.place.limits} Source: {self.source}; measured {self.measured}."
        )


_CACHE: list[Accuracy] = []


def load_accuracy() -> Accuracy:
    """Read and validate the packaged ``export/accuracy.yaml`` (once per process)."""
    if _CACHE:
        return _CACHE[0]
    from twistcoach.rulefiles import read_packaged

    accuracy = Accuracy.model_validate(read_packaged("export/accuracy.yaml", ValueError))
    _CACHE.append(accuracy)
    return accuracy

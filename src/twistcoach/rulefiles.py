"""Rule tables as data: validating one into its model, reading one packaged with twistcoach.

Pure core: pydantic and the standard library; ``yaml`` only inside :func:`read_packaged`,
the one thin loader of the packaged data files (``twistcoach/rules/``,
``twistcoach/export/``; the pose library parses its own files' text with the same
:func:`~twistcoach.safeload.load_data_yaml`).
"""

from __future__ import annotations

from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def describe(error: ValidationError) -> str:
    """Every problem of a validation error on one line, each naming its field."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in error.errors()
    )


def validate(model: type[M], data: Any, error: type[Exception], what: str) -> M:
    """``model`` from parsed data, or ``error("invalid <what>: <every problem>")``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"invalid {what}: {describe(exc)}") from exc


def read_packaged(name: str, error: type[Exception]) -> Any:
    """Parse the packaged YAML file ``twistcoach/<name>`` (``error`` when it is not YAML or
    gives a key twice)."""
    from twistcoach.safeload import SafeLoadError, load_data_yaml  # the edge: files

    text = resources.files("twistcoach").joinpath(name).read_text("utf-8")
    try:
        return load_data_yaml(text)
    except SafeLoadError as exc:
        raise error(f"{name}: {exc}") from exc

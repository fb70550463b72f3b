"""Rule tables as data: validating one into its model, reading one packaged with twistcoach.

Pure core: pydantic and the standard library; ``yaml`` only inside :func:`read_packaged`,
the one thin loader of the packaged data files (``twistcoach/rules/``,
``twistcoach/export/``; the pose library parses its own files' text with the same
:func:`~twistcoach.safeload.load_data_yaml`).

Every failure to read or validate a packaged file is a
:class:`~twistcoach.errors.RuleFileError` (or one of its module subclasses) whose message
names the file and the field: the CLI prints it with exit 2, ``twistcoach serve`` refuses to
start with it (``twistcoach.rules.check_data_files``), never a traceback. The files are found
under :func:`data_root` (the installed package), which a test may point at a broken copy.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from twistcoach.errors import RuleFileError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def describe(error: ValidationError) -> str:
    """Every problem of a validation error on one line, each naming its field (none for a
    check of the whole file), in plain words (pydantic's "Value error, " left out)."""
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def validate(model: type[M], data: Any, error: type[Exception], what: str) -> M:
    """``model`` from parsed data, or ``error("invalid <what>: <every problem>")``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"invalid {what}: {describe(exc)}") from exc


def data_root() -> Traversable:
    """Where the packaged data files live: the installed ``twistcoach`` package (a test
    monkeypatches this to read a broken copy)."""
    return resources.files("twistcoach")


def read_packaged(name: str, error: type[Exception] = RuleFileError) -> Any:
    """Parse the packaged YAML file ``twistcoach/<name>`` (``error`` when it cannot be read,
    is not YAML or gives a key twice; pass a :class:`RuleFileError` subclass)."""
    from twistcoach.safeload import SafeLoadError, load_data_yaml  # the edge: files

    try:
        text = data_root().joinpath(name).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{name}: cannot be read ({type(exc).__name__}: {exc})") from exc
    try:
        return load_data_yaml(text)
    except SafeLoadError as exc:
        raise error(f"{name}: {exc}") from exc


def load_packaged(name: str, parse: Callable[[Any], T]) -> T:
    """``parse`` applied to the packaged YAML file ``twistcoach/<name>``.

    Parameters
    ----------
    name
        The file's path inside the package, e.g. ``"rules/wording.yaml"``.
    parse
        Validates the parsed data into its model (pure: it raises ``ValueError``, pydantic's
        ``ValidationError``, ``LookupError`` or ``TypeError`` on bad data).

    Raises
    ------
    RuleFileError
        Whatever went wrong, with the file's name first: a :class:`RuleFileError` subclass
        that ``parse`` raised keeps its class.
    """
    data = read_packaged(name)
    try:
        return parse(data)
    except RuleFileError as exc:
        if str(exc).startswith(f"{name}:"):
            raise
        raise type(exc)(f"{name}: {exc}") from exc
    except ValidationError as exc:
        raise RuleFileError(f"{name}: {describe(exc)}") from exc
    except (ValueError, LookupError, TypeError) as exc:
        # A missing key reads as KeyError('advice'): say which key is missing.
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        what = what.removeprefix(f"{name}:").strip()
        raise RuleFileError(f"{name}: {what}") from exc

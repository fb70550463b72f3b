"""Loading the pose library from the YAML files shipped inside the package.

:func:`parse_library` is pure (text in, validated models out); :func:`load_library` is the
thin edge that reads ``twistcoach/poses/library/*.yaml`` through importlib.resources.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from pydantic import ValidationError

import twistcoach.errors as _errors
from twistcoach.poses.schema import PoseLibrary, Variant

LIBRARY_PACKAGE = "twistcoach.poses.library"
#: The library's folder under :func:`twistcoach.rulefiles.data_root`.
LIBRARY_FOLDER = "poses/library"


class LibraryError(_errors.RuleFileError):
    """The pose library's data is invalid; the message names the file and the field."""


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_variant(text: str, name: str = "<text>") -> Variant:
    """Parse and validate one variant from YAML text.

    Parameters
    ----------
    text
        A YAML mapping with the fields of :class:`~twistcoach.poses.schema.Variant`.
    name
        Where the text came from, for error messages.

    Raises
    ------
    LibraryError
        On YAML syntax errors or invalid fields (every problem is listed).
    """
    from twistcoach.safeload import SafeLoadError, load_data_yaml

    try:
        data = load_data_yaml(text)
    except SafeLoadError as exc:
        raise LibraryError(f"{name}: {exc}") from exc
    if not isinstance(data, dict):
        raise LibraryError(f"{name}: expected a mapping of variant fields")
    try:
        return Variant.model_validate(data)
    except ValidationError as exc:
        raise LibraryError(f"{name}: invalid variant\n{_describe(exc)}") from exc


def parse_library(documents: Iterable[tuple[str, str]]) -> PoseLibrary:
    """Parse a whole library from ``(name, yaml_text)`` pairs, one variant per document.

    Raises
    ------
    LibraryError
        When any variant is invalid, or ids or difficulties repeat across files.
    """
    variants = [parse_variant(text, name) for name, text in documents]
    try:
        return PoseLibrary(variants=tuple(variants))
    except ValidationError as exc:
        raise LibraryError(f"pose library: {_describe(exc)}") from exc


@functools.cache  # a packaged, frozen table: read and validated once per process
def load_library() -> PoseLibrary:
    """Load and validate the pose library shipped with twistcoach.

    Reads every ``*.yaml`` file in ``twistcoach/poses/library`` in name order.
    """
    from twistcoach.rulefiles import data_root

    root = data_root().joinpath(LIBRARY_FOLDER)
    files = sorted(
        (entry for entry in root.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    return parse_library((entry.name, entry.read_text(encoding="utf-8")) for entry in files)

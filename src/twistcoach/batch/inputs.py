"""What a batch analyses: folders, globs and CSV manifests into a list of inputs.

Each argument of ``twistcoach batch`` is one of:

- a **folder**: every photo and video under it, recursively (by file name: the image
  suffixes of :data:`twistcoach.sources.IMAGE_SUFFIXES` and :data:`VIDEO_SUFFIXES`),
  hidden files and folders skipped;
- a **glob** (``clinic/2026-*/*.mp4``, ``**`` for any depth): every file it matches;
- a **CSV manifest** (a ``.csv`` file): a header row with a ``path`` column and optional
  ``body`` (female, male or neutral), ``cap`` (degrees) and ``flat`` columns; relative paths
  are read from the manifest's folder and an empty cell takes the command's default (no
  ``--cap``: the default of the input's measure, as ``analyze`` has it:
  :func:`twistcoach.cli.analyze_cmd.default_cap_deg`). ``flat`` names a photograph of the
  person's neutral pose (lying still, knees up; sitting or standing square) from the same
  place as the row's photograph: it calibrates
  the camera for it, as ``analyze --flat`` does (photographs only). A ``mirrored`` column
  (yes or no) flips that row's video left to right before it is measured, as
  ``analyze --mirrored`` does (videos only: a recording the phone saved mirrored);
- a **file**: that file, whatever its suffix (a broken one is recorded as failed).

The same file named twice (by two arguments, or as ``a/../a/x.mp4``) is analysed once, with
the first settings it was given. Anything inside the output folder is never an input (a
folder scan would otherwise pick up last run's ``annotated.mp4``): paths are compared with
``..`` folded and symbolic links resolved (:func:`twistcoach.cli.analyze_cmd.is_within`);
folder scans and globs skip what is inside it, and a file, folder or manifest row naming
something inside it is refused.
"""

from __future__ import annotations

import csv
import glob
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from twistcoach.cli.analyze_cmd import is_within
from twistcoach.errors import DataError
from twistcoach.metrics import BodyType
from twistcoach.sources import IMAGE_SUFFIXES, is_image_file

#: Suffixes a folder scan takes as videos (an explicitly named file is taken whatever its
#: suffix).
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg"})
#: Manifest column names accepted for each setting (case-insensitive).
PATH_COLUMNS = ("path", "file", "input")
BODY_COLUMNS = ("body", "body_type")
CAP_COLUMNS = ("cap", "cap_deg")
FLAT_COLUMNS = ("flat", "flat_photo")
MIRRORED_COLUMNS = ("mirrored",)
#: A ``mirrored`` cell's words (case-insensitive); an empty cell takes ``--mirrored``.
YES_WORDS = frozenset({"yes", "y", "true", "1"})
NO_WORDS = frozenset({"no", "n", "false", "0"})
_GLOB_CHARS = frozenset("*?[")


class BatchInputError(DataError):
    """An argument or manifest row that cannot be used; the message is one plain line."""


@dataclass(frozen=True)
class BatchInput:
    """One file to analyse, with the settings it is analysed with.

    Attributes
    ----------
    path
        Absolute, normalised path of the file.
    body
        The person's body type (``metrics.BodyType``).
    cap_deg
        Range cap checked and drawn, degrees in (0, 90] of the input's measure; None:
        ``analyze``'s default for the measure it finds (60° knee drop, 30° trunk rotation).
    flat
        A photograph of the neutral pose from the same place that calibrates this
        photograph's camera (``analyze --flat``), else None.
    mirrored
        Flip the video left to right before measuring it (``analyze --mirrored``).
    """

    path: Path
    body: BodyType
    cap_deg: float | None
    flat: Path | None = None
    mirrored: bool = False

    @property
    def flat_name(self) -> str | None:
        """The flat photograph as the state file and the tasks name it (None: none)."""
        return None if self.flat is None else str(self.flat)

    @property
    def key(self) -> str:
        """The input's identity in the state file: its absolute path."""
        return str(self.path)


def check_cap(cap_deg: float, where: str) -> float:
    """Return ``cap_deg`` when it is a usable range cap, else raise naming ``where``.

    Raises
    ------
    BatchInputError
        Unless ``0 < cap_deg <= 90``.
    """
    if not (math.isfinite(cap_deg) and 0.0 < cap_deg <= 90.0):
        raise BatchInputError(f"{where}: the cap must be between 0 and 90 degrees, got {cap_deg:g}")
    return cap_deg


def _check_mirrored(item: BatchInput, where: str) -> BatchInput:
    """``item`` when it may be flipped; raise for a photograph asked to be (photographs are
    measured as saved: ``analyze`` refuses ``--mirrored`` with one too)."""
    if item.mirrored and is_image_file(item.path):
        raise BatchInputError(
            f"{where}: a photograph, and --mirrored flips videos only (photographs are "
            "measured as saved): give the photographs without --mirrored, or say mirrored "
            "per video in a manifest's mirrored column"
        )
    return item


def _is_media(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and is_within(path, folder)


def _check_outside(path: Path, out: Path | None, where: str) -> None:
    """Raise when ``path``, named explicitly (``where``: the argument or the manifest row),
    is inside the output folder ``out``: its results would be written over it."""
    if _inside(path, out):
        raise BatchInputError(
            f"{where}: inside the output folder {out}; the batch never takes its own results "
            "as inputs (copy it elsewhere, or choose another --out)"
        )


def _scan_folder(folder: Path, out: Path | None) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or _inside(path, out):
            continue
        if path.is_file() and _is_media(path):
            found.append(path)
    return found


def _column(header: Sequence[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def read_manifest(
    manifest: Path,
    body: BodyType,
    cap_deg: float | None,
    out: Path | None = None,
    *,
    mirrored: bool = False,
) -> list[BatchInput]:
    """Read a CSV manifest (see the module docs).

    Parameters
    ----------
    manifest
        The CSV file.
    body, cap_deg, mirrored
        Defaults for rows that leave the column out or empty.
    out
        The output folder: a row naming a file inside it is refused.

    Raises
    ------
    BatchInputError
        For a manifest without a path column, a missing file, one that is not a regular
        file, one inside the output folder, a bad body, cap or mirrored, or a photograph to
        be flipped, naming the row.
    """
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise BatchInputError(f"{manifest}: cannot read the manifest ({e})") from None
    if not rows:
        raise BatchInputError(f"{manifest}: the manifest is empty")
    header, body_rows = rows[0], rows[1:]
    path_col = _column(header, PATH_COLUMNS)
    if path_col is None:
        raise BatchInputError(
            f"{manifest}: the manifest needs a header row with a 'path' column "
            f"(found: {', '.join(h.strip() for h in header) or 'nothing'})"
        )
    body_col = _column(header, BODY_COLUMNS)
    cap_col = _column(header, CAP_COLUMNS)
    flat_col = _column(header, FLAT_COLUMNS)
    mirrored_col = _column(header, MIRRORED_COLUMNS)
    inputs = []
    for number, row in enumerate(body_rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{manifest}, row {number}"

        def cell(col: int | None, row: list[str] = row) -> str:
            return row[col].strip() if col is not None and col < len(row) else ""

        raw_path = cell(path_col)
        if not raw_path:
            raise BatchInputError(f"{where}: the path is empty")
        path = _manifest_file(manifest, raw_path, where)
        _check_outside(path, out, f"{where}: {path}")
        flat = None
        if cell(flat_col):
            if not is_image_file(path):
                raise BatchInputError(
                    f"{where}: a flat photograph calibrates a photograph, and {path.name} is "
                    "not one (a video calibrates itself on its first seconds lying still)"
                )
            flat = _normal(_manifest_file(manifest, cell(flat_col), f"{where}, flat"))
        row_body = body
        if cell(body_col):
            try:
                row_body = BodyType.parse(cell(body_col))
            except ValueError as e:
                raise BatchInputError(f"{where}: body {e}") from None
        row_cap = cap_deg
        if cell(cap_col):
            try:
                row_cap = float(cell(cap_col))
            except ValueError:
                raise BatchInputError(
                    f"{where}: the cap must be a number of degrees, got {cell(cap_col)!r}"
                ) from None
            check_cap(row_cap, where)
        row_mirrored = mirrored
        word = cell(mirrored_col).lower()
        if word in YES_WORDS or word in NO_WORDS:
            row_mirrored = word in YES_WORDS
        elif word:
            raise BatchInputError(
                f"{where}: mirrored must be yes or no, got {cell(mirrored_col)!r}"
            )
        item = BatchInput(_normal(path), row_body, row_cap, flat, row_mirrored)
        inputs.append(_check_mirrored(item, f"{where}: {path}"))
    return inputs


def _manifest_file(manifest: Path, raw: str, where: str) -> Path:
    """A file a manifest names (relative to its folder), or raise naming ``where``."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = manifest.parent / path
    if path.is_file():
        return path
    if path.is_dir():
        raise BatchInputError(
            f"{where}: {path} is a folder; a row names one photograph or video (give the "
            "folder itself to the command to take everything in it)"
        )
    if path.exists():
        raise BatchInputError(f"{where}: not a regular file (a device or a pipe): {path}")
    if path.is_symlink():
        raise BatchInputError(f"{where}: no such file (a broken link): {path}")
    raise BatchInputError(f"{where}: no such file: {path}")


def _normal(path: Path) -> Path:
    """Absolute and normalised (``..`` folded), without resolving symbolic links."""
    import os

    return Path(os.path.normpath(path.absolute()))


def collect_inputs(
    arguments: Iterable[str],
    *,
    body: BodyType = BodyType.NEUTRAL,
    cap_deg: float | None = None,
    out: Path | None = None,
    mirrored: bool = False,
) -> list[BatchInput]:
    """Turn the command's arguments into the inputs to analyse, in order, each once.

    Parameters
    ----------
    arguments
        Folders, globs, CSV manifests and files (see the module docs).
    body, cap_deg, mirrored
        Settings for every input a manifest row does not set (``mirrored``: the
        videos are flipped left to right; a photograph given with it is refused).
    out
        The output folder: nothing inside it is taken from a folder or a glob, and a file,
        folder or manifest row naming something inside it is refused.

    Returns
    -------
    list of BatchInput
        Never empty.

    Raises
    ------
    BatchInputError
        For an argument that names nothing usable (a missing file, a glob or folder with no
        photo or video, a bad manifest, something inside the output folder, a photograph
        with ``mirrored``), with a one-line message.
    """
    if cap_deg is not None:
        check_cap(cap_deg, "--cap")
    out_abs = None if out is None else _normal(out)
    out_named = "" if out is None else f" ({out})"
    inputs: list[BatchInput] = []
    seen: set[Path] = set()

    def add(items: Iterable[BatchInput]) -> None:
        for item in items:
            if item.path not in seen:
                seen.add(item.path)
                inputs.append(_check_mirrored(item, str(item.path)))

    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            if out_abs is not None and _inside(out_abs, path) and _inside(path, out_abs):
                raise BatchInputError(
                    f"{argument}: this is the output folder (--out); nothing inside it is "
                    "an input: choose another --out"
                )
            if _inside(path, out_abs):
                raise BatchInputError(
                    f"{argument}: inside the output folder{out_named}; nothing inside it is "
                    "an input: choose another --out"
                )
            files = _scan_folder(path, out_abs)
            if not files:
                outside = (
                    f" outside the output folder{out_named}"
                    if out_abs is not None and _inside(out_abs, path)
                    else ""
                )
                raise BatchInputError(f"{argument}: no photo or video in this folder{outside}")
            add(BatchInput(_normal(f), body, cap_deg, mirrored=mirrored) for f in files)
        elif path.is_file() and path.suffix.lower() == ".csv":
            add(read_manifest(path, body, cap_deg, out, mirrored=mirrored))
        elif path.is_file():
            _check_outside(path, out, argument)
            add([BatchInput(_normal(path), body, cap_deg, mirrored=mirrored)])
        elif _GLOB_CHARS & set(argument):
            files = [Path(m) for m in sorted(glob.glob(str(path), recursive=True))]
            matches = [m for m in files if m.is_file() and not _inside(m, out_abs)]
            if not matches:
                inside = any(m.is_file() for m in files)
                raise BatchInputError(
                    f"{argument}: the pattern matches no file"
                    + (f" outside the output folder{out_named}" if inside else "")
                )
            add(BatchInput(_normal(m), body, cap_deg, mirrored=mirrored) for m in matches)
        elif path.exists():
            raise BatchInputError(f"{argument}: not a file or folder (a device or a pipe)")
        else:
            raise BatchInputError(f"{argument}: no such file or folder")
    if not inputs:
        raise BatchInputError("nothing to analyse: name folders, files, globs or a CSV manifest")
    return inputs

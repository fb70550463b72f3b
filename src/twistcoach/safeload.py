"""Bounded loaders for JSON and YAML that come from outside (files, forms, sockets).

The standard parsers trust their input: ``json.loads`` recurses once per level of ``[`` or
``{`` (8000 levels raise :class:`RecursionError`), Python refuses to turn a number of more
than 4300 digits into an int with a bare :class:`ValueError`, and YAML aliases expand an
anchor every time they are used, so nine levels of ten aliases ("billion laughs") build a
billion-item value from a file of a few hundred bytes. The loaders here check the input
before and while parsing, so a hostile document costs at most a scan of ``max_bytes``:

* size: the text's UTF-8 length against ``max_bytes``, before anything is parsed;
* depth: nesting deeper than ``max_depth`` is refused (JSON: counted on the text with the
  strings left out, before parsing; YAML: counted as the nodes are composed);
* numbers: a run of more than ``max_number_chars`` digits is refused;
* YAML anchors and aliases (``&name``, ``*name``, and so ``<<`` merges) are refused outright:
  no twistcoach file needs them, and refusing them is the only sure cap on their expansion;
* JSON's non-standard ``NaN`` and ``Infinity`` are refused.

Every refusal is a :class:`SafeLoadError` with a one-line message: :class:`InvalidSyntaxError`
when the text is not JSON or YAML at all, :class:`LimitExceededError` when it breaks a limit.
:func:`clip_message` shortens any message before it is echoed back to a person.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

import twistcoach.errors as _errors

#: Defaults: generous for every document twistcoach reads (an intake is under 2 kB and 3
#: levels deep; a socket message under 16 kB and 3 levels deep).
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_NUMBER_CHARS = 100
#: Messages echoed to a person are cut to this many characters.
DEFAULT_MAX_MESSAGE_CHARS = 500


class SafeLoadError(_errors.DataError):
    """A document was refused; the message is one plain line."""


class InvalidSyntaxError(SafeLoadError):
    """The text is not valid JSON or YAML."""


class LimitExceededError(SafeLoadError):
    """The text breaks a limit: size, depth, a number's length, anchors or aliases."""


#: A JSON string literal (the unrolled form, linear even on a long unterminated string).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DIGIT_RUN = re.compile(r"\d+")


def clip_message(text: str, max_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``max_chars`` characters, saying how much was left out.

    Parameters
    ----------
    text
        A message about to be shown to a person (it may quote hostile input).
    max_chars
        The most characters kept.

    Returns
    -------
    str
        ``text`` itself when short enough, else its start and ``"... (N more characters)"``.
    """
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}... ({len(text) - max_chars} more characters)"


def _check_size(text: str | bytes, max_bytes: int) -> str:
    if isinstance(text, bytes):
        size = len(text)
        if size > max_bytes:
            raise LimitExceededError(f"too large ({size} bytes; at most {max_bytes})")
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSyntaxError(
                f"not UTF-8 text (byte {exc.start} cannot be decoded)"
            ) from None
    # Characters never outnumber UTF-8 bytes, so a long text is refused without encoding it.
    size = len(text) if len(text) > max_bytes or text.isascii() else len(text.encode())
    if size > max_bytes:
        raise LimitExceededError(f"too large ({size} bytes; at most {max_bytes})")
    return text


def _check_number_length(text: str, max_number_chars: int) -> None:
    longest = max((len(m) for m in _DIGIT_RUN.findall(text)), default=0)
    if longest > max_number_chars:
        raise LimitExceededError(
            f"a number is too long ({longest} digits; at most {max_number_chars})"
        )


def json_depth(text: str, stop_after: int | None = None) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, strings left out, unparsed.

    Parameters
    ----------
    text
        JSON text (valid or not: brackets are counted as they come).
    stop_after
        Return as soon as the depth passes this (None: scan everything).

    Returns
    -------
    int
        0 for a bare scalar, 1 for ``[]`` or ``{}``, and so on.
    """
    return _bracket_depth(_JSON_STRING.sub('""', text), stop_after)


def _bracket_depth(stripped: str, stop_after: int | None) -> int:
    brackets = _NOT_BRACKET.sub("", stripped)
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise InvalidSyntaxError(f"not valid JSON: {name} is not a JSON number")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members, refusing a name given twice: ``json`` keeps the last one
    silently, so ``{"red_flags": ["saddle_numbness"], "red_flags": []}`` would lose a red flag."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidSyntaxError(f"the key {key!r} is given twice: give each key once")
        out[key] = value
    return out


def check_json_keys_unique(text: str | bytes) -> None:
    """Raise :class:`InvalidSyntaxError` when a JSON object in ``text`` names a key twice
    (for bodies another parser reads: the web API's). Text that is not JSON passes: its
    parser reports that."""
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, InvalidSyntaxError):
            raise


def load_json_bounded(
    text: str | bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_number_chars: int = DEFAULT_MAX_NUMBER_CHARS,
) -> Any:
    """Parse JSON within limits of size, depth and number length (see the module docs).

    Parameters
    ----------
    text
        The document (bytes are decoded as UTF-8).
    max_depth
        Most levels of nested arrays and objects.
    max_bytes
        Most bytes of UTF-8 text.
    max_number_chars
        Most digits in one run (an integer, or a float's integer part, fraction or exponent).

    Returns
    -------
    Any
        What ``json.loads`` returns.

    Raises
    ------
    InvalidSyntaxError
        When the text is not JSON (``NaN`` and ``Infinity`` included), or an object names a
        key twice.
    LimitExceededError
        When the text breaks a limit.
    """
    text = _check_size(text, max_bytes)
    stripped = _JSON_STRING.sub('""', text)
    if _bracket_depth(stripped, max_depth) > max_depth:
        raise LimitExceededError(f"too deeply nested (more than {max_depth} levels)")
    _check_number_length(stripped, max_number_chars)
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise InvalidSyntaxError(f"not valid JSON: {exc}") from None
    except RecursionError:  # only reachable with a recursion limit below max_depth
        raise LimitExceededError(f"too deeply nested (more than {max_depth} levels)") from None
    except SafeLoadError:
        raise
    except ValueError as exc:  # e.g. Python's own limit on an integer's digits
        raise InvalidSyntaxError(f"not valid JSON: {exc}") from None


class _BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases and counting depth as it composes."""

    max_depth = DEFAULT_MAX_DEPTH
    max_number_chars = DEFAULT_MAX_NUMBER_CHARS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        where = f"line {event.start_mark.line + 1}" if event.start_mark else "the document"
        if isinstance(event, yaml.AliasEvent):
            raise LimitExceededError(f"YAML aliases (*{event.anchor}) are not allowed ({where})")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise LimitExceededError(f"YAML anchors (&{anchor}) are not allowed ({where})")
        if isinstance(event, yaml.ScalarEvent) and event.style is None:
            # A plain scalar may be read as a number; quoted ones stay strings.
            _check_number_length(event.value, self.max_number_chars)
        if not isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        # Levels of sequences and mappings, as JSON's depth counts arrays and objects.
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise LimitExceededError(
                    f"too deeply nested (more than {self.max_depth} levels, {where})"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # PyYAML keeps the last of two equal keys silently: a second "red_flags: []" would
        # erase the first's red flags. Refuse it, naming both lines.
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML's own message follows
                continue
            if first is not None:
                raise InvalidSyntaxError(
                    f"the key {key!r} is given twice (lines {first.start_mark.line + 1} and "
                    f"{key_node.start_mark.line + 1}): give each key once"
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load_yaml_safe(
    text: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_number_chars: int = DEFAULT_MAX_NUMBER_CHARS,
) -> Any:
    """Parse one YAML document with the safe tags only, within limits (see the module docs).

    Parameters
    ----------
    text
        The document (bytes are decoded as UTF-8).
    max_bytes
        Most bytes of UTF-8 text.
    max_depth
        Most levels of nested sequences and mappings.
    max_number_chars
        Most digits in one run within an unquoted scalar.

    Returns
    -------
    Any
        What ``yaml.safe_load`` returns (None for an empty document).

    Raises
    ------
    InvalidSyntaxError
        When the text is not YAML (or holds several documents), or a mapping names a key
        twice.
    LimitExceededError
        When the text breaks a limit or uses an anchor or an alias.
    """
    text = _check_size(text, max_bytes)
    loader = _BoundedSafeLoader(text)
    loader.max_depth = max_depth
    loader.max_number_chars = max_number_chars
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        # One line: PyYAML's own spans several and names the stream, not the file.
        message = " ".join(str(exc).replace(' in "<unicode string>"', "").split())
        raise InvalidSyntaxError(clip_message(f"not valid YAML: {message}")) from None
    except RecursionError:
        raise LimitExceededError(f"too deeply nested (more than {max_depth} levels)") from None
    except ValueError as exc:
        if isinstance(exc, SafeLoadError):
            raise
        raise InvalidSyntaxError(clip_message(f"not valid YAML: {exc}")) from None
    finally:
        loader.dispose()


#: Packaged data files (rule tables, poses, wording, templates) are ours and small (the
#: largest, rules/coaching.yaml, about 22 kB): these limits only stop a broken build.
DATA_MAX_BYTES = 1 << 20
DATA_MAX_DEPTH = 32


def load_data_yaml(text: str | bytes) -> Any:
    """A packaged data file: :func:`load_yaml_safe` (one document, safe tags, no anchors,
    every key once) within :data:`DATA_MAX_BYTES` and :data:`DATA_MAX_DEPTH`. A key given
    twice in a rule table would otherwise drop a rule's part silently."""
    return load_yaml_safe(text, max_bytes=DATA_MAX_BYTES, max_depth=DATA_MAX_DEPTH)

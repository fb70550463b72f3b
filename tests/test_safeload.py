"""Tests of twistcoach.safeload: bounded JSON and YAML (issue 16, items 3 and 6)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from twistcoach.intake import IntakeError, load_intake, parse_intake_text
from twistcoach.safeload import (
    InvalidSyntaxError,
    LimitExceededError,
    SafeLoadError,
    clip_message,
    json_depth,
    load_json_bounded,
    load_yaml_safe,
)
from twistcoach.web.practice import parse_message

NESTED = "[" * 8000 + "]" * 8000  # under the socket's 16 kB, past Python's recursion limit


def billion_laughs(levels: int) -> str:
    """YAML whose last anchor expands to 10**levels strings (a few hundred bytes)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_item3_deeply_nested_json_is_refused_before_parsing() -> None:
    with pytest.raises(LimitExceededError, match=r"too deeply nested \(more than 32 levels\)"):
        load_json_bounded(NESTED)
    with pytest.raises(LimitExceededError, match="more than 3 levels"):
        load_json_bounded('{"a": [[[1]]]}', max_depth=3)
    assert load_json_bounded('{"a": [[1]]}', max_depth=3) == {"a": [[1]]}
    # Brackets inside strings are text, not nesting.
    assert load_json_bounded(json.dumps({"a": "[[[[{{{{" * 100}), max_depth=1) == {
        "a": "[[[[{{{{" * 100
    }
    assert json_depth('["[[", {"b": "\\"[["}]') == 2
    assert json_depth("3") == 0


def test_item3_nested_json_on_the_socket_is_a_plain_error() -> None:
    with pytest.raises(ValueError, match="message is not valid JSON: too deeply nested"):
        parse_message(NESTED)
    with pytest.raises(ValueError, match=r"^message is not JSON$"):
        parse_message("{not json")
    with pytest.raises(ValueError, match="number is too long"):
        parse_message('{"type": "pain", "level": ' + "9" * 5000 + "}")


def test_a_sharp_message_with_more_in_it_is_still_sharp_pain() -> None:
    from twistcoach.web.practice import SharpMessage

    assert isinstance(parse_message('{"type": "sharp", "x": 1}'), SharpMessage)
    assert isinstance(parse_message('{"type": "sharp", "level": "very"}'), SharpMessage)


def test_item6_numbers_size_and_constants_are_bounded() -> None:
    with pytest.raises(LimitExceededError, match=r"a number is too long \(5000 digits; at most"):
        load_json_bounded('{"age": ' + "1" * 5000 + "}")
    with pytest.raises(LimitExceededError, match=r"a number is too long \(5000 digits"):
        load_yaml_safe("age: " + "1" * 5000)
    # Long digit runs inside strings are text: allowed.
    assert load_json_bounded(json.dumps({"id": "7" * 500})) == {"id": "7" * 500}
    assert load_yaml_safe(f"id: '{'7' * 500}'") == {"id": "7" * 500}
    with pytest.raises(LimitExceededError, match=r"too large \(11 bytes; at most 10\)"):
        load_json_bounded('{"a": "bc"}', max_bytes=10)
    with pytest.raises(LimitExceededError, match="too large"):
        load_yaml_safe("é" * 6, max_bytes=10)  # 12 bytes of UTF-8
    with pytest.raises(InvalidSyntaxError, match="NaN is not a JSON number"):
        load_json_bounded('{"t": NaN}')
    with pytest.raises(InvalidSyntaxError, match="not UTF-8"):
        load_json_bounded(b'{"a": "\xff"}')
    assert load_json_bounded(b'{"a": 1.5e-7}') == {"a": 1.5e-7}


def test_item6_yaml_aliases_and_anchors_are_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(
        LimitExceededError, match=r"YAML anchors \(&a0\) are not allowed \(line 1\)"
    ):
        load_yaml_safe(billion_laughs(9))
    with pytest.raises(LimitExceededError, match=r"YAML aliases \(\*x\) are not allowed"):
        load_yaml_safe("a: [1]\nb: *x\n")  # an alias without its anchor is refused too
    with pytest.raises(LimitExceededError, match="YAML anchors"):
        load_yaml_safe("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert time.perf_counter() - start < 2.0
    with pytest.raises(LimitExceededError, match="too deeply nested"):
        load_yaml_safe("[" * 5000 + "]" * 5000)
    with pytest.raises(LimitExceededError, match="too deeply nested"):
        load_yaml_safe("a:\n  b:\n    c: [1]\n", max_depth=3)
    assert load_yaml_safe("a:\n  b: [1, 2]\n", max_depth=3) == {"a": {"b": [1, 2]}}


def test_item6_yaml_syntax_errors_are_one_line() -> None:
    with pytest.raises(InvalidSyntaxError) as caught:
        load_yaml_safe("a: [1\n b")
    message = str(caught.value)
    assert message.startswith("not valid YAML: ") and "\n" not in message
    assert "<unicode string>" not in message
    with pytest.raises(InvalidSyntaxError, match="not valid YAML"):
        load_yaml_safe("--- 1\n--- 2\n")  # one document only
    with pytest.raises(InvalidSyntaxError, match="not valid YAML"):
        load_yaml_safe("!!python/object:os.system x")  # safe tags only


def test_item6_intake_text_within_limits() -> None:
    with pytest.raises(IntakeError, match="YAML anchors"):
        parse_intake_text(billion_laughs(7), "yaml")
    with pytest.raises(IntakeError, match="too deeply nested"):
        parse_intake_text('{"age": ' + NESTED + "}", "json")
    with pytest.raises(IntakeError, match="number is too long"):
        parse_intake_text('{"age": ' + "1" * 5000 + "}", "json")
    # A huge bad value is quoted short in the message.
    with pytest.raises(IntakeError) as caught:
        parse_intake_text(json.dumps({"age": 40, "activity": "x" * 50_000}), "json")
    assert len(str(caught.value)) < 1000 and "characters)" in str(caught.value)


def test_item6_an_intake_file_is_read_within_its_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 70_000 + "\nage: 40\n")
    with pytest.raises(IntakeError, match=r"big\.yaml: the file is too large for an intake"):
        load_intake(big)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"age": "\xe9"}')
    with pytest.raises(IntakeError, match=r"latin\.json: cannot read: not UTF-8"):
        load_intake(latin)


def test_clip_message() -> None:
    assert clip_message("short", 10) == "short"
    assert clip_message("x" * 25, 10) == "xxxxxxxxxx... (15 more characters)"
    assert issubclass(LimitExceededError, SafeLoadError)
    assert issubclass(SafeLoadError, ValueError)


def test_a_key_given_twice_is_refused_not_silently_replaced(tmp_path: Path) -> None:
    # json and PyYAML keep the last of two equal keys: a second "red_flags: []" had erased a
    # red flag (the plan said ready).
    with pytest.raises(InvalidSyntaxError, match="'red_flags' is given twice"):
        load_json_bounded('{"red_flags": ["saddle_numbness"], "red_flags": []}')
    with pytest.raises(InvalidSyntaxError, match=r"'b' is given twice \(lines 2 and 4\)"):
        load_yaml_safe("a: 1\nb: [x]\nc: {d: 1}\nb: []\n")
    with pytest.raises(InvalidSyntaxError, match="'d' is given twice"):
        load_yaml_safe("c: {d: 1, d: 2}\n")
    # Equal keys in different mappings, and equal values, are fine.
    assert load_yaml_safe("a: {x: 1}\nb: {x: 1}\n") == {"a": {"x": 1}, "b": {"x": 1}}
    assert load_json_bounded('[{"x": 1}, {"x": 1}]') == [{"x": 1}, {"x": 1}]
    intake = tmp_path / "me.yaml"
    intake.write_text(
        "age: 44\npain_now: 0\npain_duration_weeks: 0\nactivity: active\nleg_symptoms: none\n"
        "red_flags: [saddle_numbness]\nred_flags: []\n"
    )
    with pytest.raises(IntakeError, match="'red_flags' is given twice"):
        load_intake(intake)
    with pytest.raises(SafeLoadError):  # the socket's landmark messages too
        load_json_bounded('{"t": 1, "t": 2}')


def test_packaged_data_files_give_each_key_once() -> None:
    from importlib import resources

    from twistcoach.safeload import load_data_yaml

    root = resources.files("twistcoach")
    files = [p for p in Path(str(root)).rglob("*.yaml")]
    assert len(files) >= 10
    for path in files:
        load_data_yaml(path.read_text(encoding="utf-8"))  # raises on a repeated key
    with pytest.raises(InvalidSyntaxError, match="'caps' is given twice"):
        load_data_yaml("rules:\n  - id: x\n    caps: []\n    caps: [1]\n")

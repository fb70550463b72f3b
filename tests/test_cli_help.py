"""Command help reads as paragraphs at any terminal width (``cli.app._reflow``)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from twistcoach.cli.app import _reflow, build_app


def test_a_docstring_becomes_one_line_a_paragraph() -> None:
    doc = """Summary line.

        First paragraph, wrapped
        at the source's width.

        Second   one.
        """
    assert (
        _reflow(doc)
        == "Summary line.\n\nFirst paragraph, wrapped at the source's width.\n\nSecond one."
    )


@pytest.mark.parametrize(
    ("command", "paragraph"),
    [
        (
            "coach",
            "What you may practise and how far comes from your plan and your history (the "
            "same decision as the web app): after sharp pain, no twists for the rest of that "
            "day.",
        ),
        (
            "analyze",
            "Videos of a supine twist are estimated with MediaPipe's heavy landmark model "
            "(about three times the full model's time a frame; large knee drops read closer);",
        ),
    ],
)
def test_help_paragraphs_are_not_broken_at_the_source_lines(command: str, paragraph: str) -> None:
    # At 200 columns every paragraph of these help texts fits on one line of the terminal;
    # before, each broke where the docstring's source line did.
    result = CliRunner().invoke(build_app(), [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert paragraph in result.output

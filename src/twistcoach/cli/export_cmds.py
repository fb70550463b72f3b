"""Records a clinician can file: ``twistcoach export fhir`` and ``twistcoach report``.

``export fhir`` writes a student's record (or chosen sessions) as a FHIR R4B Bundle of
type ``collection`` (JSON); ``report`` writes a clinical PDF over a chosen period. Both
read the database ``TWISTCOACH_DATABASE_URL`` names (see ``docs/clinicians.md``).

Exit codes: 0 done; 2 bad input (an unknown person or session, a bad date or period, an
output that cannot be written); 1 the database could not be read; 3 a store failure.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from twistcoach import i18n
from twistcoach.cli.output import print_error

EXIT_BAD_INPUT = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not a date; use YYYY-MM-DD")


def _out_path(path: Path) -> Path:
    """``--out``, checked before the record is read
    (:func:`twistcoach.cli.output.check_output`)."""
    from twistcoach.cli.output import OutputError, check_output

    try:
        check_output(path)
    except OutputError as exc:
        _fail(f"--out {exc}")
    return path


def _write_out(path: Path, data: bytes) -> None:
    """Write ``--out`` (:func:`twistcoach.cli.output.write_output`), exit 2 where it cannot."""
    from twistcoach.cli.output import OutputError, write_output

    try:
        write_output(path, data)
    except OutputError as exc:
        _fail(f"--out {exc}")


def register(app: typer.Typer) -> None:
    """Add ``export fhir`` and ``report`` to ``app``."""
    export_app = typer.Typer(
        help="Export a student's record for a clinic's system.", no_args_is_help=True
    )

    @export_app.command("fhir")
    def export_fhir(
        person: Annotated[str, typer.Option("--person", help="The student's name.")],
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the Bundle here (default: stdout).")
        ] = None,
        session: Annotated[
            list[int] | None,
            typer.Option(
                "--session",
                help="Only this session (repeatable): its Observations and Flags, "
                "without the intake and plan.",
            ),
        ] = None,
        system: Annotated[
            str | None,
            typer.Option(
                "--system",
                help="Identifier system URI, one per installation "
                "(default: twistcoach's example system).",
            ),
        ] = None,
    ) -> None:
        """A student's record as an HL7 FHIR R4B Bundle (type collection, JSON).

        The intake (Questionnaire and QuestionnaireResponse), the plan (CarePlan, Goals, ServiceRequest), every session's Observations and a Flag for each sharp-pain stop. Identifiers are stable: exporting again updates, never duplicates.
        """  # noqa: E501 (one paragraph a line: Rich wraps it to the terminal)
        from twistcoach.export import gather
        from twistcoach.export.fhir import IDENTIFIER_SYSTEM, build_bundle
        from twistcoach.storage import open_repository

        target = _out_path(out) if out is not None else None
        if system is not None and not system.startswith(("http://", "https://", "urn:")):
            _fail(f"--system {system!r} is not a URI (http://, https:// or urn:)")
        # The package's errors and the database's reach their exit codes in cli/app.py.
        repo = open_repository(create=False)  # reads only: no database is made here
        record = repo.person_named(person)
        facts = gather(repo, record.id, session_ids=session)
        bundle = build_bundle(facts, system=system or IDENTIFIER_SYSTEM, include_record=not session)
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        if target is None:
            sys.stdout.write(text)
            return
        _write_out(target, text.encode("utf-8"))
        count = len(bundle.get("entry", []))
        said = i18n.ngettext(
            "wrote {target}: {n} resource for {name}",
            "wrote {target}: {n} resources for {name}",
            count,
        )
        typer.echo(i18n.t(said).format(target=target, n=count, name=record.name), err=True)

    app.add_typer(export_app, name="export")

    @app.command("report")
    def report(
        person: Annotated[str, typer.Option("--person", help="The student's name.")],
        out: Annotated[Path, typer.Option("--out", help="The PDF to write.")],
        start: Annotated[
            str | None,
            typer.Option("--from", help="First day (YYYY-MM-DD, the student's own calendar)."),
        ] = None,
        end: Annotated[
            str | None, typer.Option("--to", help="Last day, included (YYYY-MM-DD).")
        ] = None,
    ) -> None:
        """A clinical PDF report of a student over a period.

        Plan and clearances, each session's depth against its cap, pain before and after, stops and their reasons, the trend over weeks, and the measured accuracy of the camera place.
        """  # noqa: E501 (one paragraph a line: Rich wraps it to the terminal)
        from twistcoach.export import gather
        from twistcoach.export.clinical_report import render_report
        from twistcoach.export.facts import check_period
        from twistcoach.storage import open_repository

        target = _out_path(out)
        first, last = _date(start, "--from"), _date(end, "--to")
        if first is not None and last is not None and first > last:
            _fail(f"--from {first} is after --to {last}")
        check_period(first, last)
        repo = open_repository(create=False)  # reads only: no database is made here
        record = repo.person_named(person)
        # Days of the student's own calendar (each session's zone), as the web's report.
        facts = gather(repo, record.id, days=(first, last))
        pdf = render_report(facts, period=(first, last), lang=i18n.current_language())
        _write_out(target, pdf)
        count = len(facts.sessions)
        said = i18n.ngettext(
            "wrote {target}: {n} session for {name}",
            "wrote {target}: {n} sessions for {name}",
            count,
        )
        typer.echo(i18n.t(said).format(target=target, n=count, name=record.name), err=True)

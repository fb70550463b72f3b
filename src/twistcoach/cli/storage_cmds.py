"""Commands over the stored data: ``sessions``, ``sessions show``, ``progress``, ``db upgrade``
and ``seed-demo``.

The database is the one ``TWISTCOACH_DATABASE_URL`` names (SQLite in the user's data
directory by default); see ``docs/storage.md``. Unknown people or sessions, and bad
settings, give a one-line error and exit code 2; an unreachable database exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from twistcoach.cli.output import print_error
from twistcoach.i18n import ngettext, t

if TYPE_CHECKING:
    from twistcoach.storage import Repository, SessionDetail, SessionSummary

EXIT_BAD_INPUT = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Storage problems exit 2 with their one-line message in these commands (the database's
    own errors reach cli/app.py's table: exit 1)."""
    from twistcoach.storage import StorageError

    try:
        yield
    except StorageError as exc:
        _fail(str(exc))


#: ``twistcoach sessions``' table columns, and ``sessions show``'s line labels.
SESSION_COLUMNS = ("id", "person", "started (UTC)", "variant", "cap", "largest", "pain", "status")
DETAIL_LABELS = ("status", "started", "source", "cap", "pain", "recorded")


def _repo(*, create: bool = False) -> Repository:
    """The repository; only ``seed-demo``, which records, makes a database where none is
    (the commands that read say there is none and create nothing)."""
    from twistcoach.storage import open_repository

    return open_repository(create=create)


def _fmt(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _pain_text(summary: SessionSummary) -> str:
    """Pain before → after, then the reports: a score the person did not give reads "not
    given" (the end pain is stored only when given at the end, never made up)."""
    s = summary.session
    before, after = (t("not given") if p is None else str(p) for p in (s.start_pain, s.end_pain))
    parts = [f"{before}→{after}"]
    if summary.reported_levels:
        reported = ",".join(str(p) for p in summary.reported_levels)
        parts.append(t("reports {levels}").format(levels=reported))
    if summary.sharp_pain:
        parts.append(t("SHARP"))
    return ", ".join(parts)


def _print_list(summaries: list[SessionSummary]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=t("Sessions (newest first)"))
    # "largest": the knee drop of a supine twist, the trunk rotation of a seated or standing
    # one (SessionRecord.measure), each against its own cap.
    for column in SESSION_COLUMNS:
        table.add_column(t(column))
    from twistcoach.poses import load_library

    library = load_library()
    for summary in summaries:
        s = summary.session
        cells = (
            str(s.id),
            s.person_name,
            s.started_at.strftime("%Y-%m-%d %H:%M"),
            t(library.name_of(s.variant_id)),
            _fmt(s.cap_deg, "°"),
            _fmt(summary.max_abs_knee_drop, "°") + _over_text(summary.over_cap_s, " ({})"),
            _pain_text(summary),
            _status_text(s.status, s.stop_reason),
        )
        # Rich reads a cell as markup: a stored name ("[/b]") or stop reason is words, and
        # unescaped it crashed the table (or "[red]" coloured it and vanished).
        table.add_row(*(escape(cell) for cell in cells))
    # Piped output gets a fixed, roomy width instead of rich's 80-column fallback.
    console = Console() if sys.stdout.isatty() else Console(width=140)
    console.print(table)


def _over_text(seconds: float, frame: str = "{}") -> str:
    """The time spent over the cap ("" for none), put in ``frame``: the web's words for it
    (:func:`twistcoach.wording.over_cap_words`, from the samples' own times), translated."""
    from twistcoach.wording import over_cap_words

    said = over_cap_words(seconds)
    return frame.format(t(said)) if said else ""


def _status_text(status: str, stop_reason: str | None) -> str:
    """A session's status and stop reason in plain words (never the stored ids)."""
    from twistcoach.wording import status_words, stop_words

    why = t(stop_words(stop_reason))
    return t(status_words(status)) + (f" ({why})" if why else "")


def _print_detail(detail: SessionDetail) -> None:
    from twistcoach.poses import load_library
    from twistcoach.wording import TIMELINE_KINDS, timeline

    summary, s = detail.summary, detail.session
    ended = s.ended_at.strftime("%Y-%m-%d %H:%M:%S UTC") if s.ended_at else "-"
    variant = t(load_library().name_of(s.variant_id))
    labels = {key: t(key) for key in DETAIL_LABELS}
    width = max(12, max(len(label) for label in labels.values()) + 2)

    def line(key: str, value: str) -> str:
        return f"  {labels[key]:{width}}{value}"

    lines = [
        t("Session {id}: {person}, {variant}").format(
            id=s.id, person=s.person_name, variant=variant
        ),
        line("status", _status_text(s.status, s.stop_reason)),
        line(
            "started",
            t("{start}, ended {end}").format(
                start=f"{s.started_at:%Y-%m-%d %H:%M:%S} UTC", end=ended
            ),
        ),
        line("source", s.source),
        line(
            "cap",
            t("{cap}°; largest {measure} {largest}").format(
                cap=f"{s.cap_deg:g}",
                measure=t(s.measure.replace("_", " ")),
                largest=_fmt(summary.max_abs_knee_drop, "°"),
            )
            + _over_text(summary.over_cap_s, "; {}"),
        ),
        line("pain", _pain_text(summary)),
        line(
            "recorded",
            t(ngettext("{n} sample", "{n} samples", summary.n_samples)).format(n=summary.n_samples)
            + ", "
            + t(ngettext("{n} event", "{n} events", summary.n_events)).format(n=summary.n_events),
        ),
        f"  {t('what happened')}:",
    ]
    # The web's session timeline, in words (never the coach's ids; the JSON keeps them).
    kinds = {kind: t(name) for kind, name in TIMELINE_KINDS.items()}
    kind_width = max(len(k) for k in kinds.values())
    lines += [
        f"    {row.t:7.1f} s  {kinds[row.kind]:{kind_width}}  {t(row.text)}"
        for row in timeline(detail.events)
    ]
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add ``sessions``, ``progress``, ``db`` and ``seed-demo`` to the application."""
    sessions_app = typer.Typer(
        help="List recorded practice sessions, or show one (`sessions show ID`).",
        no_args_is_help=False,
    )

    @sessions_app.callback(invoke_without_command=True)
    def sessions(
        ctx: typer.Context,
        person: Annotated[
            str | None, typer.Option("--person", help="Only this person's sessions.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List recorded sessions, newest first."""
        if ctx.invoked_subcommand is not None:
            return
        with _errors():
            repo = _repo()
            person_id = repo.person_named(person).id if person is not None else None
            summaries = repo.list_sessions(person_id)
        if as_json:
            typer.echo(json.dumps([s.to_json() for s in summaries], indent=2))
        elif not summaries:
            typer.echo("No sessions recorded yet" + (f" for {person}." if person else "."))
        else:
            _print_list(summaries)

    @sessions_app.command("show")
    def show(
        session_id: Annotated[
            # A database id: 1 .. 2**63-1 (past it SQLite overflows), as the web's paths.
            int,
            typer.Argument(min=1, max=2**63 - 1, help="The session's id (see `sessions`)."),
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        plot: Annotated[
            Path | None,
            typer.Option("--plot", help="Write a PNG of the knee drop against the cap."),
        ] = None,
    ) -> None:
        """Show one session: its figures, every event, and optionally a plot."""
        if plot is not None:
            if plot.suffix.lower() != ".png":
                _fail(f"--plot must name a .png file, got {str(plot)!r}")
            if not plot.parent.is_dir():
                _fail(f"--plot: folder {str(plot.parent)!r} does not exist")
        with _errors():
            detail = _repo().get_session(session_id)
        if as_json:
            typer.echo(json.dumps(detail.to_json(), indent=2))
        else:
            _print_detail(detail)
        if plot is not None:
            from twistcoach.storage.plot import plot_session

            try:
                plot_session(detail, plot)
            except OSError as exc:
                _fail(f"cannot write {str(plot)!r}: {exc.strerror or exc}")
            typer.echo(f"plot written to {plot}", err=as_json)

    app.add_typer(sessions_app, name="sessions")

    @app.command("progress")
    def progress(
        person: Annotated[str, typer.Option("--person", help="Whose progress.")],
        variant: Annotated[
            str | None,
            typer.Option(
                "--variant",
                help=(
                    "The twist, by its name as `twistcoach plan` shows it, in quotes, e.g. "
                    '"Supine twist, supported" (any case; default: the one practised last).'
                ),
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Suggest the next step from a person's history, with the reasons, and say what they
        may practise today (the same decision as the coach and the web app)."""
        from twistcoach.cli.screening_cmds import care_lines
        from twistcoach.poses.loader import load_library
        from twistcoach.screening import VariantStatus
        from twistcoach.storage.progress import decide_for_person

        library = load_library()
        with _errors():
            repo = _repo()
            found = repo.person_named(person)
            variant_id = None if variant is None else _variant_id(variant)
            decision = decide_for_person(repo, found.id, progression_variant=variant_id)
            # The twist asked about: the one named, else the one practised last (as
            # planning chooses), which has no suggestion when the plan does not allow it.
            newest = repo.list_sessions(found.id, limit=1)
            practised_last = newest[0].session.variant_id if newest else None
        suggestion = decision.progression
        # A plan that is not ready says so first, in its own words (seek care today, see a
        # clinician): the same headline and advice as `twistcoach plan`.
        care = care_lines(decision.plan)
        if as_json:
            typer.echo(json.dumps(None if suggestion is None else suggestion.to_dict(), indent=2))
            return
        asked = (variant_id or practised_last) if suggestion is None else suggestion.variant_id
        permission = next((v for v in decision.variants if v.variant_id == asked), None)
        lines = list(care)
        if suggestion is None and (decision.plan is None or asked is None):
            message = t("{name} has no sessions and no allowed variant in a plan yet.").format(
                name=found.name
            )
            for reason in decision.reasons:
                message += f"\n  {t(reason.text)}"
            typer.echo("\n".join([*lines, message]))
            return
        assert asked is not None
        lines.append(
            t("Progress for {name}, {variant}:").format(
                name=found.name, variant=t(library.name_of(asked))
            )
        )
        if suggestion is None:
            # The plan does not allow this twist (planning gives no suggestion for it): it
            # has no cap, so nothing to lower or raise; why, in the plan's words.
            none = (
                t("none: no twist is allowed now, so there is no cap to lower or raise")
                if not any(v.plan_status is VariantStatus.ALLOWED for v in decision.variants)
                else t("none: this twist is not allowed now, so it has no cap to lower or raise")
            )
            lines.append(f"  {t('suggestion'):<12}{none}")
            why = [] if permission is None else [r.text for r in permission.reasons]
            lines += [f"  {t('why'):<12}{t(text)}" for text in dict.fromkeys(why)]
        else:
            # "last session", not "now": today's cap may already be lower (pain lowers it at
            # once); it read "now 45, next 40" above "today: knee drop up to 40".
            caps = t("last session {now}, next {next} (ceiling {ceiling})").format(
                now=_fmt(suggestion.current_cap_deg, "°"),
                next=_fmt(suggestion.suggested_cap_deg, "°"),
                ceiling=_fmt(suggestion.ceiling_deg, "°"),
            )
            lines += [
                f"  {t('suggestion'):<12}{t(suggestion.action.value.replace('_', ' '))}",
                f"  {t('cap'):<12}{caps}",
            ]
            if suggestion.next_variant_id:
                following = t(library.name_of(suggestion.next_variant_id))
                lines.append(f"  {t('next'):<12}{following}")
            streak = t("{n} session(s)").format(n=suggestion.good_streak)
            lines.append(f"  {t('good streak'):<12}{streak}")
            lines += [f"  {t('why'):<12}{t(r.text)}" for r in suggestion.reasons]
        lines.append(t("A suggestion only: your teacher or clinician decides."))
        lines.append(t("Today:"))
        lines += [f"  {t(r.text)}" for r in decision.reasons]
        for v in decision.variants:
            if v.allowed:
                allowed = (
                    t("allowed now, trunk rotation up to {cap}°")
                    if v.measure == "trunk_rotation"
                    else t("allowed now, knee drop up to {cap}°")
                ).format(cap=f"{v.cap_deg:g}")
                lines.append(f"  {t(library.name_of(v.variant_id))}: {allowed}")
        if not decision.allowed:
            lines.append("  " + t("no twist may be practised with the coach now"))
        typer.echo("\n".join(lines))

    db_app = typer.Typer(help="The database: bring its schema up to date.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade() -> None:
        """Run the migrations up to the newest (creating the database if needed)."""
        from twistcoach.storage import create_engine_from_settings, init_db
        from twistcoach.storage.db import current_revision

        with _errors():
            engine = create_engine_from_settings()
            # What it was at is read by init_db, after its checks: a connection before
            # them would already write (make the file; WAL in another program's file).
            before = init_db(engine)
            after = current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
        if before == after:
            typer.echo(f"{where}: already at revision {after}")
        else:
            typer.echo(f"{where}: upgraded from {before or 'an empty database'} to {after}")

    app.add_typer(db_app, name="db")

    @app.command("seed-demo")
    def seed_demo_command() -> None:
        """Add the demo accounts, students and sessions (only what is missing)."""
        from twistcoach.storage.demo import ALEX, CLINICIAN, DEMO_PASSWORD, SAM, TEACHER, seed_demo

        with _errors():
            repo = _repo(create=True)
            seed_demo(repo)
            count = len(repo.list_sessions())
        ready = ngettext(
            "Demo data ready ({n} session). Sign in with password {password}:",
            "Demo data ready ({n} sessions). Sign in with password {password}:",
            count,
        )
        typer.echo(t(ready).format(n=count, password=DEMO_PASSWORD))
        for account in (TEACHER, CLINICIAN, SAM, ALEX):
            typer.echo(f"  {account.email:24} {account.role.value}")


def _variant_id(words: str) -> str:
    """The id of the variant ``--variant`` names (its name as ``plan`` shows it, or its id);
    exit 2 listing the names otherwise."""
    from twistcoach.cli.answers import variant_named, variant_names_words
    from twistcoach.poses.loader import load_library

    library = load_library()
    found = variant_named(library, words)
    if found is None:
        _fail(f"unknown variant {words!r}; give one of: {variant_names_words(library)}")
    return found
